//! Fake `/proc` trees in temp dirs, for what a live system cannot produce on demand, and
//! helpers for processes the tests start.
#![allow(dead_code)]

pub mod alloc_count;
pub mod peers;
pub mod pki;
pub mod tinyproxy;
pub mod webhook;

use std::fs;
use std::path::{Path, PathBuf};

pub struct FakeProc {
    pub dir: tempfile::TempDir,
}

/// A stat line with the fields lingerwatch reads set and the rest plausible.
pub fn stat_line(
    pid: u32,
    comm: &[u8],
    state: u8,
    ppid: u32,
    utime: u64,
    stime: u64,
    starttime: u64,
) -> Vec<u8> {
    let mut line = format!("{pid} (").into_bytes();
    line.extend_from_slice(comm);
    line.extend_from_slice(
        format!(
            ") {} {ppid} {ppid} {ppid} 0 -1 4194304 100 0 0 0 {utime} {stime} 0 0 20 0 1 0 {starttime} 1000000 250 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
            state as char
        )
        .as_bytes(),
    );
    line
}

impl FakeProc {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // /proc/stat with a boot time, as the real one has.
        fs::write(dir.path().join("stat"), b"cpu 1 2 3 4\nbtime 1764340110\n").unwrap();
        FakeProc { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid_dir(&self, pid: u32) -> PathBuf {
        self.dir.path().join(pid.to_string())
    }

    /// Adds a process with explicit files; `None` leaves a file out.
    pub fn add_raw(
        &self,
        pid: u32,
        stat: Option<&[u8]>,
        cmdline: Option<&[u8]>,
        cgroup: Option<&[u8]>,
    ) {
        let d = self.pid_dir(pid);
        fs::create_dir_all(&d).unwrap();
        if let Some(s) = stat {
            fs::write(d.join("stat"), s).unwrap();
        }
        if let Some(c) = cmdline {
            fs::write(d.join("cmdline"), c).unwrap();
        }
        if let Some(c) = cgroup {
            fs::write(d.join("cgroup"), c).unwrap();
        }
    }

    /// Adds an ordinary process.
    pub fn add(&self, pid: u32, comm: &str, ppid: u32, starttime: u64, cmdline: &[u8]) {
        self.add_raw(
            pid,
            Some(&stat_line(
                pid,
                comm.as_bytes(),
                b'S',
                ppid,
                150,
                50,
                starttime,
            )),
            Some(cmdline),
            Some(b"0::/\n"),
        );
    }

    pub fn set_cgroup(&self, pid: u32, cgroup: &str) {
        fs::write(self.pid_dir(pid).join("cgroup"), cgroup).unwrap();
    }

    pub fn remove(&self, pid: u32) {
        fs::remove_dir_all(self.pid_dir(pid)).unwrap();
    }

    /// Makes `self` point at `pid`, as the real `/proc/self` does.
    pub fn set_self(&self, pid: u32) {
        std::os::unix::fs::symlink(pid.to_string(), self.dir.path().join("self")).unwrap();
    }
}

/// The path of the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lingerwatch")
}

/// A process this test started, killed by pid when dropped (also when a test fails).
pub struct Spawned {
    pub pid: u32,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        kill(self.pid);
    }
}

/// SIGKILLs one pid that the test started.
pub fn kill(pid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// The ppid of a live process, read straight from /proc.
pub fn ppid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let s = lingerwatch::parse::pid_stat::parse(&stat).ok()?;
    Some(s.ppid)
}

/// A unique name with `pytest` in it, so parallel tests and other processes on the host
/// never match each other's patterns.
pub fn unique_pytest_name(tag: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("pytest-lw-{tag}-{}-{n}", std::process::id())
}

/// Starts `sh`, which starts a long-lived `sleep` whose argv[0] is `name` (a symlink in a
/// temp dir), then SIGKILLs the shell so the sleeper is reparented: the incident of
/// CONTEXT.md. Returns the orphan and when its shell was started.
pub fn spawn_orphan(dir: &Path, name: &str) -> (Spawned, std::time::Instant) {
    let link = dir.join(name);
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    let started = std::time::Instant::now();
    let mut shell = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("\"$0\" 600 </dev/null >/dev/null 2>&1 & echo $!; wait")
        .arg(&link)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(shell.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid: u32 = line.trim().parse().unwrap();
    let orphan = Spawned { pid };
    shell.kill().unwrap();
    shell.wait().unwrap();
    // Reparenting happens when the shell is reaped; wait until /proc shows it.
    for _ in 0..100 {
        if ppid_of(pid).is_some_and(|p| p != shell.id()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (orphan, started)
}

/// SIGTERMs one pid that the test started.
pub fn term(pid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}

/// A scan configuration with these include patterns, the default init names and a
/// threshold in seconds.
pub fn scan_config(patterns: &[&str], age_s: u64) -> lingerwatch::scan::ScanConfig {
    let mut include = lingerwatch::parse::cmdline::PatternSet::new();
    for p in patterns {
        include.push(p.as_bytes()).unwrap();
    }
    lingerwatch::scan::ScanConfig {
        include,
        exclude: lingerwatch::parse::cmdline::PatternSet::new(),
        init_names: lingerwatch::config::parse_init_names(lingerwatch::config::DEFAULT_INIT_NAMES)
            .unwrap(),
        age_threshold_s: age_s,
        orphans_only: false,
    }
}
