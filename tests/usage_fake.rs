//! Issue 22 on fake `/proc` trees, through the real scanner and alert table: the host's
//! share and CPU pressure (present, absent, malformed), tree walks cut by their bounds,
//! and a reused pid that never inherits a rate.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::{scan_config, stat_line, FakeProc};
use lingerwatch::alert::outbox::Cadence;
use lingerwatch::alert::{AlertTable, Policy};
use lingerwatch::proc::found::ScanReport;
use lingerwatch::proc::scan::Scanner;
use lingerwatch::proc::usage::tree::{Cut, TREE_DEPTH_MAX, TREE_MAX};

fn tck() -> u64 {
    lingerwatch::proc::sys::clock_ticks_per_second()
}

/// A process with `ticks` of CPU so far (all user time).
fn process(fake: &FakeProc, pid: u32, ppid: u32, start: u64, ticks: u64, cmdline: &[u8]) {
    let stat = stat_line(pid, b"pytest", b'R', ppid, ticks, 0, start);
    fake.add_raw(pid, Some(&stat), Some(cmdline), Some(b"0::/\n"));
}

fn set_children(fake: &FakeProc, pid: u32, children: &[u32]) {
    let task = fake.pid_dir(pid).join("task").join(pid.to_string());
    std::fs::create_dir_all(&task).unwrap();
    let list: String = children.iter().map(|c| format!("{c} ")).collect();
    std::fs::write(task.join("children"), list).unwrap();
}

fn set_cpu_line(fake: &FakeProc, total_ticks: u64) {
    let line = format!("cpu  {total_ticks} 0 0 0 0 0 0 0 0 0\nbtime 1764340110\n");
    std::fs::write(fake.root().join("stat"), line).unwrap();
}

/// Within 1% of `want`: the scanner dates its counters after the listing, on the
/// caller's clock plus the milliseconds the listing took.
fn near(got: Option<u32>, want: u32) -> bool {
    got.is_some_and(|g| g.abs_diff(want) <= want / 100)
}

fn table() -> AlertTable {
    let policy = Policy {
        threshold: common::threshold(60, false),
        cooldown_ms: 1_800_000,
        tick_ms: 1000,
    };
    AlertTable::new(policy, &[Cadence::Messages])
}

#[test]
fn the_host_share_is_the_lingering_trees_rate_over_all_cpus_and_pressure_is_read_where_present() {
    let fake = FakeProc::new();
    process(&fake, 100, 1, 0, 0, b"pytest\0");
    set_cpu_line(&fake, 10_000);
    let psi = fake.root().join("pressure");
    std::fs::create_dir_all(&psi).unwrap();
    std::fs::write(
        psi.join("cpu"),
        "some avg10=1.00 avg60=41.23 avg300=3.10 total=81234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    )
    .unwrap();
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 60)).unwrap();
    let mut report = Box::<ScanReport>::default();
    let mut t = table();
    scanner.scan(100_000, &[], &mut report).unwrap();
    t.tick(100_000, &report);
    assert_eq!(
        report.host.capacity_millicores, None,
        "one scan has no interval"
    );
    assert_eq!(report.host.pressure_some_avg60, Some(4123));
    assert_eq!(t.host().share_permille, None);
    // One second later: the host's CPUs ran 4 s (four CPUs), the pytest 1 s.
    set_cpu_line(&fake, 10_000 + 4 * tck());
    process(&fake, 100, 1, 0, tck(), b"pytest\0");
    scanner.scan(101_000, &[], &mut report).unwrap();
    t.tick(101_000, &report);
    assert!(
        near(report.host.capacity_millicores, 4000),
        "{:?}",
        report.host
    );
    let f = report.tops().next().unwrap();
    assert!(
        near(f.cpu_millicores, 1000) && near(f.tree.cpu_millicores, 1000),
        "{f:?}"
    );
    let host = t.host();
    assert!(near(Some(host.lingering_millicores), 1000), "{host:?}");
    assert!(near(host.share_permille.map(u32::from), 250), "{host:?}");
    assert_eq!(host.pressure_some_avg60, Some(4123));
    // Malformed: no pressure, and a cpu line that is not one gives no share (and no
    // panic); the line coming back starts a new interval.
    std::fs::write(psi.join("cpu"), "some avg10=x\n").unwrap();
    std::fs::write(fake.root().join("stat"), "cpu0 1 2 3 4\n").unwrap();
    scanner.scan(102_000, &[], &mut report).unwrap();
    assert_eq!(report.host, Default::default());
    // Absent: a kernel without PSI.
    std::fs::remove_dir_all(&psi).unwrap();
    set_cpu_line(&fake, 20_000);
    scanner.scan(103_000, &[], &mut report).unwrap();
    assert_eq!(report.host, Default::default());
    set_cpu_line(&fake, 20_000 + 2 * tck());
    scanner.scan(104_000, &[], &mut report).unwrap();
    assert!(
        near(report.host.capacity_millicores, 2000),
        "{:?}",
        report.host
    );
    assert_eq!(report.host.pressure_some_avg60, None);
}

#[test]
fn a_tree_wider_than_the_bound_says_it_was_cut_by_count() {
    let fake = FakeProc::new();
    process(&fake, 100, 1, 0, 10, b"pytest\0");
    let kids: Vec<u32> = (1000..1000 + TREE_MAX as u32 + 40).collect();
    for &k in &kids {
        process(&fake, k, 100, 5, 1, b"worker\0");
    }
    set_children(&fake, 100, &kids);
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 60)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(100_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert_eq!(f.tree.processes as usize, TREE_MAX);
    assert_eq!(f.tree.cut, Some(Cut::Count));
    let mut json = lingerwatch::text::FixedBuf::<2048>::new();
    lingerwatch::proc::report::write_json_line(&mut json, f, true).unwrap();
    let v: serde_json::Value = serde_json::from_str(json.as_str()).unwrap();
    assert_eq!(v["tree_cut"], "count");
    assert_eq!(v["tree_processes"], TREE_MAX);
}

#[test]
fn a_tree_deeper_than_the_bound_says_it_was_cut_by_depth() {
    let fake = FakeProc::new();
    let chain: Vec<u32> = (100..100 + u32::from(TREE_DEPTH_MAX) + 5).collect();
    for (i, &pid) in chain.iter().enumerate() {
        let cmdline: &[u8] = if i == 0 { b"pytest\0" } else { b"sh\0" };
        process(&fake, pid, pid.saturating_sub(1).max(1), 0, 1, cmdline);
        if let Some(&child) = chain.get(i + 1) {
            set_children(&fake, pid, &[child]);
        }
    }
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 60)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(100_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert_eq!(f.tree.processes, u32::from(TREE_DEPTH_MAX) + 1);
    assert_eq!(f.tree.cut, Some(Cut::Depth));
    // Within the bound: no cut.
    set_children(&fake, 100, &[]);
    scanner.scan(101_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert_eq!((f.tree.processes, f.tree.cut), (1, None));
}

#[test]
fn a_pid_reused_between_two_scans_never_yields_a_rate_from_the_old_counters() {
    let fake = FakeProc::new();
    process(&fake, 77, 1, 100, 50_000, b"pytest\0");
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 60)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(100_000, &[], &mut report).unwrap();
    // The old process exits; a new one gets pid 77 and has used 10 ticks.
    process(&fake, 77, 1, 180, 10, b"pytest\0");
    scanner.scan(101_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert_eq!(f.start_ticks, 180);
    assert_eq!((f.cpu_millicores, f.tree.cpu_millicores), (None, None));
    process(&fake, 77, 1, 180, 10 + tck() / 2, b"pytest\0");
    scanner.scan(102_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert!(
        near(f.cpu_millicores, 500) && near(f.tree.cpu_millicores, 500),
        "{f:?}"
    );
}

const UID: &str = "2f1e3c4d-5b6a-4789-9abc-def012345678";

/// `lingerwatch scan --json` on `fake` with the pods directory `pods`, sandbox on (the
/// default): the lines it prints, parsed.
fn scan_json(fake: &FakeProc, pods: &std::path::Path) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(common::bin())
        .args([
            "scan",
            "--json",
            "--pattern",
            "pytest",
            "--age-s",
            "1",
            "--proc-root",
        ])
        .arg(fake.root())
        .arg("--kubelet-pods-dir")
        .arg(pods)
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("sandbox"), "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_kubelets_pod_directory_names_the_pod_under_the_sandbox_and_odd_entries_name_nothing() {
    let fake = FakeProc::new();
    process(&fake, 100, 1, 0, 10, b"pytest\0-x\0");
    let systemd = format!("kubepods-besteffort-pod{}.slice", UID.replace('-', "_"));
    fake.set_cgroup(
        100,
        &format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/{systemd}/cri-containerd-abc.scope\n"
        ),
    );
    process(&fake, 200, 1, 0, 10, b"pytest\0-y\0");
    let other = "0b8e4c1a-3f2d-4e5f-8a9b-0c1d2e3f4a5b";
    fake.set_cgroup(200, &format!("0::/kubepods/besteffort/pod{other}/abc\n"));
    let pods = tempfile::tempdir().unwrap();
    for odd in [
        "not-a-pod".to_owned(),
        format!("Upper_case_{UID}"),
        format!("a_b_c_{UID}"),
        "kube-system_etcd-node_6f4cbf3a3bd0a9d7d2f4c8d1e0b7a6c5".to_owned(),
    ] {
        std::fs::create_dir(pods.path().join(odd)).unwrap();
    }
    std::fs::create_dir(pods.path().join(format!("ci_merge-gate-7f9c4-x2kqz_{UID}"))).unwrap();
    let lines = scan_json(&fake, pods.path());
    assert_eq!(lines.len(), 2, "{lines:?}");
    let named = lines.iter().find(|v| v["pid"] == 100).unwrap();
    assert_eq!(named["pod_uid"], UID);
    assert_eq!(
        (named["pod_namespace"].as_str(), named["pod_name"].as_str()),
        (Some("ci"), Some("merge-gate-7f9c4-x2kqz"))
    );
    // A uid with no directory: its uid, no names.
    let unnamed = lines.iter().find(|v| v["pid"] == 200).unwrap();
    assert_eq!(unnamed["pod_uid"], other);
    assert!(
        unnamed["pod_namespace"].is_null() && unnamed["pod_name"].is_null(),
        "{unnamed}"
    );
    // No such directory (not a Kubernetes node): fine, nothing named.
    let lines = scan_json(&fake, &pods.path().join("missing"));
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|v| v["pod_name"].is_null()), "{lines:?}");
}

/// `children` under `task/<tid>/` of `pid`, a thread other than the leader.
fn set_thread_children(fake: &FakeProc, pid: u32, tid: u32, children: &[u32]) {
    let task = fake.pid_dir(pid).join("task").join(tid.to_string());
    std::fs::create_dir_all(&task).unwrap();
    let list: String = children.iter().map(|c| format!("{c} ")).collect();
    std::fs::write(task.join("children"), list).unwrap();
}

/// A process in `state` with `threads` live threads.
fn threaded(fake: &FakeProc, pid: u32, ppid: u32, state: u8, threads: u32) {
    let stat = stat_line(pid, b"worker", state, ppid, 1, 0, 5);
    let stat = String::from_utf8(stat).unwrap();
    let stat = stat.replacen(" 20 0 1 0 ", &format!(" 20 0 {threads} 0 "), 1);
    fake.add_raw(
        pid,
        Some(stat.as_bytes()),
        Some(b"worker\0"),
        Some(b"0::/\n"),
    );
}

/// The walk reads a single-threaded process's one `children` file directly, and lists
/// `task` for the rest: a child forked by a second thread, or by the last thread of a
/// process whose leader exited (a zombie leader with one live thread), is in the tree.
#[test]
fn children_of_other_threads_and_of_a_zombie_leaders_last_thread_are_in_the_tree() {
    let fake = FakeProc::new();
    process(&fake, 100, 1, 0, 10, b"pytest\0");
    set_children(&fake, 100, &[200, 300]);
    threaded(&fake, 200, 100, b'S', 2);
    set_children(&fake, 200, &[]);
    set_thread_children(&fake, 200, 201, &[210]);
    process(&fake, 210, 200, 5, 1, b"browser\0");
    threaded(&fake, 300, 100, b'Z', 1);
    set_children(&fake, 300, &[]);
    set_thread_children(&fake, 300, 301, &[310]);
    process(&fake, 310, 300, 5, 1, b"server\0");
    let mut scanner = Scanner::new(fake.root(), scan_config(&["pytest"], 60)).unwrap();
    let mut report = Box::<ScanReport>::default();
    scanner.scan(100_000, &[], &mut report).unwrap();
    let f = report.tops().next().unwrap();
    assert_eq!(f.tree.processes, 5, "{:?}", f.tree);
    assert_eq!(f.tree.cut, None);
}
