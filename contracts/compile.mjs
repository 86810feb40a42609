// Compiles contracts/src/*.sol with the npm solc (solcjs) through its standard-JSON API and writes one
// artifact per contract: OUT_DIR/<Contract>.json with abi, bytecode and deployedBytecode.
//
// usage: node contracts/compile.mjs [OUT_DIR]     (default: contracts/out)
//
// The output is byte-for-byte reproducible: pinned compiler settings, no metadata hash or CBOR trailer
// in the bytecode, source names relative to contracts/, object keys sorted, fixed formatting. `cargo
// xtask test` recompiles into a scratch folder and fails if anything differs from contracts/out.

import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SOLC_VERSION = "0.8.37";
const contractsDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(contractsDir, "..");
const srcDir = join(contractsDir, "src");
const outDir = resolve(process.argv[2] ?? join(contractsDir, "out"));

// solc is installed under <repo>/.tools by `cargo xtask`, not next to this script.
const require = createRequire(join(repoRoot, ".tools", "package.json"));
let solc;
try {
  solc = require("solc");
} catch (e) {
  console.error(`compile.mjs: cannot load solc from ${join(repoRoot, ".tools")}: ${e.message}`);
  console.error("compile.mjs: run `cargo xtask setup`, which installs it");
  process.exit(1);
}
if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
  console.error(`compile.mjs: expected solc ${SOLC_VERSION}, found ${solc.version()}`);
  process.exit(1);
}

const sources = {};
for (const file of readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`src/${file}`] = { content: readFileSync(join(srcDir, file), "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    // Cancun runs on every current L1 and on revm-based chains such as this project's own L2.
    evmVersion: "cancun",
    viaIR: false,
    // No metadata hash and no CBOR trailer: the bytes depend only on the sources and these settings.
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
    },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const diag of output.errors ?? []) {
  console.error(diag.formattedMessage ?? diag.message);
  if (diag.severity === "error") failed = true;
}
if (failed) process.exit(1);

// Sorted keys at every level, so the files do not depend on the order solc emits them in.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

mkdirSync(outDir, { recursive: true });
const written = new Set();
for (const sourceName of Object.keys(output.contracts ?? {}).sort()) {
  for (const name of Object.keys(output.contracts[sourceName]).sort()) {
    const c = output.contracts[sourceName][name];
    const file = `${name}.json`;
    if (written.has(file)) {
      console.error(`compile.mjs: two contracts are named ${name}; artifact names must be unique`);
      process.exit(1);
    }
    const artifact = {
      contractName: name,
      sourceName,
      compiler: `solc ${solc.version()}`,
      settings: sortKeys(input.settings),
      abi: sortKeys(c.abi),
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
    writeFileSync(join(outDir, file), `${JSON.stringify(artifact, null, 2)}\n`);
    written.add(file);
    console.log(`compile.mjs: ${sourceName}:${name} -> ${join(outDir, file)}`);
  }
}

// Artifacts of contracts that no longer exist would otherwise linger.
for (const file of readdirSync(outDir)) {
  if (file.endsWith(".json") && !written.has(file)) {
    rmSync(join(outDir, file));
    console.log(`compile.mjs: removed stale ${file}`);
  }
}
