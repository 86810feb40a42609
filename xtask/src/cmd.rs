//! Running commands, echoing them first.

use std::{
    ffi::OsStr,
    path::Path,
    process::{Child, Command},
};

/// A failed step, with a message for the user.
#[derive(Debug)]
pub(crate) struct Failed(pub(crate) String);

/// A command that is echoed before it runs.
#[derive(Debug)]
pub(crate) struct Cmd(Command);

impl Cmd {
    pub(crate) fn new(program: impl AsRef<OsStr>) -> Self {
        Self(Command::new(program))
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.0.arg(arg);
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.0.env(key, value);
        self
    }

    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.0.current_dir(dir);
        self
    }

    fn describe(&self) -> String {
        let mut s = self.0.get_program().to_string_lossy().into_owned();
        for a in self.0.get_args() {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Runs to completion; a non-zero exit is a failure.
    pub(crate) fn run(mut self) -> Result<(), Failed> {
        let what = self.describe();
        println!("$ {what} (at {})", crate::since_start());
        let status = self
            .0
            .status()
            .map_err(|e| Failed(format!("cannot run `{what}`: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Failed(format!("`{what}` failed ({status})")))
        }
    }

    /// Runs to completion with its output going to `log` (or shown, without one), for steps that
    /// run beside others; a failure shows the log's last lines.
    pub(crate) fn run_logged(self, log: Option<&Path>) -> Result<(), Failed> {
        match log {
            Some(log) => self.logged(log, false).map(drop),
            None => self.run(),
        }
    }

    /// As [`Cmd::stdout`], with standard error going to `log`.
    pub(crate) fn stdout_logged(self, log: &Path) -> Result<String, Failed> {
        self.logged(log, true)
    }

    /// Runs to completion with standard error, and standard output unless `keep_stdout`, appended
    /// to `log`; returns what standard output was kept.
    fn logged(mut self, log: &Path, keep_stdout: bool) -> Result<String, Failed> {
        let what = self.describe();
        println!(
            "$ {what} (at {}; output in {})",
            crate::since_start(),
            log.display()
        );
        let (out, err) = log_files(log)?;
        self.0.stderr(err);
        if !keep_stdout {
            self.0.stdout(out);
        }
        let done = self
            .0
            .output()
            .map_err(|e| Failed(format!("cannot run `{what}`: {e}")))?;
        if done.status.success() {
            Ok(String::from_utf8_lossy(&done.stdout).into_owned())
        } else {
            Err(Failed(format!(
                "`{what}` failed ({}); the end of {}:\n{}",
                done.status,
                log.display(),
                log_tail(log)
            )))
        }
    }

    /// Runs to completion with its output captured, shown only if it fails (for chatty tools).
    pub(crate) fn run_quiet(mut self) -> Result<(), Failed> {
        let what = self.describe();
        println!("$ {what} (at {})", crate::since_start());
        let out = self
            .0
            .output()
            .map_err(|e| Failed(format!("cannot run `{what}`: {e}")))?;
        if out.status.success() {
            return Ok(());
        }
        Err(Failed(format!(
            "`{what}` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }

    /// Runs to completion and returns its standard output, or `None` if it cannot run or fails.
    pub(crate) fn output(mut self) -> Option<String> {
        let out = self.0.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs to completion with its standard output shown and returned; a non-zero exit is a
    /// failure.
    pub(crate) fn output_shown(self) -> Result<String, Failed> {
        let stdout = self.stdout()?;
        print!("{stdout}");
        Ok(stdout)
    }

    /// Runs to completion with its standard error shown, and returns its standard output unshown
    /// (for machine-readable output); a non-zero exit is a failure.
    pub(crate) fn stdout(mut self) -> Result<String, Failed> {
        let what = self.describe();
        println!("$ {what} (at {})", crate::since_start());
        let out = self
            .0
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| Failed(format!("cannot run `{what}`: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            print!("{}", String::from_utf8_lossy(&out.stdout));
            Err(Failed(format!("`{what}` failed ({})", out.status)))
        }
    }

    /// Starts the command in the background.
    pub(crate) fn spawn(mut self) -> Result<Child, Failed> {
        let what = self.describe();
        println!("$ {what} (at {})", crate::since_start());
        self.0
            .spawn()
            .map_err(|e| Failed(format!("cannot run `{what}`: {e}")))
    }
}

/// `log` opened for appending, twice: for standard output and standard error.
fn log_files(log: &Path) -> Result<(std::fs::File, std::fs::File), Failed> {
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Failed(format!("cannot open {}: {e}", log.display())))
    };
    Ok((open()?, open()?))
}

/// The last lines of `log`, for a failure's message.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
