//! Delivery: the one place that talks to the network (minreq), or prints to stdout when
//! no webhook is set or on `--dry-run`. It may allocate, but only when a message is
//! actually sent.

use std::io::Write;

use crate::outbox::Outcome;

/// Where bodies go.
#[derive(Clone, Debug)]
pub enum Target {
    /// One compact JSON document per line on stdout.
    Stdout,
    Webhook {
        url: String,
        timeout_s: u64,
    },
}

/// The result of one attempt, for the outbox and the log.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    /// The HTTP status, when there was an answer.
    pub status: Option<i32>,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// How an HTTP status is treated: 2xx delivered; 408, 429 and 5xx retried (the service
/// is busy or down); any other 4xx refused (the URL, token or body is wrong: retrying
/// cannot help); anything else retried.
pub fn classify(status: i32) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
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
            }
        }
        Target::Webhook { url, timeout_s } => {
            let response = minreq::post(url.as_str())
                .with_header("Content-Type", "application/json")
                .with_header(
                    "User-Agent",
                    concat!("lingerwatch/", env!("CARGO_PKG_VERSION")),
                )
                .with_body(body)
                .with_timeout(*timeout_s)
                .send();
            match response {
                Ok(r) => Attempt {
                    outcome: classify(r.status_code),
                    status: Some(r.status_code),
                    error: None,
                },
                Err(e) => Attempt {
                    outcome: Outcome::Retry,
                    status: None,
                    error: Some(e.to_string()),
                },
            }
        }
    }
}

/// The webhook URL for logs, with its secret parts masked: userinfo, the query, a
/// Telegram bot token, and the path of a Slack or Discord hook (which is the secret).
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".into();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let userinfo = if authority.contains('@') { "***@" } else { "" };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let query = if rest.contains('?') { "?***" } else { "" };
    let host_name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let masked_path = if host_name.ends_with("slack.com")
        || host_name.ends_with("discord.com")
        || host_name.ends_with("discordapp.com")
    {
        // hooks.slack.com/services/T/B/secret, discord.com/api/webhooks/id/token
        let keep: Vec<&str> = path
            .split('/')
            .take(if host_name.ends_with("slack.com") {
                1
            } else {
                2
            })
            .collect();
        format!("{}/***", keep.join("/"))
    } else if host_name == "api.telegram.org" {
        path.split('/')
            .map(|seg| {
                if seg.starts_with("bot") && seg.len() > 3 {
                    "bot***"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    } else {
        path.to_owned()
    };
    format!("{scheme}://{userinfo}{host}/{masked_path}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_logged_urls() {
        assert_eq!(
            mask_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/services/***"
        );
        assert_eq!(
            mask_url("https://discord.com/api/webhooks/123/tok-en"),
            "https://discord.com/api/webhooks/***"
        );
        assert_eq!(
            mask_url("https://api.telegram.org/bot123456:AAE-secret/sendMessage"),
            "https://api.telegram.org/bot***/sendMessage"
        );
        assert_eq!(
            mask_url("http://user:pw@alertmanager:9093/api/v2/alerts?token=x"),
            "http://***@alertmanager:9093/api/v2/alerts?***"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/hook"
        );
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(200), Outcome::Delivered);
        assert_eq!(classify(204), Outcome::Delivered);
        assert_eq!(classify(429), Outcome::Retry);
        assert_eq!(classify(503), Outcome::Retry);
        assert_eq!(classify(404), Outcome::Refused);
        assert_eq!(classify(400), Outcome::Refused);
        assert_eq!(classify(302), Outcome::Retry);
    }
}
