//! The scanner on fake `/proc` trees: odd comms, truncated files, vanishing pids, kernel
//! threads, zombies, huge and non-UTF-8 cmdlines, pid reuse, orphans and containers.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::{scan_config, stat_line, FakeProc};
use lingerwatch::proc::found::{OrphanWhy, ScanConfig, ScanReport};
use lingerwatch::proc::parse::cgroup::Runtime;
use lingerwatch::proc::scan::Scanner;

fn tck() -> u64 {
    lingerwatch::proc::sys::clock_ticks_per_second()
}

fn scan(fake: &FakeProc, cfg: ScanConfig, now_ms: u64) -> Box<ScanReport> {
    let mut scanner = Scanner::new(fake.root(), cfg).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(now_ms, &[], &mut report).unwrap();
    report
}

const CID: &str = "4f1e9c0c2b7d3a8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0";

#[test]
fn orphan_under_tini_in_a_container_is_reported_with_age_cpu_and_container() {
    let fake = FakeProc::new();
    fake.add(1, "systemd", 0, 1, b"/sbin/init\0");
    fake.add(900, "tini", 1, 100, b"/sbin/tini\0--\0sh\0");
    // starttime 1000 ticks; now is 1000 s after boot + 1 hour.
    fake.add(
        950,
        "pytest",
        900,
        10 * tck(),
        b"/usr/bin/python3\0-m\0pytest\0tests/\0",
    );
    fake.set_cgroup(950, &format!("0::/system.slice/docker-{CID}.scope\n"));
    let now_ms = (10 + 3601) * 1000;
    let r = scan(&fake, scan_config(&["pytest"], 3600), now_ms);
    assert_eq!(r.tops().count(), 1);
    let f = &r.tops().next().unwrap();
    assert_eq!((f.pid, f.ppid, f.start_ticks), (950, 900, 10 * tck()));
    assert_eq!(f.age_s(), 3601);
    assert!(common::threshold(3600, false).lingers(f), "3601 s > 3600 s");
    assert!(f.orphan(), "adopted by tini");
    assert_eq!(f.orphan_why, OrphanWhy::INIT);
    assert_eq!(f.parent.as_slice(), b"tini");
    assert_eq!(f.cpu_centis, 200 * 100 / tck());
    assert_eq!(f.state, b'S');
    let c = f.container.unwrap();
    assert_eq!((c.runtime, c.id_str()), (Runtime::Docker, CID));
    assert_eq!(f.cmdline.as_bytes(), b"/usr/bin/python3 -m pytest tests/");
    assert_eq!(r.pids_seen, 3);
}

#[test]
fn threshold_is_strictly_greater() {
    let fake = FakeProc::new();
    fake.add(10, "pytest", 5, 0, b"pytest\0");
    fake.add(5, "bash", 1, 0, b"bash\0");
    let r = scan(&fake, scan_config(&["pytest"], 60), 60_999);
    assert_eq!(r.tops().next().unwrap().age_s(), 60);
    assert!(!common::threshold(60, false).lingers(r.tops().next().unwrap()));
    assert!(!r.tops().next().unwrap().orphan(), "parent bash is alive");
    let r = scan(&fake, scan_config(&["pytest"], 60), 61_000);
    assert!(common::threshold(60, false).lingers(r.tops().next().unwrap()));
}

#[test]
fn odd_comm_truncated_stat_and_missing_files_are_skipped_not_fatal() {
    let fake = FakeProc::new();
    // comm with ") (", a newline and a non-UTF-8 byte still parses.
    fake.add_raw(
        20,
        Some(&stat_line(20, b"py) (t\nst\xff", b'R', 1, 1, 1, 5)),
        Some(b"pytest\0a\0"),
        Some(b"0::/\n"),
    );
    // Truncated after comm: skipped, counted as an error.
    fake.add_raw(21, Some(b"21 (pytest"), Some(b"pytest\0"), None);
    // Vanished between listing and reading: directory without files.
    fake.add_raw(22, None, None, None);
    // cmdline readable but stat already gone.
    fake.add_raw(23, None, Some(b"pytest\0"), None);
    // No cgroup file: still reported, no container.
    fake.add_raw(
        24,
        Some(&stat_line(24, b"pytest", b'S', 1, 0, 0, 5)),
        Some(b"pytest\0"),
        None,
    );
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000);
    let pids: Vec<u32> = r.tops().map(|f| f.pid).collect();
    assert_eq!(pids, [20, 24]);
    assert_eq!(r.errors, 1, "the truncated stat");
    assert_eq!(r.tops().next().unwrap().state, b'R');
    assert!(r.all()[1].container.is_none());
}

#[test]
fn kernel_threads_and_zombies_have_empty_cmdlines_and_never_match() {
    let fake = FakeProc::new();
    fake.add_raw(
        2,
        Some(&stat_line(2, b"kthreadd", b'S', 0, 0, 0, 1)),
        Some(b""),
        Some(b"0::/\n"),
    );
    fake.add_raw(
        3,
        Some(&stat_line(3, b"pytest", b'I', 2, 0, 0, 1)),
        Some(b""),
        Some(b"0::/\n"),
    );
    fake.add_raw(
        4,
        Some(&stat_line(4, b"pytest", b'Z', 1, 0, 0, 1)),
        Some(b""),
        Some(b"0::/\n"),
    );
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000);
    assert!(r.all().is_empty());
    assert_eq!(r.pids_seen, 3);
}

#[test]
fn pattern_in_the_last_bytes_of_a_256_kib_cmdline_matches() {
    let fake = FakeProc::new();
    let mut cmd = vec![b'x'; 256 * 1024];
    cmd.extend_from_slice(b"\0--run-pytest-here\0");
    fake.add(30, "python3", 1, 5, &cmd);
    let r = scan(&fake, scan_config(&["run-pytest"], 0), 10_000);
    assert_eq!(r.tops().count(), 1);
    let shown = &r.tops().next().unwrap().cmdline;
    assert!(shown.truncated(), "shown cmdline is cut with a marker");
    assert_eq!(
        shown.as_bytes().len(),
        lingerwatch::proc::parse::cmdline::SHOWN_LEN
    );
}

#[test]
fn non_utf8_cmdline_is_kept_as_bytes_and_renders_as_valid_json() {
    let fake = FakeProc::new();
    fake.add(31, "pytest", 1, 5, b"pytest\0-k\0\"q\\\"\n\t\xff\xfe\0");
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000);
    let mut out = lingerwatch::text::FixedBuf::<2048>::new();
    lingerwatch::proc::report::write_json_line(&mut out, r.tops().next().unwrap(), true).unwrap();
    let v: serde_json::Value = serde_json::from_str(out.as_str()).unwrap();
    assert_eq!(v["cmdline"], "pytest -k \"q\\\"\n\t\u{fffd}\u{fffd}");
    assert_eq!(v["pid"], 31);
}

#[test]
fn reused_pid_with_a_new_starttime_is_a_new_process_and_not_its_own_parent() {
    let fake = FakeProc::new();
    fake.add(40, "pytest", 1, 100, b"pytest\0old\0");
    let first = scan(&fake, scan_config(&["pytest"], 0), 10_000_000);
    fake.remove(40);
    fake.add(40, "pytest", 1, 5000, b"pytest\0new\0");
    let second = scan(&fake, scan_config(&["pytest"], 0), 10_000_000);
    // The same pid, another process: told apart by its start time (and cmdline).
    let (a, b) = (first.tops().next().unwrap(), second.tops().next().unwrap());
    assert_eq!(
        (a.start_ticks, a.cmdline.as_bytes()),
        (100, &b"pytest old"[..])
    );
    assert_eq!(
        (b.start_ticks, b.cmdline.as_bytes()),
        (5000, &b"pytest new"[..])
    );

    // A child whose "parent" pid belongs to a process that started after it: the pid was
    // reused, so it is not folded into that process.
    fake.add(41, "pytest", 42, 200, b"pytest\0child\0");
    fake.add(42, "pytest", 1, 9000, b"pytest\0reused\0");
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000_000);
    assert_eq!(r.tops().count(), 3);
    assert!(r.tops().all(|f| f.descendants == 0));
}

#[test]
fn wrapper_and_its_pytest_fold_into_one_line_with_a_descendant_count() {
    let fake = FakeProc::new();
    fake.add(50, "sh", 1, 10, b"sh\0-c\0pytest -n 2\0");
    fake.add(
        51,
        "pytest",
        50,
        11,
        b"/usr/bin/python3\0/usr/bin/pytest\0-n\x002\0",
    );
    fake.add(
        52,
        "python3",
        51,
        12,
        b"/usr/bin/python3\0-c\0from xdist import pytest_worker\0",
    );
    fake.add(
        53,
        "python3",
        51,
        12,
        b"/usr/bin/python3\0-c\0from xdist import pytest_worker\0",
    );
    fake.add(60, "pytest", 1, 10, b"pytest\0other\0");
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000);
    let tops: Vec<(u32, u32)> = r.tops().map(|f| (f.pid, f.descendants)).collect();
    assert_eq!(tops, [(50, 3), (60, 0)]);
}

#[test]
fn never_matches_itself() {
    let fake = FakeProc::new();
    fake.add(
        70,
        "lingerwatch",
        1,
        5,
        b"lingerwatch\0scan\0--pattern\0pytest\0",
    );
    fake.add(71, "pytest", 1, 5, b"pytest\0");
    fake.set_self(70);
    let r = scan(&fake, scan_config(&["pytest"], 0), 10_000);
    let pids: Vec<u32> = r.tops().map(|f| f.pid).collect();
    assert_eq!(pids, [71]);
}

#[test]
fn excludes_and_orphans_only() {
    let fake = FakeProc::new();
    fake.add(80, "pytest", 1, 5, b"pytest\0--collect-only\0");
    fake.add(81, "pytest", 1, 5, b"pytest\0tests\0");
    fake.add(82, "pytest", 79, 5, b"pytest\0tests\0");
    fake.add(79, "make", 1, 1, b"make\0test\0");
    let mut cfg = scan_config(&["pytest"], 0);
    cfg.exclude.push(b"--collect-only").unwrap();
    let orphans_only = common::threshold(0, true);
    let r = scan(&fake, cfg, 10_000);
    let got: Vec<(u32, bool, bool)> = r
        .tops()
        .map(|f| (f.pid, f.orphan(), orphans_only.lingers(f)))
        .collect();
    assert_eq!(got, [(81, true, true), (82, false, false)]);
}

#[test]
fn more_matches_than_a_report_holds_keep_the_oldest_and_count_the_rest() {
    let fake = FakeProc::new();
    let max = lingerwatch::proc::found::MAX_FOUND as u64;
    let n = max + 10;
    // The higher the pid, the older: the listing meets the youngest first.
    for i in 0..n {
        fake.add(1000 + i as u32, "pytest", 1, 1000 - i, b"pytest\0");
    }
    let tck = lingerwatch::proc::sys::clock_ticks_per_second();
    // Now is 10 s after the youngest started, so every process is older than 5 s.
    let now_ms = (1000 * 1000 / tck) + 10_000;
    let r = scan(&fake, scan_config(&["pytest"], 5), now_ms);
    assert_eq!(r.tops().count() as u64, max);
    let youngest_kept = r.tops().map(|f| f.start_ticks).max().unwrap();
    assert_eq!(youngest_kept, 1000 - 10, "the ten youngest were left out");
    assert_eq!(r.unstored.count, 10);
    assert_eq!(r.unstored.older, 10, "all older than 5 s");
    assert_eq!(r.unstored.older_orphans, 10, "their parent is pid 1");
}

#[test]
fn fake_tree_without_kernel_threads_is_not_the_host_namespace() {
    use lingerwatch::proc::found::Namespace;
    let fake = FakeProc::new();
    fake.add(1, "init", 0, 1, b"init\0");
    let mut s = Scanner::new(fake.root(), scan_config(&["x"], 0)).unwrap();
    assert_eq!(s.namespace(), Namespace::Restricted);
    fake.add_raw(
        2,
        Some(&stat_line(2, b"kthreadd", b'S', 0, 0, 0, 1)),
        Some(b""),
        None,
    );
    assert_eq!(s.namespace(), Namespace::Host);
    assert_eq!(s.boot_time_s(), Some(1764340110));
}

#[test]
fn a_pod_process_shows_its_pod_uid_and_qos_through_scan_json() {
    let fake = FakeProc::new();
    // The systemd driver's cgroup v2 path of a burstable pod under containerd: the uid's
    // dashes written as underscores.
    let uid = "1c6b5a2e-4b8d-4f5e-9a1b-0c2d3e4f5a6b";
    fake.add(90, "pytest", 1, 5, b"pytest\0-x\0");
    fake.set_cgroup(
        90,
        &format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{CID}.scope\n",
            uid.replace('-', "_")
        ),
    );
    fake.add(91, "pytest", 1, 5, b"pytest\0-y\0");
    let out = std::process::Command::new(common::bin())
        .args(["scan", "--json", "--age-s", "0", "--proc-root"])
        .arg(fake.root())
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["pod_uid"], uid);
    assert_eq!(lines[0]["pod_qos"], "burstable");
    assert_eq!(lines[0]["container"], CID);
    assert_eq!(
        lines[1]["pod_uid"],
        serde_json::Value::Null,
        "a host process"
    );
    let table = std::process::Command::new(common::bin())
        .args(["scan", "--proc-root"])
        .arg(fake.root())
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("4f1e9c0c2b7d 1c6b5a2e"), "{table}");
}
