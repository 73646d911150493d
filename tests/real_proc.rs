//! `lingerwatch scan` on the real `/proc`, with processes this test starts and kills by pid.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{bin, ppid_of, spawn_orphan, unique_pytest_name};

fn scan_json(args: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let out = Command::new(bin())
        .arg("scan")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        out.status.code().unwrap(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn orphaned_pytest_appears_with_pid_ppid_orphan_flag_and_true_age() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("orphan");
    let (orphan, started) = spawn_orphan(dir.path(), &name);
    // The orphan started between `started` and now.
    let spawned = Instant::now();
    // Age is what is being tested: let it pass the 1 s threshold with room.
    std::thread::sleep(Duration::from_millis(2300));

    let ppid = ppid_of(orphan.pid).expect("orphan alive");
    let before_scan = Instant::now();
    let (code, found, _) = scan_json(&["--pattern", &name, "--age-s", "1"]);
    let after_scan = Instant::now();
    assert_eq!(
        found.len(),
        1,
        "only the orphan matches, never lingerwatch itself: {found:?}"
    );
    let f = &found[0];
    assert_eq!(f["pid"], orphan.pid);
    assert_eq!(f["ppid"], ppid);
    assert_eq!(f["orphan"], true, "reparented onto pid 1 or an init: {f}");
    // Adopted by pid 1 or a subreaper init (the test's own session may be gone too, on a
    // machine where whoever started the tests has exited).
    assert!(
        f["orphan_why"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "init" || r == "session"),
        "{f}"
    );
    assert_eq!(f["descendants"], 0);
    assert_eq!(f["over_threshold"], true);
    // age_s is whole seconds (floored) of a start time in clock ticks: it lies between
    // the floor of the shortest possible age (10 ms of tick rounding off) and the ceiling
    // of the longest.
    let age = f["age_s"].as_u64().unwrap();
    let shortest = (before_scan - spawned).as_secs_f64() - 0.01;
    let longest = (after_scan - started).as_secs_f64();
    assert!(
        (shortest.floor() as u64..=longest.ceil() as u64).contains(&age),
        "age {age} s, not within [{shortest:.3}, {longest:.3}]"
    );
    assert!(f["cmdline"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{name} 600")));
    assert_eq!(code, 1, "one process over the threshold");

    // The same process under a higher threshold: listed, not over, exit 0.
    let (code, found, _) = scan_json(&["--pattern", &name, "--age-min", "60"]);
    assert_eq!(
        (code, found.len(), found[0]["over_threshold"].clone()),
        (0, 1, serde_json::json!(false))
    );

    // Gone once killed.
    common::kill(orphan.pid);
    for _ in 0..100 {
        if ppid_of(orphan.pid).is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (code, found, _) = scan_json(&["--pattern", &name, "--age-s", "0"]);
    assert_eq!((code, found.len()), (0, 0));
}

#[test]
fn shell_wrapper_and_its_child_fold_into_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("wrap");
    let link = dir.path().join(&name);
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    let mut shell = Command::new("/bin/sh")
        .arg("-c")
        .arg("\"$0\" 600 & wait")
        .arg(&link)
        .spawn()
        .unwrap();
    let _shell_guard = common::Spawned { pid: shell.id() };
    // Wait for the child to exist.
    let mut found = Vec::new();
    for _ in 0..200 {
        let (_, f, _) = scan_json(&["--pattern", &name]);
        if f.first().is_some_and(|f| f["descendants"] == 1) {
            found = f;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["pid"], shell.id());
    assert_eq!(found[0]["orphan"], false);
    // Kill the child (found through /proc/<shell>/task/*/children is not portable; the
    // shell's only child is the sleeper), then the shell.
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", shell.id()))
        .unwrap_or_default();
    for c in children.split_whitespace() {
        common::kill(c.parse().unwrap());
    }
    shell.kill().unwrap();
    shell.wait().unwrap();
}

#[test]
fn table_output_exit_codes_and_configuration_errors() {
    let out = Command::new(bin())
        .args(["scan", "--pattern", "no-such-process-pattern-lw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("    PID    PPID"));

    let out = Command::new(bin())
        .arg("scan")
        .env("WATCHDOG_PROC_AGE_MIN", "ten")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("WATCHDOG_PROC_AGE_MIN=\"ten\"") && err.contains("whole number of minutes"),
        "{err}"
    );

    let out = Command::new(bin())
        .args(["scan", "--proc-root", "/nonexistent/proc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/proc"));

    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for s in lingerwatch::config::SETTINGS {
        assert!(help.contains(s.env), "{}", s.env);
    }
    let out = Command::new(bin()).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("lingerwatch {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn fake_proc_without_kernel_threads_warns_about_the_pid_namespace() {
    let fake = common::FakeProc::new();
    fake.add(1, "sh", 0, 1, b"sh\0");
    let out = Command::new(bin())
        .args(["scan", "--proc-root"])
        .arg(fake.root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pid: host") && err.contains("hostPID: true"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0));
}
