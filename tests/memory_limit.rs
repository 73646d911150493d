//! The start-up warning about a memory limit too low for the host (issue 14): a fake
//! /proc (its `self/cgroup`, and as many pids as a test wants) and a fake cgroup tree
//! (`--cgroup-root`), in the v1 and v2 layouts, with limits above and below the rule.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::path::Path;
use std::process::Command;

use common::FakeProc;

/// A fake /proc with `pids` processes (one of them "us", with `self_cgroup`).
fn host(pids: u32, self_cgroup: &str) -> FakeProc {
    let fake = FakeProc::new();
    for pid in 100..100 + pids {
        std::fs::create_dir(fake.pid_dir(pid)).unwrap();
    }
    fake.add(99, "lingerwatch", 1, 1, b"lingerwatch\0");
    std::fs::write(fake.pid_dir(99).join("cgroup"), self_cgroup).unwrap();
    fake.set_self(99);
    fake
}

/// `run --once` on `fake` with the cgroup tree `cg`; its stderr, and then `health`'s
/// stdout.
fn once(fake: &FakeProc, cg: &Path) -> (String, String) {
    let hb = fake.root().join("hb");
    let out = Command::new(common::bin())
        .args(["run", "--once", "--proc-root"])
        .arg(fake.root())
        .arg("--cgroup-root")
        .arg(cg)
        .env("WATCHDOG_HEARTBEAT_FILE", &hb)
        .output()
        .unwrap();
    let health = Command::new(common::bin())
        .arg("health")
        .env("WATCHDOG_HEARTBEAT_FILE", &hb)
        .output()
        .unwrap();
    assert_eq!(
        health.status.code(),
        Some(0),
        "a low limit is a warning, not unhealthy"
    );
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&health.stdout).into_owned(),
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_v1_limit_below_the_rule_is_said_with_both_numbers_and_the_limit_to_set() {
    let fake = host(5000, "12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n");
    let cg = tempfile::tempdir().unwrap();
    let file = cg.path().join("memory/docker/abc/memory.limit_in_bytes");
    write(&file, "8388608\n");
    let (log, health) = once(&fake, cg.path());
    assert!(
        log.contains("memory limit 8 MiB (enough for about 2226 host processes)"),
        "{log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("is below what /proc needs"))
        .unwrap_or_else(|| panic!("{log}"));
    // 5,001 pids: 3 MiB + 2.3 KiB each is 15 MiB.
    assert!(
        line.contains("8 MiB")
            && line.contains("5001 host processes")
            && line.contains("at least 15 MiB"),
        "{line}"
    );
    assert!(
        health.contains("warning: the memory limit is below"),
        "{health}"
    );
    // Enough: nothing said.
    write(&file, "33554432\n");
    let (log, health) = once(&fake, cg.path());
    assert!(log.contains("memory limit 32 MiB"), "{log}");
    assert!(!log.contains("is below what /proc needs"), "{log}");
    assert!(!health.contains("warning"), "{health}");
}

#[test]
fn a_v2_limit_is_read_from_memory_max_and_max_means_none() {
    let fake = host(3000, "0::/system.slice/lingerwatch.service\n");
    let cg = tempfile::tempdir().unwrap();
    let file = cg
        .path()
        .join("system.slice/lingerwatch.service/memory.max");
    write(&file, "6291456\n");
    let (log, _) = once(&fake, cg.path());
    let line = log
        .lines()
        .find(|l| l.contains("is below what /proc needs"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains("6 MiB")
            && line.contains("3001 host processes")
            && line.contains("at least 10 MiB"),
        "{line}"
    );
    write(&file, "max\n");
    let (log, _) = once(&fake, cg.path());
    assert!(log.contains("no memory limit"), "{log}");
    assert!(!log.contains("is below"), "{log}");
    // A container sees its own cgroup at the root of the mount.
    std::fs::remove_file(&file).unwrap();
    write(&cg.path().join("memory.max"), "6291456\n");
    let (log, _) = once(&fake, cg.path());
    assert!(log.contains("memory limit 6 MiB"), "{log}");
}

#[test]
fn a_limit_too_low_for_even_the_first_scan_is_said_before_it() {
    let fake = host(10, "0::/\n");
    // The kernel's count of tasks says 20,000, before anything is listed.
    std::fs::write(fake.root().join("loadavg"), "0.10 0.20 0.30 2/20000 4242\n").unwrap();
    let cg = tempfile::tempdir().unwrap();
    write(&cg.path().join("memory.max"), "8388608\n");
    let (log, _) = once(&fake, cg.path());
    let first = log
        .lines()
        .position(|l| l.contains("may not survive even the first scan"))
        .unwrap_or_else(|| panic!("{log}"));
    let line = log.lines().nth(first).unwrap();
    // 3 MiB + 2.3 KiB x 20,000 is 48 MiB.
    assert!(
        line.contains("8 MiB") && line.contains("20000 tasks") && line.contains("at least 48 MiB"),
        "{line}"
    );
    // Said once: the scan that follows (11 pids) finds the limit enough, and says so.
    assert!(!log.contains("is below what /proc needs"), "{log}");
    let enough = log
        .lines()
        .position(|l| l.contains("the memory limit is enough for this host again"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(first < enough, "{log}");
}

/// The getdents64 buffer stays small (see `DIR_BUF` in src/proc/scan.rs): what made OOM kills
/// rarer under a limit just below the working set. strace shows the size of every call.
#[test]
fn the_listing_reads_proc_a_kibibyte_at_a_time() {
    if Command::new("strace").arg("-V").output().is_err() {
        common::cannot_run("strace is not installed");
        return;
    }
    let fake = host(2000, "0::/\n");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=getdents64", "-o"])
        .arg(&trace)
        .arg(common::bin())
        .args(["scan", "--proc-root"])
        .arg(fake.root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&trace).unwrap();
    let sizes: Vec<u64> = trace
        .lines()
        .filter(|l| l.contains("getdents64("))
        .map(|l| {
            let args = l.rsplit_once(')').unwrap().0;
            args.rsplit(", ").next().unwrap().trim().parse().unwrap()
        })
        .collect();
    // 2,001 names of 3 or 4 digits, 24 bytes a record: at least 40 calls of 1 KiB.
    assert!(sizes.len() >= 40, "{trace:.2000}");
    assert!(sizes.iter().all(|&s| s <= 1024), "{sizes:?}");
}

/// The limit file is opened once, before the lock-down, and read again after every scan
/// with one pread (issue 20): a limit raised while the daemon runs, sandbox on with reads
/// confined (so no Landlock rule covers the file any more), is seen at the next tick.
#[test]
fn a_limit_changed_while_the_daemon_runs_is_read_again_through_its_open_file() {
    let fake = host(10, "0::/\n");
    let cg = tempfile::tempdir().unwrap();
    let limit = cg.path().join("memory.max");
    write(&limit, "4194304\n");
    let cg_root = cg.path().to_str().unwrap();
    let d = common::daemon::Daemon::fast(
        fake.root(),
        &["--cgroup-root", cg_root],
        &[("WATCHDOG_SANDBOX_CONFINE_READS", "true")],
    );
    d.wait_log(20, "is below what /proc needs");
    assert!(
        d.log().contains("landlock: full (reads confined)"),
        "{}",
        d.log()
    );
    // Rewritten in place, as the kernel regenerates a cgroup file at every read.
    std::fs::write(&limit, "67108864\n").unwrap();
    d.wait_log(20, "the memory limit is enough for this host again");
}
