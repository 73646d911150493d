//! The issue-22 parsers on files: fake `/proc` trees (`stat`'s cpu line, `pressure/cpu`
//! present, absent and malformed), a fake kubelet pods directory (present, missing, odd
//! names, a UID with no directory) and the real `/proc` (this host's cpu line and PSI, and
//! the children of processes this test spawns). The files are read with `std::fs` here,
//! in the chunk sizes the I/O layer uses; reading them through `sys` is the integration's.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use lingerwatch::proc::parse::cgroup::identify;
use lingerwatch::proc::parse::children::children;
use lingerwatch::proc::parse::cpu_times::{
    share_permille, CpuTimes, CpuTimesError, CpuTimesFinder,
};
use lingerwatch::proc::parse::pods;
use lingerwatch::proc::parse::pressure::some_avg60;

/// Reads `stat` in 64-byte chunks until the finder is done, as a fixed buffer would.
fn read_cpu_times(proc_root: &Path) -> Option<Result<CpuTimes, CpuTimesError>> {
    let mut file = fs::File::open(proc_root.join("stat")).ok()?;
    let mut finder = CpuTimesFinder::default();
    let mut buf = [0u8; 64];
    while !finder.done() {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        finder.feed(&buf[..n]);
    }
    Some(finder.finish())
}

fn read_psi(proc_root: &Path) -> Option<u16> {
    some_avg60(&fs::read(proc_root.join("pressure/cpu")).ok()?)
}

#[test]
fn fake_proc_trees_give_the_host_share_and_psi_or_say_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("pressure")).unwrap();
    // Absent: no stat, no PSI (a kernel before 4.20).
    assert_eq!(read_cpu_times(root), None);
    assert_eq!(read_psi(root), None);
    // Present: two samples 2 s apart on 2 CPUs at 100 Hz (400 ticks), trees used 252.
    fs::write(
        root.join("stat"),
        "cpu  100 0 100 800 0 0 0 0 0 0\nintr 1\n",
    )
    .unwrap();
    let before = read_cpu_times(root).unwrap().unwrap();
    fs::write(
        root.join("stat"),
        "cpu  250 0 150 1000 0 0 0 0 0 0\nintr 1\n",
    )
    .unwrap();
    let after = read_cpu_times(root).unwrap().unwrap();
    assert_eq!(share_permille(252, before, after), Some(630));
    fs::write(
        root.join("pressure/cpu"),
        "some avg10=40.00 avg60=41.23 avg300=9.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    )
    .unwrap();
    assert_eq!(read_psi(root), Some(4123));
    // Malformed: an error value and no PSI, never a panic.
    fs::write(root.join("stat"), "cpu0 1 2 3 4\n").unwrap();
    assert_eq!(read_cpu_times(root), Some(Err(CpuTimesError::NotCpuLine)));
    fs::write(root.join("stat"), "cpu  1 2 x 4\n").unwrap();
    assert_eq!(read_cpu_times(root), Some(Err(CpuTimesError::BadNumber(3))));
    fs::write(
        root.join("pressure/cpu"),
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    )
    .unwrap();
    assert_eq!(read_psi(root), None, "full line only");
    fs::write(
        root.join("pressure/cpu"),
        "some avg10=0.00 avg60=41,23 avg300=0.00 total=0\n",
    )
    .unwrap();
    assert_eq!(read_psi(root), None);
}

#[test]
fn this_hosts_cpu_line_parses_and_advances() {
    let proc_root = Path::new("/proc");
    let first = read_cpu_times(proc_root).unwrap().unwrap();
    assert!(first.total_ticks > first.idle_ticks);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let second = read_cpu_times(proc_root).unwrap().unwrap();
    assert!(second.total_ticks >= first.total_ticks);
    if Path::new("/proc/pressure/cpu").exists() {
        assert!(
            read_psi(proc_root).is_some(),
            "this kernel's PSI file parses"
        );
    }
}

/// Lists a directory's entry names as bytes; a missing directory lists nothing.
fn listing(dir: &Path) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    fs::read_dir(dir).map_or(Vec::new(), |entries| {
        entries
            .map(|e| e.unwrap().file_name().as_bytes().to_vec())
            .collect()
    })
}

#[test]
fn a_fake_pods_directory_names_the_pod_of_a_cgroup_uid() {
    let dir = tempfile::tempdir().unwrap();
    let pods_dir = dir.path().join("pods");
    let cgroup = |uid: &str| {
        let systemd = uid.replace('-', "_");
        format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{systemd}.slice/\n"
        )
    };
    let ours = "2f1e3c4d-5b6a-4789-9abc-def012345678";
    let uid = identify(cgroup(ours).as_bytes()).pod.unwrap().uid;
    // Missing: no pod names, no error.
    assert_eq!(
        pods::find(listing(&pods_dir).iter().map(Vec::as_slice), &uid),
        None
    );
    for name in [
        format!("ci_merge-gate-7f9c4-x2kqz_{ours}"),
        "kube-system_etcd-kind-control-plane_6f4cbf3a3bd0a9d7d2f4c8d1e0b7a6c5".into(),
        "lost+found".into(),
        "Ci_Upper_2f1e3c4d-5b6a-4789-9abc-def012345670".into(),
        "a_b_c_d".into(),
        "monitoring_node-exporter-x7k2p_0b8e4c1a-3f2d-4e5f-8a9b-0c1d2e3f4a5b".into(),
    ] {
        fs::create_dir_all(pods_dir.join(name)).unwrap();
    }
    let names = listing(&pods_dir);
    let found = pods::find(names.iter().map(Vec::as_slice), &uid).unwrap();
    assert_eq!(
        (found.namespace, found.name),
        ("ci", "merge-gate-7f9c4-x2kqz")
    );
    // A UID with no directory (a pod whose logs were cleaned up).
    let gone = identify(cgroup("00000000-0000-4000-8000-000000000000").as_bytes())
        .pod
        .unwrap()
        .uid;
    assert_eq!(pods::find(names.iter().map(Vec::as_slice), &gone), None);
}

#[test]
fn children_of_processes_this_test_spawns() {
    // A shell with three sleeping children; its own children file lists them.
    let mut sh = Command::new("/bin/sh")
        .arg("-c")
        .arg("sleep 30 & sleep 30 & sleep 30 & wait")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let pid = sh.id();
    let path = format!("/proc/{pid}/task/{pid}/children");
    let mut pids = Vec::new();
    let mut supported = false;
    for _ in 0..200 {
        let Ok(file) = fs::read(&path) else {
            break; // a kernel without CONFIG_PROC_CHILDREN
        };
        supported = true;
        pids = children(&file).collect();
        if pids.len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let kill = |p: u32| {
        let _ = Command::new("kill").arg(p.to_string()).status();
    };
    for &p in &pids {
        let stat = fs::read(format!("/proc/{p}/stat")).unwrap();
        let s = lingerwatch::proc::parse::pid_stat::parse(&stat).unwrap();
        assert_eq!(s.ppid, pid, "each listed pid is the shell's child");
        kill(p);
    }
    let _ = sh.kill();
    let _ = sh.wait();
    if supported {
        assert_eq!(pids.len(), 3, "{pids:?}");
    }
}
