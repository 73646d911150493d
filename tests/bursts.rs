//! No false alert and no lost alert under bursts and churn (issue 13), with real
//! processes the test starts and kills by pid, the real /proc, and a webhook on
//! 127.0.0.1: more matching processes than a scan holds, more lingering processes than
//! the alert table holds, all at once.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use common::webhook::status_of;

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::webhook::Webhook;
use common::{spawn_orphan, unique_pytest_name, Crowd};
use lingerwatch::alert::ALERT_CAPACITY;
use serde_json::Value;

/// A shell that keeps starting short-lived matching processes (`per_round` every 0.3 s,
/// each living `life_s`), in a process group of its own, killed with it.
struct Churn {
    shell: Child,
}

impl Churn {
    fn start(link: &std::path::Path, per_round: u32, life_s: u32) -> Churn {
        // The link is passed in the environment, so the shell's own cmdline does not
        // match the pattern.
        let script = format!(
            "while :; do i=0; while [ $i -lt {per_round} ]; do \"$LINK\" {life_s} & i=$((i+1)); done; sleep 0.3; done"
        );
        let shell = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("LINK", link)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        Churn { shell }
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        // The whole group: the shell and every sleeper it started.
        let group = rustix::process::Pid::from_raw(self.shell.id() as i32).unwrap();
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.shell.wait();
    }
}

/// Processes alive now whose cmdline holds `name`, counted straight from /proc.
fn matching(name: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| c.windows(name.len()).any(|w| w == name.as_bytes()))
        .count()
}

#[test]
fn an_old_orphan_among_hundreds_of_short_lived_matches_is_never_resolved_while_alive() {
    // Issue 13: with up to 518 short-lived matches next to one old orphan, the orphan was
    // reported RESOLVED while running, then FIRING again, and an aggregate said 255
    // processes lingered although none did.
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("churn");
    let link = dir.path().join(&name);
    std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
    // Churn first, so hundreds of live matches have lower pids than the orphan.
    let _churn = Churn::start(&link, 60, 3);
    common::wait_until(
        60,
        "more matching processes than a scan holds",
        || (matching(&name) > lingerwatch::proc::found::MAX_FOUND + 20).then_some(()),
        String::new,
    );
    let (orphan, _) = spawn_orphan(dir.path(), &format!("{name}-orphan"));
    // The churn lives 3 s, under the 5 s threshold: only the orphan lingers.
    let d = Daemon::start(
        &[
            "--interval-s",
            "1",
            "--age-s",
            "5",
            "--webhook-url",
            &hook.url(),
        ],
        &[("WATCHDOG_PROC_PATTERNS", &name)],
    );
    hook.wait_for(30, "the orphan's FIRING", |got| {
        got.iter().any(|v| v["pid"] == orphan.pid)
    });
    // Eight more ticks of churn.
    d.wait_tick_after(30, lingerwatch::proc::sys::boot_clock_ms() + 8000);
    assert!(
        d.log()
            .contains("more matching processes than a scan holds"),
        "{}",
        d.log()
    );
    common::kill(orphan.pid);
    let got = hook.wait_for(30, "the orphan's RESOLVED", |got| {
        got.iter()
            .any(|v| v["pid"] == orphan.pid && status_of(v) == "resolved")
    });
    let about_orphan: Vec<&str> = got
        .iter()
        .filter(|v| v["pid"] == orphan.pid)
        .map(status_of)
        .collect();
    assert_eq!(about_orphan, ["firing", "resolved"], "once each, in order");
    assert!(
        got.iter().all(|v| v["kind"] == "process"),
        "no aggregate: nothing else lingered: {:?}",
        got.iter()
            .filter(|v| v["kind"] != "process")
            .collect::<Vec<_>>()
    );
    assert!(
        got.iter().all(|v| v["pid"] == orphan.pid),
        "no short-lived process alerted"
    );
}

/// Starts `n` matching processes and waits until they are older than `age_s`.
fn lingering_crowd(dir: &std::path::Path, name: &str, n: usize, age_s: u64) -> Crowd {
    let crowd = Crowd::spawn(dir, name, n, 600);
    let born = Instant::now();
    std::thread::sleep(Duration::from_secs(age_s + 1).saturating_sub(born.elapsed()));
    crowd
}

/// A burst: 44 more lingering processes than the alert table holds (killed by pid when
/// it ends), and a daemon that sends about them, with `args`, to a webhook.
struct Burst {
    hook: Webhook,
    crowd: Crowd,
    n: usize,
    daemon: Daemon,
    _dir: tempfile::TempDir,
}

fn burst(what: &str, args: &[&str]) -> Burst {
    let hook = Webhook::start();
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name(what);
    let n = ALERT_CAPACITY + 44;
    let crowd = lingering_crowd(dir.path(), &name, n, 2);
    let url = hook.url();
    let mut all = vec!["--interval-s", "1", "--age-s", "2", "--webhook-url", &url];
    all.extend(args);
    let daemon = Daemon::start(&all, &[("WATCHDOG_PROC_PATTERNS", &name)]);
    Burst {
        hook,
        crowd,
        n,
        daemon,
        _dir: dir,
    }
}

#[test]
fn a_burst_past_the_table_gets_exactly_one_firing_and_one_resolved_per_tracked_process() {
    let Burst {
        hook,
        mut crowd,
        daemon: d,
        _dir: _kept,
        ..
    } = burst("burst", &[]);
    let got = hook.wait_for(60, "every FIRING", |got| {
        got.iter().filter(|v| status_of(v) == "firing").count() > ALERT_CAPACITY
    });
    let untracked: Vec<&Value> = got.iter().filter(|v| v["kind"] == "untracked").collect();
    assert_eq!(untracked.len(), 1, "one aggregate");
    assert_eq!(
        untracked[0]["untracked"], 44,
        "the lingering processes the table cannot hold"
    );
    crowd.kill_all();
    let got = hook.wait_for(60, "every RESOLVED", |got| {
        got.iter()
            .filter(|v| status_of(v) == "resolved" && v["kind"] == "untracked")
            .count()
            == 1
            && got.iter().filter(|v| status_of(v) == "resolved").count()
                == got.iter().filter(|v| status_of(v) == "firing").count()
    });
    let mut per_pid: HashMap<u64, Vec<&str>> = HashMap::new();
    for v in got.iter().filter(|v| v["kind"] == "process") {
        per_pid
            .entry(v["pid"].as_u64().unwrap())
            .or_default()
            .push(status_of(v));
    }
    assert!(per_pid.len() >= ALERT_CAPACITY);
    for (pid, statuses) in &per_pid {
        assert!(crowd.pids().contains(&(*pid as u32)), "{pid} is not ours");
        assert_eq!(statuses, &["firing", "resolved"], "pid {pid}");
    }
    assert!(got.iter().all(|v| v["dropped"] == 0));
    drop(d);
}

#[test]
fn a_burst_to_slack_is_a_digest_not_hundreds_of_messages() {
    let Burst {
        hook,
        mut crowd,
        n,
        daemon: d,
        _dir: _kept,
        ..
    } = burst("digest", &["--format", "slack", "--host-label", "host-a"]);
    let got = hook.wait_for(60, "the digest", |got| !got.is_empty());
    let text = got[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "[FIRING] {n} processes started lingering on host-a: "
        )),
        "{text}"
    );
    assert!(
        text.contains("44 of them beyond the alert table, which holds 256"),
        "{text}"
    );
    crowd.kill_all();
    let got = hook.wait_for(60, "the resolved digest", |got| {
        got.iter()
            .any(|v| v["text"].as_str().unwrap().contains("[RESOLVED]"))
    });
    assert!(
        got.len() <= 4,
        "a digest per tick at most, not {} messages",
        got.len()
    );
    drop(d);
}

/// The digests a Slack destination got: their texts, in order.
fn slack_texts(peer: &common::peers::Peer) -> Vec<String> {
    peer.requests()
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(r["body"].as_str()?).ok())
        .filter_map(|v| Some(v["text"].as_str()?.to_owned()))
        .collect()
}

/// The number a digest line of `kind` ("[FIRING] 300 processes …") counts, summed over
/// `texts`, and the names it lists.
fn digest_counts(texts: &[String], kind: &str) -> (u64, Vec<String>) {
    let mut total = 0;
    let mut named = Vec::new();
    for line in texts.iter().flat_map(|t| t.lines()) {
        let Some(rest) = line.strip_prefix(&format!("[{kind}] ")) else {
            continue;
        };
        total += rest
            .split(' ')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        if let Some((_, list)) = rest.split_once(": ") {
            named.extend(
                list.split(", ")
                    .filter(|i| i.contains("(pytest)"))
                    .map(str::to_owned),
            );
        }
    }
    (total, named)
}

#[test]
fn a_burst_of_300_gets_digests_that_count_each_process_once_and_name_the_first() {
    // Issue 19: a burst of 300 processes to Slack gave digests announcing 314 FIRING and
    // 314 RESOLVED, and one that said "14 processes started lingering …, and 14 more"
    // naming none.
    let n = 300u32;
    let fake = common::FakeProc::lingering(n);
    let peer = common::peers::Peer::start("record", &[]);
    let url = format!("{}/hook", peer.origin("http"));
    let d = Daemon::fast(
        fake.root(),
        &[
            "--format",
            "slack",
            "--host-label",
            "host-a",
            "--webhook-url",
            &url,
        ],
        &[],
    );
    common::wait_until(
        30,
        "every FIRING told",
        || (digest_counts(&slack_texts(&peer), "FIRING").0 >= u64::from(n)).then_some(()),
        || format!("{:?}\n{}", slack_texts(&peer), d.log()),
    );
    // A few more ticks: nothing more fires while they all stay.
    d.wait_tick_after(10, lingerwatch::proc::sys::boot_clock_ms() + 2000);
    // 14 tracked processes end: the table takes 14 of those the aggregate counted.
    for pid in 1000..1014 {
        fake.remove(pid);
    }
    common::wait_until(
        30,
        "the first 14 RESOLVED told",
        || (digest_counts(&slack_texts(&peer), "RESOLVED").0 >= 14).then_some(()),
        || format!("{:?}\n{}", slack_texts(&peer), d.log()),
    );
    d.wait_tick_after(10, lingerwatch::proc::sys::boot_clock_ms() + 2000);
    for pid in 1014..1000 + n {
        fake.remove(pid);
    }
    common::wait_until(
        30,
        "every RESOLVED told",
        || (digest_counts(&slack_texts(&peer), "RESOLVED").0 >= u64::from(n)).then_some(()),
        || format!("{:?}\n{}", slack_texts(&peer), d.log()),
    );
    d.wait_tick_after(10, lingerwatch::proc::sys::boot_clock_ms() + 2000);
    let texts = slack_texts(&peer);
    for kind in ["FIRING", "RESOLVED"] {
        let (total, named) = digest_counts(&texts, kind);
        assert_eq!(total, u64::from(n), "{kind}: {texts:#?}");
        assert!(
            named.len() >= lingerwatch::deliver::render::DIGEST_SHOWN,
            "{kind}: {texts:#?}"
        );
        assert!(
            named.iter().any(|i| i == "1000 (pytest)"),
            "{kind}: {texts:#?}"
        );
    }
    assert!(
        texts
            .iter()
            .all(|t| !t.contains(", and") || t.contains("(pytest)")),
        "a digest that counts names some: {texts:#?}"
    );
}
