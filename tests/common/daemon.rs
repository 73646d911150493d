//! `lingerwatch run` as a real process the test starts: its stderr in a file, its
//! heartbeat in a temp dir, killed by pid when the test ends (also when it fails).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    pub child: Child,
    stderr: PathBuf,
    dir: tempfile::TempDir,
}

impl Daemon {
    /// `lingerwatch run ARGS` with only `env` (and a heartbeat in a temp dir) set.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Daemon::start_wrapped(args, env, |cmd| cmd)
    }

    /// As [`Daemon::start`], the command passed through `wrap` (to run it in a namespace
    /// the test made: `dns::Namespace::wrap`).
    pub fn start_wrapped(
        args: &[&str],
        env: &[(&str, &str)],
        wrap: impl FnOnce(Command) -> Command,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr.log");
        let mut cmd = Command::new(super::bin());
        cmd.arg("run")
            .args(args)
            .env_clear()
            .env("WATCHDOG_HEARTBEAT_FILE", dir.path().join("heartbeat"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut cmd = wrap(cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        Daemon {
            child: cmd.spawn().unwrap(),
            stderr,
            dir,
        }
    }

    /// `lingerwatch run` on the fake /proc at `root`, scanning every second, with a
    /// threshold of one second, then `args`.
    pub fn fast(root: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let root = root.to_str().unwrap();
        let fast = ["--proc-root", root, "--interval-s", "1", "--age-s", "1"];
        let all: Vec<&str> = fast.iter().chain(args).copied().collect();
        Daemon::start(&all, env)
    }

    /// `lingerwatch health` on this daemon's heartbeat: its exit code and stdout.
    pub fn health(&self) -> (Option<i32>, String) {
        let out = Command::new(super::bin())
            .arg("health")
            .env("WATCHDOG_HEARTBEAT_FILE", self.heartbeat())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn heartbeat(&self) -> PathBuf {
        self.dir.path().join("heartbeat")
    }

    /// Waits until the log holds `needle`; the log when it times out.
    pub fn wait_log(&self, secs: u64, needle: &str) -> String {
        super::wait_until(
            secs,
            &format!("{needle:?} in the log"),
            || {
                let log = self.log();
                log.contains(needle).then_some(log)
            },
            || self.log(),
        )
    }

    /// Waits until the daemon has completed a tick that started after `after_ms` (boot
    /// clock; 0 for its first): what it saw then is in its table. Returns that tick's
    /// stamp.
    pub fn wait_tick_after(&self, secs: u64, after_ms: u64) -> u64 {
        super::wait_until(
            secs,
            "a tick",
            || super::heartbeat_ms(&self.heartbeat()).filter(|&t| t > after_ms),
            || self.log(),
        )
    }

    /// Sends `sig`, then how long it took to exit and its status (`None` when it was
    /// still running after `patience`).
    pub fn signal_and_time(
        &mut self,
        sig: rustix::process::Signal,
        patience: Duration,
    ) -> (Duration, Option<std::process::ExitStatus>) {
        let t = Instant::now();
        super::signal(self.pid(), sig);
        while t.elapsed() < patience {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (t.elapsed(), Some(status));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        (t.elapsed(), None)
    }

    pub fn term_and_time(&mut self) -> (Duration, Option<i32>) {
        let (took, status) =
            self.signal_and_time(rustix::process::Signal::TERM, Duration::from_secs(30));
        (took, status.and_then(|s| s.code()))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        super::kill(self.child.id());
        let _ = self.child.wait();
    }
}
