//! Which proxy, if any, a webhook request goes through, chosen from the environment the
//! way curl chooses it:
//! - `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http URLs,
//!   and `all_proxy`/`ALL_PROXY` when the scheme's own is unset; the lowercase name wins
//!   when both are set, and a blank value counts as unset; a value that is not UTF-8 is an
//!   error naming the variable, never passed over for the next. (curl reads only the lowercase
//!   `http_proxy`, because a CGI program gets `HTTP_PROXY` from a request header; a daemon
//!   has no such header, so both are read here.)
//! - `no_proxy`/`NO_PROXY`: comma-separated names and IP literals; a name matches itself
//!   and its subdomains, with or without a leading dot (`example.com` and `.example.com`
//!   both match `example.com` and `a.example.com`); an IP literal matches that address;
//!   a range (`10.0.0.0/8`, `fd00::/8`, as curl >= 7.86) matches the address literals in
//!   it, never a name (none is looked up); `*` matches every host; blanks are ignored. An
//!   entry of none of these forms (`*.example.com`, `host:port`) never matches and the
//!   rest of the list applies; [`unusable_no_proxy_entries`] lists them for a warning.
//! - A proxy is `[http://][user:password@]host[:port][/]`, port 1080 by default as in
//!   curl. `https://` (TLS to the proxy) and SOCKS proxies are refused with a clear error.
//!
//! Pure: the environment comes in as a lookup function, so tests need not touch the
//! process environment. Allocates only for the chosen proxy, once, at start-up. A proxy's
//! credentials never appear in its `Display` or `Debug` forms, nor in any error.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::ffi::OsString;

use ufmt::{uWrite, uwrite};

use crate::deliver::url::{check_bytes, in_domain, parse_authority, FmtWriter, Host, HostKind, Scheme};
use crate::deliver::url::{UrlError, WebhookUrl};

/// curl's default proxy port.
pub(crate) const DEFAULT_PROXY_PORT: u16 = 1080;

/// An HTTP proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// As written (brackets of an IPv6 literal removed), lowercased.
    host: String,
    kind: HostKind,
    port: u16,
    /// Percent-encoded `user[:password]`, sent as `Proxy-Authorization: Basic`.
    userinfo: Option<String>,
}

/// Why a proxy variable was refused; the variable is named, its value never repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyError {
    pub var: &'static str,
    pub problem: ProxyProblem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyProblem {
    Url(UrlError),
    /// `https://proxy`: TLS to the proxy itself is not supported.
    HttpsProxy,
    /// `socks5://` and any other scheme.
    UnsupportedScheme,
    /// Something after `host:port` other than `/`.
    HasPath,
    /// The value is not UTF-8: refused rather than passed over for the next variable.
    NotUtf8,
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.problem {
            ProxyProblem::Url(e) => e.as_str(),
            ProxyProblem::HttpsProxy => {
                "https:// proxies are not supported; give the proxy as http://host:port (requests to https URLs are still encrypted end to end through it)"
            }
            ProxyProblem::UnsupportedScheme => {
                "only http:// proxies are supported (not SOCKS or other schemes)"
            }
            ProxyProblem::HasPath => "a proxy is http://[user:password@]host[:port] with no path",
            ProxyProblem::NotUtf8 => "the value is not UTF-8 text",
        };
        write!(f, "{} is not a usable proxy: {why}", self.var)
    }
}

impl std::error::Error for ProxyError {}

impl Proxy {
    /// Parses a proxy URL; `var` names the variable it came from, for the error.
    pub fn parse(text: &str, var: &'static str) -> Result<Proxy, ProxyError> {
        let err = |problem| ProxyError { var, problem };
        let text = text.trim();
        check_bytes(text).map_err(|e| err(ProxyProblem::Url(e)))?;
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err(err(ProxyProblem::HttpsProxy))
            }
            Some(_) => return Err(err(ProxyProblem::UnsupportedScheme)),
            // curl takes a bare `host:port` as an HTTP proxy.
            None => text,
        };
        let end = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = (rest.get(..end).unwrap_or(rest), rest.get(end..).unwrap_or(""));
        if !path.is_empty() && path != "/" {
            return Err(err(ProxyProblem::HasPath));
        }
        let a = parse_authority(authority).map_err(|e| err(ProxyProblem::Url(e)))?;
        Ok(Proxy {
            host: a.host.text.to_ascii_lowercase(),
            kind: a.host.kind,
            port: a.port.unwrap_or(DEFAULT_PROXY_PORT),
            userinfo: a.userinfo.map(str::to_owned),
        })
    }

    pub fn host(&self) -> Host<'_> {
        Host {
            text: &self.host,
            kind: self.kind,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The raw credentials, for `Proxy-Authorization` only.
    pub fn userinfo(&self) -> Option<&str> {
        self.userinfo.as_deref()
    }

    /// `http://[***@]host:port`.
    pub fn write_masked<W: uWrite + ?Sized>(&self, w: &mut W) -> Result<(), W::Error> {
        w.write_str("http://")?;
        if self.userinfo.is_some() {
            w.write_str("***@")?;
        }
        self.host().write_lower(w)?;
        uwrite!(w, ":{}", self.port)
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_masked(&mut FmtWriter(f))
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_masked(&mut FmtWriter(f))
    }
}

/// The proxy for a request to `url`, or `None` for a direct connection.
pub fn choose(
    env: impl Fn(&str) -> Option<OsString>,
    url: &WebhookUrl<'_>,
) -> Result<Option<Proxy>, ProxyError> {
    if let Some((_, list)) = no_proxy(&env)? {
        if no_proxy_matches(&list, &url.host()) {
            return Ok(None);
        }
    }
    let names = match url.scheme() {
        Scheme::Https => ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        Scheme::Http => ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
    };
    match first_set(&env, &names)? {
        Some((var, value)) => Proxy::parse(&value, var).map(Some),
        None => Ok(None),
    }
}

/// The `no_proxy` list in effect and its variable (lowercase wins), if any.
pub fn no_proxy(
    env: &impl Fn(&str) -> Option<OsString>,
) -> Result<Option<(&'static str, String)>, ProxyError> {
    first_set(env, &["no_proxy", "NO_PROXY"])
}

/// The first of `names` that is set, in order. Blank counts as unset, as in curl; a value
/// that is not UTF-8 is an error, never passed over for the next name.
fn first_set(
    env: &impl Fn(&str) -> Option<OsString>,
    names: &[&'static str],
) -> Result<Option<(&'static str, String)>, ProxyError> {
    for &var in names {
        let Some(raw) = env(var) else { continue };
        let value = raw.into_string().map_err(|_| ProxyError {
            var,
            problem: ProxyProblem::NotUtf8,
        })?;
        if !value.trim().is_empty() {
            return Ok(Some((var, value)));
        }
    }
    Ok(None)
}

/// Whether a `no_proxy` list exempts `host`. Entries that are none of the forms in
/// [`Entry`] never match ([`unusable_no_proxy_entries`] lists them for a warning); the
/// rest of the list still applies.
fn no_proxy_matches(list: &str, host: &Host<'_>) -> bool {
    no_proxy_entries(list)
        .filter_map(parse_entry)
        .any(|entry| entry_matches(entry, host))
}

fn no_proxy_entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|e| !e.is_empty())
}

/// The entries of a `no_proxy` list that can never match (`*.example.com`,
/// `host:port`, `10.0.0.0/33`), to warn about at start.
pub fn unusable_no_proxy_entries(list: &str) -> impl Iterator<Item = &str> {
    no_proxy_entries(list).filter(|e| parse_entry(e).is_none())
}

/// One `no_proxy` entry, as curl (>= 7.86) reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry<'a> {
    /// `*`: every host.
    All,
    /// A name, without its leading and trailing dot: itself and its subdomains.
    Name(&'a str),
    /// An address, or a range `addr/bits` (an address is a range of all its bits). It
    /// matches an address literal only: no name is looked up for it.
    V4(Ipv4Addr, u32),
    V6(Ipv6Addr, u32),
}

fn parse_entry(entry: &str) -> Option<Entry<'_>> {
    if entry == "*" {
        return Some(Entry::All);
    }
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (entry, None),
    };
    let bare = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let prefix = |max: u32| match bits {
        None => Some(max),
        Some(b) if !b.is_empty() && b.len() <= 3 && b.bytes().all(|c| c.is_ascii_digit()) => {
            b.parse::<u32>().ok().filter(|&b| b <= max)
        }
        Some(_) => None,
    };
    if let Ok(ip) = bare.parse::<Ipv4Addr>() {
        return Some(Entry::V4(ip, prefix(32)?));
    }
    if let Ok(ip) = bare.parse::<Ipv6Addr>() {
        return Some(Entry::V6(ip, prefix(128)?));
    }
    let name = entry.strip_prefix('.').unwrap_or(entry);
    let name = name.strip_suffix('.').unwrap_or(name);
    let name_like = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    (!name.is_empty() && name.bytes().all(name_like)).then_some(Entry::Name(name))
}

fn entry_matches(entry: Entry<'_>, host: &Host<'_>) -> bool {
    match (entry, host.kind) {
        (Entry::All, _) => true,
        (Entry::Name(domain), HostKind::Name) => in_domain(host.name_without_dot(), domain),
        (Entry::V4(net, bits), HostKind::V4(ip)) => {
            same_prefix(u32::from(net).into(), u32::from(ip).into(), 32, bits)
        }
        (Entry::V6(net, bits), HostKind::V6(ip)) => {
            same_prefix(u128::from(net), u128::from(ip), 128, bits)
        }
        _ => false,
    }
}

/// Whether two addresses `width` bits wide agree in their first `bits`.
fn same_prefix(a: u128, b: u128, width: u32, bits: u32) -> bool {
    // Shifting out the whole width (a /0) leaves nothing to differ.
    (a ^ b).checked_shr(width.saturating_sub(bits)).unwrap_or(0) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let owned: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    /// The chosen proxy as `Display` shows it, or "direct".
    fn chosen(pairs: &[(&str, &str)], url: &str) -> String {
        let url = WebhookUrl::parse(url).unwrap();
        match choose(env_of(pairs), &url).unwrap() {
            Some(p) => p.to_string(),
            None => "direct".into(),
        }
    }

    #[test]
    fn the_variable_follows_the_scheme_and_lowercase_wins() {
        // (environment, URL, the proxy chosen)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let table: &[Case<'_>] = &[
            (&[], "https://h/", "direct"),
            (&[("HTTPS_PROXY", "p1:3128")], "https://h/", "http://p1:3128"),
            (&[("HTTPS_PROXY", "p1:3128")], "http://h/", "direct"),
            (&[("https_proxy", "p2"), ("HTTPS_PROXY", "p1")], "https://h/", "http://p2:1080"),
            (&[("https_proxy", "  "), ("HTTPS_PROXY", "p1")], "https://h/", "http://p1:1080"),
            (&[("HTTP_PROXY", "http://p3:8080/")], "http://h/", "http://p3:8080"),
            (&[("http_proxy", "p4"), ("HTTP_PROXY", "p3")], "http://h/", "http://p4:1080"),
            (&[("ALL_PROXY", "p5")], "https://h/", "http://p5:1080"),
            (&[("all_proxy", "p6"), ("ALL_PROXY", "p5")], "http://h/", "http://p6:1080"),
            (&[("all_proxy", "p6"), ("http_proxy", "p4")], "http://h/", "http://p4:1080"),
            (&[("HTTPS_PROXY", "http://U:P@P1.Example:3128")], "https://h/", "http://***@p1.example:3128"),
            (&[("HTTPS_PROXY", "http://[::1]:3128")], "https://h/", "http://[::1]:3128"),
        ];
        for &(pairs, url, want) in table {
            assert_eq!(chosen(pairs, url), want, "{pairs:?} {url}");
        }
    }

    #[test]
    fn no_proxy_exempts_names_suffixes_and_exact_addresses() {
        let p = ("HTTPS_PROXY", "proxy:3128");
        let table: &[(&str, &str, bool)] = &[
            ("example.com", "https://example.com/", true),
            ("example.com", "https://a.example.com/", true),
            (".example.com", "https://example.com/", true),
            (".example.com", "https://a.b.example.com/", true),
            ("example.com", "https://EXAMPLE.com./", true),
            ("example.com.", "https://example.com/", true),
            ("example.com", "https://notexample.com/", false),
            ("example.com", "https://example.com.evil/", false),
            (" , other.org ,example.com ", "https://example.com/", true),
            ("*", "https://anything/", true),
            ("a, *", "https://anything/", true),
            ("*.example.com", "https://a.example.com/", false),
            ("127.0.0.1", "https://127.0.0.1:8443/", true),
            ("127.0.0.1", "https://127.0.0.2/", false),

            ("localhost", "https://127.0.0.1/", false),
            ("::1", "https://[::1]/", true),
            ("[::1]", "https://[0:0::1]/", true),
            ("::2", "https://[::1]/", false),
            ("1.2.3.4", "https://1.2.3.4.example/", false),
            (",,", "https://h/", false),
        ];
        for &(list, url, exempt) in table {
            let want = if exempt { "direct" } else { "http://proxy:3128" };
            assert_eq!(chosen(&[p, ("NO_PROXY", list)], url), want, "{list:?} {url}");
        }
        // Lowercase wins here too.
        assert_eq!(
            chosen(&[p, ("no_proxy", "other"), ("NO_PROXY", "h")], "https://h/"),
            "http://proxy:3128"
        );
    }

    /// Issue 19, item 4: `NO_PROXY=127.0.0.0/8` is bypassed by curl >= 7.86 but was not
    /// here. A range matches an address literal in it, never a name (none is looked up).
    #[test]
    fn no_proxy_ranges_match_address_literals_as_in_curl() {
        let p = ("HTTPS_PROXY", "proxy:3128");
        let table: &[(&str, &str, bool)] = &[
            ("127.0.0.0/8", "https://127.0.0.1/", true),
            ("127.0.0.0/8", "https://127.255.255.254:8443/", true),
            ("127.0.0.0/8", "https://128.0.0.1/", false),
            ("10.0.0.0/8", "https://10.200.3.4/", true),
            ("10.0.0.0/8", "https://11.0.0.1/", false),
            ("192.168.1.0/24", "https://192.168.1.77/", true),
            ("192.168.1.0/24", "https://192.168.2.1/", false),
            ("192.168.1.7/32", "https://192.168.1.7/", true),
            ("0.0.0.0/0", "https://203.0.113.9/", true),
            ("::1/128", "https://[::1]/", true),
            ("::1/128", "https://[::2]/", false),
            ("fd00::/8", "https://[fd12:3456::1]/", true),
            ("fd00::/8", "https://[fe80::1]/", false),
            ("[fd00::]/8", "https://[fd00::1]/", true),
            ("::/0", "https://[2001:db8::1]/", true),
            // Another family, a name, a prefix too long: no match.
            ("::/0", "https://203.0.113.9/", false),
            ("0.0.0.0/0", "https://[::1]/", false),
            ("127.0.0.0/8", "https://localhost/", false),
            ("127.0.0.1/33", "https://127.0.0.1/", false),
            ("fd00::/129", "https://[fd00::1]/", false),
            ("127.0.0.0/x", "https://127.0.0.1/", false),
            // The rest of a list with a bad entry still applies.
            ("*.example.com, 10.0.0.0/8", "https://10.1.1.1/", true),
        ];
        for &(list, url, exempt) in table {
            let want = if exempt { "direct" } else { "http://proxy:3128" };
            assert_eq!(chosen(&[p, ("NO_PROXY", list)], url), want, "{list:?} {url}");
        }
    }

    /// Issue 19, item 4: a variable that is not UTF-8 was passed over for the next one (a
    /// lowercase `https_proxy` for `HTTPS_PROXY`). It is an error naming it; so is a set
    /// lowercase one that is bad, never a fall-back.
    #[test]
    fn a_proxy_variable_that_is_not_utf8_is_an_error_naming_it() {
        use std::os::unix::ffi::OsStringExt;
        let url = WebhookUrl::parse("https://h/").unwrap();
        let table: &[(&str, (&str, &str))] = &[
            ("https_proxy", ("HTTPS_PROXY", "p1:3128")),
            ("HTTPS_PROXY", ("ALL_PROXY", "p5")),
            ("all_proxy", ("ALL_PROXY", "p5")),
            ("no_proxy", ("HTTPS_PROXY", "p1")),
            ("NO_PROXY", ("HTTPS_PROXY", "p1")),
        ];
        for &(var, (other, value)) in table {
            let env = move |name: &str| match name {
                _ if name == var => Some(OsString::from_vec(b"h\xff".to_vec())),
                _ if name == other => Some(OsString::from(value)),
                _ => None,
            };
            let want = ProxyError {
                var,
                problem: ProxyProblem::NotUtf8,
            };
            assert_eq!(choose(env, &url), Err(want), "{var}");
        }
        let env = env_of(&[("https_proxy", "socks5://p"), ("HTTPS_PROXY", "p1")]);
        assert_eq!(
            choose(env, &url).unwrap_err().var,
            "https_proxy",
            "no fall-back"
        );
    }

    #[test]
    fn unusable_no_proxy_entries_are_listed_and_the_rest_kept() {
        let list = "localhost, *.example.com, .corp., host:8080, 10.0.0.0/33, 10.0.0.0/8, ::1, [::1]/128, fd00::/8, a b, *, 1.2.3.4/";
        let bad: Vec<&str> = unusable_no_proxy_entries(list).collect();
        assert_eq!(bad, ["*.example.com", "host:8080", "10.0.0.0/33", "a b", "1.2.3.4/"]);
    }

    #[test]
    fn bad_proxies_are_refused_naming_the_variable_only() {
        let table: &[(&str, ProxyProblem)] = &[
            ("https://p:3128", ProxyProblem::HttpsProxy),
            ("socks5://p:1080", ProxyProblem::UnsupportedScheme),
            ("http://p:3128/path", ProxyProblem::HasPath),
            ("http://p:99999", ProxyProblem::Url(UrlError::BadPort)),
            ("http://a@b@p", ProxyProblem::Url(UrlError::BadUserinfo)),
            ("http://", ProxyProblem::Url(UrlError::EmptyHost)),
            ("http://p q", ProxyProblem::Url(UrlError::SpaceOrControl)),
            // Issue 19: the same numeric-host and zone rules as webhook URLs.
            ("http://0x7f.0.0.1:3128", ProxyProblem::Url(UrlError::NumericHost)),
            ("127.1:3128", ProxyProblem::Url(UrlError::NumericHost)),
            ("http://[fe80::1%25eth0]:3128", ProxyProblem::Url(UrlError::ZoneId)),
        ];
        for &(value, problem) in table {
            let url = WebhookUrl::parse("https://h/").unwrap();
            let got = choose(env_of(&[("https_proxy", value)]), &url);
            assert_eq!(
                got,
                Err(ProxyError {
                    var: "https_proxy",
                    problem
                }),
                "{value}"
            );
        }
        let e = Proxy::parse("https://user:SECRET@p", "HTTPS_PROXY").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("HTTPS_PROXY is not a usable proxy"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn credentials_are_kept_for_the_header_and_masked_everywhere_else() {
        let p = Proxy::parse("http://user:SECRET@proxy.local:3128", "HTTP_PROXY").unwrap();
        assert_eq!(p.userinfo(), Some("user:SECRET"));
        assert_eq!(p.port(), 3128);
        assert_eq!(p.host().text, "proxy.local");
        for shown in [p.to_string(), format!("{p:?}"), format!("{:?}", Some(&p))] {
            assert!(!shown.contains("SECRET") && !shown.contains("user"), "{shown}");
        }
    }
}
