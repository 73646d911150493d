//! Delivery to real endpoints (issue 11), with the real daemon: a clustered Alertmanager
//! (Debian's), a TLS server signed by a CA the test makes with openssl, tinyproxy as the
//! corporate proxy, hostile servers, several destinations one of which is dead, and every
//! accepted URL form.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::process::Command;
use std::time::Duration;

use common::alertmanager::{statuses_of, AmCluster};
use common::daemon::Daemon;
use common::peers::{fd_count_of, peak_rss_kib_of, thread_count_of, Peer};
use common::pki::Pki;
use common::tinyproxy::Tinyproxy;
use common::webhook::Webhook;
use common::{spawn_orphan, unique_pytest_name, FakeProc};
use serde_json::Value;

fn python(test: &str) -> bool {
    common::peers::have("python3", &["--version"], test)
}

#[test]
fn a_real_alertmanager_cluster_gets_every_alert_on_every_replica_and_resolves_after_a_restart() {
    let hook = Webhook::start();
    let Some(mut am) = AmCluster::start(2, &hook.url()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("am");
    let (orphan, _) = spawn_orphan(dir.path(), &name);
    let pid = orphan.pid.to_string();
    let d = Daemon::start(
        &[
            "--format",
            "alertmanager",
            "--interval-s",
            "1",
            "--age-s",
            "1",
            "--host-label",
            "am-host",
            "--webhook-url",
            &am.api_url(0),
            "--webhook-url",
            &am.api_url(1),
        ],
        &[("WATCHDOG_PROC_PATTERNS", &name)],
    );
    am.wait_active(0, "pid", &pid, true);
    am.wait_active(1, "pid", &pid, true);
    let alert = am
        .alerts(0)
        .into_iter()
        .find(|a| a["labels"]["pid"] == pid.as_str())
        .unwrap();
    assert_eq!(alert["labels"]["alertname"], "LingeringProcess");
    assert_eq!(alert["labels"]["host"], "am-host");
    assert!(alert["labels"]["start_ticks"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    let fingerprint = alert["fingerprint"].clone();
    common::wait_until(
        30,
        "a FIRING notification",
        || {
            statuses_of(&hook.delivered(), "pid", &pid)
                .contains(&"firing".to_owned())
                .then_some(())
        },
        || d.log(),
    );
    // Replica 1 restarts empty: the next re-post makes the alert active there again.
    am.stop(1);
    am.start_empty(1);
    am.wait_active(1, "pid", &pid, true);
    let again = am
        .alerts(1)
        .into_iter()
        .find(|a| a["labels"]["pid"] == pid.as_str())
        .unwrap();
    assert_eq!(
        again["fingerprint"], fingerprint,
        "the same labels on every post"
    );
    // Replica 1 down again; the process dies: the survivor resolves it.
    am.stop(1);
    common::kill(orphan.pid);
    am.wait_active(0, "pid", &pid, false);
    common::wait_until(
        30,
        "a RESOLVED notification",
        || {
            (statuses_of(&hook.delivered(), "pid", &pid)
                .last()
                .map(String::as_str)
                == Some("resolved"))
            .then_some(())
        },
        || d.log(),
    );
    // Replica 1 back, empty: the RESOLVED owed to it arrives, and nothing is active.
    let am1 = am.api_url(1);
    am.start_empty(1);
    let received_resolved = || {
        let metrics = common::http::get(&am.url(1, "/metrics")).unwrap().body;
        common::node_exporter::sample(
            &metrics,
            "alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"}",
        )
        .unwrap_or(0.0)
    };
    common::wait_until(
        30,
        "replica 1 to receive the RESOLVED",
        || (received_resolved() >= 1.0).then_some(()),
        || d.log(),
    );
    assert!(!am.active(1, "pid", &pid), "{:#?}", am.alerts(1));
    assert!(d.log().contains(&format!("to {am1}")), "{}", d.log());
}

#[test]
fn a_burst_reaches_alertmanager_in_batches_within_two_ticks() {
    use lingerwatch::alert::{ALERT_CAPACITY, BATCH_MAX};
    let hook = Webhook::start();
    let Some(am) = AmCluster::start(2, &hook.url()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = unique_pytest_name("amburst");
    let crowd = common::Crowd::spawn(dir.path(), &name, ALERT_CAPACITY + 44, 600);
    // Older than the threshold before the first tick: they all linger at once.
    std::thread::sleep(Duration::from_millis(2100));
    let d = Daemon::start(
        &[
            "--format",
            "alertmanager",
            "--interval-s",
            "2",
            "--age-s",
            "1",
            "--webhook-url",
            &am.api_url(0),
            "--webhook-url",
            &am.api_url(1),
        ],
        &[("WATCHDOG_PROC_PATTERNS", &name)],
    );
    let first = d.wait_tick_after(30, 0);
    // Within two ticks every tracked process is active on both replicas.
    d.wait_tick_after(30, first + 2000);
    for i in 0..2 {
        let active = am
            .alerts(i)
            .iter()
            .filter(|a| a["labels"]["alertname"] == "LingeringProcess")
            .count();
        assert_eq!(active, ALERT_CAPACITY, "replica {i}");
        assert!(am
            .alerts(i)
            .iter()
            .any(|a| a["labels"]["alertname"] == "LingeringProcessesUntracked"));
    }
    // POSTs per tick per replica: at most ceil(alerts / batch), counted from the log (one
    // line per POST) against what Alertmanager says it received.
    let before = d.log();
    let t0 = common::heartbeat_ms(&d.heartbeat()).unwrap();
    d.wait_tick_after(30, t0 + 4000);
    let after = d.log();
    let ticks = 3; // t0 excluded: the ticks after it, up to the one after t0 + 4 s
    let alerts = ALERT_CAPACITY + 1;
    let per_tick = alerts.div_ceil(BATCH_MAX);
    for i in 0..2 {
        let to = format!("to {} (HTTP 200)", am.api_url(i));
        let posts = after[before.len()..]
            .lines()
            .filter(|l| l.contains(&to))
            .count();
        assert!(
            posts <= per_tick * (ticks + 1),
            "replica {i}: {posts} POSTs in {ticks} ticks"
        );
        assert!(posts >= per_tick, "replica {i}: refreshed: {posts}");
    }
    assert!(!after.contains("failed"), "{after}");
    drop(crowd);
}

#[test]
fn https_to_a_server_of_a_private_ca_needs_the_ca_file_and_says_why_without_it() {
    if !python("tls") || !common::peers::have("openssl", &["version"], "tls") {
        return;
    }
    let pki = Pki::new();
    let good = pki.leaf("good", "IP:127.0.0.1", false);
    let other = pki.leaf("other", "DNS:elsewhere.example", false);
    let expired = pki.leaf("expired", "IP:127.0.0.1", true);
    let fake = FakeProc::lingering(1);
    let once = |leaf: &common::pki::Leaf, ca: Option<&std::path::Path>| {
        let peer = Peer::start(
            "record",
            &[
                "--tls",
                leaf.cert.to_str().unwrap(),
                leaf.key.to_str().unwrap(),
            ],
        );
        let mut cmd = fake.once_to(&format!("{}/hook", peer.origin("https")));
        if let Some(ca) = ca {
            cmd.env("WATCHDOG_WEBHOOK_CA_FILE", ca);
        }
        let out = cmd.output().unwrap();
        (
            peer.requests().len(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (got, log) = once(&good, Some(&pki.ca));
    assert_eq!(got, 1, "delivered with the CA file: {log}");
    assert!(
        log.contains("sent firing pid 1000 to https://127.0.0.1:"),
        "{log}"
    );
    for (leaf, ca, why) in [
        (&good, None, "unknown issuer"),
        (&other, Some(pki.ca.as_path()), "not valid for this name"),
        (&expired, Some(pki.ca.as_path()), "expired"),
    ] {
        let (got, log) = once(leaf, ca);
        assert_eq!(got, 0);
        let line = log
            .lines()
            .find(|l| l.contains("delivery of firing pid 1000"))
            .unwrap_or("");
        assert!(line.contains(why), "{why}: {log}");
    }
}

#[test]
fn a_proxy_carries_https_and_http_no_proxy_bypasses_it_and_its_password_never_shows() {
    if !python("proxy") || !common::peers::have("openssl", &["version"], "proxy") {
        return;
    }
    if !common::peers::have("tinyproxy", &["-v"], "proxy") {
        return;
    }
    let pki = Pki::new();
    let leaf = pki.leaf("good", "IP:127.0.0.1", false);
    let tls_peer = Peer::start(
        "record",
        &[
            "--tls",
            leaf.cert.to_str().unwrap(),
            leaf.key.to_str().unwrap(),
        ],
    );
    let plain_peer = Peer::start("record", &[]);
    let proxy = Tinyproxy::start(&[tls_peer.port, plain_peer.port], Some(("lw", "s3cr3t-pw")));
    let proxy_url = format!("http://lw:s3cr3t-pw@127.0.0.1:{}", proxy.port);
    let fake = FakeProc::lingering(1);
    let once = |url: String, extra_env: &[(&str, &str)]| {
        let mut cmd = fake.once_to(&url);
        cmd.env_clear()
            .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
            .env("WATCHDOG_WEBHOOK_CA_FILE", &pki.ca)
            .env("HTTPS_PROXY", &proxy_url)
            .env("http_proxy", &proxy_url);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let log = once(format!("{}/hook", tls_peer.origin("https")), &[]);
    assert!(
        log.contains(&format!(
            "(through proxy http://***@127.0.0.1:{})",
            proxy.port
        )),
        "{log}"
    );
    assert_eq!(tls_peer.requests().len(), 1, "{log}");
    proxy.wait_for_log(&format!("CONNECT 127.0.0.1:{}", tls_peer.port));
    let log2 = once(format!("{}/hook", plain_peer.origin("http")), &[]);
    assert_eq!(plain_peer.requests().len(), 1, "{log2}");
    proxy.wait_for_log(&format!("127.0.0.1:{}/hook", plain_peer.port));
    let before = proxy.log().len();
    let log3 = once(
        format!("{}/hook", plain_peer.origin("http")),
        &[("NO_PROXY", "127.0.0.1")],
    );
    assert!(log3.contains("(direct)"), "{log3}");
    assert_eq!(plain_peer.requests().len(), 2);
    assert!(
        !proxy.log()[before..].contains(&plain_peer.port.to_string()),
        "NO_PROXY went through the proxy"
    );
    for l in [&log, &log2, &log3] {
        assert!(
            !l.contains("s3cr3t-pw"),
            "the proxy password in stderr: {l}"
        );
    }
}

/// Every accepted URL form: where the request really went, and the masked line.
#[test]
fn every_accepted_url_form_reaches_the_address_the_log_names_with_its_secrets_masked() {
    if !python("url forms") {
        return;
    }
    let peer = Peer::start("record", &[]);
    let p = peer.port;
    let fake = FakeProc::lingering(1);
    let cases: Vec<(String, String, &str)> = vec![
        (
            format!("http://127.0.0.1:{p}/hook"),
            format!("http://127.0.0.1:{p}/hook"),
            "/hook",
        ),
        (
            format!("HTTP://127.0.0.1:{p}/a/b?token=SECRET1#frag"),
            format!("http://127.0.0.1:{p}/a/b?***"),
            "/a/b?token=SECRET1",
        ),
        (
            format!("http://user:SECRET2@127.0.0.1:{p}/x?token=SECRET3"),
            format!("http://***@127.0.0.1:{p}/x?***"),
            "/x?token=SECRET3",
        ),
        (
            format!("http://127.0.0.1:{p}/hook;sid=SECRET4"),
            format!("http://127.0.0.1:{p}/hook;***"),
            "/hook;sid=SECRET4",
        ),
        (
            format!("http://127.0.0.1:{p}/bot123:SECRET5/sendMessage"),
            format!("http://127.0.0.1:{p}/bot123:SECRET5/sendMessage"),
            "/bot123:SECRET5/sendMessage",
        ),
    ];
    for (i, (url, masked, path)) in cases.iter().enumerate() {
        let out = fake.once_to(url).output().unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains(&format!("alerts to {masked} (direct)")),
            "{url}: {log}"
        );
        let reqs = peer.requests();
        let req = &reqs[i];
        assert_eq!(req["line"], format!("POST {path} HTTP/1.1"), "{url}");
        assert_eq!(req["headers"]["host"], format!("127.0.0.1:{p}"), "{url}");
        if url.contains("SECRET2") {
            assert!(req["headers"]["authorization"]
                .as_str()
                .unwrap()
                .starts_with("Basic "));
        }
        for secret in ["SECRET1", "SECRET2", "SECRET3", "SECRET4"] {
            assert!(!log.contains(secret), "{secret} in the log of {url}: {log}");
        }
    }
    if common::peers::have_ipv6_loopback("url forms") {
        let v6 = Peer::start_on("::1", "record", &[]);
        let url = format!("http://[::1]:{}/v6", v6.port);
        let out = fake.once_to(&url).output().unwrap();
        assert_eq!(
            v6.requests().len(),
            1,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Refused at start, masked, whatever the form.
    for (url, shown) in [
        ("http://127.0.0.1:99999/x", "port"),
        ("ftp://host/bot1:SECRET6/sendMessage", "scheme"),
        ("http://u:SECRET7@/x", "host"),
        ("http://a b/SECRET8", "space"),
    ] {
        let out = Command::new(common::bin())
            .args(["run", "--once", "--webhook-url", url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(shown), "{url}: {err}");
        assert!(!err.contains("SECRET"), "{url}: {err}");
    }
}

/// The daemon's own threads, fds and peak RSS.
fn resources(pid: u32) -> (usize, usize, u64) {
    (thread_count_of(pid), fd_count_of(pid), peak_rss_kib_of(pid))
}

#[test]
fn no_hostile_server_can_hold_up_a_tick_leave_a_thread_or_socket_or_grow_the_daemon() {
    if !python("hostile") {
        return;
    }
    let second = Peer::start("record", &[]);
    let to = format!("{}/elsewhere", second.origin("http"));
    let modes: [(&str, &[&str], &str); 10] = [
        ("never", &[], "timed out"),
        ("trickle-body", &[], "HTTP 500"),
        ("big", &[], "HTTP 500"),
        ("endless", &[], "HTTP 500"),
        ("endless-header", &[], "head"),
        ("reset", &[], "reset"),
        ("garbage", &[], "not an HTTP answer"),
        ("redirect-loop", &[], "redirected to"),
        ("redirect-fresh", &[], "redirected to"),
        ("redirect-to", &["--to", &to], "redirected to"),
    ];
    let fake = FakeProc::lingering(1);
    for (mode, extra, says) in modes {
        let peer = Peer::start(mode, extra);
        let url = format!("{}/hook", peer.origin("http"));
        let d = Daemon::fast(
            fake.root(),
            &["--webhook-url", &url],
            &[("WATCHDOG_WEBHOOK_TIMEOUT_S", "2")],
        );
        let first = d.wait_tick_after(10, 0);
        let baseline = resources(d.pid());
        // Several attempts (or one refusal), and the ticks keep their schedule.
        let log = d.wait_log(20, says);
        d.wait_tick_after(20, first + 6000);
        let (code, said) = d.health();
        assert_eq!(code, Some(0), "{mode}: {}", said);
        let (threads, fds, hwm) = resources(d.pid());
        // For BENCHMARKS.md (with --nocapture, and LINGERWATCH_BIN for a static build).
        eprintln!("hostile server {mode}: VmHWM {hwm} KiB (at the first tick {} KiB), threads {threads}, fds {fds}", baseline.2);
        assert!(
            threads <= baseline.0,
            "{mode}: threads {threads} > {}",
            baseline.0
        );
        // A request may be in flight right now: one socket at most.
        assert!(fds <= baseline.1 + 1, "{mode}: fds {fds} > {}", baseline.1);
        assert!(
            hwm < baseline.2 + 2048,
            "{mode}: VmHWM {hwm} KiB from {} KiB",
            baseline.2
        );
        assert_eq!(second.connections(), 0, "{mode}: the body went elsewhere");
        if mode.starts_with("redirect") {
            assert_eq!(
                peer.connections(),
                1,
                "{mode}: refused once, never retried: {log}"
            );
        }
    }
}

#[test]
fn a_dead_destination_never_delays_the_live_one_and_gets_its_backlog_in_order() {
    let live = Webhook::start();
    let mut dead = Webhook::start();
    dead.stop();
    let fake = FakeProc::lingering(2);
    let d = Daemon::fast(
        fake.root(),
        &["--webhook-url", &live.url(), "--webhook-url", &dead.url()],
        &[],
    );
    live.wait_for(10, "two FIRING", |got| got.len() >= 2);
    fake.remove(1000);
    live.wait_for(10, "the RESOLVED", |got| got.len() >= 3);
    fake.add(1002, "pytest", 1, 1, b"pytest\0late\0");
    let got = live.wait_for(10, "the third FIRING", |got| got.len() >= 4);
    let order = |got: &[Value]| -> Vec<(String, u64)> {
        got.iter()
            .map(|v| {
                (
                    v["status"].as_str().unwrap().to_owned(),
                    v["pid"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let want = vec![
        ("firing".to_owned(), 1000),
        ("firing".to_owned(), 1001),
        ("resolved".to_owned(), 1000),
        ("firing".to_owned(), 1002),
    ];
    assert_eq!(order(&got), want);
    assert!(
        d.log().contains(&format!("to {} failed", dead.url())),
        "{}",
        d.log()
    );
    dead.restart();
    let backlog = dead.wait_for(30, "the backlog", |got| got.len() >= 4);
    assert_eq!(order(&backlog), want, "the same messages in the same order");
}

/// `run --once` on one lingering process in `format`, posting to `url` (through the
/// http proxy `proxy` when set): its log.
fn once_in_format(format: &str, url: &str, proxy: Option<&str>) -> String {
    let fake = FakeProc::lingering(1);
    let mut cmd = fake.once_to(url);
    cmd.args(["--format", format])
        .env("WATCHDOG_TELEGRAM_CHAT_ID", "-100123")
        .env_remove("no_proxy")
        .env_remove("NO_PROXY");
    if let Some(proxy) = proxy {
        cmd.env("http_proxy", proxy);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Issue 19, item 3: in a chat format the path is the hook's secret on any host. The log
/// names the destination `masked` on the start-up line and the send line, and never
/// holds SECRET.
fn assert_masked(log: &str, masked: &str, sent: &str) {
    assert!(log.contains(&format!("alerts to {masked} ")), "{log}");
    assert!(log.contains(&format!("{sent} {masked}")), "{log}");
    assert!(!log.contains("SECRET"), "{log}");
}

#[test]
fn a_self_hosted_bot_api_token_never_shows_in_the_log_in_telegram_format() {
    if !python("self-hosted bot api") {
        return;
    }
    let peer = Peer::start("record", &[]);
    let origin = peer.origin("http");
    let log = once_in_format(
        "telegram",
        &format!("{origin}/bot123456:SECRETTOKEN/sendMessage"),
        None,
    );
    assert_eq!(peer.requests().len(), 1, "{log}");
    let masked = format!("{origin}/bot***/sendMessage");
    assert_masked(&log, &masked, "sent firing pid 1000 to");
}

#[test]
fn a_mattermost_hook_key_never_shows_in_the_log_in_slack_format() {
    if !python("mattermost") {
        return;
    }
    let peer = Peer::start("record", &[]);
    let origin = peer.origin("http");
    let log = once_in_format("slack", &format!("{origin}/hooks/SECRETKEY"), None);
    assert_eq!(peer.requests().len(), 1, "{log}");
    assert_masked(&log, &format!("{origin}/***"), "sent firing pid 1000 to");
}

#[test]
fn a_slack_gov_hook_never_shows_in_the_log() {
    if !python("slack-gov") {
        return;
    }
    // Through a proxy that answers for every host, so the name need not resolve.
    let peer = Peer::start("record", &[]);
    let log = once_in_format(
        "slack",
        "http://hooks.slack-gov.com/services/T0/B0/SECRETKEY",
        Some(&peer.origin("http")),
    );
    assert_eq!(peer.requests().len(), 1, "{log}");
    assert_masked(
        &log,
        "http://hooks.slack-gov.com/services/***",
        "sent firing pid 1000 to",
    );
}

#[test]
fn a_discord_hook_on_another_host_never_shows_in_the_log() {
    if !python("discord elsewhere") {
        return;
    }
    let peer = Peer::start("record", &[]);
    let log = once_in_format(
        "discord",
        "http://discord-relay.example/api/webhooks/123/SECRETTOKEN",
        Some(&peer.origin("http")),
    );
    assert_eq!(peer.requests().len(), 1, "{log}");
    assert_masked(
        &log,
        "http://discord-relay.example/***",
        "sent firing pid 1000 to",
    );
}

#[test]
fn a_redirect_to_a_bot_path_never_shows_its_token_in_the_log() {
    if !python("redirect to a bot path") {
        return;
    }
    let peer = Peer::start(
        "redirect-to",
        &["--to", "https://tg.example/bot777:SECRETMOVED/sendMessage"],
    );
    let origin = peer.origin("http");
    let log = once_in_format(
        "telegram",
        &format!("{origin}/bot123:SECRETTOKEN/sendMessage"),
        None,
    );
    let masked = format!("{origin}/bot***/sendMessage");
    assert_masked(&log, &masked, "");
    assert!(
        log.contains("redirected to https://tg.example/bot***/sendMessage;"),
        "{log}"
    );
}

/// Issue 19: once the status line says 2xx the message is delivered, whatever the rest of
/// the head holds (a folded header, two Content-Length values, a leading blank line):
/// retrying it sent the server duplicates.
#[test]
fn a_2xx_answer_with_a_malformed_head_is_delivered_once() {
    if !python("malformed 2xx") {
        return;
    }
    for mode in ["folded-2xx", "two-lengths-2xx", "blank-line-2xx"] {
        let peer = Peer::start(mode, &[]);
        let fake = FakeProc::new();
        fake.add(1000, "pytest", 1, 1, b"pytest\0");
        let url = format!("http://127.0.0.1:{}/hook", peer.port);
        let d = Daemon::fast(fake.root(), &["--webhook-url", &url], &[]);
        d.wait_log(10, "sent firing");
        // Two more ticks: a retry would come after one.
        let t = d.wait_tick_after(10, 0);
        let t = d.wait_tick_after(10, t);
        d.wait_tick_after(10, t);
        let log = d.log();
        assert_eq!(peer.requests().len(), 1, "{mode}: {log}");
        assert!(!log.contains("failed"), "{mode}: {log}");
    }
}

/// Issue 19: `Retry-After` on a 429 (or 503) is honoured: no attempt comes sooner than it
/// says (the usual backoff would retry after one tick, a second here).
#[test]
fn retry_after_on_a_429_holds_the_next_attempt_back() {
    if !python("retry-after") {
        return;
    }
    let peer = Peer::start("record", &["--status", "429", "--header", "Retry-After: 3"]);
    let fake = FakeProc::new();
    fake.add(1000, "pytest", 1, 1, b"pytest\0");
    let url = format!("http://127.0.0.1:{}/hook", peer.port);
    let d = Daemon::fast(fake.root(), &["--webhook-url", &url], &[]);
    let times = common::wait_until(
        15,
        "a second attempt",
        || {
            let r = peer.requests();
            (r.len() >= 2).then(|| (r[0]["t"].as_f64().unwrap(), r[1]["t"].as_f64().unwrap()))
        },
        || d.log(),
    );
    let gap = times.1 - times.0;
    assert!(gap >= 2.9, "retried after {gap:.2}s: {}", d.log());
    assert!(d.log().contains("retrying in 3s"), "{}", d.log());
}
