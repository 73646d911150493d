//! A name world of the test's own: a mount and network namespace (`unshare -mn`, private
//! propagation) with its loopback up, the test's `resolv.conf`, `hosts` and
//! `nsswitch.conf` bind-mounted over `/etc`, and `tests/support/dns.py` on port 53 of
//! 127.0.0.1 and ::1 (`resolv.conf` cannot name another port, and a namespace of its own
//! clashes with no resolver of the host). Processes run inside it through `nsenter`;
//! every one is killed by pid when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::peers::support_file;

/// The namespaces, held by a `sleep` that the test started.
pub struct Namespace {
    holder: Child,
    pub dir: tempfile::TempDir,
}

/// A server the test runs inside the namespace: its port and its log.
pub struct Server {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        super::kill(self.child.id());
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Namespace {
    /// The namespaces with these files over `/etc`; `None` (a failure under CI=true, a
    /// SKIPPED line otherwise) where they cannot be made (not root, no `unshare`).
    pub fn new(resolv_conf: &str, hosts: &str) -> Option<Namespace> {
        let dir = tempfile::tempdir().unwrap();
        let holder = Command::new("unshare")
            .args(["-mn", "--propagation", "private", "sleep", "600"])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let Ok(mut holder) = holder else {
            super::cannot_run("`unshare` (util-linux) is not installed");
            return None;
        };
        // unshare execs sleep once both namespaces are made.
        let comm = format!("/proc/{}/comm", holder.id());
        let ready = super::wait_until(
            10,
            "unshare to start sleep",
            || match holder.try_wait() {
                Ok(Some(_)) => Some(false),
                _ => std::fs::read_to_string(&comm)
                    .ok()
                    .filter(|c| c.trim() == "sleep")
                    .map(|_| true),
            },
            String::new,
        );
        if !ready {
            super::cannot_run("cannot make a mount and network namespace (`unshare -mn` needs root or CAP_SYS_ADMIN)");
            return None;
        }
        let ns = Namespace { holder, dir };
        ns.setup(resolv_conf, hosts);
        Some(ns)
    }

    fn setup(&self, resolv_conf: &str, hosts: &str) {
        self.run(&["ip", "link", "set", "lo", "up"]);
        let files = [
            ("resolv.conf", resolv_conf),
            ("hosts", hosts),
            // glibc: the hosts file, then DNS, whatever the host's file says.
            ("nsswitch.conf", "hosts: files dns\n"),
        ];
        for (name, text) in files {
            let over = Path::new("/etc").join(name);
            if name == "nsswitch.conf" && !over.exists() {
                continue;
            }
            let ours = self.dir.path().join(name);
            std::fs::write(&ours, text).unwrap();
            self.run(&[
                "mount",
                "--bind",
                ours.to_str().unwrap(),
                over.to_str().unwrap(),
            ]);
        }
    }

    /// Runs a set-up command inside; it must succeed.
    fn run(&self, args: &[&str]) {
        let mut cmd = Command::new(args[0]);
        cmd.args(&args[1..]);
        let out = self.wrap(cmd).output().unwrap();
        assert!(out.status.success(), "{args:?} in the namespace: {out:?}");
    }

    /// `cmd` run inside the namespaces (`nsenter` without `-p` does not fork, so the pid
    /// is the command's own), with only `cmd`'s environment and PATH.
    pub fn wrap(&self, cmd: Command) -> Command {
        let mut inside = Command::new("nsenter");
        inside
            .args(["-t", &self.holder.id().to_string(), "-m", "-n", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        if let Some(dir) = cmd.get_current_dir() {
            inside.current_dir(dir);
        }
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                inside.env(k, v);
            }
        }
        inside
    }

    /// `tests/support/NAME ARGS --log FILE` inside, once it printed its port.
    pub fn server(&self, script: &str, args: &[&str]) -> Server {
        let log = tempfile::NamedTempFile::new_in(self.dir.path())
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(support_file(script))
            .args(args)
            .arg("--log")
            .arg(&log);
        let mut child = self
            .wrap(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // The script prints its port once listening, or exits (then the line is empty).
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok());
        let server = Server {
            child,
            port: port.unwrap_or(0),
            log,
        };
        assert!(port.is_some(), "{script} {args:?} did not start: {line:?}");
        server
    }

    /// The DNS server in `mode` on 127.0.0.1:53 and [::1]:53, knowing `names`
    /// (`name=address`).
    pub fn dns(&self, mode: &str, names: &[&str]) -> Server {
        let mut args = vec![mode, "--bind", "127.0.0.1", "--bind", "::1"];
        for n in names {
            args.extend(["--name", n]);
        }
        self.server("dns.py", &args)
    }

    /// A webhook receiver (`peer.py record`) on 127.0.0.1 inside.
    pub fn webhook(&self) -> Server {
        self.server("peer.py", &["record"])
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        super::kill(self.holder.id());
        let _ = self.holder.wait();
    }
}
