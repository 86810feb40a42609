//! A throwaway PostgreSQL server on loopback, for the tests that run against PostgreSQL.

use std::{
    io::ErrorKind,
    net::{Ipv4Addr, TcpListener},
    path::{Path, PathBuf},
};

use crate::{
    cmd::{Cmd, Failed},
    target_dir,
};

/// The system user Debian's package creates; `initdb` and `pg_ctl` refuse to run as root.
const POSTGRES_USER: &str = "postgres";

/// A PostgreSQL server on a fresh cluster in the target folder, listening on 127.0.0.1 only, with
/// password-less access for the superuser `postgres`. Dropping it stops the server and deletes the
/// cluster. One per process: the cluster's folder is named after the process id.
#[derive(Debug)]
pub(crate) struct TestPostgres {
    /// The folder with `initdb` and `pg_ctl`.
    bin: PathBuf,
    /// `<target>/xtask-postgres/<pid>`: the cluster (`data/`), the Unix socket folder and the log.
    dir: PathBuf,
    port: u16,
}

impl TestPostgres {
    /// Creates a cluster with the programs in `bin` and starts its server; first stops and deletes
    /// what runs that ended without cleaning up (a Ctrl-C) left behind.
    pub(crate) fn start(bin: &Path) -> Result<Self, Failed> {
        let parent = target_dir().join("xtask-postgres");
        let dir = parent.join(std::process::id().to_string());
        stop_leftovers(bin, &parent, &dir)?;
        let socket_dir = dir.join("socket");
        std::fs::create_dir_all(&socket_dir)
            .map_err(|e| Failed(format!("cannot create {}: {e}", socket_dir.display())))?;
        if running_as_root() {
            Cmd::new("chown")
                .arg(format!("{POSTGRES_USER}:{POSTGRES_USER}"))
                .arg(&dir)
                .arg(&socket_dir)
                .run()?;
        }
        // From here on, dropping `server` deletes the folder and stops the server if it started.
        let mut server = Self {
            bin: bin.into(),
            dir,
            port: 0,
        };
        let data = server.data();
        as_postgres(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-A",
                "trust",
                "-U",
                POSTGRES_USER,
                "--no-sync",
                "-E",
                "UTF8",
            ])
            // The C locale sorts and compares text the same on every machine.
            .arg("--locale=C")
            .current_dir(&server.dir)
            .run_quiet()
            .map_err(|Failed(msg)| Failed(format!("cannot create a PostgreSQL cluster: {msg}")))?;

        server.port = free_loopback_port()?;
        let log = server.dir.join("server.log");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k '{}' -c fsync=off",
            server.port,
            socket_dir.display()
        );
        as_postgres(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-o"])
            .arg(options)
            .arg("start")
            .current_dir(&server.dir)
            .run_quiet()
            .map_err(|Failed(msg)| {
                Failed(format!(
                    "cannot start PostgreSQL: {msg}\nlast lines of {}:\n{}",
                    log.display(),
                    last_lines(&log, 20)
                ))
            })?;
        Ok(server)
    }

    /// The TCP port the server listens on, on 127.0.0.1.
    pub(crate) const fn port(&self) -> u16 {
        self.port
    }

    /// A URL to the maintenance database `postgres` as the superuser: tests create their own
    /// databases through it.
    pub(crate) fn url(&self) -> String {
        format!(
            "postgres://{POSTGRES_USER}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Err(Failed(msg)) = stop_and_remove(&self.bin, &self.dir) {
            eprintln!("xtask: {msg}");
        }
    }
}

/// Stops the servers and deletes the clusters of runs that have ended, and of an earlier process
/// that had this one's id (`own`). Another run's server that is still in use is left alone.
fn stop_leftovers(bin: &Path, parent: &Path, own: &Path) -> Result<(), Failed> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if path == own {
            stop_and_remove(bin, &path)?;
        } else if !Path::new("/proc").join(pid.to_string()).exists()
            && let Err(Failed(msg)) = stop_and_remove(bin, &path)
        {
            eprintln!("xtask: cannot clean up a leftover PostgreSQL cluster: {msg}");
        }
    }
    Ok(())
}

/// Stops the server of the cluster in `dir/data` if it runs, then deletes `dir`.
fn stop_and_remove(bin: &Path, dir: &Path) -> Result<(), Failed> {
    let data = dir.join("data");
    let pg_ctl = bin.join("pg_ctl");
    // `pg_ctl status` exits 0 only when postmaster.pid names a live server.
    let running = data.join("postmaster.pid").exists()
        && as_postgres(&pg_ctl)
            .arg("status")
            .arg("-D")
            .arg(&data)
            .current_dir(dir)
            .output()
            .is_some();
    if running {
        as_postgres(&pg_ctl)
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .current_dir(dir)
            .run_quiet()
            .map_err(|Failed(msg)| {
                Failed(format!(
                    "cannot stop the PostgreSQL server of {}: {msg}",
                    data.display()
                ))
            })?;
    }
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(Failed(format!("cannot delete {}: {e}", dir.display())))
        }
        _ => Ok(()),
    }
}

/// `program` run as the `postgres` user when this process is root, as is otherwise.
fn as_postgres(program: impl AsRef<Path>) -> Cmd {
    if running_as_root() {
        Cmd::new("runuser")
            .args(["-u", POSTGRES_USER, "--"])
            .arg(program.as_ref())
    } else {
        Cmd::new(program.as_ref())
    }
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_loopback_port() -> Result<u16, Failed> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failed(format!("cannot find a free port on 127.0.0.1: {e}")))
}

/// The last `n` lines of the file at `path`, or a note that it cannot be read.
fn last_lines(path: &Path, n: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(cannot read it: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use std::{net::TcpStream, process::Command};

    use super::*;
    use crate::tools::find_postgres;

    #[test]
    fn serves_sql_on_loopback_and_cleans_up() {
        let bin = find_postgres().expect("PostgreSQL is not installed: run `cargo xtask setup`");
        let server = TestPostgres::start(&bin).expect("starts");
        let (dir, port) = (server.dir.clone(), server.port());

        let out = Command::new(bin.join("psql"))
            .arg(server.url())
            .args(["-X", "-A", "-t", "-c", "select 1"])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");

        drop(server);
        assert!(!dir.exists(), "{} is left behind", dir.display());
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "the server still listens on port {port}"
        );
    }
}
