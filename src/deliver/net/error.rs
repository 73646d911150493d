//! Why a send got no answer: what the HTTP client, its proxy tunnel and TLS report, in
//! words safe to log. Its own file so the client and TLS both use it without using each
//! other both ways.

use core::fmt;
use std::io;

use super::resolve::DnsFailure;
use super::response::HeadError;
use crate::deliver::url::UrlError;

/// Why there was no answer. Never holds a URL, a credential or what the server sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    Url(UrlError),
    /// An https URL in the HTTP-only build.
    HttpsUnavailable,
    /// The name gave no address, and why.
    Dns(DnsFailure),
    Refused,
    TimedOut,
    /// Reset by the peer (or the pipe broke while writing).
    Reset,
    /// Closed before a whole head came.
    Closed,
    NotHttp(HeadError),
    HeadTooLong,
    /// The proxy answered `status` to CONNECT (`connect`) or to the request itself.
    ProxyRefused { status: u16, connect: bool },
    /// The proxy sent bytes after its CONNECT answer, before the server could speak.
    ProxyBadTunnel,
    Tls(TlsFailure),
    /// The request head does not fit its buffer (very long proxy credentials).
    RequestTooLong,
    Io(io::ErrorKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    UnknownIssuer,
    NotValidForName,
    Expired,
    /// Any other certificate problem (not yet valid, revoked, bad signature…).
    BadCertificate,
    /// The host is not a name TLS accepts.
    BadServerName,
    /// The handshake failed otherwise (no common protocol, an alert from the server…).
    Handshake,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HttpError::Url(e) => write!(f, "the webhook URL is not valid: {e}"),
            HttpError::HttpsUnavailable => {
                f.write_str("https:// is not available in this HTTP-only build")
            }
            HttpError::Dns(why) => write!(f, "{why}"),
            HttpError::Refused => f.write_str("connection refused"),
            HttpError::TimedOut => f.write_str("timed out"),
            HttpError::Reset => f.write_str("connection reset by peer"),
            HttpError::Closed => {
                f.write_str("the server closed the connection before a whole answer")
            }
            HttpError::NotHttp(e) => write!(f, "not an HTTP answer: {}", e.as_str()),
            HttpError::HeadTooLong => f.write_str("the answer's head is longer than 8 KiB"),
            HttpError::ProxyRefused { status, connect } => {
                let what = if connect { "CONNECT" } else { "the request" };
                // tinyproxy before 1.11.2 answers wrong credentials with 401
                // (tinyproxy/tinyproxy#532); to CONNECT, only the proxy can have said it.
                let hint = if status == 407 || (connect && status == 401) {
                    " (proxy credentials missing or wrong)"
                } else {
                    ""
                };
                write!(f, "the proxy refused {what} with status {status}{hint}")
            }
            HttpError::ProxyBadTunnel => {
                f.write_str("the proxy sent data after its CONNECT answer")
            }
            HttpError::Tls(t) => f.write_str(match t {
                TlsFailure::UnknownIssuer => {
                    "TLS: certificate from an unknown issuer (not signed by a trusted CA)"
                }
                TlsFailure::NotValidForName => "TLS: certificate not valid for this name",
                TlsFailure::Expired => "TLS: certificate expired",
                TlsFailure::BadCertificate => "TLS: certificate rejected",
                TlsFailure::BadServerName => "TLS: the host is not a valid server name",
                TlsFailure::Handshake => "TLS: handshake failed",
            }),
            HttpError::RequestTooLong => f.write_str("the request head is longer than 8 KiB"),
            HttpError::Io(kind) => write!(f, "network error: {kind}"),
        }
    }
}

impl std::error::Error for HttpError {}
