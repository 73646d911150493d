//! Fake `/proc` trees in temp dirs, for what a live system cannot produce on demand, and
//! helpers for processes the tests start.

pub mod alertmanager;
pub mod alloc_count;
pub mod daemon;
pub mod dns;
pub mod node_exporter;
pub mod peers;
pub mod pki;
pub mod table_model;
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

impl Default for FakeProc {
    fn default() -> Self {
        Self::new()
    }
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

    /// A tree with `n` pytest processes, pids from 1000, orphans (parent pid 1) started at
    /// boot, so over any threshold of seconds; each with its own cmdline.
    pub fn lingering(n: u32) -> Self {
        let fake = FakeProc::new();
        for pid in 1000..1000 + n {
            let cmdline = format!("pytest\0-k\0case{pid}\0");
            fake.add(pid, "pytest", 1, 1, cmdline.as_bytes());
        }
        fake
    }

    /// `lingerwatch run --once` on this tree with a threshold of one second, sending to
    /// `url`, its heartbeat in the tree.
    pub fn once_to(&self, url: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin());
        cmd.args([
            "run",
            "--once",
            "--age-s",
            "1",
            "--webhook-url",
            url,
            "--proc-root",
        ])
        .arg(self.root())
        .env("WATCHDOG_HEARTBEAT_FILE", self.root().join("hb"));
        cmd
    }

    /// Makes `pid`'s `file` (`stat`, `cmdline`, `cgroup`) a FIFO no one writes to.
    pub fn make_fifo(&self, pid: u32, file: &str) -> PathBuf {
        let path = self.pid_dir(pid).join(file);
        let _ = fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.unwrap().success(), "mkfifo {}", path.display());
        path
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
/// The path of the binary under test: the one cargo built, or `LINGERWATCH_BIN` (to run
/// a test against another build, e.g. an older one to show a regression test fails there).
pub fn bin() -> String {
    std::env::var("LINGERWATCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_lingerwatch").to_owned())
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

/// Sends `sig` to one pid that the test started.
pub fn signal(pid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// SIGKILLs one pid that the test started.
pub fn kill(pid: u32) {
    signal(pid, rustix::process::Signal::KILL);
}

/// A process's start time (clock ticks after boot) and state, read straight from /proc.
pub fn stat_of(pid: u32) -> Option<(u64, u8)> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let s = lingerwatch::proc::parse::pid_stat::parse(&stat).ok()?;
    Some((s.starttime, s.state))
}

/// The ppid of a live process, read straight from /proc.
pub fn ppid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let s = lingerwatch::proc::parse::pid_stat::parse(&stat).ok()?;
    Some(s.ppid)
}

/// A unique name with `pytest` in it, so parallel tests and other processes on the host
/// never match each other's patterns.
pub fn unique_pytest_name(tag: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("pytest-lw-{tag}-{}-{n}", std::process::id())
}

/// Runs `command` in the background of a shell (a `sh -c` script in which `$0` is `link`
/// and `$1`… are `args`), then SIGKILLs and reaps the shell, as the incident's agent
/// died: returns the background process and the dead shell's pid.
pub fn orphan_of_killed_shell(command: &str, link: &Path, args: &[&str]) -> (Spawned, u32) {
    let mut shell = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "{command} </dev/null >/dev/null 2>&1 & echo $!; wait"
        ))
        .arg(link)
        .args(args)
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
    (orphan, shell.id())
}

/// Starts `sh`, which starts a long-lived `sleep` whose argv[0] is `name` (a symlink in a
/// temp dir), then SIGKILLs the shell so the sleeper is reparented: the incident
/// lingerwatch exists for. Returns the orphan and when its shell was started.
pub fn spawn_orphan(dir: &Path, name: &str) -> (Spawned, std::time::Instant) {
    let link = dir.join(name);
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    let started = std::time::Instant::now();
    let (orphan, shell) = orphan_of_killed_shell("\"$0\" 600", &link, &[]);
    // Reparenting happens when the shell is reaped; wait until /proc shows it.
    for _ in 0..100 {
        if ppid_of(orphan.pid).is_some_and(|p| p != shell) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (orphan, started)
}

/// SIGTERMs one pid that the test started.
pub fn term(pid: u32) {
    signal(pid, rustix::process::Signal::TERM);
}

/// A scan configuration with these include patterns and the default init names;
/// matches the scan cannot store are counted apart from `age_s` on.
pub fn scan_config(patterns: &[&str], age_s: u64) -> lingerwatch::proc::found::ScanConfig {
    let mut include = lingerwatch::proc::parse::cmdline::PatternSet::new();
    for p in patterns {
        include.push(p.as_bytes()).unwrap();
    }
    lingerwatch::proc::found::ScanConfig {
        include,
        exclude: lingerwatch::proc::parse::cmdline::PatternSet::new(),
        init_names: lingerwatch::config::parse_init_names(lingerwatch::config::DEFAULT_INIT_NAMES)
            .unwrap(),
        older_than_s: age_s,
    }
}

/// The threshold: older than `age_s`, any process or orphans only.
pub fn threshold(age_s: u64, orphans_only: bool) -> lingerwatch::alert::policy::Threshold {
    lingerwatch::alert::policy::Threshold {
        age_s,
        orphans_only,
    }
}

/// The boot-clock time of the daemon's last tick, from its heartbeat file.
pub fn heartbeat_ms(path: &Path) -> Option<u64> {
    let bytes = fs::read(path).ok()?;
    lingerwatch::host::heartbeat::record::parse_record(&bytes).map(|r| r.boot_ms)
}

/// Whether `tool` (a command on PATH) can be run. When it cannot: under `CI=true` this
/// panics, since CI must run every test; locally it prints a SKIPPED line and returns
/// false, so the caller returns early.
pub fn require_or_skip(tool: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        cannot_run(&format!(
            "{tool} not installed (scripts/install-test-peers.sh)"
        ));
    }
    found
}

/// A test that cannot run here: under `CI=true` it fails (CI must run every test);
/// locally it says SKIPPED and why, and the caller returns.
pub fn cannot_run(why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: cannot run: {why}"
    );
    skipped(why);
}

/// Says on the real stderr that a test skipped and why: the harness captures
/// `eprintln!` of passing tests, and a skip must be seen.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {why}");
}

/// A port on 127.0.0.1 that was free for both TCP and UDP a moment ago (memberlist binds
/// both on its cluster port). Another process may take it before the caller binds it:
/// the harnesses retry a start that failed on "address already in use".
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A TCP port on 127.0.0.1 that refuses connections for as long as this lives: a socket
/// bound to it that never listens. A port freed by dropping a listener can be taken by a
/// test running beside (CI saw a hostile server of another test answer there with a
/// reset instead of the refusal asserted); a bound port cannot.
pub struct ClosedPort {
    _socket: std::os::fd::OwnedFd,
    pub port: u16,
}

impl ClosedPort {
    #[allow(unsafe_code)] // socket, bind and getsockname, which std offers only with listen
    pub fn bind() -> ClosedPort {
        use std::os::fd::FromRawFd;
        // SAFETY: plain calls on a socket this function owns from its creation; the
        // sockaddr is a zeroed sockaddr_in of the size passed, written only by the kernel
        // (getsockname) within that size.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            let socket = std::os::fd::OwnedFd::from_raw_fd(fd);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let sa = (&raw mut addr).cast::<libc::sockaddr>();
            assert_eq!(
                libc::bind(fd, sa, len),
                0,
                "bind: {}",
                std::io::Error::last_os_error()
            );
            let mut got = len;
            assert_eq!(libc::getsockname(fd, sa, &mut got), 0);
            ClosedPort {
                _socket: socket,
                port: u16::from_be(addr.sin_port),
            }
        }
    }
}

/// Tiny HTTP/1.0 client over `TcpStream` for the harnesses, no dependency: HTTP/1.0 so
/// that Go servers answer with a plain body up to the close (never chunked).
pub mod http {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    #[derive(Debug)]
    pub struct Response {
        pub status: u16,
        pub body: String,
    }

    pub fn get(url: &str) -> std::io::Result<Response> {
        request("GET", url, None)
    }

    /// POSTs `json` with `Content-Type: application/json`.
    pub fn post_json(url: &str, json: &str) -> std::io::Result<Response> {
        request("POST", url, Some(json))
    }

    fn request(method: &str, url: &str, json: Option<&str>) -> std::io::Result<Response> {
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let mut conn = TcpStream::connect(host)?;
        conn.set_read_timeout(Some(Duration::from_secs(10)))?;
        conn.set_write_timeout(Some(Duration::from_secs(10)))?;
        let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\n");
        if let Some(body) = json {
            req += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        } else {
            req += "\r\n";
        }
        conn.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw);
        let bad = || std::io::Error::other(format!("not an HTTP response: {text:.200}"));
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        Ok(Response {
            status,
            body: body.to_owned(),
        })
    }
}

/// Polls `probe` every 50 ms until it returns `Some`, or panics after `secs` with `what`
/// and the `context` (log tails) of the moment.
pub fn wait_until<T>(
    secs: u64,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        if std::time::Instant::now() >= deadline {
            panic!("timed out after {secs} s waiting for {what}\n{}", context());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The last `n` lines of a file, for failure messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| format!("({e})"));
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    format!(
        "--- {} (last {n} lines)\n{}",
        path.display(),
        lines[from..].join("\n")
    )
}

/// Processes with `name` as argv[0] (a symlink to sleep) that the test started and
/// kills by pid: children of the test, so not orphans.
pub struct Crowd {
    pub children: Vec<std::process::Child>,
}

impl Crowd {
    /// `n` processes sleeping `secs`, argv[0] `dir/name`.
    pub fn spawn(dir: &Path, name: &str, n: usize, secs: u32) -> Crowd {
        let link = dir.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
        }
        let children = (0..n)
            .map(|_| {
                std::process::Command::new(&link)
                    .arg(secs.to_string())
                    .stdin(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        Crowd { children }
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|c| c.id()).collect()
    }

    /// SIGKILLs every one, by pid, and reaps them.
    pub fn kill_all(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        self.kill_all();
    }
}
