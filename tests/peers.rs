//! Self-test of the harnesses for the real peers nobody here wrote (tests/common/
//! alertmanager.rs, node_exporter.rs): Debian's Alertmanager cluster, node_exporter and
//! promtool, driven by plain HTTP from Rust (what curl would send), never by lingerwatch.
//! It also pins how the cluster behaves where lingerwatch's tests depend on it.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::alertmanager::{rfc3339, statuses_of, AmCluster, PEER_TIMEOUT};
use common::node_exporter::{
    promtool_check_metrics, promtool_check_rules, sample, NodeExporter, PROMTOOL,
};
use common::webhook::Webhook;
use common::{http, require_or_skip};

/// A one-alert body for `POST /api/v2/alerts`; `ends_at` = None lets Alertmanager set
/// now + resolve_timeout.
fn alert(name: &str, ends_at: Option<SystemTime>) -> String {
    let ends = ends_at.map_or(String::new(), |t| format!(r#","endsAt":"{}""#, rfc3339(t)));
    format!(
        r#"[{{"labels":{{"alertname":"{name}","job":"peers-selftest"}},"annotations":{{"summary":"harness self-test"}}{ends}}}]"#
    )
}

fn firing_count(hook: &Webhook, name: &str) -> usize {
    statuses_of(&hook.delivered(), "alertname", name)
        .iter()
        .filter(|s| *s == "firing")
        .count()
}

/// Waits until every listed replica has finished `n` flushes of `name`'s group, i.e. has
/// decided n times whether to notify.
fn wait_flushes(am: &AmCluster, replicas: &[usize], name: &str, n: usize) {
    common::wait_until(
        30,
        &format!("{n} finished flushes of {name} on replicas {replicas:?}"),
        || {
            replicas
                .iter()
                .all(|&i| am.flushes(i, "alertname", name).len() > n)
                .then_some(())
        },
        || am.tails(),
    );
}

#[test]
fn alertmanager_pair_dedups_forgets_on_empty_restart_and_resolves() {
    let hook = Webhook::start();
    let t = Instant::now();
    let Some(mut am) = AmCluster::start(2, &hook.url()) else {
        return;
    };
    eprintln!("timing: 2 replicas ready and settled in {:?}", t.elapsed());
    let name = "PeersSelfTestPair";

    // Both replicas get the alert, as lingerwatch posts to every replica.
    let t = Instant::now();
    am.post_alerts(0, &alert(name, None));
    am.post_alerts(1, &alert(name, None));
    am.wait_active(0, "alertname", name, true);
    am.wait_active(1, "alertname", name, true);
    hook.wait_for(30, "a firing notification", |d| {
        statuses_of(d, "alertname", name).contains(&"firing".to_owned())
    });
    eprintln!("timing: post → firing at the webhook in {:?}", t.elapsed());
    // (c) Once both replicas have decided twice, the nflog has deduplicated: one firing.
    wait_flushes(&am, &[0, 1], name, 2);
    assert_eq!(firing_count(&hook, name), 1, "{:#?}", hook.delivered());

    // (b) A replica started with empty storage holds no alert until a client re-posts.
    let t = Instant::now();
    am.stop(1);
    am.start_empty(1);
    eprintln!("timing: stop + start_empty + rejoin in {:?}", t.elapsed());
    assert!(am.alerts(1).is_empty(), "{:#?}", am.alerts(1));
    assert!(am.active(0, "alertname", name));
    am.post_alerts(1, &alert(name, None));
    am.wait_active(1, "alertname", name, true);
    // It got the nflog from its peer on joining: the re-post notifies nobody again.
    wait_flushes(&am, &[1], name, 2);
    assert_eq!(firing_count(&hook, name), 1, "{:#?}", hook.delivered());

    // (d) endsAt = now, to both: resolved at the webhook, listed by neither replica.
    let t = Instant::now();
    let now = SystemTime::now();
    am.post_alerts(0, &alert(name, Some(now)));
    am.post_alerts(1, &alert(name, Some(now)));
    hook.wait_for(30, "a resolved notification", |d| {
        statuses_of(d, "alertname", name).contains(&"resolved".to_owned())
    });
    eprintln!(
        "timing: endsAt=now → resolved at the webhook in {:?}",
        t.elapsed()
    );
    am.wait_active(0, "alertname", name, false);
    am.wait_active(1, "alertname", name, false);
    assert!(am.alerts(0).is_empty() && am.alerts(1).is_empty());
    // The replica at position 1 may still send a stale firing (upstream #2447) before its
    // own flush of the resolved alert; once both have flushed it resolved, the alert's
    // last word is resolved.
    common::wait_until(
        30,
        "both replicas to flush the alert resolved, and resolved to be the last word",
        || {
            let flushed = (0..2).all(|i| {
                let lines = am.flushes(i, "alertname", name);
                lines.iter().any(|l| l.contains("[resolved]"))
            });
            let statuses = statuses_of(&hook.delivered(), "alertname", name);
            (flushed && statuses.last().map(String::as_str) == Some("resolved")).then_some(())
        },
        || format!("{:#?}\n{}", hook.delivered(), am.tails()),
    );
    eprintln!(
        "timing: resolve → quiet in {:?}; statuses seen: {:?} (peer timeout {PEER_TIMEOUT})",
        t.elapsed(),
        statuses_of(&hook.delivered(), "alertname", name)
    );
}

#[test]
fn an_alert_posted_to_one_replica_is_not_gossiped_to_the_other() {
    let hook = Webhook::start();
    let Some(am) = AmCluster::start(2, &hook.url()) else {
        return;
    };
    let name = "PeersSelfTestOneReplica";
    am.post_alerts(0, &alert(name, None));
    am.wait_active(0, "alertname", name, true);

    // A silence IS gossiped: once replica 1 lists the one made on replica 0, gossip has
    // carried everything it carries, and the alert is still not there.
    let now = SystemTime::now();
    let silence = format!(
        r#"{{"matchers":[{{"name":"alertname","value":"NothingMatches","isRegex":false}}],"startsAt":"{}","endsAt":"{}","createdBy":"peers.rs","comment":"gossip probe"}}"#,
        rfc3339(now),
        rfc3339(now + Duration::from_secs(3600))
    );
    let r = http::post_json(&am.url(0, "/api/v2/silences"), &silence).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    common::wait_until(
        30,
        "the silence made on replica 0 to reach replica 1",
        || {
            let r = http::get(&am.url(1, "/api/v2/silences")).ok()?;
            r.body.contains("gossip probe").then_some(())
        },
        || am.tails(),
    );
    assert!(!am.active(1, "alertname", name), "{:#?}", am.alerts(1));
    assert!(am.alerts(1).is_empty(), "{:#?}", am.alerts(1));
}

/// Writes a textfile-collector file whole (a scrape never sees half of it).
fn write_prom(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!("{name}.tmp"));
    fs::write(&tmp, text).unwrap();
    fs::rename(tmp, dir.join(name)).unwrap();
}

#[test]
fn node_exporter_exposes_textfiles_and_flags_a_malformed_one() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let Some(ne) = NodeExporter::start(dir.path()) else {
        return;
    };
    eprintln!("timing: node_exporter ready in {:?}", t.elapsed());
    write_prom(
        dir.path(),
        "lw.prom",
        "# HELP lw_selftest_orphans Orphans seen.\n# TYPE lw_selftest_orphans gauge\nlw_selftest_orphans{pattern=\"pytest\"} 3\n",
    );
    let text = ne.scrape();
    assert_eq!(
        sample(&text, "lw_selftest_orphans{pattern=\"pytest\"}"),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "node_textfile_scrape_error"),
        Some(0.0),
        "{text}"
    );

    write_prom(dir.path(), "bad.prom", "lw_broken{pattern=\"x\" 1\n");
    let text = ne.wait_sample("node_textfile_scrape_error", 1.0);
    // The good file is still exposed beside the broken one.
    assert_eq!(
        sample(&text, "lw_selftest_orphans{pattern=\"pytest\"}"),
        Some(3.0),
        "{text}"
    );
    assert!(!text.contains("lw_broken"), "{text}");

    fs::remove_file(dir.path().join("bad.prom")).unwrap();
    ne.wait_sample("node_textfile_scrape_error", 0.0);
}

#[test]
fn promtool_accepts_good_and_rejects_bad_expositions_and_rules() {
    if !require_or_skip(PROMTOOL) {
        return;
    }
    let good = "# HELP lw_alerts_sent_total Alerts sent.\n# TYPE lw_alerts_sent_total counter\nlw_alerts_sent_total 2\n";
    assert_eq!(promtool_check_metrics(good), Ok(()));
    let unparsable = "# TYPE lw_x gauge\nlw_x{a=\"1\" 1\n";
    let err = promtool_check_metrics(unparsable).unwrap_err();
    assert!(err.contains("parsing error"), "{err}");
    let lint = "lw_alerts_sent_total 2\n"; // no HELP: a lint problem, exit 3
    let err = promtool_check_metrics(lint).unwrap_err();
    assert!(err.contains("no help text"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let good_rules = dir.path().join("good.yml");
    fs::write(
        &good_rules,
        "groups:\n  - name: lingerwatch\n    rules:\n      - alert: LingeringProcess\n        expr: lw_selftest_orphans > 0\n        for: 1m\n",
    )
    .unwrap();
    assert_eq!(promtool_check_rules(&good_rules), Ok(()));
    let bad_rules = dir.path().join("bad.yml");
    fs::write(
        &bad_rules,
        "groups:\n  - name: lingerwatch\n    rules:\n      - alert: LingeringProcess\n        expr: lw_selftest_orphans >\n",
    )
    .unwrap();
    let err = promtool_check_rules(&bad_rules).unwrap_err();
    assert!(err.contains("could not parse expression"), "{err}");
}
