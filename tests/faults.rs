//! Faults a hostile host can stage (issue 13): a symlink or a FIFO where the heartbeat
//! goes, records from another boot or from the future, every signal at the worst moment,
//! a /proc mounted with hidepid, and the small ones (non-UTF-8 settings, a stdout that
//! cannot be written, a huge host label, interleaved log lines, an endless cmdline).
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::webhook::{Answer, Webhook};
use common::{bin, FakeProc};
use rustix::process::Signal;

/// Runs `cmd` with its stdout captured; it must end within `secs` (`what` says what a
/// hang would mean), else the test fails and the process is killed.
fn output_within(cmd: &mut Command, secs: u64, what: &str) -> std::process::Output {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let _guard = common::Spawned { pid: child.id() };
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(t.elapsed() < Duration::from_secs(secs), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// `lingerwatch health` on `hb`, bounded: it must never hang.
fn health(hb: &Path) -> (Option<i32>, String) {
    let mut cmd = Command::new(bin());
    cmd.arg("health").env("WATCHDOG_HEARTBEAT_FILE", hb);
    let out = output_within(&mut cmd, 5, "health hangs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn idle_args(fake: &FakeProc) -> Vec<String> {
    vec![
        "--proc-root".into(),
        fake.root().to_str().unwrap().into(),
        "--interval-s".into(),
        "1".into(),
    ]
}

#[test]
fn a_symlink_at_the_heartbeat_path_is_refused_and_its_target_untouched() {
    let fake = FakeProc::new();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("precious");
    std::fs::write(&target, b"do not touch").unwrap();
    let hb = dir.path().join("heartbeat");
    std::os::unix::fs::symlink(&target, &hb).unwrap();
    // A whole tick (its stamp included), then exit.
    let out = Command::new(bin())
        .args(["run", "--once", "--proc-root"])
        .arg(fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", &hb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("cannot use the heartbeat file"), "{log}");
    assert!(
        log.contains("it is a symlink; refusing to follow it"),
        "{log}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"do not touch");
    let (code, out) = health(&hb);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("symlink"), "{out}");
}

#[test]
fn a_fifo_at_the_heartbeat_path_blocks_neither_the_daemon_nor_health() {
    let fake = FakeProc::new();
    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("heartbeat");
    assert!(Command::new("mkfifo").arg(&hb).status().unwrap().success());
    let args = idle_args(&fake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut d = Daemon::start(&args, &[("WATCHDOG_HEARTBEAT_FILE", hb.to_str().unwrap())]);
    let log = d.wait_log(10, "cannot use the heartbeat file");
    assert!(log.contains("not a regular file"), "{log}");
    let (code, out) = health(&hb);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not a regular file"), "{out}");
    let (took, code) = d.term_and_time();
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(code, Some(0));
}

#[test]
fn the_heartbeat_is_created_0600_and_a_record_from_another_boot_or_the_future_is_unhealthy() {
    use lingerwatch::host::heartbeat::record::{write_record, Flags, Record, RECORD_LEN};
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeProc::new();
    let args = idle_args(&fake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = Daemon::start(&args, &[]);
    let first = d.wait_tick_after(10, 0);
    let mode = std::fs::metadata(d.heartbeat())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(health(&d.heartbeat()).0, Some(0));
    drop(d);

    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("hb");
    let boot_id = lingerwatch::proc::sys::boot_id();
    let write = |rec: Record| {
        let mut b = lingerwatch::text::FixedBuf::<RECORD_LEN>::new();
        write_record(&mut b, &rec).unwrap();
        std::fs::write(&hb, b.as_bytes()).unwrap();
    };
    let now = lingerwatch::proc::sys::boot_clock_ms();
    let rec = Record {
        boot_ms: now,
        interval_s: 30,
        boot_id,
        flags: Flags::default(),
    };
    write(rec);
    assert_eq!(health(&hb).0, Some(0), "fresh, this boot");
    let mut other = boot_id;
    other[0] = if other[0] == b'a' { b'b' } else { b'a' };
    write(Record {
        boot_id: other,
        ..rec
    });
    let (code, out) = health(&hb);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("before the last boot"), "{out}");
    write(Record {
        boot_ms: now + 120_000,
        ..rec
    });
    let (code, out) = health(&hb);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("in the future"), "{out}");
    assert!(first > 0);
}

/// `run --once` on a tree with two lingering processes, sending to a webhook that never
/// answers: the main thread (which delivers with `--once`) is stuck in the request, as a
/// scan stuck in the kernel would hold it. (A FIFO in a fake /proc no longer blocks a
/// scan, issue 19.) Returns once the request is in.
fn main_thread_stuck(fake: &FakeProc) -> (Webhook, Daemon) {
    let hook = Webhook::start();
    hook.script(&[Answer::Never]);
    fake.add(1000, "pytest", 1, 1, b"pytest\0-k\0a\0");
    fake.add(1001, "pytest", 1, 1, b"pytest\0-k\0b\0");
    let url = hook.url();
    let d = Daemon::fast(
        fake.root(),
        &["--once", "--webhook-url", &url],
        &[("WATCHDOG_WEBHOOK_TIMEOUT_S", "60")],
    );
    common::wait_until(
        10,
        "the request",
        || (!hook.requests().is_empty()).then_some(()),
        || d.log(),
    );
    (hook, d)
}

const STOPPING: [(Signal, &str); 4] = [
    (Signal::TERM, "SIGTERM"),
    (Signal::INT, "SIGINT"),
    (Signal::QUIT, "SIGQUIT"),
    (Signal::HUP, "SIGHUP"),
];

/// Sends `sig`: the daemon must exit 0 within a second, saying why.
fn stops_within_a_second(d: &mut Daemon, sig: Signal, name: &str) {
    let (took, status) = d.signal_and_time(sig, Duration::from_secs(5));
    let status = status.unwrap_or_else(|| panic!("{name}: still running: {}", d.log()));
    assert!(took < Duration::from_secs(1), "{name}: {took:?}");
    assert_eq!(status.code(), Some(0), "{name}");
    assert!(
        d.log().contains(&format!("stopping on {name}")),
        "{}",
        d.log()
    );
}

#[test]
fn term_int_quit_and_hup_stop_it_within_a_second_while_the_main_thread_is_stuck() {
    for (sig, name) in STOPPING {
        let fake = FakeProc::new();
        let (_hook, mut d) = main_thread_stuck(&fake);
        stops_within_a_second(&mut d, sig, name);
    }
}

#[test]
fn term_int_quit_and_hup_stop_it_within_a_second_while_a_request_hangs() {
    for (sig, name) in STOPPING {
        let hook = Webhook::start();
        hook.script(&[Answer::Never]);
        let fake = FakeProc::new();
        fake.add(1000, "pytest", 1, 1, b"pytest\0");
        let url = hook.url();
        let mut d = Daemon::fast(
            fake.root(),
            &["--webhook-url", &url],
            &[("WATCHDOG_WEBHOOK_TIMEOUT_S", "60")],
        );
        common::wait_until(
            10,
            "the request",
            || (!hook.requests().is_empty()).then_some(()),
            || d.log(),
        );
        stops_within_a_second(&mut d, sig, name);
    }
}

#[test]
fn usr1_prints_the_alert_table_and_usr2_and_alrm_are_ignored_with_a_line_even_while_stuck() {
    let fake = FakeProc::new();
    let (_hook, mut d) = main_thread_stuck(&fake);
    common::signal(d.pid(), Signal::USR1);
    let log = d.wait_log(5, "alert pid 1001");
    assert!(log.contains("alert table: 2 alerts, 2 lingering"), "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("alert pid 1000 start 1"))
        .unwrap();
    assert!(
        line.contains("lingering") && line.contains("owed; http://127.0.0.1"),
        "{line}"
    );
    for (sig, name) in [(Signal::USR2, "SIGUSR2"), (Signal::ALARM, "SIGALRM")] {
        common::signal(d.pid(), sig);
        d.wait_log(5, &format!("ignoring {name}"));
    }
    assert!(d.child.try_wait().unwrap().is_none(), "still running");
    let (took, code) = d.term_and_time();
    assert!(took < Duration::from_secs(1));
    assert_eq!(code, Some(0));
}

#[test]
fn a_hidepid_proc_makes_scan_exit_2_and_health_unhealthy() {
    // A mount namespace of its own, with /proc mounted hidepid=2 on a temp dir, and
    // lingerwatch as nobody: it sees only its own processes.
    let probe = Command::new("unshare").args(["-m", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        common::cannot_run("unshare -m is not permitted here (it needs root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("proc");
    std::fs::create_dir(&mnt).unwrap();
    let hb = dir.path().join("hb");
    // nobody writes the heartbeat into the temp dir.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let name = common::unique_pytest_name("hidepid");
    let mut crowd = common::Crowd::spawn(dir.path(), &name, 1, 600);
    // Old enough to linger under a 0 s threshold.
    std::thread::sleep(Duration::from_millis(1100));
    let script = r#"
        mount -t proc -o hidepid=2 proc "$MNT" || exit 90
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" scan --proc-root "$MNT" --pattern "$NAME" --age-s 0
        echo "scan=$?"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" run --once --proc-root "$MNT" --pattern "$NAME" --age-s 0
        echo "once=$?"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" health
        echo "health=$?"
    "#;
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("MNT", &mnt)
        .env("BIN", bin())
        .env("NAME", &name)
        .env("WATCHDOG_HEARTBEAT_FILE", &hb)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("scan=2"), "{stdout}\n{stderr}");
    assert!(stdout.contains("once=2"), "{stdout}\n{stderr}");
    assert!(stdout.contains("health=1"), "{stdout}\n{stderr}");
    assert!(stdout.contains("blind"), "{stdout}");
    assert!(stderr.contains("mounted with hidepid"), "{stderr}");
    // As root the same mount hides nothing: not blind.
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", r#"mount -t proc -o hidepid=2 proc "$MNT" && "$BIN" scan --proc-root "$MNT" --pattern "$NAME" --age-s 0; echo "scan=$?""#])
        .env("MNT", &mnt)
        .env("BIN", bin())
        .env("NAME", &name)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("scan=1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crowd.kill_all();
}

#[test]
fn a_non_utf8_variable_is_a_start_up_error() {
    let out = Command::new(bin())
        .arg("scan")
        .env(
            "WATCHDOG_PROC_PATTERNS",
            std::ffi::OsStr::from_bytes(b"py\xfftest"),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WATCHDOG_PROC_PATTERNS") && err.contains("UTF-8"),
        "{err}"
    );
}

/// Runs `args` with stdout `out`; the exit status and stderr.
fn with_stdout(args: &[&str], out: Stdio) -> (Option<i32>, String) {
    let o: Output = Command::new(bin())
        .args(args)
        .env("WATCHDOG_HEARTBEAT_FILE", "/nonexistent/hb")
        .stdout(out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn help_version_and_health_exit_2_quietly_when_stdout_cannot_be_written() {
    for args in [&["--help"][..], &["--version"], &["health"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, err) = with_stdout(args, Stdio::from(full));
        assert_eq!(code, Some(2), "{args:?} into /dev/full: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (code, err) = with_stdout(args, Stdio::from(writer));
        assert_eq!(code, Some(2), "{args:?} into a closed pipe: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_host_label_longer_than_a_dns_name_is_refused_at_start() {
    let long = "h".repeat(30_000);
    let out = Command::new(bin())
        .args(["run", "--once", "--host-label", &long])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at most 253 bytes"), "{err:.300}");
}

#[test]
fn every_log_line_is_one_write() {
    if Command::new("strace").arg("-V").output().is_err() {
        common::cannot_run("strace is not installed");
        return;
    }
    let fake = FakeProc::new();
    fake.add(1000, "pytest", 1, 1, b"pytest\0");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let out = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=write",
            "-e",
            "signal=none",
            "-s",
            "100000",
            "-o",
        ])
        .arg(&trace)
        .arg(bin())
        .args(["run", "--once", "--dry-run", "--age-s", "1", "--proc-root"])
        .arg(fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", dir.path().join("hb"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&trace).unwrap();
    let to_stderr: Vec<&str> = trace.lines().filter(|l| l.contains("write(2, ")).collect();
    assert!(to_stderr.len() >= 2, "{trace}");
    for w in &to_stderr {
        assert!(
            w.contains("write(2, \"lingerwatch: ") && w.contains("\\n\", "),
            "a partial line: {w:.200}"
        );
    }
    assert!(
        to_stderr[0].contains("watching"),
        "the start-up line whole: {:.300}",
        to_stderr[0]
    );
}

#[test]
fn an_endless_cmdline_in_a_fake_proc_does_not_spin_a_scan() {
    let fake = FakeProc::new();
    fake.add(1000, "pytest", 1, 1, b"pytest\0");
    fake.add_raw(
        1001,
        Some(&common::stat_line(1001, b"x", b'S', 1, 0, 0, 1)),
        None,
        None,
    );
    std::os::unix::fs::symlink("/dev/zero", fake.pid_dir(1001).join("cmdline")).unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--json", "--age-s", "0", "--proc-root"])
        .arg(fake.root());
    let out = output_within(&mut cmd, 10, "the scan spins on /dev/zero");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"pid\":1000"));
}

#[test]
fn a_misspelt_setting_is_warned_about_not_ignored_in_silence() {
    let fake = FakeProc::new();
    let out = Command::new(bin())
        .args(["scan", "--proc-root"])
        .arg(fake.root())
        .env("WATCHDOG_PROC_PATTERN", "pytest-e2e")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: ignoring WATCHDOG_PROC_PATTERN: no such setting"),
        "{err}"
    );
}

/// Issue 19: a CA file that is endless (`/dev/zero`), a FIFO, a directory or larger than
/// any bundle (a sparse 8 GiB file) stops start-up within a second, with exit 2 and a
/// line naming the setting and the reason; memory never grows with the file.
#[cfg(feature = "https")]
#[test]
fn a_ca_file_that_is_not_a_small_regular_file_fails_start_up_within_a_second() {
    let fake = FakeProc::new();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.pem");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let sparse = dir.path().join("huge.pem");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    let cases = [
        (Path::new("/dev/zero"), "not a regular file"),
        (&fifo, "not a regular file"),
        (dir.path(), "not a regular file"),
        (&sparse, "larger than 1 MiB"),
    ];
    for (ca, why) in cases {
        let mut cmd = fake.once_to("https://127.0.0.1:9/");
        cmd.arg("--webhook-ca-file").arg(ca).stderr(Stdio::piped());
        let t = Instant::now();
        let out = output_within(&mut cmd, 5, "start-up hangs on the CA file");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{ca:?}: {:?}",
            t.elapsed()
        );
        assert_eq!(out.status.code(), Some(2), "{ca:?}: {log}");
        assert!(log.contains("cannot use WATCHDOG_WEBHOOK_CA_FILE"), "{log}");
        assert!(log.contains(why), "{ca:?}: {log}");
    }
}

/// Issue 19: a FIFO at the textfile's temporary path (`x.prom.tmp`) stalled every tick in
/// its open(); now it is refused as not a regular file, said once, and the ticks go on.
/// A symlink there is refused too, its target untouched.
#[test]
fn a_fifo_or_symlink_at_the_textfile_temporary_path_is_refused_and_the_ticks_go_on() {
    for kind in ["fifo", "symlink"] {
        let fake = FakeProc::new();
        let dir = tempfile::tempdir().unwrap();
        let prom = dir.path().join("x.prom");
        let tmp = dir.path().join("x.prom.tmp");
        let target = dir.path().join("precious");
        std::fs::write(&target, b"do not touch").unwrap();
        if kind == "fifo" {
            assert!(Command::new("mkfifo").arg(&tmp).status().unwrap().success());
        } else {
            std::os::unix::fs::symlink(&target, &tmp).unwrap();
        }
        let mut d = Daemon::fast(fake.root(), &["--textfile", prom.to_str().unwrap()], &[]);
        let first = d.wait_tick_after(10, 0);
        let second = d.wait_tick_after(10, first);
        d.wait_tick_after(10, second);
        let log = d.log();
        let said = log.matches("cannot write the metrics textfile").count();
        assert_eq!(said, 1, "{kind}: {log}");
        let why = if kind == "fifo" {
            "not a regular file"
        } else {
            "symlink"
        };
        assert!(log.contains(why), "{kind}: {log}");
        assert_eq!(std::fs::read(&target).unwrap(), b"do not touch");
        let (took, code) = d.term_and_time();
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert_eq!(code, Some(0));
    }
}

/// Issue 19: a FIFO as a process's `stat`, `cmdline` or `cgroup` (a fake tree; procfs has
/// none) hung `scan` and every tick in its open(); now it reads as empty, the pid is
/// skipped or counted, and both go on.
#[test]
fn a_fifo_as_stat_cmdline_or_cgroup_hangs_neither_scan_nor_the_daemon() {
    let fake = FakeProc::new();
    fake.add(1000, "pytest", 1, 1, b"pytest\0-k\0a\0");
    for (pid, file) in [(997, "stat"), (998, "cmdline"), (999, "cgroup")] {
        fake.add(pid, "pytest", 1, 1, b"pytest\0-k\0b\0");
        fake.make_fifo(pid, file);
    }
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--age-s", "1", "--proc-root"])
        .arg(fake.root())
        .stderr(Stdio::piped());
    let out = output_within(&mut cmd, 5, "scan hangs on a FIFO");
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(table.lines().any(|l| l.contains("1000")), "{table}");
    let mut d = Daemon::fast(fake.root(), &[], &[]);
    let first = d.wait_tick_after(10, 0);
    d.wait_tick_after(10, first);
    let (took, code) = d.term_and_time();
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(code, Some(0));
}

/// Issue 19: under the sandbox, a directory where the textfile goes read "Permission
/// denied" (Landlock refuses to replace a directory) where the cause is that it is a
/// directory; the log now says so, with the sandbox on as off.
#[test]
fn a_directory_at_the_textfile_path_is_named_as_such_under_the_sandbox() {
    for name in ["x.prom", "x.prom.tmp"] {
        for (sandbox, confine_reads) in [("true", "false"), ("true", "true"), ("false", "false")] {
            let fake = FakeProc::new();
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join(name)).unwrap();
            let prom = dir.path().join("x.prom");
            let d = Daemon::fast(
                fake.root(),
                &["--textfile", prom.to_str().unwrap()],
                &[
                    ("WATCHDOG_SANDBOX", sandbox),
                    ("WATCHDOG_SANDBOX_CONFINE_READS", confine_reads),
                ],
            );
            let log = d.wait_log(10, "cannot write the metrics textfile");
            assert!(
                log.contains("Is a directory"),
                "{name}, sandbox {sandbox}: {log}"
            );
        }
    }
}

/// Issue 19: `health` under its sandbox said "Permission denied" for a directory at the
/// heartbeat path (Landlock lets it read files, not list directories): it now says what
/// is there, as without the sandbox.
#[test]
fn health_names_a_directory_at_the_heartbeat_path_under_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    for (sandbox, confine_reads) in [("true", "false"), ("true", "true"), ("false", "false")] {
        let mut cmd = Command::new(bin());
        cmd.arg("health")
            .env("WATCHDOG_HEARTBEAT_FILE", dir.path())
            .env("WATCHDOG_SANDBOX", sandbox)
            .env("WATCHDOG_SANDBOX_CONFINE_READS", confine_reads);
        let out = output_within(&mut cmd, 5, "health hangs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(
            said.contains("not a regular file"),
            "sandbox {sandbox}: {said}"
        );
    }
}
