//! Starting and stopping a local anvil node, the devnet's L1.

use std::{
    fs::File,
    io,
    net::{SocketAddr, TcpListener},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::l1::L1Client;

/// How to start anvil.
#[derive(Debug, Clone)]
pub struct AnvilConfig {
    /// The anvil executable.
    pub bin: PathBuf,
    /// Loopback address and port to listen on.
    pub addr: SocketAddr,
    /// Seconds between mined blocks; `None` mines a block per transaction.
    pub block_time: Option<u64>,
    /// Where anvil's own output goes; discarded when `None`.
    pub log_path: Option<PathBuf>,
    /// A file anvil loads its chain from when it exists and saves it to when it stops (`--state`),
    /// so that a restarted anvil carries on the same chain.
    pub state: Option<PathBuf>,
}

/// Why anvil could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AnvilError {
    /// The port anvil should listen on is taken.
    #[error(
        "cannot start anvil: {addr} is already in use (stop whatever listens there, or pass --l1-rpc to use it)"
    )]
    PortBusy {
        /// The requested address.
        addr: SocketAddr,
    },
    /// The executable could not be run.
    #[error("cannot run anvil at {}: {source} (run `cargo xtask run`, which installs it, or pass --anvil-bin)", bin.display())]
    Spawn {
        /// The executable that was tried.
        bin: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Anvil exited before it answered.
    #[error("anvil exited during start-up with {status}; its output is in {log}")]
    Exited {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Where its output went.
        log: String,
    },
    /// Anvil did not answer JSON-RPC in time.
    #[error("anvil did not answer on {url} within {timeout:?}")]
    NotReady {
        /// The endpoint polled.
        url: String,
        /// How long it was polled.
        timeout: Duration,
    },
    /// No free loopback port could be found.
    #[error("cannot find a free loopback port for anvil: {0}")]
    NoFreePort(#[source] io::Error),
    /// The log file could not be created.
    #[error("cannot create anvil log {}: {source}", path.display())]
    Log {
        /// The log path.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// A running anvil process, killed when dropped.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    url: String,
    log: Option<PathBuf>,
    /// How long a stop waits for anvil to exit on its own (it saves its chain first when it keeps
    /// one) before killing it.
    grace: Duration,
}

impl Anvil {
    /// Starts anvil and waits until it answers JSON-RPC.
    pub async fn start(config: &AnvilConfig) -> Result<Self, AnvilError> {
        // Fail with a clear message rather than letting anvil print a bind error to its log.
        TcpListener::bind(config.addr).map_err(|_| AnvilError::PortBusy { addr: config.addr })?;

        let mut cmd = Command::new(&config.bin);
        cmd.arg("--host")
            .arg(config.addr.ip().to_string())
            .arg("--port")
            .arg(config.addr.port().to_string())
            // A batch up to the rollup's size limit, as hex in the request that posts it, can be
            // larger than anvil's default request limit (2 MiB).
            .arg("--no-request-size-limit")
            .stdin(Stdio::null());
        if let Some(seconds) = config.block_time {
            cmd.arg("--block-time").arg(seconds.to_string());
        }
        if let Some(state) = &config.state {
            cmd.arg("--state").arg(state);
        }
        match &config.log_path {
            Some(path) => {
                let file = File::create(path).map_err(|source| AnvilError::Log {
                    path: path.clone(),
                    source,
                })?;
                let err = file.try_clone().map_err(|source| AnvilError::Log {
                    path: path.clone(),
                    source,
                })?;
                cmd.stdout(file).stderr(err);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        // SAFETY: `prctl` is async-signal-safe; the closure allocates nothing. If this process dies
        // without running its clean-up (SIGKILL), the kernel then kills anvil too.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|source| AnvilError::Spawn {
            bin: config.bin.clone(),
            source,
        })?;
        let mut anvil = Self {
            child,
            url: format!("http://{}", config.addr),
            log: config.log_path.clone(),
            // Saving the chain can take a while on a loaded machine; a kill would lose it.
            grace: Duration::from_secs(if config.state.is_some() { 60 } else { 5 }),
        };
        anvil.wait_ready(Duration::from_secs(30)).await?;
        Ok(anvil)
    }

    /// Starts anvil as [`Anvil::start`] does, on a free loopback port instead of `config.addr`.
    /// A port free a moment ago can be taken before anvil binds it (every outgoing connection on
    /// the machine takes a port from the same range), so a start that finds its port taken, or an
    /// anvil that exits at once, is tried again on another port, five times in all.
    pub async fn start_on_free_port(config: &AnvilConfig) -> Result<Self, AnvilError> {
        let mut config = config.clone();
        let mut tries = 1;
        loop {
            config.addr = free_loopback_addr().map_err(AnvilError::NoFreePort)?;
            match Self::start(&config).await {
                Err(AnvilError::PortBusy { .. } | AnvilError::Exited { .. }) if tries < 5 => {
                    tries += 1;
                }
                started => return started,
            }
        }
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<(), AnvilError> {
        let client = L1Client::new(&self.url).expect("a socket address forms a valid URL");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log.as_deref().map_or_else(
                    || "nowhere (no log path)".to_owned(),
                    |p| p.display().to_string(),
                );
                return Err(AnvilError::Exited { status, log });
            }
            if client.status().await.is_ok() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(AnvilError::NotReady {
                    url: self.url.clone(),
                    timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The operating system's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops anvil and waits for it to exit.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SIGTERM first so anvil can flush (and save its chain); SIGKILL if it lingers.
            // SAFETY: plain syscall on a pid this process owns and has not reaped.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + self.grace;
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Looks for an anvil executable: the given path, else `anvil` on `PATH`.
pub fn find_anvil(explicit: Option<&Path>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("anvil"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("anvil"))
}

/// A loopback address with a port that was free a moment ago, for tests and throwaway nodes.
pub fn free_loopback_addr() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}
