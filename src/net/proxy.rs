//! Which proxy, if any, a webhook request goes through, chosen from the environment the
//! way curl chooses it:
//! - `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http URLs,
//!   and `all_proxy`/`ALL_PROXY` when the scheme's own is unset; the lowercase name wins
//!   when both are set, and a blank value counts as unset. (curl reads only the lowercase
//!   `http_proxy`, because a CGI program gets `HTTP_PROXY` from a request header; a daemon
//!   has no such header, so both are read here.)
//! - `no_proxy`/`NO_PROXY`: comma-separated names and IP literals; a name matches itself
//!   and its subdomains, with or without a leading dot (`example.com` and `.example.com`
//!   both match `example.com` and `a.example.com`); an IP literal matches that address
//!   only (no CIDR ranges); `*` matches every host; blanks are ignored.
//! - A proxy is `[http://][user:password@]host[:port][/]`, port 1080 by default as in
//!   curl. `https://` (TLS to the proxy) and SOCKS proxies are refused with a clear error.
//!
//! Pure: the environment comes in as a lookup function, so tests need not touch the
//! process environment. Allocates only for the chosen proxy, once, at start-up. A proxy's
//! credentials never appear in its `Display` or `Debug` forms, nor in any error.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use ufmt::{uWrite, uwrite};

use crate::url::{check_bytes, in_domain, parse_authority, FmtWriter, Host, HostKind, Scheme};
use crate::url::{UrlError, WebhookUrl};

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
    env: impl Fn(&str) -> Option<String>,
    url: &WebhookUrl<'_>,
) -> Result<Option<Proxy>, ProxyError> {
    let set = |name: &'static str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    };
    if let Some((_, list)) = set("no_proxy").or_else(|| set("NO_PROXY")) {
        if no_proxy_matches(&list, &url.host()) {
            return Ok(None);
        }
    }
    let (lower, upper) = match url.scheme() {
        Scheme::Https => ("https_proxy", "HTTPS_PROXY"),
        Scheme::Http => ("http_proxy", "HTTP_PROXY"),
    };
    let chosen = set(lower)
        .or_else(|| set(upper))
        .or_else(|| set("all_proxy"))
        .or_else(|| set("ALL_PROXY"));
    match chosen {
        Some((var, value)) => Proxy::parse(&value, var).map(Some),
        None => Ok(None),
    }
}

/// Whether a `no_proxy` list exempts `host`.
fn no_proxy_matches(list: &str, host: &Host<'_>) -> bool {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| entry == "*" || entry_matches(entry, host))
}

fn entry_matches(entry: &str, host: &Host<'_>) -> bool {
    match host.kind {
        HostKind::Name => {
            let domain = entry.strip_prefix('.').unwrap_or(entry);
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            !domain.is_empty() && in_domain(host.name_without_dot(), domain)
        }
        HostKind::V4(ip) => entry.parse::<Ipv4Addr>() == Ok(ip),
        HostKind::V6(ip) => {
            let bare = entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry);
            bare.parse::<Ipv6Addr>() == Ok(ip)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
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
            ("127.0.0.0/8", "https://127.0.0.1/", false),
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
