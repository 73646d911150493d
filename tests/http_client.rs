//! The webhook client against real peers on 127.0.0.1 (and ::1) that the tests start:
//! hostile Python servers, a Python `ssl` server with certificates from a CA made with the
//! `openssl` CLI, and Debian's tinyproxy. scripts/install-test-peers.sh installs them; a
//! test whose peer is missing fails under CI=true and is SKIPPED (loudly) otherwise.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::time::{Duration, Instant};

use common::peers::{fd_count, have, have_ipv6_loopback, peak_rss_kib, thread_count, Peer};
use common::tinyproxy::Tinyproxy;
use lingerwatch::alert::outbox::Outcome;
use lingerwatch::deliver::net::proxy::{self, Proxy};
use lingerwatch::deliver::net::resolve::DnsFailure;
use lingerwatch::deliver::net::response::HeadError;
use lingerwatch::deliver::net::{post, Answer, Endpoint, HttpError};
use lingerwatch::deliver::url::{UrlError, WebhookUrl};
use lingerwatch::deliver::{send, Attempt, Target};

const BODY: &[u8] = br#"{"status":"firing","pid":4242}"#;

fn endpoint(url: &str, timeout: Duration) -> Endpoint {
    Endpoint::new(url, timeout).unwrap()
}

fn python(test: &str) -> bool {
    have("python3", &["--version"], test)
}

/// What a hostile server should get from `post`.
#[derive(Debug)]
enum Expect {
    Error(HttpError),
    /// An answer with this status; then a check of it.
    Answer(u16, fn(&Answer, &Peer)),
}

struct Case {
    mode: &'static str,
    args: Vec<String>,
    path: &'static str,
    timeout: Duration,
    expect: Expect,
}

const SLOW: Duration = Duration::from_millis(500);
const FAST: Duration = Duration::from_secs(5);
/// Requests per hostile server, after which threads and fds must be as before.
const ROUNDS: usize = 20;

fn hostile_cases(second: &Peer) -> Vec<Case> {
    let case = |mode, args: &[String], path, timeout, expect| Case {
        mode,
        args: args.to_vec(),
        path,
        timeout,
        expect,
    };
    let stolen = format!("{}/stolen?token=abc", second.origin("http"));
    vec![
        case(
            "never",
            &[],
            "/hook",
            SLOW,
            Expect::Error(HttpError::TimedOut),
        ),
        case(
            "trickle-head",
            &[],
            "/hook",
            SLOW,
            Expect::Error(HttpError::TimedOut),
        ),
        case(
            "trickle-body",
            &[],
            "/hook",
            SLOW,
            Expect::Answer(500, |a, _| {
                assert!(a.body_head.as_bytes().iter().all(|&b| b == b'x'), "{a:?}");
                assert!(
                    a.body_head.as_bytes().len() < 200,
                    "cut at the deadline: {a:?}"
                );
            }),
        ),
        case(
            "big",
            &["--status".into(), "200".into()],
            "/hook",
            FAST,
            Expect::Answer(200, |a, _| assert!(a.body_head.as_bytes().is_empty())),
        ),
        case(
            "big",
            &["--status".into(), "500".into()],
            "/hook",
            FAST,
            Expect::Answer(500, |a, _| {
                assert_eq!(a.body_head.as_bytes(), &[b'x'; 200][..]);
                assert!(a.body_head.is_cut());
            }),
        ),
        case(
            "endless",
            &[],
            "/hook",
            FAST,
            Expect::Answer(500, |a, _| {
                assert_eq!(a.body_head.as_bytes(), &[b'y'; 200][..]);
            }),
        ),
        case(
            "endless-header",
            &[],
            "/hook",
            FAST,
            Expect::Error(HttpError::HeadTooLong),
        ),
        case(
            "redirect-loop",
            &[],
            "/loop?token=abc",
            FAST,
            Expect::Answer(302, |a, _| {
                assert_eq!(a.location.as_ref().unwrap().as_bytes(), b"/loop?token=abc");
            }),
        ),
        case(
            "redirect-fresh",
            &[],
            "/hook",
            FAST,
            Expect::Answer(302, |a, _| {
                let location = a.location.as_ref().unwrap().as_bytes();
                assert!(location.starts_with(b"/fresh/"), "{a:?}");
            }),
        ),
        case(
            "redirect-to",
            &["--to".into(), stolen],
            "/hook",
            FAST,
            Expect::Answer(302, |a, second| {
                let location = a.location.as_ref().unwrap().as_bytes();
                let want = format!("{}/stolen?token=abc", second.origin("http"));
                assert_eq!(location, want.as_bytes());
            }),
        ),
        case("reset", &[], "/hook", FAST, Expect::Error(HttpError::Reset)),
        case(
            "garbage",
            &[],
            "/hook",
            FAST,
            Expect::Error(HttpError::NotHttp(HeadError::NotHttp)),
        ),
    ]
}

/// Runs every hostile server in a process of its own (the child test below), so that its
/// thread, fd and memory counts are this client's alone, not those of tests running
/// beside it.
#[test]
fn hostile_servers_cost_one_connection_each_and_leave_nothing_behind() {
    if !python("hostile_servers") {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "hostile_servers_in_a_fresh_process", "--ignored"])
        .args(["--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "the child test failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the child test did not run:\n{text}"
    );
}

#[test]
#[ignore = "run in a fresh process by hostile_servers_cost_one_connection_each_and_leave_nothing_behind"]
fn hostile_servers_in_a_fresh_process() {
    let second = Peer::start("record", &[]);
    let cases = hostile_cases(&second);
    let peers: Vec<Peer> = cases
        .iter()
        .map(|c| {
            let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
            Peer::start(c.mode, &args)
        })
        .collect();
    let peak_before = peak_rss_kib();
    for (case, peer) in cases.iter().zip(&peers) {
        let ep = endpoint(
            &format!("{}{}", peer.origin("http"), case.path),
            case.timeout,
        );
        let (threads, fds) = (thread_count(), fd_count());
        for round in 0..ROUNDS {
            let started = Instant::now();
            let got = post(&ep, BODY);
            let took = started.elapsed();
            let what = format!(
                "{} {:?} round {round}: {got:?} after {took:?}",
                case.mode, case.args
            );
            assert!(took <= case.timeout + Duration::from_secs(1), "{what}");
            match (&case.expect, &got) {
                (Expect::Error(want), Err(e)) => assert_eq!(e, want, "{what}"),
                (Expect::Answer(status, check), Ok(a)) => {
                    assert_eq!(a.status, *status, "{what}");
                    check(a, &second);
                }
                _ => panic!("{what}: expected {:?}", case.expect),
            }
        }
        assert_eq!(
            peer.connections(),
            ROUNDS,
            "{}: one connection per request, no retry, no redirect followed",
            case.mode
        );
        assert_eq!(
            thread_count(),
            threads,
            "{}: threads left behind",
            case.mode
        );
        assert_eq!(fd_count(), fds, "{}: sockets left open", case.mode);
        println!(
            "{:>15}: {ROUNDS} requests, {ROUNDS} connections, threads {threads}, fds {fds}",
            case.mode
        );
    }
    assert_eq!(
        second.connections(),
        0,
        "a redirect to another port is never followed"
    );
    let growth = peak_rss_kib().saturating_sub(peak_before);
    println!("VmHWM {peak_before} KiB before, grew by {growth} KiB");
    assert!(growth < 4 * 1024, "peak RSS grew by {growth} KiB");
}

#[test]
fn a_closed_port_is_connection_refused_and_an_unknown_name_a_dns_failure() {
    let closed = common::ClosedPort::bind();
    let got = post(
        &endpoint(&format!("http://127.0.0.1:{}/x", closed.port), FAST),
        BODY,
    );
    assert_eq!(got, Err(HttpError::Refused));
    assert_eq!(got.unwrap_err().to_string(), "connection refused");
    // .invalid never resolves (RFC 2606): the resolver says the name does not exist.
    let got = post(&endpoint("http://lingerwatch-test.invalid/x", FAST), BODY);
    assert_eq!(got, Err(HttpError::Dns(DnsFailure::NoSuchName)));
    assert_eq!(got.unwrap_err().to_string(), "DNS: no such name");
}

/// Issue 19: a resolver that does not answer is not "no such name". The daemon runs in a
/// mount namespace of its own whose resolv.conf names a nameserver where none listens.
#[test]
fn a_resolver_that_does_not_answer_is_told_from_a_name_that_does_not_exist() {
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        common::cannot_run("unshare -rm is not permitted here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let fake = common::FakeProc::lingering(1);
    let script = r#"mount --bind "$RESOLV" /etc/resolv.conf || exit 90
        exec "$BIN" run --once --age-s 1 --webhook-url http://lingerwatch-test.invalid/x --proc-root "$ROOT""#;
    let out = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .env("RESOLV", &resolv)
        .env("BIN", common::bin())
        .env("ROOT", fake.root())
        .env("WATCHDOG_HEARTBEAT_FILE", fake.root().join("hb"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(90), "{log}");
    assert!(log.contains("the resolver did not answer"), "{log}");
    assert!(!log.contains("no such name"), "{log}");
}

/// Issue 19: an upper-case host is looked up as the lowercase it is shown as (musl's hosts
/// lookup is case-sensitive; glibc's is not, so on glibc this passed before too).
#[test]
fn an_upper_case_host_is_looked_up_in_lowercase() {
    if !python("upper-case host") {
        return;
    }
    let peer = Peer::start("record", &[]);
    let url = format!("HTTP://LOCALHOST:{}/hook", peer.port);
    let answer = post(&endpoint(&url, FAST), BODY).unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(peer.requests().len(), 1);
}

#[test]
fn a_bad_port_is_refused_by_the_parser_before_anything_is_sent() {
    for url in [
        "http://127.0.0.1:99999/x",
        "http://127.0.0.1:/x",
        "http://127.0.0.1:0/x",
    ] {
        assert_eq!(
            Endpoint::new(url, FAST).map(|_| ()),
            Err(UrlError::BadPort),
            "{url}"
        );
    }
}

#[test]
fn userinfo_is_sent_as_basic_authorization_to_the_host_named_after_it() {
    if !python("userinfo") {
        return;
    }
    let peer = Peer::start("record", &[]);
    // minreq sent this to host `user`, port 80.
    let url = format!("http://user:p%40ss@127.0.0.1:{}/auth?token=abc", peer.port);
    let answer = post(&endpoint(&url, FAST), BODY).unwrap();
    assert_eq!(answer.status, 200);
    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r["line"], "POST /auth?token=abc HTTP/1.1");
    assert_eq!(r["headers"]["host"], format!("127.0.0.1:{}", peer.port));
    // base64("user:p@ss"), as Python's base64 module encodes it.
    assert_eq!(r["headers"]["authorization"], "Basic dXNlcjpwQHNz");
    assert_eq!(r["headers"]["content-type"], "application/json");
    assert_eq!(r["headers"]["connection"], "close");
    assert!(r["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("lingerwatch/"));
    assert_eq!(r["body"].as_str().unwrap().as_bytes(), BODY);
}

#[test]
fn an_ipv6_literal_reaches_a_server_on_the_ipv6_loopback() {
    let test = "ipv6_literal";
    if !have_ipv6_loopback(test) || !python(test) {
        return;
    }
    let peer = Peer::start_on("::1", "record", &[]);
    let url = format!("http://[::1]:{}/v6", peer.port);
    let answer = post(&endpoint(&url, FAST), BODY).unwrap();
    assert_eq!(answer.status, 200);
    let r = &peer.requests()[0];
    assert_eq!(r["line"], "POST /v6 HTTP/1.1");
    assert_eq!(r["headers"]["host"], format!("[::1]:{}", peer.port));
}

#[test]
fn deliver_refuses_a_redirect_naming_the_masked_location_and_follows_nothing() {
    if !python("deliver_redirect") {
        return;
    }
    let elsewhere = Peer::start("record", &[]);
    let to = format!("{}/moved/x?token=SECRET", elsewhere.origin("http"));
    let redirecting = Peer::start("redirect-to", &["--to", &to]);
    let target = Target::Webhook(endpoint(
        &format!("{}/hook?token=MINE", redirecting.origin("http")),
        Duration::from_secs(5),
    ));
    let Attempt {
        outcome,
        status,
        error,
        ..
    } = send(&target, std::str::from_utf8(BODY).unwrap());
    assert_eq!((outcome, status), (Outcome::Refused, Some(302)));
    let error = error.unwrap();
    let want = format!(
        "redirected to http://127.0.0.1:{}/moved/x?***",
        elsewhere.port
    );
    assert!(error.starts_with(&want), "{error}");
    assert!(
        !error.contains("SECRET") && !error.contains("MINE"),
        "{error}"
    );
    assert_eq!(redirecting.connections(), 1);
    assert_eq!(elsewhere.connections(), 0);
}

#[test]
fn deliver_logs_the_first_bytes_of_a_refusing_answer() {
    if !python("deliver_error_body") {
        return;
    }
    let body = r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#;
    let peer = Peer::start("record", &["--status", "400", "--body", body]);
    let target = Target::Webhook(endpoint(
        &format!("{}/bot1:X/sendMessage", peer.origin("http")),
        Duration::from_secs(5),
    ));
    let attempt = send(&target, "{}");
    assert_eq!(
        (attempt.outcome, attempt.status),
        (Outcome::Refused, Some(400))
    );
    assert_eq!(
        attempt.error.as_deref(),
        Some(format!("the answer said: {body}").as_str())
    );
}

fn direct_and_via(url: &str, proxy: Option<Proxy>) -> Endpoint {
    endpoint(url, FAST).with_proxy(proxy)
}

#[test]
fn http_through_tinyproxy_and_no_proxy_bypassing_it() {
    let test = "http_through_tinyproxy";
    if !python(test) || !have("tinyproxy", &["-v"], test) {
        return;
    }
    let peer = Peer::start("record", &[]);
    let tp = Tinyproxy::start(&[], None);
    let proxy_url = format!("http://127.0.0.1:{}", tp.port);
    let url = format!("{}/via-proxy", peer.origin("http"));
    let env = |pairs: &'static [(&'static str, &'static str)], proxy_url: String| {
        move |name: &str| match name {
            "HTTP_PROXY" => Some(proxy_url.clone().into()),
            _ => pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.into()),
        }
    };
    let parsed = WebhookUrl::parse(&url).unwrap();
    let chosen = proxy::choose(env(&[], proxy_url.clone()), &parsed).unwrap();
    assert!(chosen.is_some());
    let answer = post(&direct_and_via(&url, chosen), BODY).unwrap();
    assert_eq!(answer.status, 200);
    tp.wait_for_log(&format!("POST http://127.0.0.1:{}/via-proxy", peer.port));
    let r = &peer.requests()[0];
    assert_eq!(
        r["line"], "POST /via-proxy HTTP/1.1",
        "tinyproxy forwards in origin form"
    );
    assert_eq!(r["body"].as_str().unwrap().as_bytes(), BODY);

    // NO_PROXY names the host: straight to the peer, nothing through tinyproxy.
    let bypass = format!("{}/bypassed", peer.origin("http"));
    let parsed = WebhookUrl::parse(&bypass).unwrap();
    let chosen = proxy::choose(
        env(&[("NO_PROXY", "example.org, 127.0.0.1")], proxy_url.clone()),
        &parsed,
    )
    .unwrap();
    assert!(chosen.is_none());
    assert_eq!(
        post(&direct_and_via(&bypass, chosen), BODY).unwrap().status,
        200
    );
    // A request through the proxy after it; once tinyproxy logged that one, it would have
    // logged the bypassed one too.
    let after = format!("{}/after", peer.origin("http"));
    let via = Some(Proxy::parse(&proxy_url, "HTTP_PROXY").unwrap());
    assert_eq!(
        post(&direct_and_via(&after, via), BODY).unwrap().status,
        200
    );
    let log = tp.wait_for_log("/after");
    assert!(!log.contains("/bypassed"), "{log}");
    let paths: Vec<String> = peer
        .requests()
        .iter()
        .map(|r| r["line"].to_string())
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
}

/// Debian 12's tinyproxy (1.11.1) answers missing credentials with 407 and wrong ones
/// with 401 (tinyproxy/tinyproxy#532, fixed later): to a plain-http request through a
/// proxy, a 401 may be the server's, so only 407 is certainly the proxy's refusal.
#[test]
fn missing_or_wrong_proxy_credentials_are_refused_without_showing_the_password() {
    let test = "proxy_credentials";
    if !python(test) || !have("tinyproxy", &["-v"], test) {
        return;
    }
    let peer = Peer::start("record", &[]);
    let tp = Tinyproxy::start(&[peer.port], Some(("user", "pass")));
    let url = format!("{}/auth", peer.origin("http"));
    let with = |creds: &str| {
        let proxy = Proxy::parse(
            &format!("http://{creds}127.0.0.1:{}", tp.port),
            "HTTP_PROXY",
        )
        .unwrap();
        direct_and_via(&url, Some(proxy))
    };
    let missing = post(&with(""), BODY);
    assert_eq!(
        missing,
        Err(HttpError::ProxyRefused {
            status: 407,
            connect: false
        })
    );
    assert_eq!(
        missing.unwrap_err().to_string(),
        "the proxy refused the request with status 407 (proxy credentials missing or wrong)"
    );
    let wrong = post(&with("user:WRONGPASS@"), BODY);
    match &wrong {
        Err(HttpError::ProxyRefused {
            status: 407,
            connect: false,
        }) => {}
        Ok(answer) if answer.status == 401 => {}
        other => panic!("wrong credentials: {other:?}"),
    }
    let shown = match wrong {
        Ok(answer) => format!("{answer:?}"),
        Err(e) => e.to_string(),
    };
    assert!(!shown.contains("WRONGPASS"), "{shown}");
    assert_eq!(post(&with("user:pass@"), BODY).unwrap().status, 200);
    assert_eq!(
        peer.requests().len(),
        1,
        "the refused requests never reached the server"
    );
}

#[cfg(feature = "https")]
mod https {
    use super::*;
    use common::pki::{Leaf, Pki};
    use lingerwatch::deliver::net::tls::TlsConfig;
    use lingerwatch::deliver::net::TlsFailure;

    fn tools(test: &str) -> bool {
        python(test) && have("openssl", &["version"], test)
    }

    fn tls_peer(leaf: &Leaf) -> Peer {
        Peer::start(
            "record",
            &[
                "--tls",
                leaf.cert.to_str().unwrap(),
                leaf.key.to_str().unwrap(),
            ],
        )
    }

    fn trusting(pki: &Pki) -> TlsConfig {
        TlsConfig::new(Some(&pki.ca)).unwrap()
    }

    #[test]
    fn delivered_to_a_server_signed_by_the_given_ca_by_name_and_by_ip() {
        if !tools("tls_delivered") {
            return;
        }
        let pki = Pki::new();
        let peer = tls_peer(&pki.leaf("server", "DNS:localhost,IP:127.0.0.1", false));
        for host in ["localhost", "127.0.0.1"] {
            let url = format!("https://{host}:{}/tls", peer.port);
            let ep = endpoint(&url, FAST).with_tls(trusting(&pki));
            let answer = post(&ep, BODY).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(answer.status, 200, "{url}");
        }
        let requests = peer.requests();
        assert_eq!(requests.len(), 2);
        assert!(requests
            .iter()
            .all(|r| r["body"].as_str().unwrap().as_bytes() == BODY));
        assert_eq!(
            requests[0]["headers"]["host"],
            format!("localhost:{}", peer.port)
        );
    }

    #[test]
    fn refused_without_the_ca_for_another_name_and_when_expired() {
        if !tools("tls_refused") {
            return;
        }
        let pki = Pki::new();
        let good = tls_peer(&pki.leaf("good", "DNS:localhost,IP:127.0.0.1", false));
        let other = tls_peer(&pki.leaf("other", "DNS:other.example", false));
        let expired = tls_peer(&pki.leaf("expired", "DNS:localhost,IP:127.0.0.1", true));
        let cases = [
            (&good, None, TlsFailure::UnknownIssuer, "unknown issuer"),
            (
                &other,
                Some(&pki),
                TlsFailure::NotValidForName,
                "not valid for this name",
            ),
            (&expired, Some(&pki), TlsFailure::Expired, "expired"),
        ];
        for (peer, ca, failure, words) in cases {
            let url = format!("https://localhost:{}/tls", peer.port);
            let tls = match ca {
                Some(pki) => trusting(pki),
                None => TlsConfig::new(None).unwrap(),
            };
            let got = post(&endpoint(&url, FAST).with_tls(tls), BODY);
            assert_eq!(got, Err(HttpError::Tls(failure)), "{url}");
            let shown = got.unwrap_err().to_string();
            assert!(shown.contains(words), "{shown}");
            assert!(peer.requests().is_empty(), "nothing was sent");
        }
    }

    #[test]
    fn https_through_tinyproxy_with_connect_and_proxy_credentials() {
        let test = "https_through_tinyproxy";
        if !tools(test) || !have("tinyproxy", &["-v"], test) {
            return;
        }
        let pki = Pki::new();
        let peer = tls_peer(&pki.leaf("server", "DNS:localhost,IP:127.0.0.1", false));
        let tp = Tinyproxy::start(&[peer.port], Some(("user", "pass")));
        let url = format!("https://localhost:{}/tunnel", peer.port);
        let via = |creds: &str| {
            let proxy = Proxy::parse(
                &format!("http://{creds}@127.0.0.1:{}", tp.port),
                "HTTPS_PROXY",
            )
            .unwrap();
            endpoint(&url, FAST)
                .with_proxy(Some(proxy))
                .with_tls(trusting(&pki))
        };
        let answer = post(&via("user:pass"), BODY).unwrap();
        assert_eq!(answer.status, 200);
        tp.wait_for_log(&format!("CONNECT localhost:{}", peer.port));
        assert_eq!(peer.requests()[0]["line"], "POST /tunnel HTTP/1.1");

        // Wrong credentials: 401 from Debian 12's tinyproxy (tinyproxy#532), 407 from
        // later ones; either way the proxy refused the tunnel.
        let got = post(&via("user:WRONGPASS"), BODY);
        let Err(HttpError::ProxyRefused {
            status: 401 | 407,
            connect: true,
        }) = got
        else {
            panic!("wrong credentials: {got:?}");
        };
        let shown = got.unwrap_err().to_string();
        assert!(
            shown.starts_with("the proxy refused CONNECT with status 40")
                && shown.ends_with("(proxy credentials missing or wrong)")
                && !shown.contains("WRONGPASS"),
            "{shown}"
        );
        let no_credentials = endpoint(&url, FAST)
            .with_proxy(Some(
                Proxy::parse(&format!("127.0.0.1:{}", tp.port), "HTTPS_PROXY").unwrap(),
            ))
            .with_tls(trusting(&pki));
        assert_eq!(
            post(&no_credentials, BODY),
            Err(HttpError::ProxyRefused {
                status: 407,
                connect: true
            })
        );
        assert_eq!(
            peer.requests().len(),
            1,
            "only the tunnel with the right credentials"
        );
    }
}

#[cfg(not(feature = "https"))]
#[test]
fn https_is_unavailable_in_the_http_only_build() {
    let got = post(&endpoint("https://127.0.0.1:9/x", FAST), BODY);
    assert_eq!(got, Err(HttpError::HttpsUnavailable));
}
