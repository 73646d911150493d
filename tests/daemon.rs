//! `lingerwatch run` end to end: the real binary, a real webhook on 127.0.0.1 that the
//! test starts, real orphaned processes and fake `/proc` trees.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::webhook::status_of;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::webhook::{Answer, Webhook};
use common::{bin, spawn_orphan, unique_pytest_name, FakeProc};

#[test]
fn firing_then_reminder_after_cooldown_then_resolved_for_a_real_orphan() {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("e2e");
    let (orphan, _) = spawn_orphan(dir.path(), &name);
    let fired_at = Instant::now();
    let mut d = Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--cooldown-s",
            "3",
            "--webhook-url",
            &hook.url(),
        ],
        &[
            ("WATCHDOG_PROC_PATTERNS", &name),
            ("WATCHDOG_HOST_LABEL", "ci-test-01"),
        ],
    );
    let got = hook.wait_for(15, "FIRING", |d| d.iter().any(|v| status_of(v) == "firing"));
    let firing = got.iter().find(|v| status_of(v) == "firing").unwrap();
    assert_eq!(firing["pid"], orphan.pid);
    assert_eq!(firing["host"], "ci-test-01");
    assert_eq!(firing["kind"], "process");
    assert_eq!(firing["orphan"], true);
    assert_eq!(firing["ppid"], common::ppid_of(orphan.pid).unwrap());
    assert_eq!(firing["descendants"], 0);
    assert_eq!(
        firing["container"],
        serde_json::Value::Null,
        "a host process"
    );
    assert_eq!(firing["state"], "S");
    assert!(firing["age_s"].as_u64().unwrap() >= 2, "strictly over 1 s");
    // A sleeping process has used next to no CPU.
    assert!(firing["cpu_s"].as_f64().unwrap() < 1.0, "{firing}");
    assert!(firing["start_ticks"].as_u64().unwrap() > 0);
    assert!(firing["cmdline"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{name} 600")));
    let text = firing["text"].as_str().unwrap();
    for want in [
        "[FIRING]",
        "ci-test-01",
        &format!("process {}", orphan.pid),
        "ORPHAN",
        &format!("ps -o pid,ppid,etime,args -p {}", orphan.pid),
        &format!("kill -TERM {}", orphan.pid),
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }

    let got = hook.wait_for(15, "REMINDER", |d| {
        d.iter().any(|v| status_of(v) == "reminder")
    });
    let statuses: Vec<&str> = got.iter().map(status_of).collect();
    assert_eq!(
        statuses,
        ["firing", "reminder"],
        "nothing between firing and the reminder"
    );
    assert!(
        fired_at.elapsed() >= Duration::from_secs(4),
        "reminder only after the 3 s cooldown"
    );
    assert_eq!(got[1]["pid"], orphan.pid);

    common::kill(orphan.pid);
    let got = hook.wait_for(15, "RESOLVED", |d| {
        d.iter().any(|v| status_of(v) == "resolved")
    });
    let resolved = got.iter().find(|v| status_of(v) == "resolved").unwrap();
    assert_eq!(resolved["pid"], orphan.pid);
    assert_eq!(resolved["start_ticks"], firing["start_ticks"]);
    assert!(resolved["text"].as_str().unwrap().starts_with("[RESOLVED]"));
    assert_eq!(got.iter().filter(|v| status_of(v) == "firing").count(), 1);
    assert!(hook.requests().iter().all(|r| r.path == "/hook"));

    let log = d.log();
    assert!(log.contains("sent firing pid"), "{log}");
    let (took, code) = d.term_and_time();
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(code, Some(0));
}

fn fake_args<'a>(fake: &'a FakeProc, hook: &'a str) -> Vec<&'a str> {
    vec![
        "--proc-root",
        fake.root().to_str().unwrap(),
        "--interval-s",
        "1",
        "--age-s",
        "1",
        "--cooldown-s",
        "3600",
        "--webhook-url",
        hook,
    ]
}

#[test]
fn outage_of_500s_then_refused_connections_loses_nothing_and_keeps_order() {
    let mut hook = Webhook::start();
    let url = hook.url();
    let fake = FakeProc::lingering(3);
    hook.script(&[
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(500),
    ]);
    let d = Daemon::start(&fake_args(&fake, &url), &[]);
    // Three 500s, then the receiver goes away: connections are refused.
    common::wait_until(
        10,
        "three failed attempts",
        || (hook.requests().len() >= 3).then_some(()),
        String::new,
    );
    hook.stop();
    // Meanwhile two processes exit; the daemon sees it while the receiver is away.
    fake.remove(1000);
    fake.remove(1002);
    let removed_ms = lingerwatch::proc::sys::boot_clock_ms();
    d.wait_tick_after(10, removed_ms);
    d.wait_log(20, "connection refused");
    hook.restart();
    let got = hook.wait_for(40, "all five messages", |d| d.len() >= 5);
    // Two more ticks with nothing owed: no duplicate comes later.
    d.wait_tick_after(10, lingerwatch::proc::sys::boot_clock_ms() + 1000);
    let got2 = hook.delivered();
    assert_eq!(got.len(), got2.len(), "no duplicates later");
    let seen: Vec<(String, u64)> = got2
        .iter()
        .map(|v| (status_of(v).to_owned(), v["pid"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, u64)> = [
        ("firing", 1000),
        ("firing", 1001),
        ("firing", 1002),
        ("resolved", 1000),
        ("resolved", 1002),
    ]
    .iter()
    .map(|(s, p)| (s.to_string(), *p))
    .collect();
    assert_eq!(seen, want, "every message once, in order");
    assert!(got2.iter().all(|v| v["dropped"] == 0));
    let log = d.log();
    assert!(log.contains("failed (HTTP 500), attempt 1"), "{log}");
    let refused = log
        .lines()
        .find(|l| l.contains("connection refused"))
        .unwrap();
    assert!(refused.contains(&format!("to {url} failed (")), "{refused}");
}

#[test]
fn a_burst_during_an_outage_loses_nothing_and_arrives_in_order() {
    // Issue 13: 300 processes then all killed once lost 64 FIRING and 129 RESOLVED to a
    // 128-message outbox. Now the table is the only capacity: 100 FIRING and 100
    // RESOLVED decided during an outage all arrive, in order, with no drop reported.
    let mut hook = Webhook::start();
    let url = hook.url();
    hook.stop(); // refused from the start
    let n = 100u32;
    let fake = FakeProc::lingering(n);
    let d = Daemon::start(&fake_args(&fake, &url), &[]);
    d.wait_log(10, "delivery of firing pid 1000 to");
    for pid in 1000..1000 + n {
        fake.remove(pid);
    }
    // Two ticks later the table has seen them gone.
    let removed_ms = lingerwatch::proc::sys::boot_clock_ms();
    d.wait_tick_after(10, removed_ms + 1000);
    hook.restart();
    let got = hook.wait_for(60, "200 messages", |d| d.len() >= 200);
    let seen: Vec<(String, u64)> = got
        .iter()
        .map(|v| (status_of(v).to_owned(), v["pid"].as_u64().unwrap()))
        .collect();
    let mut want: Vec<(String, u64)> = (1000..1100).map(|p| ("firing".to_owned(), p)).collect();
    want.extend((1000..1100).map(|p| ("resolved".to_owned(), p)));
    assert_eq!(seen, want);
    assert!(got.iter().all(|v| v["dropped"] == 0), "nothing was dropped");
    assert!(!d.log().contains("gave up"), "{}", d.log());
}

#[test]
fn refused_4xx_is_dropped_as_a_configuration_error_and_the_rest_goes_on() {
    let hook = Webhook::start();
    let fake = FakeProc::lingering(2);
    hook.script(&[Answer::Status(404)]);
    let url = hook.url();
    let d = Daemon::start(&fake_args(&fake, &url), &[]);
    let got = hook.wait_for(10, "second firing", |d| !d.is_empty());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["pid"], 1001);
    assert_eq!(hook.requests().len(), 2, "the 404 was not retried");
    assert!(
        d.log()
            .contains(&format!("{url} refused firing pid 1000 with HTTP 404")),
        "{}",
        d.log()
    );
}

#[test]
fn sigterm_ends_the_daemon_as_pid_1_of_its_own_pid_namespace() {
    // `unshare` makes a new PID namespace whose init is lingerwatch, where signals without
    // a handler are ignored: only blocking + sigtimedwait lets SIGTERM through.
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        common::cannot_run("unshare --pid is not permitted here (it needs root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(bin())
        .args([
            "run",
            "--interval-s",
            "1",
            "--pattern",
            "nothing-matches-this",
        ])
        .env("WATCHDOG_HEARTBEAT_FILE", dir.path().join("hb"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = common::Spawned { pid: unshare.id() };
    // lingerwatch is the child of unshare; it has ticked once its heartbeat exists.
    let init = common::wait_until(
        10,
        "lingerwatch under unshare to tick",
        || {
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", unshare.id()))
                    .unwrap_or_default();
            let pid = children.split_whitespace().next()?.parse::<u32>().ok()?;
            common::heartbeat_ms(&dir.path().join("hb")).map(|_| pid)
        },
        String::new,
    );
    let _init_guard = common::Spawned { pid: init };
    let t = Instant::now();
    common::term(init);
    let status = unshare.wait().unwrap();
    let took = t.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut unshare.stderr.take().unwrap(), &mut err).unwrap();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(
        err.contains("lingerwatch is pid 1 here"),
        "warns it sees only its namespace: {err}"
    );
    assert!(err.contains("stopping on SIGTERM"), "{err}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn once_and_dry_run_print_the_firing_of_every_process_over_the_threshold() {
    let fake = FakeProc::lingering(3);
    fake.add(2000, "pytest", 1, u64::MAX / 1000, b"pytest\0young\0");
    let out = Command::new(bin())
        .args([
            "run",
            "--once",
            "--dry-run",
            "--format",
            "slack",
            "--age-s",
            "5",
            "--webhook-url",
            "http://127.0.0.1:9/never",
        ])
        .arg("--proc-root")
        .arg(fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "over the threshold, as scan");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "the young one is not over the threshold");
    for (v, pid) in lines.iter().zip(1000..) {
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("[FIRING]") && text.contains(&format!("process {pid}")),
            "{text}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("dry run"));
}

#[test]
fn no_webhook_prints_json_lines_and_disabled_stays_idle_but_healthy() {
    let fake = FakeProc::lingering(1);
    let mut d = Daemon::fast(fake.root(), &["--once"], &[]);
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let mut out = String::new();
    std::io::Read::read_to_string(d.child.stdout.as_mut().unwrap(), &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!((status_of(&v), v["pid"].as_u64()), ("firing", Some(1000)));

    let mut d = Daemon::fast(fake.root(), &[], &[("WATCHDOG_PROC_ENABLED", "false")]);
    // Idle, it still ticks: two stamps a second apart, and health says so.
    let first = d.wait_tick_after(10, 0);
    d.wait_tick_after(10, first);
    let (code, said) = d.health();
    assert_eq!(code, Some(0), "{}", said);
    let (took, _) = d.term_and_time();
    assert!(took < Duration::from_secs(1));
    let mut out = String::new();
    std::io::Read::read_to_string(d.child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(out, "", "disabled: no scans, no alerts");
    assert!(d.log().contains("DISABLED"));
}

#[test]
fn a_daemon_that_stops_ticking_turns_health_bad_until_it_ticks_again() {
    let fake = FakeProc::lingering(1);
    let root = fake.root().to_str().unwrap().to_owned();
    let d = Daemon::start(&["--proc-root", &root, "--interval-s", "1"], &[]);
    let health = |hb: &Path| {
        let out = Command::new(bin())
            .arg("health")
            .env("WATCHDOG_HEARTBEAT_FILE", hb)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let wait_health = |want: i32, secs: u64| {
        common::wait_until(
            secs,
            &format!("health to exit {want}"),
            || {
                let (code, out) = health(&d.heartbeat());
                (code == Some(want)).then_some(out)
            },
            || d.log(),
        )
    };
    assert!(wait_health(0, 5).starts_with("healthy"));
    // Stop the daemon (SIGSTOP), as a tick stuck in the kernel stops its stamps. (A FIFO
    // in a fake /proc no longer blocks a scan, issue 19.)
    common::signal(d.pid(), rustix::process::Signal::STOP);
    let stuck = Instant::now();
    let out = wait_health(1, 8);
    assert!(
        stuck.elapsed() >= Duration::from_secs(2),
        "not before three intervals: {out}"
    );
    assert!(out.starts_with("unhealthy: last tick"), "{out}");
    // Let it go on: the next tick completes and health recovers.
    common::signal(d.pid(), rustix::process::Signal::CONT);
    assert!(wait_health(0, 5).starts_with("healthy"));
}

#[test]
fn ticks_runs_back_to_back_and_exits_with_every_message_delivered() {
    let fake = FakeProc::lingering(2);
    let out = Command::new(bin())
        .args([
            "run",
            "--ticks",
            "5",
            "--age-s",
            "1",
            "--cooldown-s",
            "0",
            "--proc-root",
        ])
        .arg(fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let statuses: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Two processes: FIRING on the first tick, then with a cooldown of 0 a REMINDER on
    // a later tick once the FIRING is out (a newer one supersedes one still owed, so at
    // most four each); the ticks run back to back, faster than stdout, so maybe none.
    assert_eq!(&statuses[..2], ["firing", "firing"], "{statuses:?}");
    let reminders = statuses.iter().filter(|s| *s == "reminder").count();
    assert!(reminders <= 8, "{statuses:?}");
    assert_eq!(statuses.len(), 2 + reminders);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("not delivered"), "{err}");
}

/// Issue 19, item 4: a start-up error never echoes a secret: a non-UTF-8 webhook URL, a
/// URL given as a stray argument, a value given to a switch (`--once=…`).
#[test]
fn start_up_errors_never_echo_a_secret() {
    use std::os::unix::ffi::OsStrExt;
    let url = std::ffi::OsStr::from_bytes(b"http://u:SECRETPW@h/x\xff");
    let cases: [(&[&str], Option<&std::ffi::OsStr>); 3] = [
        (&["run", "--once"], Some(url)),
        (&["run", "http://u:SECRETPW@h/x"], None),
        (&["run", "--once=http://u:SECRETPW@h/"], None),
    ];
    for (args, env) in cases {
        let mut cmd = Command::new(bin());
        cmd.args(args);
        if let Some(v) = env {
            cmd.env("WATCHDOG_WEBHOOK_URL", v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not valid"), "{args:?}: {err}");
        assert!(!err.contains("SECRET"), "{args:?}: {err}");
    }
}

/// Issue 19, item 4: a proxy variable that is not UTF-8 was skipped in silence, and the
/// next one used (a lowercase `http_proxy` fell back to `HTTP_PROXY`). It stops start-up,
/// naming it.
#[test]
fn a_proxy_variable_that_is_not_utf8_stops_start_up_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let fake = FakeProc::new();
    let out = Command::new(bin())
        .args(["run", "--once", "--webhook-url", "http://127.0.0.1:9/x"])
        .arg("--proc-root")
        .arg(fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
        .env(
            "http_proxy",
            std::ffi::OsStr::from_bytes(b"http://p\xff:3128"),
        )
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("http_proxy") && err.contains("UTF-8"), "{err}");
}

/// Issue 19, item 4: "1 messages were not delivered", "only 1 processes are visible".
#[test]
fn a_count_of_one_is_said_in_the_singular() {
    let fake = FakeProc::lingering(1);
    let out = fake
        .once_to("http://127.0.0.1:9/x")
        .env("WATCHDOG_WEBHOOK_TIMEOUT_S", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 message was not delivered"), "{err}");
    assert!(err.contains("only 1 process is visible"), "{err}");
    assert!(
        !err.contains(" 1 messages") && !err.contains(" 1 processes"),
        "{err}"
    );
}

/// Issue 23: a newcomer's `cargo run --release` said nothing for 30 s. After the first
/// tick the daemon says what it saw: pids, matches (descendants included) and how many
/// are over the threshold.
#[test]
fn the_first_tick_says_how_many_processes_it_scanned_matched_and_found_over_the_threshold() {
    let fake = FakeProc::lingering(3);
    fake.add(2000, "sleep", 1, 1, b"sleep\x001000\0");
    // Started in the future as the boot clock goes: zero seconds old, not over.
    fake.add(2001, "pytest", 1, 1 << 50, b"pytest\0-k\0young\0");
    // A matching child of a lingering one: a match, folded into its parent's line.
    fake.add(2002, "pytest", 1000, 2, b"pytest\0worker\0");
    let mut d = Daemon::fast(fake.root(), &[], &[]);
    let log = d.wait_log(10, "scanned ");
    let line = log.lines().find(|l| l.contains("scanned ")).unwrap();
    assert!(
        line.ends_with("scanned 6 processes: 5 match, 3 over the threshold"),
        "{line}"
    );
    let _ = d.term_and_time();
}
