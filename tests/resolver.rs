//! Every resolver path, locked in (issue 19): a DNS server the test runs on port 53 of a
//! network namespace it made, with its own `resolv.conf` and `hosts` bind-mounted over
//! `/etc` in a mount namespace (`common::dns`), and the daemon sending to a webhook (or
//! through a proxy) given by name. Answered over UDP, over TCP after a truncated UDP
//! answer (musl's fallback once killed the daemon with SIGSYS), by an IPv6 nameserver,
//! through `search`/`ndots`, NXDOMAIN, never, and from `/etc/hosts`. Each lookup that can
//! succeed delivers the FIRING; each that cannot is a logged DNS failure that says which
//! ("no such name" for NXDOMAIN, "the resolver did not answer" for silence), and the
//! process ends normally, never by a signal.
//!
//! The glibc build runs these under `cargo test`; `scripts/test.sh` runs them again
//! against each static musl build (LINGERWATCH_BIN), whose resolver is musl's.
#![allow(clippy::unwrap_used)] // a test may panic: that is how it fails

pub mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::Output;

use common::dns::{Namespace, Server};
use common::FakeProc;

const ONE_TRY: &str = "options timeout:1 attempts:1\n";

fn said(out: &Output) -> String {
    format!(
        "status {:?}, stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `run --once`, locked in as tightly as it can be (reads confined too, so the
/// resolver's files must be on Landlock's list), inside `ns`, on a lingering process,
/// sending to `url`.
fn once(ns: &Namespace, url: &str, env: &[(&str, &str)]) -> Output {
    let fake = FakeProc::lingering(1);
    let mut cmd = fake.once_to(url);
    cmd.env("WATCHDOG_SANDBOX", "true")
        .env("WATCHDOG_SANDBOX_CONFINE_READS", "true")
        .envs(env.iter().copied());
    ns.wrap(cmd).output().unwrap()
}

/// The run delivered the FIRING to `receiver`, and ended by itself.
fn assert_delivered(out: &Output, receiver: &Server, dns: &Server) {
    assert_eq!(out.status.signal(), None, "{}", said(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sent firing") && receiver.log().contains("firing"),
        "{}\nreceiver: {}\ndns: {}",
        said(out),
        receiver.log(),
        dns.log()
    );
}

/// The run said the lookup failed, and `why`, and ended by itself (not SIGSYS).
fn assert_lookup_failed(out: &Output, why: &str) {
    assert_eq!(out.status.signal(), None, "{}", said(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(why),
        "{}",
        said(out)
    );
}

#[test]
fn a_name_answered_over_udp_is_delivered() {
    let Some(ns) = Namespace::new("nameserver 127.0.0.1\n", "") else {
        return;
    };
    let dns = ns.dns("answer", &["hook.test=127.0.0.1"]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://hook.test:{}/hook", hook.port), &[]);
    assert_delivered(&out, &hook, &dns);
    assert!(dns.log().contains("\"proto\": \"udp\""), "{}", dns.log());
}

/// The case of issue 19: the answer does not fit in UDP (TC), so the resolver asks
/// again over TCP (musl with `sendmsg`, glibc with `writev`).
#[test]
fn a_truncated_udp_answer_falls_back_to_tcp_and_is_delivered() {
    let Some(ns) = Namespace::new("nameserver 127.0.0.1\n", "") else {
        return;
    };
    let dns = ns.dns("truncate", &["hook.test=127.0.0.1"]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://hook.test:{}/hook", hook.port), &[]);
    assert_delivered(&out, &hook, &dns);
    assert!(dns.log().contains("\"proto\": \"tcp\""), "{}", dns.log());
}

/// The same in the daemon, whose couriers look names up in their own threads.
#[test]
fn the_delivery_thread_falls_back_to_tcp_and_the_daemon_lives() {
    let Some(ns) = Namespace::new("nameserver 127.0.0.1\n", "") else {
        return;
    };
    let dns = ns.dns("truncate", &["hook.test=127.0.0.1"]);
    let hook = ns.webhook();
    let fake = FakeProc::lingering(1);
    let root = fake.root().to_str().unwrap().to_owned();
    let url = format!("http://hook.test:{}/hook", hook.port);
    let args = [
        "--proc-root",
        &root,
        "--interval-s",
        "1",
        "--age-s",
        "1",
        "--webhook-url",
        &url,
    ];
    let mut d = common::daemon::Daemon::start_wrapped(&args, &[], |c| ns.wrap(c));
    d.wait_log(20, "sent firing");
    assert!(hook.log().contains("firing"), "{}", hook.log());
    assert!(dns.log().contains("\"proto\": \"tcp\""), "{}", dns.log());
    assert!(d.child.try_wait().unwrap().is_none(), "{}", d.log());
}

#[test]
fn an_ipv6_nameserver_answers_over_udp_and_tcp() {
    let Some(ns) = Namespace::new("nameserver ::1\n", "") else {
        return;
    };
    let dns = ns.dns("truncate", &["hook.test=127.0.0.1"]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://hook.test:{}/hook", hook.port), &[]);
    assert_delivered(&out, &hook, &dns);
    let log = dns.log();
    assert!(log.contains("\"proto\": \"tcp\", \"to\": \"::1\""), "{log}");
}

/// `hook.sub` has fewer dots than `ndots:2`, so the search domain is tried first.
#[test]
fn search_domains_and_ndots_find_the_name() {
    let conf = "nameserver 127.0.0.1\nsearch corp.test\noptions ndots:2\n";
    let Some(ns) = Namespace::new(conf, "") else {
        return;
    };
    let dns = ns.dns("truncate", &["hook.sub.corp.test=127.0.0.1"]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://hook.sub:{}/hook", hook.port), &[]);
    assert_delivered(&out, &hook, &dns);
    assert!(dns.log().contains("hook.sub.corp.test"), "{}", dns.log());
}

#[test]
fn nxdomain_is_a_logged_dns_failure_and_the_run_ends_normally() {
    let Some(ns) = Namespace::new("nameserver 127.0.0.1\n", "") else {
        return;
    };
    let dns = ns.dns("nxdomain", &[]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://nowhere.test:{}/hook", hook.port), &[]);
    assert_lookup_failed(&out, "(DNS: no such name)");
    assert!(dns.log().contains("nowhere.test"), "{}", dns.log());
}

#[test]
fn a_nameserver_that_never_answers_is_a_logged_dns_failure() {
    let conf = format!("nameserver 127.0.0.1\n{ONE_TRY}");
    let Some(ns) = Namespace::new(&conf, "") else {
        return;
    };
    let dns = ns.dns("silent", &[]);
    let hook = ns.webhook();
    let out = once(&ns, &format!("http://hook.test:{}/hook", hook.port), &[]);
    assert_lookup_failed(&out, "(DNS lookup failed (the resolver did not answer");
    assert!(dns.log().contains("hook.test"), "{}", dns.log());
}

/// From `/etc/hosts`, in any case: issue 19.6 reported `HTTP://HOOK…` logged in lowercase
/// but looked up as typed. The name is normalised at start, so what is looked up is what
/// is logged; musl's lookup ignored case on the machine this was written on anyway.
#[test]
fn a_name_in_etc_hosts_is_delivered_without_asking_dns_in_any_case() {
    let conf = format!("nameserver 127.0.0.1\n{ONE_TRY}");
    let Some(ns) = Namespace::new(&conf, "127.0.0.1 hook.hosts.test\n") else {
        return;
    };
    let dns = ns.dns("silent", &[]);
    let hook = ns.webhook();
    for host in ["hook.hosts.test", "HOOK.Hosts.TEST"] {
        let url = format!("http://{host}:{}/hook", hook.port);
        assert_delivered(&once(&ns, &url, &[]), &hook, &dns);
    }
    assert!(!dns.log().contains("hook.hosts.test"), "{}", dns.log());
}

/// The proxy's name is what is looked up (the webhook's is the proxy's business): a
/// recorder stands in for the proxy and sees the absolute-form request.
#[test]
fn a_proxy_given_by_name_is_looked_up_over_tcp_and_used() {
    let Some(ns) = Namespace::new("nameserver 127.0.0.1\n", "") else {
        return;
    };
    let dns = ns.dns("truncate", &["proxy.test=127.0.0.1"]);
    let proxy = ns.webhook();
    let via = format!("http://proxy.test:{}", proxy.port);
    let out = once(
        &ns,
        "http://hook.elsewhere.test/hook",
        &[("http_proxy", &via)],
    );
    assert_delivered(&out, &proxy, &dns);
    let log = proxy.log();
    assert!(
        log.contains("POST http://hook.elsewhere.test/hook HTTP/1.1"),
        "{log}"
    );
    assert!(dns.log().contains("\"proto\": \"tcp\""), "{}", dns.log());
}
