//! Issue 22 on the real `/proc`, with processes this test spawns and kills by pid: a busy
//! loop's rate and its escalation through the real daemon, a sleeper that stays a
//! warning, and a wrapper whose child holds 200 MB.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::webhook::status_of;

use std::process::{Command, Stdio};
use std::time::Instant;

use common::daemon::Daemon;
use common::webhook::Webhook;
use common::{scan_config, spawn_orphan, unique_pytest_name, wait_until, Spawned};
use lingerwatch::proc::found::{Found, ScanReport};
use lingerwatch::proc::scan::Scanner;
use lingerwatch::proc::sys::boot_clock_ms;

/// A shell spinning on the CPU, its cmdline naming it like pytest (`$0`). At nice -20
/// where the test may set it (`nice` execs the shell, so the pid is the loop's): the
/// issue asks for one core "on an idle machine", and this one is shared by several
/// builds; with a lower weight the loop gets what the others leave.
fn busy_loop(name: &str) -> Child {
    let mut cmd = Command::new("/usr/bin/nice");
    cmd.args(["-n", "-20", "/bin/sh", "-c", "while :; do :; done", name])
        .stderr(Stdio::null());
    Child::spawn(cmd)
}

/// A child of this test, killed by pid and reaped when dropped (also when a test fails).
struct Child {
    pid: u32,
    child: std::process::Child,
}

impl Child {
    fn spawn(mut cmd: Command) -> Self {
        let child = cmd.stdin(Stdio::null()).spawn().unwrap();
        Child {
            pid: child.id(),
            child,
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        common::kill(self.pid);
        let _ = self.child.wait();
    }
}

/// `pid`'s utime + stime in clock ticks, read by the test itself.
fn ticks_of(pid: u32) -> u64 {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).unwrap();
    let s = lingerwatch::proc::parse::pid_stat::parse(&stat).unwrap();
    s.utime + s.stime
}

/// Two scans at least `interval_ms` apart: `pid` as the second saw it, and the rate the
/// test measured itself over a window around both (milli-cores).
fn rated(
    scanner: &mut Scanner,
    report: &mut ScanReport,
    pid: u32,
    interval_ms: u64,
) -> (Found, u64) {
    // The scanner reads the counters at the end of a scan (after its listing, which a
    // loaded machine can make take seconds): the test reads them right after each scan,
    // and the interval starts when the first scan is over, not before it.
    scanner.scan(boot_clock_ms(), &[], report).unwrap();
    let (ticks_before, ms_before) = (ticks_of(pid), boot_clock_ms());
    wait_until(
        10,
        "the interval to pass",
        || (boot_clock_ms() >= ms_before + interval_ms).then_some(()),
        String::new,
    );
    scanner.scan(boot_clock_ms(), &[], report).unwrap();
    let (ticks_after, ms_after) = (ticks_of(pid), boot_clock_ms());
    let naive = (ticks_after - ticks_before) * 1_000_000
        / lingerwatch::proc::sys::clock_ticks_per_second()
        / (ms_after - ms_before).max(1);
    let f = report.all().iter().find(|f| f.pid == pid).cloned();
    let f = f.unwrap_or_else(|| panic!("pid {pid} not in the report"));
    assert!(f.cpu_millicores.is_some(), "two scans give a rate: {f:?}");
    (f, naive)
}

#[test]
fn a_busy_loop_uses_one_core_and_a_sleeper_next_to_none() {
    let dir = tempfile::tempdir().unwrap();
    let busy_name = unique_pytest_name("busy");
    let sleep_name = unique_pytest_name("sleep");
    let busy = busy_loop(&busy_name);
    let (sleeper, _) = spawn_orphan(dir.path(), &sleep_name);
    let cfg = scan_config(&[&busy_name, &sleep_name], 0);
    let mut scanner = Scanner::new(std::path::Path::new("/proc"), cfg).unwrap();
    let mut report = Box::<ScanReport>::default();
    // The machine may be busy for a moment (it is shared): up to three tries at a
    // whole core.
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (f, naive) = rated(&mut scanner, &mut report, busy.pid, 2000);
        let rate = f.cpu_millicores.unwrap();
        eprintln!("busy loop: cpu_cores {rate} milli-cores (the test's own reading: {naive})");
        // Whatever the load, the rate is what the kernel counted over the interval.
        assert!(
            rate.abs_diff(naive as u32) <= 200,
            "{rate} vs {naive}: {f:?}"
        );
        assert_eq!(f.tree.processes, 1);
        let tree = f.tree.cpu_millicores.unwrap();
        assert!(
            tree.abs_diff(naive as u32) <= 200,
            "tree {tree} vs {naive}: {f:?}"
        );
        tries.push(rate);
        if naive >= 800 {
            break;
        }
    }
    let rate = *tries.last().unwrap();
    if tries.iter().all(|&r| !(800..=1200).contains(&r)) {
        common::cannot_run(&format!(
            "this machine is not idle: the busy loop got {tries:?} milli-cores, not one core"
        ));
    } else {
        assert!((800..=1200).contains(&rate), "1.0 ± 0.2 cores: {tries:?}");
    }
    let s = report.all().iter().find(|f| f.pid == sleeper.pid).unwrap();
    let rate = s.cpu_millicores.unwrap();
    eprintln!("sleeper: cpu_cores {rate} milli-cores");
    assert!(rate < 50, "a sleeper uses < 0.05 cores: {s:?}");
}

#[test]
fn a_wrapper_whose_child_holds_200_mb_reports_the_trees_memory_and_two_processes() {
    let name = unique_pytest_name("wrap");
    // The shell waits for python (`; :` keeps it from exec'ing it), which fills 200 MiB.
    let script =
        "python3 -c 'import time; b = bytearray(b\"x\" * (200 << 20)); time.sleep(600)'; :";
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", script, &name]);
    let wrapper = Child::spawn(cmd);
    let cfg = scan_config(&[&name], 0);
    let mut scanner = Scanner::new(std::path::Path::new("/proc"), cfg).unwrap();
    let mut report = Box::<ScanReport>::default();
    let mb200 = 200 * 1000 * 1000;
    let last = std::cell::RefCell::new(None);
    let f = wait_until(
        30,
        "the child to hold 200 MB",
        || {
            scanner.scan(boot_clock_ms(), &[], &mut report).unwrap();
            let f = report.tops().find(|f| f.pid == wrapper.pid).cloned();
            last.replace(f.clone());
            f.filter(|f| f.tree.rss_bytes >= mb200)
        },
        || format!("{:?}", last.borrow()),
    );
    // The child, killed by pid with its wrapper.
    let child =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", wrapper.pid)).unwrap();
    let _child = child
        .split_whitespace()
        .map(|p| Spawned {
            pid: p.parse().unwrap(),
        })
        .next();
    assert_eq!(f.tree.processes, 2, "{f:?}");
    assert_eq!(f.tree.cut, None);
    assert!(
        f.rss_bytes < mb200 / 10,
        "the wrapper itself is small: {f:?}"
    );
}

/// The real daemon, scanning every second, against a webhook on 127.0.0.1: the busy loop
/// fires, becomes critical after three scans at 0.2 cores or more and the escalation is sent at
/// once although the cooldown is an hour; a sleeper stays a warning.
#[test]
fn a_busy_loop_becomes_critical_and_the_escalation_is_sent_inside_the_cooldown() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let busy_name = unique_pytest_name("crit");
    let sleep_name = unique_pytest_name("calm");
    let busy = busy_loop(&busy_name);
    let (sleeper, _) = spawn_orphan(dir.path(), &sleep_name);
    let started = Instant::now();
    let patterns = format!("{busy_name},{sleep_name}");
    let _d = Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--cooldown-s",
            "3600",
            "--webhook-url",
            &hook.url(),
        ],
        &[
            ("WATCHDOG_PROC_PATTERNS", &patterns),
            // Below one core: the machine is shared, and the loop gets what is left.
            ("WATCHDOG_PROC_CRITICAL_CORES", "0.2"),
            ("WATCHDOG_PROC_CRITICAL_SCANS", "3"),
        ],
    );
    let about = |v: &serde_json::Value, pid: u32| v["pid"] == pid;
    let got = hook.wait_for(30, "the escalation", |d| {
        d.iter()
            .any(|v| about(v, busy.pid) && status_of(v) == "reminder")
    });
    assert!(started.elapsed().as_secs() < 3600, "inside the cooldown");
    let busy_msgs: Vec<&serde_json::Value> = got.iter().filter(|v| about(v, busy.pid)).collect();
    let statuses: Vec<(&str, &str)> = busy_msgs
        .iter()
        .map(|v| (status_of(v), v["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("firing", "warning"), ("reminder", "critical")]);
    let escalation = busy_msgs[1];
    let cores = escalation["tree_cpu_cores"].as_f64().unwrap();
    eprintln!(
        "escalation: tree_cpu_cores {cores}, cpu_cores {}",
        escalation["cpu_cores"]
    );
    assert!((0.2..=1.2).contains(&cores), "{escalation}");
    let text = escalation["text"].as_str().unwrap();
    assert!(
        text.contains("CRITICAL") && text.contains("severity: critical"),
        "{text}"
    );
    assert!(
        escalation["host_cpu_share_percent"].as_f64().is_some(),
        "{escalation}"
    );
    // The sleeper fired as a warning and stayed one (no escalation).
    let calm: Vec<&serde_json::Value> = got.iter().filter(|v| about(v, sleeper.pid)).collect();
    assert!(!calm.is_empty(), "{got:#?}");
    for v in calm {
        assert_eq!(
            (status_of(v), v["severity"].as_str()),
            ("firing", Some("warning"))
        );
        assert!(
            v["cpu_cores"].is_null() || v["cpu_cores"].as_f64().unwrap() < 0.05,
            "{v}"
        );
    }
}

/// `scan --sample-s 1`: two scans a second apart give the busy loop a measured rate, the
/// table its lifetime average and tree rate, and `--json` the bodies' fields.
#[test]
fn scan_with_a_sample_measures_a_rate_and_shows_the_lifetime_average() {
    let name = unique_pytest_name("sample");
    let busy = busy_loop(&name);
    let scan = |json: bool| {
        let mut cmd = Command::new(common::bin());
        cmd.args(["scan", "--sample-s", "1", "--pattern", &name])
            .env_clear();
        if json {
            cmd.arg("--json");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let out = scan(true);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["pid"], busy.pid);
    for field in ["cpu_cores", "cpu_cores_lifetime", "tree_cpu_cores"] {
        assert!(v[field].as_f64().is_some_and(|c| c > 0.05), "{field}: {v}");
    }
    for field in ["rss_bytes", "threads", "tree_rss_bytes", "tree_processes"] {
        assert!(v[field].as_u64().is_some_and(|n| n > 0), "{field}: {v}");
    }
    assert_eq!(v["severity"], "warning");
    let table = scan(false);
    assert!(
        table.lines().next().unwrap().contains(" AVG  TREE "),
        "{table}"
    );
    let row = table.lines().nth(1).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[0], busy.pid.to_string(), "{table}");
    // AVG and TREE, in cores.
    for cell in &cells[4..6] {
        assert!(
            cell.parse::<f64>().is_ok_and(|c| c > 0.05),
            "{cell}: {table}"
        );
    }
}

/// A real Alertmanager (Debian's) shows the `severity` label: `critical` for the busy
/// loop once it escalated, `warning` for the sleeper.
#[test]
fn alertmanager_shows_the_severity_label() {
    use common::alertmanager::AmCluster;
    let hook = Webhook::start();
    let Some(am) = AmCluster::start(1, &hook.url()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let busy_name = unique_pytest_name("amcrit");
    let sleep_name = unique_pytest_name("amcalm");
    let busy = busy_loop(&busy_name);
    let (sleeper, _) = spawn_orphan(dir.path(), &sleep_name);
    let patterns = format!("{busy_name},{sleep_name}");
    let d = Daemon::start(
        &[
            "--format",
            "alertmanager",
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--webhook-url",
            &am.api_url(0),
        ],
        &[
            ("WATCHDOG_PROC_PATTERNS", &patterns),
            ("WATCHDOG_PROC_CRITICAL_CORES", "0.2"),
            ("WATCHDOG_PROC_CRITICAL_SCANS", "2"),
        ],
    );
    let labelled = |pid: u32, severity: &str| {
        let pid = serde_json::Value::from(pid.to_string());
        am.alerts(0)
            .iter()
            .any(|a| a["labels"]["pid"] == pid && a["labels"]["severity"] == severity)
    };
    wait_until(
        30,
        "the busy loop's critical alert",
        || labelled(busy.pid, "critical").then_some(()),
        || format!("{:#?}\n{}", am.alerts(0), d.log()),
    );
    assert!(labelled(sleeper.pid, "warning"), "{:#?}", am.alerts(0));
    assert!(!labelled(sleeper.pid, "critical"), "{:#?}", am.alerts(0));
    let critical = am
        .alerts(0)
        .into_iter()
        .find(|a| a["labels"]["severity"] == "critical")
        .unwrap();
    let share = critical["annotations"]["host_cpu_share_percent"].as_str();
    assert!(
        share.is_some_and(|s| s.parse::<f64>().is_ok()),
        "{critical:#}"
    );
}
