//! The self-confinement, proven by a process that tries to break out (as Firecracker tests
//! its seccomp filters): `lingerwatch __sandbox-probe WHAT` starts as `run` does, locks
//! itself in, and tries one forbidden thing. Each is refused (an error from Landlock, or
//! death by SIGSYS from seccomp, each probe in its own process), and the same probe
//! succeeds with WATCHDOG_SANDBOX=false, so the refusal is the sandbox's, not the
//! environment's.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

/// Runs the probe with the sandbox on or off, as root or (with setpriv) as nobody.
fn probe(what: &str, sandbox: bool, as_nobody: bool, dest_port: u16) -> Output {
    probe_with(what, sandbox, as_nobody, dest_port, &[])
}

/// [`probe`] with more variables set.
fn probe_with(
    what: &str,
    sandbox: bool,
    as_nobody: bool,
    dest_port: u16,
    env: &[(&str, &str)],
) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(common::bin());
        c
    } else {
        Command::new(common::bin())
    };
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    cmd.args(["__sandbox-probe", what])
        .env_clear()
        .env("WATCHDOG_HEARTBEAT_FILE", dir.path().join("hb"))
        .env(
            "WATCHDOG_WEBHOOK_URL",
            format!("http://127.0.0.1:{dest_port}/hook"),
        )
        .env("WATCHDOG_SANDBOX", if sandbox { "true" } else { "false" })
        .envs(env.iter().copied());
    cmd.output().unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "status {:?}, stdout {:?}, stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_forbidden_thing_is_refused_locked_in_and_works_without_the_sandbox() {
    let dest = TcpListener::bind("127.0.0.1:0").unwrap();
    let dest_port = dest.local_addr().unwrap().port();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port().to_string();
    let tmp_file = format!("/tmp/lingerwatch-probe-{}", std::process::id());
    // (probe, as nobody): Landlock refuses with an error.
    let refused_by_landlock: Vec<(String, bool)> = vec![
        // Its own environ holds the webhook URL: non-dumpable, it is root's to read.
        ("read /proc/self/environ".into(), true),
        (format!("write {tmp_file}"), true),
        (format!("connect {other_port}"), false),
        ("bind".into(), false),
    ];
    for (what, nobody) in &refused_by_landlock {
        let on = probe(what, true, *nobody, dest_port);
        let text = String::from_utf8_lossy(&on.stdout);
        assert!(
            on.status.success() && text.contains(&format!("{what}: error")),
            "{what} locked in: {}",
            said(&on)
        );
        let off = probe(what, false, *nobody, dest_port);
        assert!(
            String::from_utf8_lossy(&off.stdout).contains(&format!("{what}: ok")),
            "{what} without the sandbox: {}",
            said(&off)
        );
    }
    let _ = std::fs::remove_file(&tmp_file);
    // pid 1's environ, locked in, is refused too. (That refusal is the kernel's: Landlock
    // lets read-only ptrace access, which /proc/<pid>/environ takes, through; as uid 65534
    // with no capabilities, as lingerwatch runs, another user's environ is refused, and
    // its own by being non-dumpable, which the sandbox makes it.)
    let on = probe("read /proc/1/environ", true, true, dest_port);
    assert!(
        String::from_utf8_lossy(&on.stdout).contains(": error"),
        "{}",
        said(&on)
    );
    // seccomp's kill list: these kill the process.
    for what in ["exec", "ptrace", "kill"] {
        let on = probe(what, true, false, dest_port);
        assert_eq!(
            on.status.signal(),
            Some(libc::SIGSYS),
            "{what} locked in: {}",
            said(&on)
        );
        let off = probe(what, false, false, dest_port);
        assert!(
            off.status.success(),
            "{what} without the sandbox: {}",
            said(&off)
        );
    }
}

/// A truncate is seccomp's to refuse (EPERM: it is on no list), beneath the `/proc` root
/// too, where Landlock grants truncate when it confines reads (so its open hook stops
/// there, issue 23) and where it does not handle truncate at all when it does not.
#[test]
fn truncate_beneath_the_proc_root_is_refused_by_seccomp_whatever_landlock_grants() {
    let fake = common::FakeProc::new();
    let victim = fake.root().join("victim");
    let run = |sandbox: bool, confine_reads: &str| {
        Command::new(common::bin())
            .args(["__sandbox-probe", &format!("truncate {}", victim.display())])
            .env_clear()
            .env("WATCHDOG_PROC_ROOT", fake.root())
            .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
            .env("WATCHDOG_SANDBOX", if sandbox { "true" } else { "false" })
            .env("WATCHDOG_SANDBOX_CONFINE_READS", confine_reads)
            .output()
            .unwrap()
    };
    for confine_reads in ["false", "true"] {
        std::fs::write(&victim, b"kept").unwrap();
        let on = run(true, confine_reads);
        assert!(
            on.status.success()
                && String::from_utf8_lossy(&on.stdout).contains(": error: Operation not permitted"),
            "confine reads {confine_reads}: {}",
            said(&on)
        );
        assert_eq!(std::fs::read(&victim).unwrap(), b"kept");
    }
    let off = run(false, "false");
    assert!(
        String::from_utf8_lossy(&off.stdout).contains(": ok"),
        "without the sandbox: {}",
        said(&off)
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"");
}

/// Issue 23: Landlock handles the read side of file access (read, list, and truncate,
/// which every open asks for) only with WATCHDOG_SANDBOX_CONFINE_READS=true, since each
/// handled open costs a walk of its path. By default, reads (and a read-only open with
/// O_TRUNC) are what the uid may do; writing is refused either way.
#[test]
fn reads_are_confined_only_when_asked_and_writes_either_way() {
    let dest = TcpListener::bind("127.0.0.1:0").unwrap();
    let dest_port = dest.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let victim = dir.path().join("victim");
    let confined = [("WATCHDOG_SANDBOX_CONFINE_READS", "true")];
    let says = |out: &Output, what: &str, result: &str| {
        assert!(
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains(&format!("{what}: {result}")),
            "{what}: {}",
            said(out)
        );
    };
    for (env, read, trunc) in [(&[][..], "ok", "ok"), (&confined[..], "error", "error")] {
        let read_passwd = "read /etc/passwd";
        says(
            &probe_with(read_passwd, true, true, dest_port, env),
            read_passwd,
            read,
        );
        std::fs::write(&victim, b"kept").unwrap();
        std::fs::set_permissions(&victim, std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .unwrap();
        let open_trunc = format!("open-trunc {}", victim.display());
        says(
            &probe_with(&open_trunc, true, true, dest_port, env),
            &open_trunc,
            trunc,
        );
        let left: &[u8] = if trunc == "ok" { b"" } else { b"kept" };
        assert_eq!(std::fs::read(&victim).unwrap(), left, "{env:?}");
        let write = format!("write {}", dir.path().join("new").display());
        says(
            &probe_with(&write, true, true, dest_port, env),
            &write,
            "error",
        );
    }
}

/// Issue 19: a call on no list (a libc path nobody traced) fails with EPERM where it is
/// made, and the watchdog lives; before, it died of SIGSYS and nothing was watched.
#[test]
fn an_unlisted_call_fails_with_eperm_and_the_process_lives() {
    let dest = TcpListener::bind("127.0.0.1:0").unwrap();
    let dest_port = dest.local_addr().unwrap().port();
    let on = probe("unlisted", true, false, dest_port);
    let text = String::from_utf8_lossy(&on.stdout);
    assert!(
        on.status.success() && text.contains("unlisted: error: Operation not permitted"),
        "locked in: {}",
        said(&on)
    );
    let off = probe("unlisted", false, false, dest_port);
    assert!(
        String::from_utf8_lossy(&off.stdout).contains("unlisted: ok"),
        "without the sandbox: {}",
        said(&off)
    );
}

#[test]
fn the_daemon_says_what_is_enforced_and_its_status_shows_seccomp_and_no_new_privs() {
    let fake = common::FakeProc::new();
    let root = fake.root().to_str().unwrap().to_owned();
    let d = common::daemon::Daemon::start(&["--proc-root", &root, "--interval-s", "1"], &[]);
    let log = d.wait_log(10, "seccomp: on");
    assert!(
        log.contains("landlock: full"),
        "kernel 6.x has Landlock ABI 6: {log}"
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).unwrap();
    assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
    assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    // Off, it says so.
    let d2 = common::daemon::Daemon::start(
        &["--proc-root", &root, "--interval-s", "1", "--no-sandbox"],
        &[],
    );
    let log = d2.wait_log(10, "sandbox off");
    assert!(log.contains("WARNING"), "{log}");
    // Issue 19, item 4: it names what turned it off, the flag here, not the variable.
    assert!(log.contains("sandbox off (--no-sandbox)"), "{log}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", d2.pid())).unwrap();
    assert!(status.contains("\nSeccomp:\t0\n"), "{status}");
}

#[test]
fn the_allowlist_is_exactly_the_committed_one() {
    let plan = lingerwatch::host::sandbox::Plan {
        connect_ports: Some(vec![443]),
        threads: true,
        ..Default::default()
    };
    let listed = lingerwatch::host::sandbox::describe(&plan).join("\n") + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seccomp-allowlist.txt");
    if std::env::var("LINGERWATCH_BLESS").is_ok() {
        // Rewrites the committed list after a deliberate change; review shows the diff.
        let header = "# The seccomp filters of `lingerwatch run` (src/host/sandbox/syscalls.rs): the allowlist, one\n# call per line with its argument rule; the calls answered with an errno; the kill list\n# (these kill the process with SIGSYS); and what any other call gets (EPERM: it fails,\n# the process lives). tests/sandbox.rs compares it with the code: a change to either\n# list changes this file too. LINGERWATCH_BLESS=1 cargo test --test sandbox rewrites it.\n";
        std::fs::write(path, format!("{header}{listed}")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    let committed: String = committed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        listed, committed,
        "widening the allowlist is a change to tests/seccomp-allowlist.txt too"
    );
}

/// Issue 24: with `WATCHDOG_PROC_ACTION=terminate` the sandbox lets pidfd signals
/// through, but `kill` to an unrelated pid (here pid 1) still kills the process; and the
/// allowlist widens by exactly pidfd_open and pidfd_send_signal with SIGTERM or SIGKILL.
#[test]
fn with_terminate_kill_to_an_unrelated_pid_is_still_refused() {
    let dest = TcpListener::bind("127.0.0.1:0").unwrap();
    let dest_port = dest.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let run = |sandbox: bool| {
        Command::new(common::bin())
            .args(["__sandbox-probe", "kill"])
            .env_clear()
            .env("WATCHDOG_HEARTBEAT_FILE", dir.path().join("hb"))
            .env(
                "WATCHDOG_WEBHOOK_URL",
                format!("http://127.0.0.1:{dest_port}/hook"),
            )
            .env("WATCHDOG_PROC_ACTION", "terminate")
            .env("WATCHDOG_SANDBOX", if sandbox { "true" } else { "false" })
            .output()
            .unwrap()
    };
    let on = run(true);
    assert_eq!(on.status.signal(), Some(libc::SIGSYS), "{}", said(&on));
    let off = run(false);
    assert!(off.status.success(), "without the sandbox: {}", said(&off));
    let plan = |signals| lingerwatch::host::sandbox::Plan {
        connect_ports: Some(vec![443]),
        threads: true,
        signals,
        ..Default::default()
    };
    let off = lingerwatch::host::sandbox::describe(&plan(false));
    let on = lingerwatch::host::sandbox::describe(&plan(true));
    let added: Vec<&String> = on.iter().filter(|l| !off.contains(l)).collect();
    let removed: Vec<&String> = off.iter().filter(|l| !on.contains(l)).collect();
    assert_eq!(added, ["pidfd_open", "pidfd_send_signal arg1 in 0xf,0x9"]);
    assert_eq!(removed, ["killed: pidfd_send_signal"]);
    assert!(on.iter().any(|l| l == "killed: kill arg0 not its own pid"));
    assert!(on
        .iter()
        .any(|l| l == "killed: tgkill arg0 not its own pid"));
    // Neither kill nor tkill is allowed (tkill is on no list: EPERM).
    assert!(!on
        .iter()
        .any(|l| l == "kill" || l.starts_with("kill ") || l.starts_with("tkill")));
}
