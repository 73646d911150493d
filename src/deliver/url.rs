//! Webhook URLs: one strict parse, used both for what is connected to and for what is
//! logged, and the masked forms that keep a URL's secrets out of every log line.
//!
//! Pure; never panics; no allocation. The accepted form is
//! `http|https://[user[:password]@]host[:port][/path][?query][#fragment]`, where
//! - the scheme is `http` or `https` in any case;
//! - the host is a DNS name (letters, digits, `-`, `_`, `.`; a trailing dot allowed), an
//!   IPv4 literal (dotted quad, as `std` parses it), or an IPv6 literal in brackets;
//! - the port is decimal 1..=65535 (default 80 or 443); `host:` with no digits is refused,
//!   and nothing wraps (99999 is refused, not taken modulo 65536);
//! - the userinfo is percent-encoded, appears at most once (one `@`), and is sent as HTTP
//!   Basic authorization;
//! - the path and query are sent exactly as written, and the fragment is dropped;
//! - every byte must be visible ASCII (0x21..=0x7E): a space, a control byte or a
//!   non-ASCII byte anywhere is refused. Servers disagree on raw UTF-8 in a request line,
//!   so a URL must carry it percent-encoded.
//!
//! Errors are a small `Copy` enum whose text never repeats any part of the URL.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use ufmt::{uWrite, uwrite};

use crate::text::{FixedBuf, CUT_MARKER};

/// Longer URLs are refused: every webhook URL in use is far shorter, and the request head
/// built from it must fit a fixed buffer.
pub const MAX_URL_LEN: usize = 2048;

/// `mask_unparsed` shows at most this many bytes, then the cut marker.
pub const MASK_UNPARSED_MAX: usize = 80;

/// How much of a webhook URL's path logs may show: the format a destination takes says
/// what its URL is, not the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Masking {
    /// A generic receiver (`json`, `alertmanager`): the path is shown, but for the secret
    /// part of a known chat service's hook, found by its host.
    #[default]
    ByHost,
    /// A chat hook (`slack`, `discord`, `telegram`): the path is the secret on any host (a
    /// self-hosted Bot API, Mattermost's `/hooks/<key>`, a relay). A path with a bot token
    /// shows as Telegram's (`/bot***/sendMessage`), a known service's hook keeps its public
    /// kind (`/services/***`, `/api/webhooks/***`); any other path is `/***`.
    Chat,
}

/// The longest DNS name, without its trailing dot (RFC 1035).
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub(crate) fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// What kind of host a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A DNS name, looked up when connecting.
    Name,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// A host as written in the URL (brackets of an IPv6 literal removed) and what it is.
/// Names are case-insensitive: [`Host::write_lower`] is the one spelling shown and sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host<'a> {
    pub text: &'a str,
    pub kind: HostKind,
}

impl Host<'_> {
    /// The host in lowercase, in brackets when it is an IPv6 literal (as in a URL or a
    /// `Host` header).
    pub(crate) fn write_lower<W: uWrite + ?Sized>(&self, w: &mut W) -> Result<(), W::Error> {
        let v6 = matches!(self.kind, HostKind::V6(_));
        if v6 {
            w.write_str("[")?;
        }
        write_lowercase(w, self.text)?;
        if v6 {
            w.write_str("]")?;
        }
        Ok(())
    }

    /// The name without its trailing dot, for comparisons and TLS server names.
    pub(crate) fn name_without_dot(&self) -> &str {
        self.text.strip_suffix('.').unwrap_or(self.text)
    }
}

/// Why a URL was refused. The text never quotes the URL, which may hold secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    TooLong,
    SpaceOrControl,
    NonAscii,
    NoScheme,
    UnsupportedScheme,
    BadUserinfo,
    EmptyHost,
    BadHost,
    BadIpv6,
    /// Numeric, but not a dotted-decimal IPv4 address (`127.1`, `0x7f.0.0.1`, `2130706433`).
    NumericHost,
    /// An IPv6 literal with a zone id (`[fe80::1%25eth0]`).
    ZoneId,
    BadPort,
}

impl UrlError {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlError::Empty => "the URL is empty",
            UrlError::TooLong => "the URL is longer than 2048 bytes",
            UrlError::SpaceOrControl => "the URL contains a space or a control character",
            UrlError::NonAscii => "the URL contains a non-ASCII character (percent-encode it)",
            UrlError::NoScheme => "the URL has no scheme (expected http:// or https://)",
            UrlError::UnsupportedScheme => "the scheme is not http:// or https://",
            UrlError::BadUserinfo => {
                "the user:password@ part is malformed (at most one @; percent-encode other special characters)"
            }
            UrlError::EmptyHost => "the URL has no host",
            UrlError::BadHost => {
                "the host is not a DNS name, an IPv4 address or an IPv6 address in brackets"
            }
            UrlError::BadIpv6 => "the IPv6 address in brackets is not valid",
            UrlError::NumericHost => {
                "the host is numeric but not an IPv4 address in dotted decimal (four numbers 0-255 without leading zeros): short, octal and hex forms are refused, as resolvers read them as other addresses"
            }
            UrlError::ZoneId => {
                "the IPv6 address has a zone id (%25...), which names an interface of one host only; use the address of a routable interface (not link-local fe80::) instead"
            }
            UrlError::BadPort => "the port is not a number from 1 to 65535",
        }
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for UrlError {}

/// The parts of `[userinfo@]host[:port]`, shared with the proxy parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Authority<'a> {
    pub userinfo: Option<&'a str>,
    pub host: Host<'a>,
    pub port: Option<u16>,
}

/// A parsed webhook URL, borrowing the text it was parsed from. `Debug` and `Display` show
/// the masked form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WebhookUrl<'a> {
    scheme: Scheme,
    userinfo: Option<&'a str>,
    host: Host<'a>,
    port: u16,
    /// Empty, or starting with `/`; sent as written.
    path: &'a str,
    /// Without its `?`; sent as written.
    query: Option<&'a str>,
}

impl<'a> WebhookUrl<'a> {
    pub fn parse(raw: &'a str) -> Result<Self, UrlError> {
        check_bytes(raw)?;
        let (scheme_text, rest) = raw.split_once("://").ok_or(UrlError::NoScheme)?;
        let scheme = if scheme_text.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme_text.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(UrlError::UnsupportedScheme);
        };
        // The authority ends at the first `/`, `?` or `#` (RFC 3986 3.2).
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = (
            rest.get(..end).unwrap_or(rest),
            rest.get(end..).unwrap_or(""),
        );
        let authority = parse_authority(authority)?;
        let sent = after.split_once('#').map_or(after, |(before, _)| before);
        let (path, query) = match sent.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (sent, None),
        };
        Ok(WebhookUrl {
            scheme,
            userinfo: authority.userinfo,
            host: authority.host,
            port: authority.port.unwrap_or(scheme.default_port()),
            path,
            query,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub fn host(&self) -> Host<'a> {
        self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The raw (percent-encoded) `user[:password]`, for Basic authorization only.
    pub fn userinfo(&self) -> Option<&'a str> {
        self.userinfo
    }

    /// The path as written: empty, or starting with `/`.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query as written, without its `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The request target: path (`/` when empty) and `?query`.
    pub(crate) fn write_target<W: uWrite + ?Sized>(&self, w: &mut W) -> Result<(), W::Error> {
        w.write_str(if self.path.is_empty() { "/" } else { self.path })?;
        if let Some(q) = self.query {
            w.write_str("?")?;
            w.write_str(q)?;
        }
        Ok(())
    }

    /// `host[:port]` as a `Host` header or a CONNECT target names it; the port is left
    /// out only when `always_port` is false and it is the scheme's default.
    pub(crate) fn write_authority<W: uWrite + ?Sized>(
        &self,
        w: &mut W,
        always_port: bool,
    ) -> Result<(), W::Error> {
        self.host.write_lower(w)?;
        if always_port || self.port != self.scheme.default_port() {
            uwrite!(w, ":{}", self.port)?;
        }
        Ok(())
    }

    /// The URL as it is connected to, sent and kept: the scheme and the host in lowercase
    /// (both are case-insensitive, RFC 3986 3.1 and 3.2.2, so `Http://HOST/` is accepted
    /// and becomes `http://host/`), the port only when it is not the scheme's default,
    /// the userinfo, path and query as written, and no fragment (it is never sent).
    /// Parsing the result gives the same parts, and normalising it again changes nothing.
    pub fn write_normalized<W: uWrite + ?Sized>(&self, w: &mut W) -> Result<(), W::Error> {
        w.write_str(self.scheme.name())?;
        w.write_str("://")?;
        if let Some(userinfo) = self.userinfo {
            w.write_str(userinfo)?;
            w.write_str("@")?;
        }
        self.write_authority(w, false)?;
        w.write_str(self.path)?;
        if let Some(q) = self.query {
            w.write_str("?")?;
            w.write_str(q)?;
        }
        Ok(())
    }

    /// The URL for logs: `scheme://[***@]host[:port]/path[?***]`. Userinfo, the whole
    /// query and `;` parameters are masked, and so is the secret part of the path of Slack
    /// (`/services/***`), Discord (`/api/webhooks/***`) and Telegram (`/bot***/…`) hooks,
    /// whatever the host's case or trailing dot; with [`Masking::Chat`], the path of any
    /// host. The fragment is never shown.
    pub fn write_masked<W: uWrite + ?Sized>(
        &self,
        w: &mut W,
        masking: Masking,
    ) -> Result<(), W::Error> {
        w.write_str(self.scheme.name())?;
        w.write_str("://")?;
        if self.userinfo.is_some() {
            w.write_str("***@")?;
        }
        self.write_authority(w, false)?;
        let service = Service::of(&self.host);
        match masking {
            Masking::ByHost => write_masked_path(w, service, self.path)?,
            Masking::Chat => write_chat_path(w, service, self.path)?,
        }
        if self.query.is_some() {
            w.write_str("?***")?;
        }
        Ok(())
    }
}

impl fmt::Display for WebhookUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_masked(&mut FmtWriter(f), Masking::ByHost)
    }
}

impl fmt::Debug for WebhookUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_masked(&mut FmtWriter(f), Masking::ByHost)
    }
}

/// Lets ufmt writers print through `core::fmt`.
pub(crate) struct FmtWriter<'a, 'b>(pub &'a mut fmt::Formatter<'b>);

impl uWrite for FmtWriter<'_, '_> {
    type Error = fmt::Error;
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}

/// Every byte visible ASCII, within the length limit.
pub(crate) fn check_bytes(raw: &str) -> Result<(), UrlError> {
    if raw.is_empty() {
        return Err(UrlError::Empty);
    }
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    for b in raw.bytes() {
        if b == b' ' || b.is_ascii_control() {
            return Err(UrlError::SpaceOrControl);
        }
        if !b.is_ascii() {
            return Err(UrlError::NonAscii);
        }
    }
    Ok(())
}

/// Parses `[userinfo@]host[:port]`.
pub(crate) fn parse_authority(text: &str) -> Result<Authority<'_>, UrlError> {
    let (userinfo, host_port) = match text.split_once('@') {
        Some((u, rest)) => {
            // A second `@` makes it ambiguous which one ends the userinfo.
            if rest.contains('@') || !is_userinfo(u) {
                return Err(UrlError::BadUserinfo);
            }
            (Some(u), rest)
        }
        None => (None, text),
    };
    let (host, port_text) = if let Some(inner) = host_port.strip_prefix('[') {
        let (literal, after) = inner.split_once(']').ok_or(UrlError::BadIpv6)?;
        if literal.contains('%') {
            return Err(UrlError::ZoneId);
        }
        let ip: Ipv6Addr = literal.parse().map_err(|_| UrlError::BadIpv6)?;
        let port_text = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::BadPort)?),
        };
        let host = Host {
            text: literal,
            kind: HostKind::V6(ip),
        };
        (host, port_text)
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (parse_host(h)?, Some(p)),
            None => (parse_host(host_port)?, None),
        }
    };
    let port = match port_text {
        Some(p) => Some(parse_port(p)?),
        None => None,
    };
    Ok(Authority {
        userinfo,
        host,
        port,
    })
}

/// Unreserved and sub-delimiter characters, `:`, and well-formed `%XX` escapes
/// (RFC 3986 3.2.1); not empty.
fn is_userinfo(u: &str) -> bool {
    let bytes = u.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i.saturating_add(1)) && hex(i.saturating_add(2))) {
                return false;
            }
            i = i.saturating_add(3);
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&b)) {
            return false;
        }
        i = i.saturating_add(1);
    }
    true
}

/// A DNS name or an IPv4 literal (IPv6 literals come in brackets, handled by the caller).
fn parse_host(h: &str) -> Result<Host<'_>, UrlError> {
    if h.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    // WHATWG's rule: a host whose last label is numeric is an IPv4 address, and only the
    // dotted-decimal quad is taken; `127.1`, `0x7f.0.0.1`, `0177.0.0.1` or `2130706433`
    // are refused rather than read the many ways resolvers read them (issue 19), so the
    // host logged is the one connected to.
    let last = h.strip_suffix('.').unwrap_or(h).rsplit('.').next().unwrap_or(h);
    if is_numeric_label(last) {
        let ip: Ipv4Addr = h.parse().map_err(|_| UrlError::NumericHost)?;
        return Ok(Host {
            text: h,
            kind: HostKind::V4(ip),
        });
    }
    let name = h.strip_suffix('.').unwrap_or(h);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= MAX_LABEL_LEN
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if name.len() > MAX_NAME_LEN || !name.split('.').all(label_ok) {
        return Err(UrlError::BadHost);
    }
    Ok(Host {
        text: h,
        kind: HostKind::Name,
    })
}

/// All digits, or `0x`/`0X` and hex digits (maybe none): a label WHATWG reads as a number.
fn is_numeric_label(l: &str) -> bool {
    match l.strip_prefix("0x").or_else(|| l.strip_prefix("0X")) {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// Decimal 1..=65535, at most five digits.
fn parse_port(p: &str) -> Result<u16, UrlError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::BadPort);
    }
    crate::proc::parse::parse_u64(p.as_bytes())
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&v| v != 0)
        .ok_or(UrlError::BadPort)
}

/// Hooks whose path is the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Plain,
    /// `hooks.slack.com/services/T…/B…/secret` (also `/workflows/…`, `/triggers/…`), and
    /// GovSlack's `hooks.slack-gov.com`.
    Slack,
    /// `discord.com/api[/vN]/webhooks/id/token`.
    Discord,
    /// `api.telegram.org/bot<token>/method`.
    Telegram,
}

impl Service {
    fn of(host: &Host<'_>) -> Service {
        if host.kind != HostKind::Name {
            return Service::Plain;
        }
        let name = host.name_without_dot();
        if in_domain(name, "slack.com") || in_domain(name, "slack-gov.com") {
            Service::Slack
        } else if in_domain(name, "discord.com") || in_domain(name, "discordapp.com") {
            Service::Discord
        } else if in_domain(name, "telegram.org") {
            Service::Telegram
        } else {
            Service::Plain
        }
    }
}

/// `name` is `domain` or a subdomain of it, in any case.
pub(crate) fn in_domain(name: &str, domain: &str) -> bool {
    let name = name.as_bytes();
    let domain = domain.as_bytes();
    let Some(cut) = name.len().checked_sub(domain.len()) else {
        return false;
    };
    let tail_matches = name
        .get(cut..)
        .is_some_and(|t| t.eq_ignore_ascii_case(domain));
    tail_matches && (cut == 0 || name.get(cut.saturating_sub(1)) == Some(&b'.'))
}

/// Writes the path with `;` parameters masked, and the secret tail of a known hook's path
/// replaced by `/***`.
fn write_masked_path<W: uWrite + ?Sized>(
    w: &mut W,
    service: Service,
    path: &str,
) -> Result<(), W::Error> {
    if path.is_empty() {
        return w.write_str("/");
    }
    // `path` starts with `/`, so the first piece is empty.
    let mut segments = path.split('/').skip(1).enumerate().peekable();
    while let Some((i, seg)) = segments.next() {
        let keep = match service {
            Service::Plain | Service::Telegram => true,
            // Slack: only the kind of hook (`services`) is not secret.
            Service::Slack => i == 0,
            // Discord: `api`, an API version and `webhooks`; the id and token are secret.
            Service::Discord => is_discord_prefix(seg),
        };
        if !keep {
            return w.write_str("/***");
        }
        w.write_str("/")?;
        if service == Service::Telegram && starts_with_ignore_case(seg, "bot") {
            w.write_str("bot***")?;
        } else if service == Service::Telegram && seg.contains(':') {
            // A bot token without its `bot` prefix (`123456:ABC…`).
            w.write_str("***")?;
        } else {
            write_segment_masking_params(w, seg)?;
        }
        if service == Service::Slack && segments.peek().is_some() {
            return w.write_str("/***");
        }
    }
    Ok(())
}

/// A chat hook's path ([`Masking::Chat`]), on any host: Telegram's form where a segment
/// is a bot token; else a known hook's public kind (Slack's `/services`, Discord's
/// `/api/webhooks`) and `/***` for the rest; on any other host, `/***` (one segment may be
/// the whole secret).
fn write_chat_path<W: uWrite + ?Sized>(
    w: &mut W,
    service: Service,
    path: &str,
) -> Result<(), W::Error> {
    if path.is_empty() || path == "/" {
        return w.write_str("/");
    }
    if let Some(at) = path.split('/').skip(1).position(is_bot_token) {
        return write_chat_bot_path(w, path, at);
    }
    let mut first = true;
    for seg in path.split('/').skip(1) {
        let public = match service {
            Service::Slack => first && is_slack_kind(seg),
            Service::Discord => is_discord_prefix(seg),
            Service::Plain | Service::Telegram => false,
        };
        if !public {
            return w.write_str("/***");
        }
        w.write_str("/")?;
        w.write_str(seg)?;
        first = false;
    }
    Ok(())
}

/// `/bot***/sendMessage`: what leads to the bot token (segment `at`) is masked with it,
/// the method after it is shown (its `;` parameters masked).
fn write_chat_bot_path<W: uWrite + ?Sized>(w: &mut W, path: &str, at: usize) -> Result<(), W::Error> {
    if at > 0 {
        w.write_str("/***")?;
    }
    for seg in path.split('/').skip(1).skip(at) {
        w.write_str("/")?;
        if is_bot_token(seg) {
            let bot = starts_with_ignore_case(seg, "bot");
            w.write_str(if bot { "bot***" } else { "***" })?;
        } else {
            write_segment_masking_params(w, seg)?;
        }
    }
    Ok(())
}

/// The kind of a Slack hook, the one segment of its path that is not secret.
fn is_slack_kind(seg: &str) -> bool {
    ["services", "workflows", "triggers"]
        .iter()
        .any(|k| seg.eq_ignore_ascii_case(k))
}

/// A Telegram bot token as a path segment: `bot<id>:<secret>` or `<id>:<secret>`.
fn is_bot_token(seg: &str) -> bool {
    let token = if starts_with_ignore_case(seg, "bot") {
        seg.get(3..).unwrap_or("")
    } else {
        seg
    };
    token
        .split_once(':')
        .is_some_and(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn is_discord_prefix(seg: &str) -> bool {
    let version = seg
        .strip_prefix(['v', 'V'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    version || seg.eq_ignore_ascii_case("api") || seg.eq_ignore_ascii_case("webhooks")
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// `name;params` → `name;***` (path parameters carry session ids and tokens).
fn write_segment_masking_params<W: uWrite + ?Sized>(w: &mut W, seg: &str) -> Result<(), W::Error> {
    match seg.split_once(';') {
        Some((name, _)) => {
            w.write_str(name)?;
            w.write_str(";***")
        }
        None => w.write_str(seg),
    }
}

/// Writes ASCII text lowercased, through a small stack buffer.
fn write_lowercase<W: uWrite + ?Sized>(w: &mut W, s: &str) -> Result<(), W::Error> {
    for chunk in s.as_bytes().chunks(64) {
        let mut buf = [0u8; 64];
        for (d, c) in buf.iter_mut().zip(chunk) {
            *d = c.to_ascii_lowercase();
        }
        let lowered = buf.get(..chunk.len()).unwrap_or(&[]);
        // Lowercasing ASCII bytes keeps UTF-8 valid; a chunk may split a multi-byte
        // character only in text that was never validated, which then prints nothing.
        w.write_str(core::str::from_utf8(lowered).unwrap_or(""))?;
    }
    Ok(())
}

/// The webhook URL for logs, with its secrets masked as `masking` says: userinfo, the
/// query, `;` parameters, a Telegram bot token, the path of a Slack or Discord hook, and
/// in a chat format the path on any host (see [`WebhookUrl::write_masked`]); a URL that
/// does not parse as [`mask_unparsed`] shows it. Start-up and error paths only.
pub fn masked(raw: &str, masking: Masking) -> String {
    match WebhookUrl::parse(raw) {
        Ok(url) => MaskedUrl(url, masking).to_string(),
        Err(_) => {
            let mut out = FixedBuf::<{ MASK_UNPARSED_MAX + CUT_MARKER.len() }>::new();
            let _ = mask_unparsed(raw, &mut out);
            out.as_str().to_owned()
        }
    }
}

/// A parsed URL shown masked as its destination's format says.
struct MaskedUrl<'a>(WebhookUrl<'a>, Masking);

impl fmt::Display for MaskedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_masked(&mut FmtWriter(f), self.1)
    }
}

/// What a refused URL may show in a configuration error: the scheme, and the host and
/// port when they look like a host and port; userinfo becomes `***@`, everything from the
/// first `/`, `?`, `#`, `;` or `\` on becomes `/***`, anything else odd becomes `***`.
/// At most [`MASK_UNPARSED_MAX`] bytes, then `…`. Text without `://` shows as `***`: it
/// may be a bare token.
pub fn mask_unparsed<W: uWrite + ?Sized>(raw: &str, out: &mut W) -> Result<(), W::Error> {
    let mut shown = FixedBuf::<{ MASK_UNPARSED_MAX + 48 }>::new();
    write_unparsed(raw.trim(), &mut shown);
    if shown.len() > MASK_UNPARSED_MAX {
        shown.truncate(MASK_UNPARSED_MAX);
        out.write_str(shown.as_str())?;
        return out.write_str(CUT_MARKER);
    }
    out.write_str(shown.as_str())
}

fn write_unparsed<const N: usize>(raw: &str, w: &mut FixedBuf<N>) {
    let Some((scheme, rest)) = raw.split_once("://") else {
        w.push_bytes_utf8("***");
        return;
    };
    let scheme_ok = scheme.len() <= 16
        && scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    w.push_bytes_utf8(if scheme_ok { scheme } else { "***" });
    w.push_bytes_utf8("://");
    let end = rest
        .find(|c: char| "/?#;\\".contains(c) || c.is_whitespace() || c.is_control())
        .unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or("");
    let host_port = match authority.rsplit_once('@') {
        Some((_, after)) => {
            w.push_bytes_utf8("***@");
            after
        }
        None => authority,
    };
    write_unparsed_host_port(host_port, w);
    if end < rest.len() {
        w.push_bytes_utf8("/***");
    }
}

fn write_unparsed_host_port<const N: usize>(host_port: &str, w: &mut FixedBuf<N>) {
    // `[v6]:port`, or `host:port` split at the first `:`.
    let (host, port) = if host_port.starts_with('[') {
        match host_port.split_once(']') {
            Some((h, rest)) => (h.get(1..).unwrap_or(""), Some(rest)),
            None => (host_port.get(1..).unwrap_or(""), None),
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let bracketed = host_port.starts_with('[');
    let host_chars_ok = host.bytes().all(|b| {
        b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' || (bracketed && b == b':')
    });
    if bracketed {
        w.push_bytes_utf8("[");
    }
    w.push_bytes_utf8(if host_chars_ok { host } else { "***" });
    if bracketed {
        w.push_bytes_utf8("]");
    }
    let Some(port) = port else { return };
    let port = port.strip_prefix(':').unwrap_or(port);
    if bracketed && port.is_empty() {
        return;
    }
    w.push_bytes_utf8(":");
    let digits = port.len() <= 10 && port.bytes().all(|b| b.is_ascii_digit());
    w.push_bytes_utf8(if digits { port } else { "***" });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(raw: &str) -> String {
        masked_as(raw, Masking::ByHost)
    }

    fn masked_as(raw: &str, masking: Masking) -> String {
        let url = WebhookUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        let mut out = FixedBuf::<4096>::new();
        url.write_masked(&mut out, masking).unwrap();
        out.as_str().to_owned()
    }

    #[test]
    fn secrets_are_masked_in_logged_urls() {
        let mask_url = |raw| super::masked(raw, Masking::ByHost);
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
    fn urls_that_do_not_parse_show_no_secret() {
        let mask_url = |raw| super::masked(raw, Masking::Chat);
        assert_eq!(
            mask_url("http://user:SECRET@h:99999/bot1:TOKEN"),
            "http://***@h:99999/***"
        );
        assert_eq!(mask_url("ftp://x/bot123:SECRET/sendMessage"), "ftp://x/***");
    }

    fn unparsed(raw: &str) -> String {
        let mut out = FixedBuf::<256>::new();
        mask_unparsed(raw, &mut out).unwrap();
        out.as_str().to_owned()
    }

    fn host_text(url: &WebhookUrl<'_>) -> String {
        let mut out = FixedBuf::<300>::new();
        url.write_authority(&mut out, true).unwrap();
        out.as_str().to_owned()
    }

    fn target(url: &WebhookUrl<'_>) -> String {
        let mut out = FixedBuf::<4096>::new();
        url.write_target(&mut out).unwrap();
        out.as_str().to_owned()
    }

    #[test]
    fn accepted_forms_parse_to_host_port_and_target() {
        // (url, scheme, authority with port, request target, userinfo)
        let table: &[(&str, Scheme, &str, &str, Option<&str>)] = &[
            ("http://example.com", Scheme::Http, "example.com:80", "/", None),
            ("https://example.com", Scheme::Https, "example.com:443", "/", None),
            ("HTTP://Example.COM/A?B", Scheme::Http, "example.com:80", "/A?B", None),
            ("hTTpS://h/", Scheme::Https, "h:443", "/", None),
            ("http://h.:81/x", Scheme::Http, "h.:81", "/x", None),
            ("http://my_host-1.local/x", Scheme::Http, "my_host-1.local:80", "/x", None),
            ("http://127.0.0.1:18601/x?token=abc", Scheme::Http, "127.0.0.1:18601", "/x?token=abc", None),
            ("http://[::1]:9093/x", Scheme::Http, "[::1]:9093", "/x", None),
            ("https://[2001:DB8::1]/", Scheme::Https, "[2001:db8::1]:443", "/", None),
            ("http://[::ffff:1.2.3.4]:1/", Scheme::Http, "[::ffff:1.2.3.4]:1", "/", None),
            ("http://h:65535/", Scheme::Http, "h:65535", "/", None),
            ("http://h:1/", Scheme::Http, "h:1", "/", None),
            ("http://h:00080/", Scheme::Http, "h:80", "/", None),
            ("http://h?q=1", Scheme::Http, "h:80", "/?q=1", None),
            ("http://h#frag", Scheme::Http, "h:80", "/", None),
            ("http://h/p?q#f?g", Scheme::Http, "h:80", "/p?q", None),
            ("http://h/a;b=c/d", Scheme::Http, "h:80", "/a;b=c/d", None),
            ("http://h/%7Euser/%E2%82%AC", Scheme::Http, "h:80", "/%7Euser/%E2%82%AC", None),
            (
                "http://user:pass@127.0.0.1:18601/x?token=abc",
                Scheme::Http,
                "127.0.0.1:18601",
                "/x?token=abc",
                Some("user:pass"),
            ),
            ("http://u@h/", Scheme::Http, "h:80", "/", Some("u")),
            ("http://:p@h/", Scheme::Http, "h:80", "/", Some(":p")),
            ("http://u%40x:p%3Aw@h/", Scheme::Http, "h:80", "/", Some("u%40x:p%3Aw")),
            ("http://u:p!$&'()*+,;=~@h/", Scheme::Http, "h:80", "/", Some("u:p!$&'()*+,;=~")),
        ];
        for &(raw, scheme, authority, want_target, userinfo) in table {
            let url = WebhookUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(url.scheme(), scheme, "{raw}");
            assert_eq!(host_text(&url), authority, "{raw}");
            assert_eq!(target(&url), want_target, "{raw}");
            assert_eq!(url.userinfo(), userinfo, "{raw}");
        }
    }

    #[test]
    fn host_kinds_are_told_apart() {
        let v4 = WebhookUrl::parse("http://10.1.2.3/").unwrap().host();
        assert_eq!(v4.kind, HostKind::V4(Ipv4Addr::new(10, 1, 2, 3)));
        let v6 = WebhookUrl::parse("http://[::1]/").unwrap().host();
        assert_eq!(v6.kind, HostKind::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(v6.text, "::1");
        let name = WebhookUrl::parse("http://1.example/").unwrap().host();
        assert_eq!(name.kind, HostKind::Name);
        // A last label that is not all digits nor 0x and hex digits is a name.
        for raw in ["http://0x7f.example/", "http://a.0xg/", "http://a.123b/", "http://0x1.1a/"] {
            let host = WebhookUrl::parse(raw).unwrap().host();
            assert_eq!(host.kind, HostKind::Name, "{raw}");
        }
    }

    #[test]
    fn refused_forms_say_why() {
        let long = format!("http://h/{}", "a".repeat(MAX_URL_LEN));
        let table: &[(&str, UrlError)] = &[
            ("", UrlError::Empty),
            (&long, UrlError::TooLong),
            ("http://h/a b", UrlError::SpaceOrControl),
            (" http://h/", UrlError::SpaceOrControl),
            ("http://h/\t", UrlError::SpaceOrControl),
            ("http://h/\n", UrlError::SpaceOrControl),
            ("http://h/\x7f", UrlError::SpaceOrControl),
            ("http://h/é", UrlError::NonAscii),
            ("http://hé/", UrlError::NonAscii),
            ("h/x", UrlError::NoScheme),
            ("http:/h/x", UrlError::NoScheme),
            ("ftp://h/x", UrlError::UnsupportedScheme),
            ("httpx://h/", UrlError::UnsupportedScheme),
            ("://h/", UrlError::UnsupportedScheme),
            ("http://", UrlError::EmptyHost),
            ("http:///x", UrlError::EmptyHost),
            ("http://:80/", UrlError::EmptyHost),
            ("http://u:p@/", UrlError::EmptyHost),
            ("http://@h/", UrlError::BadUserinfo),
            ("http://a@b@h/", UrlError::BadUserinfo),
            ("http://u:p%zz@h/", UrlError::BadUserinfo),
            ("http://u:p%4@h/", UrlError::BadUserinfo),
            ("http://u\"@h/", UrlError::BadUserinfo),
            ("http://h..x/", UrlError::BadHost),
            ("http://.h/", UrlError::BadHost),
            ("http://h../", UrlError::BadHost),
            ("http://h%2e/", UrlError::BadHost),
            ("http://h!/", UrlError::BadHost),
            ("http://1.2.3/", UrlError::NumericHost),
            ("http://1.2.3.4./", UrlError::NumericHost),
            ("http://256.1.1.1/", UrlError::NumericHost),
            ("http://010.0.0.1/", UrlError::NumericHost),
            ("http://[::1/", UrlError::BadIpv6),
            ("http://[::g]/", UrlError::BadIpv6),
            ("http://[::1%25eth0]/", UrlError::ZoneId),
            ("http://[1.2.3.4]/", UrlError::BadIpv6),
            ("http://[::1]x/", UrlError::BadPort),
            ("http://[::1]:/", UrlError::BadPort),
            ("http://h:/", UrlError::BadPort),
            ("http://h:0/", UrlError::BadPort),
            ("http://h:65536/", UrlError::BadPort),
            ("http://127.0.0.1:99999/", UrlError::BadPort),
            ("http://h:123456/", UrlError::BadPort),
            ("http://h:-1/", UrlError::BadPort),
            ("http://h:+80/", UrlError::BadPort),
            ("http://h:8a/", UrlError::BadPort),
            ("http://h:80:80/", UrlError::BadPort),
            ("http://::1/", UrlError::EmptyHost),
        ];
        for &(raw, want) in table {
            assert_eq!(WebhookUrl::parse(raw), Err(want), "{raw:?}");
        }
        let label = format!("http://{}.com/", "a".repeat(64));
        assert_eq!(WebhookUrl::parse(&label), Err(UrlError::BadHost));
        let name = format!("http://{}a/", "a.".repeat(127));
        assert_eq!(WebhookUrl::parse(&name), Err(UrlError::BadHost));
    }

    /// Issue 19: every numeric form but dotted decimal, which resolvers would read as some
    /// address other than the one logged (WHATWG: a host whose last label is numeric is an
    /// IPv4 address); and zone ids, with the reason.
    #[test]
    fn numeric_hosts_but_dotted_decimal_and_zone_ids_are_refused() {
        let table: &[(&str, UrlError)] = &[
            ("http://0177.0.0.1/", UrlError::NumericHost),
            ("http://2130706433/", UrlError::NumericHost),
            ("http://127.1/", UrlError::NumericHost),
            ("http://1.2.3.0x4/", UrlError::NumericHost),
            ("http://0x7f000001/", UrlError::NumericHost),
            ("http://0X7F000001:80/", UrlError::NumericHost),
            ("http://a.0x/", UrlError::NumericHost),
            ("http://example.123/", UrlError::NumericHost),
            ("http://[fe80::1%25eth0]:9093/", UrlError::ZoneId),
            ("http://[fe80::1%eth0]/", UrlError::ZoneId),
        ];
        for &(raw, want) in table {
            assert_eq!(WebhookUrl::parse(raw), Err(want), "{raw:?}");
        }
    }

    #[test]
    fn the_minreq_probe_urls_go_where_they_say_or_nowhere() {
        // minreq posted this to host `user`, port 80.
        let url = WebhookUrl::parse("http://user:pass@127.0.0.1:18601/x?token=abc").unwrap();
        assert_eq!(url.host().kind, HostKind::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(url.port(), 18601);
        // minreq wrapped 99999 to 34463.
        assert_eq!(
            WebhookUrl::parse("http://127.0.0.1:99999/x"),
            Err(UrlError::BadPort)
        );
        // minreq looked `[` up in DNS.
        let url = WebhookUrl::parse("http://[::1]:18601/x").unwrap();
        assert_eq!(url.host().kind, HostKind::V6(Ipv6Addr::LOCALHOST));
    }

    #[test]
    fn error_text_never_quotes_the_url() {
        for raw in [
            "ftp://user:SECRET@h/bot123:TOKEN",
            "http://user:SECRET@h:99999/x?token=TOKEN",
            "http://a@SECRET@h/",
            "http://h/TOKEN SECRET",
        ] {
            let e = WebhookUrl::parse(raw).unwrap_err().to_string();
            assert!(!e.contains("SECRET") && !e.contains("TOKEN"), "{e}");
        }
    }

    #[test]
    fn masked_form_hides_every_secret() {
        let table: &[(&str, &str)] = &[
            ("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"),
            ("http://h", "http://h/"),
            ("https://H.Example.COM:443/x", "https://h.example.com/x"),
            ("http://h:443/x", "http://h:443/x"),
            ("http://[::1]:9093/api/v2/alerts", "http://[::1]:9093/api/v2/alerts"),
            (
                "http://user:pw@alertmanager:9093/api/v2/alerts?token=x",
                "http://***@alertmanager:9093/api/v2/alerts?***",
            ),
            ("http://h/a;jsessionid=S/b;x", "http://h/a;***/b;***"),
            ("http://h/p#secret", "http://h/p"),
            (
                "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
                "https://hooks.slack.com/services/***",
            ),
            (
                "https://HOOKS.SLACK.COM./services/T000/B000/XXXXSECRET",
                "https://hooks.slack.com./services/***",
            ),
            ("https://hooks.slack.com/workflows/T/A/1/S", "https://hooks.slack.com/workflows/***"),
            ("https://hooks.slack.com/services", "https://hooks.slack.com/services"),
            ("https://hooks.slack.com", "https://hooks.slack.com/"),
            ("https://hooks.slack.com/SECRET;x", "https://hooks.slack.com/SECRET;***"),
            (
                "https://discord.com/api/webhooks/123/tok-en",
                "https://discord.com/api/webhooks/***",
            ),
            (
                "https://Discord.com./api/webhooks/123/tok-en",
                "https://discord.com./api/webhooks/***",
            ),
            (
                "https://discordapp.com/api/v10/webhooks/123/tok-en?wait=true",
                "https://discordapp.com/api/v10/webhooks/***?***",
            ),
            ("https://ptb.discord.com/123/tok", "https://ptb.discord.com/***"),
            (
                "https://api.telegram.org/bot123456:AAE-secret/sendMessage",
                "https://api.telegram.org/bot***/sendMessage",
            ),
            (
                "https://API.Telegram.ORG./BOT123456:AAE-secret/sendMessage",
                "https://api.telegram.org./bot***/sendMessage",
            ),
            (
                "https://api.telegram.org/123456:AAE-secret/sendMessage",
                "https://api.telegram.org/***/sendMessage",
            ),
            ("https://api.telegram.org/bot123456:AAE-secret", "https://api.telegram.org/bot***"),
            // Not the service: a look-alike host keeps its path.
            ("https://notslack.com/services/a/b", "https://notslack.com/services/a/b"),
        ];
        for &(raw, want) in table {
            assert_eq!(masked(raw), want, "{raw}");
        }
    }

    #[test]
    fn in_a_chat_format_the_path_is_the_secret_on_any_host() {
        // Issue 19: the token of a self-hosted Bot API, a Mattermost hook key, a GovSlack
        // hook and a Discord hook on another host were logged in clear.
        let table: &[(&str, &str)] = &[
            (
                "http://botapi.internal:8081/bot123456:AAE-secret/sendMessage",
                "http://botapi.internal:8081/bot***/sendMessage",
            ),
            (
                "http://botapi.internal:8081/tg/123456:AAE-secret/sendMessage",
                "http://botapi.internal:8081/***/***/sendMessage",
            ),
            ("https://hooks.slack.com/SECRET/x", "https://hooks.slack.com/***"),
            (
                "https://hooks.slack.com/services/bot1:SECRET/x;k=SECRET",
                "https://hooks.slack.com/***/bot***/x;***",
            ),
            ("https://chat.example/hooks/SECRETKEY", "https://chat.example/***"),
            ("https://relay.example/SECRET", "https://relay.example/***"),
            ("https://relay.example/bottom/SECRET", "https://relay.example/***"),
            ("https://relay.example/", "https://relay.example/"),
            ("https://relay.example", "https://relay.example/"),
            ("https://u:PW@relay.example/x?k=S", "https://***@relay.example/***?***"),
            (
                "https://hooks.slack-gov.com/services/T0/B0/SECRET",
                "https://hooks.slack-gov.com/services/***",
            ),
            (
                "https://discord-relay.example/api/webhooks/1/SECRET",
                "https://discord-relay.example/***",
            ),
            // Known services keep their forms.
            (
                "https://hooks.slack.com/services/T0/B0/SECRET",
                "https://hooks.slack.com/services/***",
            ),
            (
                "https://discord.com/api/webhooks/1/SECRET",
                "https://discord.com/api/webhooks/***",
            ),
            (
                "https://api.telegram.org/bot1:SECRET/sendMessage",
                "https://api.telegram.org/bot***/sendMessage",
            ),
            ("https://api.telegram.org/SECRET/x", "https://api.telegram.org/***"),
        ];
        for &(raw, want) in table {
            assert_eq!(masked_as(raw, Masking::Chat), want, "{raw}");
            assert_eq!(super::masked(raw, Masking::Chat), want, "{raw}");
        }
        // A generic receiver's path is shown (an Alertmanager's /api/v2/alerts), but for
        // the hooks of known services, found by host.
        assert_eq!(
            masked_as("http://am:9093/api/v2/alerts", Masking::ByHost),
            "http://am:9093/api/v2/alerts"
        );
        assert_eq!(
            masked_as("https://hooks.slack-gov.com/services/T0/B0/SECRET", Masking::ByHost),
            "https://hooks.slack-gov.com/services/***"
        );
    }

    #[test]
    fn display_and_debug_are_the_masked_form() {
        let url = WebhookUrl::parse("http://u:SECRET@h/x?TOKEN").unwrap();
        assert_eq!(url.to_string(), "http://***@h/x?***");
        assert_eq!(format!("{url:?}"), "http://***@h/x?***");
    }

    #[test]
    fn unparsed_urls_show_only_scheme_host_and_port() {
        let long_host = format!("http://{}/x", "h".repeat(120));
        let want_long = format!("http://{}\u{2026}", "h".repeat(73));
        let table: &[(&str, &str)] = &[
            ("ftp://x/bot123:SECRET/sendMessage", "ftp://x/***"),
            ("https://api.telegram.org/bot123:SECRET/sendMessage", "https://api.telegram.org/***"),
            ("http://user:SECRET@h:99999/x?t=1", "http://***@h:99999/***"),
            ("http://a@SECRET@h/", "http://***@h/***"),
            ("http://h:SECRET/", "http://h:***/***"),
            ("http://h?token=SECRET", "http://h/***"),
            ("http://h;SECRET", "http://h/***"),
            ("http://h\\SECRET", "http://h/***"),
            ("http://h SECRET", "http://h/***"),
            ("http://SE$CRET/", "http://***/***"),
            ("http://[::1]:99999/x", "http://[::1]:99999/***"),
            ("http://[::1/x", "http://[::1]/***"),
            ("123456:SECRET", "***"),
            ("hooks.slack.com/services/T/B/SECRET", "***"),
            ("a%b://h/", "***://h/***"),
            ("  http://h/x  ", "http://h/***"),
            ("http://héllo/", "http://***/***"),
            (&long_host, &want_long),
        ];
        for &(raw, want) in table {
            assert_eq!(unparsed(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn in_domain_matches_the_domain_and_its_subdomains_only() {
        assert!(in_domain("slack.com", "slack.com"));
        assert!(in_domain("hooks.SLACK.com", "slack.com"));
        assert!(!in_domain("notslack.com", "slack.com"));
        assert!(!in_domain("lack.com", "slack.com"));
        assert!(!in_domain("slack.com.evil", "slack.com"));
    }
}
