//! After start-up a scan allocates nothing: a counting global allocator watches the
//! scanning thread while many scans of the real `/proc` run and processes come and go.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::alloc_count::{count_on_this_thread, take_count, Counting, TickRig};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn scans_of_the_real_proc_allocate_nothing_while_processes_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("alloc");
    // A matching orphan, so the match path (stat, cgroup, parent stat, folding) runs too.
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    // A shell that keeps starting and ending short-lived processes during the scans.
    let mut churn = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i+1)); done")
        .spawn()
        .unwrap();
    let _churn_guard = common::Spawned { pid: churn.id() };

    let cfg = common::scan_config(&[&name, "/bin/true"], 0);
    let mut scanner =
        lingerwatch::proc::scan::Scanner::new(std::path::Path::new("/proc"), cfg).unwrap();
    let mut report = Box::<lingerwatch::proc::found::ScanReport>::default();
    scanner
        .scan(lingerwatch::proc::sys::boot_clock_ms(), &[], &mut report)
        .unwrap();

    // The counter itself works: one allocation on this thread is seen.
    count_on_this_thread(true);
    drop(std::hint::black_box(Box::new(7u64)));
    count_on_this_thread(false);
    assert_eq!(take_count(), 1);

    let mut saw_orphan = 0;
    let (mut measured, mut rated) = (0, 0);
    count_on_this_thread(true);
    for _ in 0..300 {
        scanner
            .scan(lingerwatch::proc::sys::boot_clock_ms(), &[], &mut report)
            .unwrap();
        saw_orphan += report.all().iter().filter(|f| f.pid == orphan.pid).count();
        // The usage reads ran too (issue 22): a tree walk, and a rate once the clock
        // moved between two scans.
        for f in report.all().iter().filter(|f| f.pid == orphan.pid) {
            measured += usize::from(f.tree.processes == 1 && f.rss_bytes > 0);
            rated += usize::from(f.cpu_millicores.is_some() && f.tree.cpu_millicores.is_some());
        }
    }
    count_on_this_thread(false);
    let allocs = take_count();
    assert_eq!(allocs, 0, "heap allocations during 300 scans");
    assert_eq!(saw_orphan, 300, "every scan saw the orphan");
    assert_eq!(measured, 300, "every scan walked the orphan's tree");
    assert!(rated > 0, "scans a millisecond or more apart gave rates");
    assert!(report.pids_seen > 1);
    let _ = churn.kill();
    let _ = churn.wait();
}

#[test]
fn daemon_ticks_scan_alert_queue_and_render_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("tick");
    let mut rig = TickRig::new(
        common::scan_config(&[&name], 0),
        common::threshold(0, false),
    );
    // Ticks with a matching orphan alive (FIRING, then REMINDER every tick: cooldown 0),
    // then killed (RESOLVED): every decision is queued and rendered in every format.
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    // Over the threshold of 0 s means at least a whole second old.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    rig.tick(0); // the first FIRING fills the outbox's message slot: start-up
    take_count();
    count_on_this_thread(true);
    for round in 1..200 {
        rig.tick(round);
    }
    count_on_this_thread(false);
    common::kill(orphan.pid);
    while common::ppid_of(orphan.pid).is_some() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    count_on_this_thread(true);
    for round in 200..210 {
        rig.tick(round);
    }
    count_on_this_thread(false);
    assert_eq!(take_count(), 0, "heap allocations during 209 daemon ticks");
    assert!(
        rig.rendered >= 200,
        "firing and reminders were rendered: {}",
        rig.rendered
    );
    assert_eq!(
        rig.resolved, 1,
        "and the RESOLVED once the orphan was killed"
    );
}

/// The daemon's own tick, not a copy of it (issue 20): `Daemon::tick` with the metrics
/// textfile, the heartbeat and the memory-limit check on, counted on this thread over many
/// ticks while a matching orphan lingers and then ends. (Rendering and sending happen on
/// the couriers' threads; the test above renders every format.)
#[test]
fn the_daemons_own_tick_allocates_nothing_with_textfile_heartbeat_and_memory_limit_on() {
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("daemon-tick");
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    // A limit below the rule, in both cgroup layouts, so the check has something to say.
    let cg = dir.path().join("cgroup");
    std::fs::create_dir_all(cg.join("memory")).unwrap();
    std::fs::write(cg.join("memory/memory.limit_in_bytes"), "4194304\n").unwrap();
    std::fs::write(cg.join("memory.max"), "4194304\n").unwrap();
    let hb = dir.path().join("hb");
    let prom = dir.path().join("lw.prom");
    let env: std::collections::HashMap<&str, std::ffi::OsString> = [
        ("WATCHDOG_PROC_PATTERNS", name.as_str().into()),
        ("WATCHDOG_PROC_AGE_S", "0".into()),
        ("WATCHDOG_PROC_COOLDOWN_S", "0".into()),
        ("WATCHDOG_TEXTFILE", prom.clone().into_os_string()),
        ("WATCHDOG_HEARTBEAT_FILE", hb.clone().into_os_string()),
        ("WATCHDOG_CGROUP_ROOT", cg.into_os_string()),
    ]
    .into_iter()
    .collect();
    let cfg = lingerwatch::config::load(|k| env.get(k).cloned(), ["run".into()]).unwrap();
    let mut daemon = lingerwatch::daemon::Daemon::start(&cfg).unwrap();
    // Over the threshold of 0 s means at least a whole second old.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    daemon.tick(lingerwatch::proc::sys::boot_clock_ms); // the first tick's FIRING: start-up
    take_count();
    count_on_this_thread(true);
    for _ in 0..200 {
        daemon.tick(lingerwatch::proc::sys::boot_clock_ms);
    }
    count_on_this_thread(false);
    common::kill(orphan.pid);
    while common::ppid_of(orphan.pid).is_some() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    count_on_this_thread(true);
    for _ in 0..10 {
        daemon.tick(lingerwatch::proc::sys::boot_clock_ms);
    }
    count_on_this_thread(false);
    assert_eq!(
        take_count(),
        0,
        "heap allocations during 210 of the daemon's ticks"
    );
    // Each part ran: the heartbeat carries the memory check's verdict, the textfile the
    // lingering orphan's count.
    let record =
        lingerwatch::host::heartbeat::record::parse_record(&std::fs::read(&hb).unwrap()).unwrap();
    assert!(
        record.flags.memory_low,
        "the memory-limit check ran: {record:?}"
    );
    let metrics = std::fs::read_to_string(&prom).unwrap();
    assert!(
        metrics.contains("lingerwatch_alerts_total{status=\"resolved\"} 1"),
        "{metrics}"
    );
}

/// With `WATCHDOG_PROC_ACTION=terminate` (issue 24), the daemon's own ticks still
/// allocate nothing: the decision, the pidfd open, the start-time check, the SIGTERM to
/// a lingering orphan, its log line and the terminated ending, counted on this thread.
#[test]
fn the_daemons_tick_allocates_nothing_while_it_terminates_an_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let name = common::unique_pytest_name("terminate-tick");
    let (orphan, _) = common::spawn_orphan(dir.path(), &name);
    let (start, _) = common::stat_of(orphan.pid).unwrap();
    let alive =
        || common::stat_of(orphan.pid).is_some_and(|(s, state)| s == start && state != b'Z');
    let env: std::collections::HashMap<&str, std::ffi::OsString> = [
        ("WATCHDOG_PROC_PATTERNS", name.as_str().into()),
        ("WATCHDOG_PROC_AGE_S", "0".into()),
        ("WATCHDOG_PROC_ACTION", "terminate".into()),
        ("WATCHDOG_PROC_TERMINATE_AFTER_S", "1".into()),
        (
            "WATCHDOG_HEARTBEAT_FILE",
            dir.path().join("hb").into_os_string(),
        ),
    ]
    .into_iter()
    .collect();
    let cfg = lingerwatch::config::load(|k| env.get(k).cloned(), ["run".into()]).unwrap();
    let mut daemon = lingerwatch::daemon::Daemon::start(&cfg).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    daemon.tick(lingerwatch::proc::sys::boot_clock_ms); // the FIRING: start-up
    take_count();
    // Only the ticks are counted: the test's own reads of /proc allocate.
    let counted_tick = |daemon: &mut lingerwatch::daemon::Daemon| {
        count_on_this_thread(true);
        daemon.tick(lingerwatch::proc::sys::boot_clock_ms);
        count_on_this_thread(false);
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut ticks = 0;
    while alive() && std::time::Instant::now() < deadline {
        counted_tick(&mut daemon);
        ticks += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for _ in 0..5 {
        counted_tick(&mut daemon);
    }
    assert!(
        !alive(),
        "the orphan was terminated within 20 s ({ticks} ticks)"
    );
    assert_eq!(
        take_count(),
        0,
        "heap allocations during {ticks} ticks that terminated an orphan"
    );
}
