//! `WATCHDOG_PROC_ACTION=terminate` (issue 24) against real processes the test spawns
//! (and kills by pid when it ends): what is terminated, when, and what never is.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::stat_of;
use common::webhook::status_of;

use std::path::Path;
use std::process::{Command, Stdio};

use common::daemon::Daemon;
use common::webhook::Webhook;
use common::{unique_pytest_name, Spawned};
use lingerwatch::alert::terminate::Signal;
use lingerwatch::host::terminate::{signal_once, Sent};
use lingerwatch::proc::found::ProcessKey;

/// The start time and state of a live pid; `None` when it is gone.
/// Alive and still the process of `start` (not a zombie).
fn alive(pid: u32, start: u64) -> bool {
    stat_of(pid).is_some_and(|(s, state)| s == start && state != b'Z')
}

fn children_of(pid: u32) -> Vec<u32> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    text.split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// An orphaned `sh` named `name` (a symlink) running `script`, whose own children then
/// outlive nothing: its launcher is SIGKILLed, as the incident's agent was.
fn spawn_orphan_sh(dir: &Path, name: &str, script: &str) -> Spawned {
    let link = dir.join(name);
    std::os::unix::fs::symlink("/bin/sh", &link).unwrap();
    let (spawned, shell) = common::orphan_of_killed_shell("\"$0\" -c \"$1\"", &link, &[script]);
    let pid = spawned.pid;
    common::wait_until(
        10,
        "reparented, with its child",
        || {
            (common::ppid_of(pid).is_some_and(|p| p != shell) && !children_of(pid).is_empty())
                .then_some(())
        },
        String::new,
    );
    spawned
}

/// The orphan's first child (killed with the test), and the start times of both.
fn first_child_and_starts(orphan: &Spawned) -> (u32, Spawned, u64, u64) {
    let child = children_of(orphan.pid)[0];
    let guard = Spawned { pid: child };
    let (start, _) = stat_of(orphan.pid).unwrap();
    let (child_start, _) = stat_of(child).unwrap();
    (child, guard, start, child_start)
}

fn terminating(hook: &Webhook, patterns: &str, extra: &[&str], env: &[(&str, &str)]) -> Daemon {
    let url = hook.url();
    let mut args = vec![
        "--interval-s",
        "1",
        "--age-s",
        "1",
        "--action",
        "terminate",
        "--webhook-url",
        &url,
    ];
    args.extend_from_slice(extra);
    let mut all_env = vec![("WATCHDOG_PROC_PATTERNS", patterns)];
    all_env.extend_from_slice(env);
    Daemon::start(&args, &all_env)
}

#[test]
fn an_orphan_over_the_threshold_and_its_children_are_terminated_after_the_grace() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("term");
    let orphan = spawn_orphan_sh(dir.path(), &name, "sleep 600 & wait");
    let (child, _child_guard, start, child_start) = first_child_and_starts(&orphan);
    let d = terminating(
        &hook,
        &name,
        &["--terminate-after-s", "2", "--kill-after-s", "30"],
        &[],
    );
    let got = hook.wait_for(30, "terminated", |d| {
        d.iter().any(|v| status_of(v) == "terminated")
    });
    let firing = got.iter().find(|v| status_of(v) == "firing").unwrap();
    assert!(
        firing["text"]
            .as_str()
            .unwrap()
            .contains("lingerwatch will terminate it"),
        "{firing}"
    );
    let ended = got.iter().find(|v| status_of(v) == "terminated").unwrap();
    assert_eq!(ended["pid"], orphan.pid);
    assert_eq!(ended["signal"], "SIGTERM");
    let text = ended["text"].as_str().unwrap();
    assert!(
        text.starts_with("[TERMINATED]") && text.contains("SIGTERM") && text.contains("CPU used"),
        "{text}"
    );
    assert!(!alive(orphan.pid, start) && !alive(child, child_start));
    let log = d.log();
    let child_line = log.find(&format!("SIGTERM sent to pid {child} ")).unwrap();
    let top_line = log
        .find(&format!("SIGTERM sent to pid {} ", orphan.pid))
        .unwrap();
    assert!(child_line < top_line, "deepest first: {log}");
    assert!(!log.contains("SIGKILL sent"), "{log}");
}

#[test]
fn a_tree_that_ignores_sigterm_gets_sigkill_after_kill_after_s() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("stubborn");
    // An ignored signal stays ignored across exec: the sleep ignores SIGTERM too.
    let orphan = spawn_orphan_sh(dir.path(), &name, "trap '' TERM; sleep 600 & wait; wait");
    let (child, _child_guard, start, child_start) = first_child_and_starts(&orphan);
    let prom = dir.path().join("lingerwatch.prom");
    let d = terminating(
        &hook,
        &name,
        &[
            "--terminate-after-s",
            "1",
            "--kill-after-s",
            "2",
            "--textfile",
            prom.to_str().unwrap(),
        ],
        &[],
    );
    d.wait_log(30, &format!("SIGTERM sent to pid {}", orphan.pid));
    assert!(alive(orphan.pid, start), "it ignores SIGTERM");
    let got = hook.wait_for(30, "terminated", |d| {
        d.iter().any(|v| status_of(v) == "terminated")
    });
    let ended = got.iter().find(|v| status_of(v) == "terminated").unwrap();
    assert_eq!(ended["signal"], "SIGKILL");
    assert!(!alive(orphan.pid, start) && !alive(child, child_start));
    assert!(
        d.log().contains(&format!("SIGKILL sent to pid {child} ")),
        "{}",
        d.log()
    );
    the_counters_count_the_signals_sent(&d, &prom);
}

/// `lingerwatch_terminated_total{signal}` in the textfile counts the signals the log says
/// were sent (SIGTERM to both, ignored; SIGKILL to what was still there), and the file
/// passes promtool.
fn the_counters_count_the_signals_sent(d: &Daemon, prom: &Path) {
    use common::node_exporter::{promtool_check_metrics, sample, PROMTOOL};
    let series = |signal: &str| format!("lingerwatch_terminated_total{{signal=\"{signal}\"}}");
    let text = common::wait_until(
        10,
        "the SIGKILL counted in the textfile",
        || {
            let text = std::fs::read_to_string(prom).ok()?;
            (sample(&text, &series("SIGKILL"))? >= 1.0).then_some(text)
        },
        || std::fs::read_to_string(prom).unwrap_or_default(),
    );
    let log = d.log();
    for signal in ["SIGTERM", "SIGKILL"] {
        let sent = log
            .matches(&format!("terminate: {signal} sent to pid "))
            .count();
        assert_eq!(
            sample(&text, &series(signal)),
            Some(sent as f64),
            "{signal}: {text}\n{log}"
        );
    }
    assert_eq!(sample(&text, &series("SIGTERM")), Some(2.0), "{text}");
    if common::require_or_skip(PROMTOOL) {
        promtool_check_metrics(&text).unwrap();
    }
}

#[test]
fn non_orphans_excluded_and_never_terminate_ones_are_never_signalled() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let tag = unique_pytest_name("spare");
    // A live job: its parent (this test) and session are alive.
    let link = dir.path().join(format!("{tag}-live"));
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    let mut live = Command::new(&link).arg("600").spawn().unwrap();
    let _live_guard = Spawned { pid: live.id() };
    let never = spawn_orphan_sh(dir.path(), &format!("{tag}-keepme"), "sleep 600 & wait");
    let excluded = spawn_orphan_sh(dir.path(), &format!("{tag}-skipme"), "sleep 600 & wait");
    let control = spawn_orphan_sh(dir.path(), &format!("{tag}-control"), "sleep 600 & wait");
    let keys: Vec<(u32, u64)> = [live.id(), never.pid, excluded.pid]
        .iter()
        .map(|&p| (p, stat_of(p).unwrap().0))
        .collect();
    let d = terminating(
        &hook,
        &tag,
        &[
            "--terminate-after-s",
            "1",
            "--kill-after-s",
            "1",
            "--exclude",
            "skipme",
            "--never-terminate",
            "keepme",
        ],
        &[],
    );
    hook.wait_for(30, "the control terminated", |d| {
        d.iter()
            .any(|v| status_of(v) == "terminated" && v["pid"] == control.pid)
    });
    // Two more ticks after the control's end: still nothing for the others.
    let now = common::heartbeat_ms(&d.heartbeat()).unwrap();
    let t = d.wait_tick_after(10, now + 1500);
    d.wait_tick_after(10, t);
    for (pid, start) in keys {
        assert!(alive(pid, start), "pid {pid} was signalled: {}", d.log());
    }
    assert!(live.try_wait().unwrap().is_none());
    let log = d.log();
    for pid in [live.id(), never.pid, excluded.pid] {
        assert!(!log.contains(&format!("sent to pid {pid} ")), "{log}");
    }
}

#[test]
fn dry_run_says_would_terminate_and_signals_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("dry");
    let orphan = spawn_orphan_sh(dir.path(), &name, "sleep 600 & wait");
    let (start, _) = stat_of(orphan.pid).unwrap();
    let d = Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--action",
            "terminate",
            "--terminate-after-s",
            "1",
            "--kill-after-s",
            "1",
            "--dry-run",
        ],
        &[("WATCHDOG_PROC_PATTERNS", &name)],
    );
    d.wait_log(
        30,
        &format!("would terminate: dry run, no SIGKILL to pid {}", orphan.pid),
    );
    assert!(alive(orphan.pid, start), "{}", d.log());
    assert!(!d.log().contains("sent to pid"), "{}", d.log());
}

/// The decided process died; its pid must not be signalled, whatever holds it now (a
/// start time that differs stands for the new holder).
#[test]
fn a_pid_whose_decided_process_died_is_not_signalled() {
    let mut sleeper = Command::new("/bin/sleep").arg("600").spawn().unwrap();
    let pid = sleeper.id();
    let (start, _) = stat_of(pid).unwrap();
    let key = ProcessKey {
        pid,
        start_ticks: start,
    };
    // Another start time at this pid: the pid changed hands since the decision.
    let other = ProcessKey {
        pid,
        start_ticks: start.wrapping_sub(1),
    };
    assert_eq!(
        signal_once(Path::new("/proc"), other, Signal::Kill),
        Sent::Reused
    );
    assert!(alive(pid, start) && sleeper.try_wait().unwrap().is_none());
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(
        signal_once(Path::new("/proc"), key, Signal::Kill),
        Sent::Gone
    );
}

/// The init of a new PID namespace, named `name` (an `sh` through a symlink) and running
/// `sleep 600` as its child, orphaned: `unshare` is SIGKILLed, so the init is adopted
/// outside its namespace while staying pid 1 inside it (`NSpid` ends in 1). `None` when
/// this host cannot make a PID namespace (then the test says so, and fails under CI).
fn spawn_orphaned_namespace_init(dir: &Path, name: &str) -> Option<Spawned> {
    if !rustix::process::geteuid().is_root() {
        common::cannot_run("making a PID namespace (unshare -p) needs root");
        return None;
    }
    if !common::require_or_skip("unshare") {
        return None;
    }
    let link = dir.join(name);
    std::os::unix::fs::symlink("/bin/sh", &link).unwrap();
    let mut unshare = Command::new("unshare")
        .arg("-pf")
        .arg(&link)
        .args(["-c", "sleep 600 & wait"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let launcher = unshare.id();
    let _launcher_guard = Spawned { pid: launcher };
    let init = common::wait_until(
        10,
        "the namespace's init and its child",
        || {
            let init = *children_of(launcher).first()?;
            (!children_of(init).is_empty()).then_some(init)
        },
        String::new,
    );
    let init_guard = Spawned { pid: init };
    unshare.kill().unwrap();
    unshare.wait().unwrap();
    common::wait_until(
        10,
        "the namespace's init adopted",
        || {
            common::ppid_of(init)
                .is_some_and(|p| p != launcher)
                .then_some(())
        },
        String::new,
    );
    let status = std::fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert!(nspid.ends_with("\t1"), "not a namespace's init: {nspid}");
    Some(init_guard)
}

#[test]
fn the_init_of_a_pid_namespace_is_never_signalled_even_as_a_lingering_orphan() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let tag = unique_pytest_name("nsinit");
    let Some(init) = spawn_orphaned_namespace_init(dir.path(), &format!("{tag}-init")) else {
        return;
    };
    let (init_start, _) = stat_of(init.pid).unwrap();
    let child = children_of(init.pid)[0];
    let (child_start, _) = stat_of(child).unwrap();
    // The control: an ordinary orphan of the same pattern, which must be terminated.
    let control = spawn_orphan_sh(dir.path(), &format!("{tag}-control"), "sleep 600 & wait");
    let d = terminating(
        &hook,
        &tag,
        &["--terminate-after-s", "1", "--kill-after-s", "1"],
        &[],
    );
    let got = hook.wait_for(30, "the control terminated", |d| {
        d.iter()
            .any(|v| status_of(v) == "terminated" && v["pid"] == control.pid)
    });
    // Two more ticks after the control's end: still nothing for the init.
    let now = common::heartbeat_ms(&d.heartbeat()).unwrap();
    let t = d.wait_tick_after(10, now + 1500);
    d.wait_tick_after(10, t);
    assert!(alive(init.pid, init_start), "{}", d.log());
    assert!(alive(child, child_start), "{}", d.log());
    let log = d.log();
    for pid in [init.pid, child] {
        assert!(!log.contains(&format!("sent to pid {pid} ")), "{log}");
    }
    // It lingers and is an orphan, so it is alerted, but never promised an end.
    let firing = got
        .iter()
        .find(|v| status_of(v) == "firing" && v["pid"] == init.pid)
        .unwrap_or_else(|| panic!("no FIRING for the init: {got:?}"));
    assert_eq!(firing["orphan"], true, "{firing}");
    assert!(
        !firing["text"].as_str().unwrap().contains("will terminate"),
        "{firing}"
    );
    assert!(!hook
        .delivered()
        .iter()
        .any(|v| v["pid"] == init.pid && status_of(v) == "terminated"));
}

/// `cmd` (the daemon) run through `setpriv` as uid/gid 65534 with no groups: no
/// capability, so CAP_KILL neither. Its heartbeat's temp dir is opened to it.
fn as_nobody(cmd: Command) -> Command {
    use std::os::unix::fs::PermissionsExt;
    let mut wrapped = Command::new("setpriv");
    wrapped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear();
    for (k, v) in cmd.get_envs() {
        let Some(v) = v else { continue };
        if k == "WATCHDOG_HEARTBEAT_FILE" {
            let dir = Path::new(v).parent().unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        }
        wrapped.env(k, v);
    }
    wrapped
}

/// A terminating daemon as uid 65534 (checked in its `/proc` status, with no effective
/// capability), scanning every second, with a 2 s cooldown so REMINDERs come.
fn terminating_as_nobody(hook: &Webhook, pattern: &str) -> Daemon {
    let url = hook.url();
    let args = [
        "--interval-s",
        "1",
        "--age-s",
        "1",
        "--cooldown-s",
        "2",
        "--action",
        "terminate",
        "--terminate-after-s",
        "1",
        "--kill-after-s",
        "1",
        "--webhook-url",
        &url,
    ];
    let d = Daemon::start_wrapped(&args, &[("WATCHDOG_PROC_PATTERNS", pattern)], as_nobody);
    let status = common::wait_until(
        10,
        "the daemon as uid 65534",
        || {
            // After setpriv's exec: between its setresuid and the exec, the process is
            // still setpriv, with its own capabilities.
            let s = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).ok()?;
            (s.starts_with("Name:\tlingerwatch\n")
                && s.contains("Uid:\t65534\t65534\t65534\t65534"))
            .then_some(s)
        },
        || d.log(),
    );
    assert!(status.contains("CapEff:\t0000000000000000"), "{status}");
    d
}

/// The FIRING said lingerwatch would terminate `pid`; once the kernel refused, a REMINDER
/// comes that no longer says so, and none after it does.
fn reminders_stop_promising_an_end(hook: &Webhook, pid: u32) {
    let promises = |v: &serde_json::Value| {
        v["text"]
            .as_str()
            .unwrap()
            .contains("lingerwatch will terminate it")
    };
    let quiet =
        |v: &serde_json::Value| status_of(v) == "reminder" && v["pid"] == pid && !promises(v);
    let got = hook.wait_for(30, "a REMINDER that no longer promises an end", |got| {
        got.iter().any(quiet)
    });
    let firing = got.iter().find(|v| status_of(v) == "firing").unwrap();
    assert!(promises(firing), "{firing}");
    let first = got.iter().position(quiet).unwrap();
    let later: Vec<_> = got.iter().skip(first).filter(|v| promises(v)).collect();
    assert!(later.is_empty(), "{later:?}");
}

#[test]
fn without_cap_kill_the_refusal_is_logged_and_the_alerts_go_on_with_no_false_terminated() {
    if !rustix::process::geteuid().is_root() {
        common::cannot_run("an orphan of another uid than the daemon's needs root here");
        return;
    }
    if !common::require_or_skip("setpriv") {
        return;
    }
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("nocap");
    // Root's orphan; the daemon runs as 65534.
    let orphan = spawn_orphan_sh(dir.path(), &name, "sleep 600 & wait");
    let (start, _) = stat_of(orphan.pid).unwrap();
    let mut d = terminating_as_nobody(&hook, &name);
    for signal in ["SIGTERM", "SIGKILL"] {
        d.wait_log(
            30,
            &format!(
                "terminate: cannot send {signal} to pid {}: Operation not permitted",
                orphan.pid
            ),
        );
    }
    // It keeps alerting: a REMINDER after the refusals, and ticks on.
    let refused_at = common::heartbeat_ms(&d.heartbeat()).unwrap();
    reminders_stop_promising_an_end(&hook, orphan.pid);
    d.wait_tick_after(10, refused_at + 2000);
    assert!(d.child.try_wait().unwrap().is_none(), "{}", d.log());
    assert!(alive(orphan.pid, start), "{}", d.log());
    assert!(!d.log().contains("sent to pid"), "{}", d.log());
    // Ended by someone else, its alert is resolved, not "terminated".
    common::kill(orphan.pid);
    let got = hook.wait_for(30, "RESOLVED", |got| {
        got.iter().any(|v| status_of(v) == "resolved")
    });
    assert!(got.iter().all(|v| status_of(v) != "terminated"), "{got:?}");
    assert!(d.child.try_wait().unwrap().is_none(), "{}", d.log());
}
