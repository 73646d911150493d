//! Real peers for the HTTP client tests, each started by the test and killed by pid: the
//! Python servers of `tests/support/peer.py` (well-behaved or hostile), a check that a
//! tool is installed, and what `/proc/self` says about this process's threads, fds and
//! peak memory.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A file under `tests/support/`.
pub fn support_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// Whether `program args` runs. When it does not, the test cannot run: that fails it
/// under CI=true, and otherwise prints a SKIPPED line saying why.
pub fn have(program: &str, args: &[&str], test: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        super::cannot_run(&format!(
            "{test}: `{program}` is not installed (scripts/install-test-peers.sh installs it)"
        ));
    }
    ok
}

/// Whether this machine has an IPv6 loopback (::1 listed on `lo` by the kernel). Without
/// one there is nothing to test, in CI or not, so that is a loud skip, never a failure.
pub fn have_ipv6_loopback(test: &str) -> bool {
    let listed = std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|t| {
        t.lines()
            .any(|l| l.starts_with("00000000000000000000000000000001"))
    });
    if !listed {
        super::skipped(&format!(
            "{test}: this machine has no IPv6 loopback (::1 is not in /proc/net/if_inet6)"
        ));
    }
    listed
}

/// One `tests/support/peer.py` process.
pub struct Peer {
    child: Child,
    /// Kept open: its fd is part of the count the leak checks compare.
    _stdout: BufReader<ChildStdout>,
    pub port: u16,
    bind: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    markers: std::cell::RefCell<Vec<u16>>,
}

impl Peer {
    /// A peer on 127.0.0.1 in `mode`, with more `peer.py` arguments.
    pub fn start(mode: &str, extra: &[&str]) -> Peer {
        Peer::start_on("127.0.0.1", mode, extra)
    }

    pub fn start_on(bind: &str, mode: &str, extra: &[&str]) -> Peer {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("events.jsonl");
        let mut child = Command::new("python3")
            .arg(support_file("peer.py"))
            .arg(mode)
            .arg("--bind")
            .arg(bind)
            .arg("--log")
            .arg(&log)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3: {e}"));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(port) = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
        else {
            crate::common::kill(child.id());
            panic!("peer.py {mode} on {bind} did not start: {line:?}");
        };
        Peer {
            child,
            _stdout: stdout,
            port,
            bind: bind.to_owned(),
            log,
            _dir: dir,
            markers: Default::default(),
        }
    }

    /// `http://127.0.0.1:PORT` (or the bracketed IPv6 address).
    pub fn origin(&self, scheme: &str) -> String {
        if self.bind.contains(':') {
            format!("{scheme}://[{}]:{}", self.bind, self.port)
        } else {
            format!("{scheme}://{}:{}", self.bind, self.port)
        }
    }

    pub fn events(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        // A line being written may be cut; only whole lines count.
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "request")
            .collect()
    }

    /// How many connections the client made so far. The peer logs each accept from one
    /// thread, in the order of the kernel's accept queue; so this connects once more (a
    /// marker) and waits until the marker is logged: every earlier connection is then
    /// logged too. Markers are not counted.
    pub fn connections(&self) -> usize {
        let marker = TcpStream::connect((self.bind.as_str(), self.port)).unwrap();
        let marker_port = marker.local_addr().unwrap().port();
        drop(marker);
        self.markers.borrow_mut().push(marker_port);
        crate::common::wait_until(
            10,
            "the marker connection to be accepted",
            || {
                let accepts: Vec<u16> = self
                    .events()
                    .iter()
                    .filter(|e| e["event"] == "accept")
                    .map(|e| e["peer_port"].as_u64().unwrap_or(0) as u16)
                    .collect();
                let at = accepts.iter().rposition(|&p| p == marker_port)?;
                let markers = self.markers.borrow();
                Some(
                    accepts[..at]
                        .iter()
                        .filter(|p| !markers.contains(p))
                        .count(),
                )
            },
            || format!("{:?}", self.events()),
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        crate::common::kill(self.child.id());
        let _ = self.child.wait();
    }
}

/// Threads of this process, from `/proc/self/task`.
pub fn thread_count() -> usize {
    thread_count_of("self")
}

/// Open file descriptors of this process, from `/proc/self/fd`.
pub fn fd_count() -> usize {
    fd_count_of("self")
}

/// Peak resident memory of this process (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    peak_rss_kib_of("self")
}

/// Threads of a process (`self` or a pid), from `/proc/<pid>/task`.
pub fn thread_count_of(pid: impl std::fmt::Display) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count()
}

/// Open file descriptors of a process, from `/proc/<pid>/fd`.
pub fn fd_count_of(pid: impl std::fmt::Display) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Peak resident memory of a process (VmHWM), in KiB.
pub fn peak_rss_kib_of(pid: impl std::fmt::Display) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
}
