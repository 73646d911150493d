//! Delivery: posts each body to the webhook with the client in [`crate::deliver::net`], or prints it
//! to stdout when no webhook is set or on `--dry-run`. It may allocate, but only when a
//! message is actually sent.
use std::io::Write;
use std::time::Duration;

use crate::alert::outbox::Outcome;
use crate::deliver::net::proxy::{self, Proxy};
use crate::deliver::net::{post, Answer, Endpoint, HttpError};
use crate::deliver::url::{HostKind, Masking, WebhookUrl};

/// Where bodies go.
#[derive(Clone, Debug)]
pub enum Target {
    /// One compact JSON document per line on stdout.
    Stdout,
    /// A webhook: its URL, proxy, timeout and trusted roots, set up once at start-up.
    Webhook(Endpoint),
}

/// The result of one attempt, for the outbox and the log.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    /// The HTTP status, when there was an answer (100..=999, as the head parser reads it).
    pub status: Option<u16>,
    /// Why there was no answer, or what a refusing answer said (where a redirect
    /// pointed, the first bytes of an error body); never a secret of the URL.
    pub error: Option<String>,
    /// A 429's or 503's `Retry-After`, in seconds: the destination waits at least that.
    pub retry_after_s: Option<u64>,
}

/// How an HTTP status is treated: 2xx delivered; 408, 429 and 5xx retried (the service
/// is busy or down); a 3xx refused (redirects are never followed: re-posting the body
/// wherever a server points is how a hook leaks; the URL must be set to the new place);
/// any other 4xx refused (the URL, token or body is wrong: retrying cannot help);
/// anything else retried.
pub(crate) fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        300..=399 => Outcome::Refused,
        408 | 429 => Outcome::Retry,
        400..=499 => Outcome::Refused,
        _ => Outcome::Retry,
    }
}

pub fn send(target: &Target, body: &str) -> Attempt {
    match target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            let written = out
                .write_all(body.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            Attempt {
                outcome: if written.is_ok() {
                    Outcome::Delivered
                } else {
                    Outcome::Retry
                },
                status: None,
                error: written.err().map(|e| e.to_string()),
                retry_after_s: None,
            }
        }
        Target::Webhook(endpoint) => send_webhook(endpoint, body),
    }
}

fn send_webhook(endpoint: &Endpoint, body: &str) -> Attempt {
    match post(endpoint, body.as_bytes()) {
        Ok(answer) => Attempt {
            outcome: classify(answer.status),
            status: Some(answer.status),
            error: endpoint
                .url()
                .ok()
                .and_then(|url| describe_answer(&url, endpoint.masking(), &answer)),
            // Only where RFC 9110 gives it this meaning (10.2.3): too many requests, or
            // unavailable for a while.
            retry_after_s: answer
                .retry_after_s
                .filter(|_| matches!(answer.status, 429 | 503)),
        },
        Err(e) => Attempt {
            // Only a URL this build cannot send to is a configuration error; everything
            // else (DNS, refused, timed out, TLS, proxy) may pass.
            outcome: match e {
                HttpError::Url(_) | HttpError::HttpsUnavailable | HttpError::RequestTooLong => {
                    Outcome::Refused
                }
                _ => Outcome::Retry,
            },
            status: None,
            error: Some(e.to_string()),
            retry_after_s: None,
        },
    }
}

/// A configured webhook, set up at start-up: the proxy the environment (`env`, read as
/// curl reads it) names for it, and (https build) the roots it trusts.
pub fn endpoint(
    url: &str,
    timeout_s: u64,
    masking: Masking,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    #[cfg(feature = "https")] tls: Option<crate::deliver::net::tls::TlsConfig>,
) -> Result<Endpoint, String> {
    let parsed = WebhookUrl::parse(url).map_err(|e| e.to_string())?;
    let proxy: Option<Proxy> = proxy::choose(env, &parsed).map_err(|e| e.to_string())?;
    let endpoint = Endpoint::new(url, Duration::from_secs(timeout_s))
        .map_err(|e| e.to_string())?
        .with_proxy(proxy)
        .with_masking(masking);
    #[cfg(feature = "https")]
    let endpoint = match tls {
        Some(tls) => endpoint.with_tls(tls),
        None => endpoint,
    };
    Ok(endpoint)
}

/// The TCP ports a request to `endpoint` connects to: its proxy's, or its own; and 53
/// when a name must be looked up (the resolver falls back to TCP for long answers).
pub(crate) fn ports_of(endpoint: &Endpoint) -> Vec<u16> {
    let Ok(url) = endpoint.url() else {
        return Vec::new();
    };
    let (host_is_name, port) = match endpoint.proxy() {
        Some(p) => (p.host().kind == HostKind::Name, p.port()),
        None => (url.host().kind == HostKind::Name, url.port()),
    };
    let mut ports = vec![port];
    if host_is_name {
        ports.push(53);
    }
    ports
}

/// What the log should say about an answer that was not a delivery.
fn describe_answer(url: &WebhookUrl<'_>, masking: Masking, answer: &Answer) -> Option<String> {
    if let Some(location) = &answer.location {
        if (300..=399).contains(&answer.status) {
            return Some(format!(
                "redirected to {}; redirects are not followed: set the webhook URL to the new place",
                mask_location(url, masking, location.as_bytes())
            ));
        }
    }
    let body = answer.body_head.as_bytes();
    if body.is_empty() {
        return None;
    }
    let mut text: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if answer.body_head.is_cut() {
        text.push_str(crate::text::CUT_MARKER);
    }
    Some(format!("the answer said: {}", text.trim()))
}

/// A `Location` for the log, masked as the webhook URL is (by the destination's format: a
/// chat hook's new place is as secret as its old one); a path is taken relative to the
/// webhook's own scheme, host and port.
fn mask_location(base: &WebhookUrl<'_>, masking: Masking, location: &[u8]) -> String {
    let Ok(location) = std::str::from_utf8(location) else {
        return "***".into();
    };
    let absolute = if location.starts_with('/') && !location.starts_with("//") {
        let mut origin = crate::text::FixedBuf::<512>::new();
        let _ = base.write_authority(&mut origin, false);
        format!("{}://{}{location}", base.scheme().name(), origin.as_str())
    } else {
        location.to_owned()
    };
    crate::deliver::url::masked(&absolute, masking)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_is_described_with_its_location_masked() {
        let answer = |status, location: &str| {
            let mut a = Answer {
                status,
                location: None,
                body_head: Default::default(),
                retry_after_s: None,
            };
            let raw = format!("HTTP/1.1 {status} X\r\nLocation: {location}\r\n\r\n");
            let head = crate::deliver::net::response::parse_head(raw.as_bytes()).unwrap();
            a.location = head.location.map(|l| {
                let mut s = crate::deliver::net::http::Snippet::default();
                s.push(l);
                s
            });
            a
        };
        let webhook =
            &WebhookUrl::parse("https://u:PW@hooks.example:8443/hook?token=SECRET").unwrap();
        let by_host = Masking::ByHost;
        let said =
            describe_answer(webhook, by_host, &answer(302, "/moved/x?token=SECRET")).unwrap();
        assert!(
            said.starts_with("redirected to https://hooks.example:8443/moved/x?***;"),
            "{said}"
        );
        let said = describe_answer(
            webhook,
            by_host,
            &answer(301, "https://hooks.slack.com/services/T/B/SECRET"),
        )
        .unwrap();
        assert!(
            said.contains("https://hooks.slack.com/services/***"),
            "{said}"
        );
        let said = describe_answer(webhook, by_host, &answer(307, "ftp://x/bot1:SECRET")).unwrap();
        assert!(said.contains("ftp://x/***"), "{said}");
        assert!(!said.contains("SECRET") && !said.contains("PW"));
        // A chat hook's new place is as secret as its old one, on any host.
        let chat = Masking::Chat;
        for (location, shown) in [
            (
                "/bot1:SECRET/sendMessage",
                "https://hooks.example:8443/bot***/sendMessage;",
            ),
            (
                "https://tg.example/bot1:SECRET/sendMessage",
                "https://tg.example/bot***/sendMessage;",
            ),
            (
                "https://chat.example/hooks/SECRET",
                "https://chat.example/***;",
            ),
        ] {
            let said = describe_answer(webhook, chat, &answer(302, location)).unwrap();
            assert!(said.contains(shown), "{said}");
            assert!(!said.contains("SECRET"), "{said}");
        }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(200), Outcome::Delivered);
        assert_eq!(classify(204), Outcome::Delivered);
        assert_eq!(classify(429), Outcome::Retry);
        assert_eq!(classify(503), Outcome::Retry);
        assert_eq!(classify(404), Outcome::Refused);
        assert_eq!(classify(400), Outcome::Refused);
        assert_eq!(classify(302), Outcome::Refused);
        assert_eq!(classify(301), Outcome::Refused);
        assert_eq!(classify(308), Outcome::Refused);
        assert_eq!(classify(408), Outcome::Retry);
        assert_eq!(classify(100), Outcome::Retry);
    }
}
