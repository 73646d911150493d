//! The webhook client: one `POST` per call on one fresh connection, all of it within one
//! deadline. With [`super::tls`], the only code that touches the network.
//!
//! What a hostile or broken server can do to it, and what it cannot:
//! - Time: `post` takes at most the endpoint's timeout (after the DNS lookup, see
//!   [`connect`]). Connecting, the proxy's CONNECT, the TLS handshake, writing and reading
//!   all share one deadline: each address gets `connect_timeout` with the time left, and
//!   before every read and write the socket's timeout is set to the time left. A server
//!   that never answers, or trickles a byte at a time, is cut at the deadline.
//! - Threads and sockets: none are spawned; the one socket is owned by `post` and closed
//!   when it returns, whatever happened.
//! - Memory: the answer's head is read into a fixed 8 KiB buffer; of the body, at most
//!   64 KiB are read and only the first 200 bytes kept (for the log of a refused
//!   message); a 2xx answer's body is not read at all. Nothing grows with what the
//!   server sends.
//! - Redirects are never followed: a 3xx is an answer, with its `Location` for the log.
//!
//! It may allocate (DNS results, the TLS session), but only while sending.

use core::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ufmt::{uWrite, uwrite};

use super::basic_auth::write_credentials;
#[cfg(feature = "https")]
use super::error::TlsFailure;
use super::error::HttpError;
use super::proxy::Proxy;
use super::response::{
    leading_blank_len, parse_head, status_of, ChunkDecoder, HeadError, MAX_HEAD,
    MAX_LEADING_BLANK,
};
use crate::text::FixedBuf;
use crate::deliver::url::{Host, HostKind, Masking, Scheme, UrlError, WebhookUrl};

/// The most body bytes read after a head, kept or not.
pub(crate) const MAX_BODY_READ: usize = 64 * 1024;
/// How much of an answer's body is kept for the log.
pub(crate) const BODY_HEAD_LEN: usize = 200;
/// How much of a `Location` header is kept.
pub(crate) const LOCATION_LEN: usize = 512;
/// 1xx answers skipped before the final one (`100 Continue`, `103 Early Hints`).
const MAX_INTERIM_ANSWERS: u8 = 4;
/// Room for the request head: a URL of at most 2 KiB, its credentials in base64, and the
/// fixed headers.
const REQUEST_HEAD_CAP: usize = 8 * 1024;

const USER_AGENT: &str = concat!("lingerwatch/", env!("CARGO_PKG_VERSION"));

/// Where a webhook request goes and how: the URL (checked once, here), the proxy, the
/// timeout of one whole request, and (https build) the roots it trusts. `Debug` shows the
/// URL and proxy masked.
#[derive(Clone)]
pub struct Endpoint {
    /// Text that [`WebhookUrl::parse`] accepted; parsed again (a short scan) by each
    /// `post` rather than kept as a self-referential struct.
    url: Box<str>,
    proxy: Option<Proxy>,
    timeout: Duration,
    /// How logs show its URL (and where a redirect points): by its format.
    masking: Masking,
    #[cfg(feature = "https")]
    tls: Option<super::tls::TlsConfig>,
}

impl Endpoint {
    pub fn new(url: &str, timeout: Duration) -> Result<Endpoint, UrlError> {
        WebhookUrl::parse(url)?;
        Ok(Endpoint {
            url: url.into(),
            proxy: None,
            timeout,
            masking: Masking::default(),
            #[cfg(feature = "https")]
            tls: None,
        })
    }

    /// Masks its URL in logs as `masking` says (its destination's format).
    pub fn with_masking(mut self, masking: Masking) -> Endpoint {
        self.masking = masking;
        self
    }

    pub fn masking(&self) -> Masking {
        self.masking
    }

    /// Sends through `proxy` (see [`super::proxy::choose`]).
    pub fn with_proxy(mut self, proxy: Option<Proxy>) -> Endpoint {
        self.proxy = proxy;
        self
    }

    /// Trusts these roots for https; without it, the bundled roots only.
    #[cfg(feature = "https")]
    pub fn with_tls(mut self, tls: super::tls::TlsConfig) -> Endpoint {
        self.tls = Some(tls);
        self
    }

    pub fn url(&self) -> Result<WebhookUrl<'_>, UrlError> {
        WebhookUrl::parse(&self.url)
    }

    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.url() {
            Ok(url) => {
                f.write_str("Endpoint(")?;
                url.write_masked(&mut crate::deliver::url::FmtWriter(f), self.masking)?;
            }
            Err(e) => write!(f, "Endpoint(invalid URL: {e}")?,
        }
        if let Some(p) = &self.proxy {
            write!(f, " via {p}")?;
        }
        write!(f, ", timeout {:?})", self.timeout)
    }
}

/// The first bytes of something longer, and whether it was cut.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Snippet<const N: usize> {
    bytes: heapless::Vec<u8, N>,
    cut: bool,
}

impl<const N: usize> Snippet<N> {
    pub(crate) fn push(&mut self, more: &[u8]) {
        let room = N.saturating_sub(self.bytes.len());
        let take = more.get(..room).unwrap_or(more);
        let _ = self.bytes.extend_from_slice(take);
        self.cut |= take.len() < more.len();
    }

    fn is_full(&self) -> bool {
        self.bytes.len() >= N
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// More came than was kept.
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

impl<const N: usize> fmt::Debug for Snippet<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.bytes))?;
        if self.cut {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// The server's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// As the server sent it, which may hold secrets: mask it before logging.
    pub location: Option<Snippet<LOCATION_LEN>>,
    /// The body's first bytes (chunked framing removed); empty for a 2xx.
    pub body_head: Snippet<BODY_HEAD_LEN>,
    /// `Retry-After`, in seconds, when the server sent one.
    pub retry_after_s: Option<u64>,
}

/// POSTs `body` as JSON to the endpoint and returns the server's answer.
pub fn post(endpoint: &Endpoint, body: &[u8]) -> Result<Answer, HttpError> {
    let url = endpoint.url().map_err(HttpError::Url)?;
    if cfg!(not(feature = "https")) && url.scheme() == Scheme::Https {
        return Err(HttpError::HttpsUnavailable);
    }
    let deadline = Deadline::after(endpoint.timeout);
    let proxy = endpoint.proxy.as_ref();
    let (host, port) = match proxy {
        Some(p) => (p.host(), p.port()),
        None => (url.host(), url.port()),
    };
    let mut sock = Timed {
        tcp: connect(&host, port, &deadline)?,
        deadline,
    };
    match url.scheme() {
        Scheme::Http => {
            let absolute = proxy.is_some();
            let answer = exchange(&mut sock, &url, proxy, absolute, body)?;
            match (proxy, answer.status) {
                (Some(_), 407) => Err(HttpError::ProxyRefused {
                    status: 407,
                    connect: false,
                }),
                _ => Ok(answer),
            }
        }
        Scheme::Https => {
            if let Some(p) = proxy {
                open_tunnel(&mut sock, &url, p)?;
            }
            post_tls(endpoint, sock, &url, body)
        }
    }
}

#[cfg(feature = "https")]
fn post_tls(
    endpoint: &Endpoint,
    sock: Timed,
    url: &WebhookUrl<'_>,
    body: &[u8],
) -> Result<Answer, HttpError> {
    let tls = match &endpoint.tls {
        Some(t) => t.clone(),
        None => super::tls::TlsConfig::bundled().map_err(|_| HttpError::Tls(TlsFailure::Handshake))?,
    };
    let mut stream = rustls::StreamOwned::new(tls.client_for(&url.host())?, sock);
    // The handshake first, so its failures are told apart from the exchange's.
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(classify_io)?;
    }
    exchange(&mut stream, url, None, false, body)
}

#[cfg(not(feature = "https"))]
fn post_tls(
    _endpoint: &Endpoint,
    _sock: Timed,
    _url: &WebhookUrl<'_>,
    _body: &[u8],
) -> Result<Answer, HttpError> {
    Err(HttpError::HttpsUnavailable)
}

/// The end of the time one request may take.
#[derive(Clone, Copy, Debug)]
struct Deadline(Instant);

impl Deadline {
    fn after(timeout: Duration) -> Deadline {
        let now = Instant::now();
        // A timeout too large for the clock is as good as none.
        let far = now.checked_add(Duration::from_secs(86_400)).unwrap_or(now);
        Deadline(now.checked_add(timeout).unwrap_or(far))
    }

    /// The time left, or `TimedOut` when none is.
    fn left(&self) -> io::Result<Duration> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(left)
    }
}

/// The connection, every read and write of which waits at most until the deadline.
struct Timed {
    tcp: TcpStream,
    deadline: Deadline,
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.set_read_timeout(Some(self.deadline.left()?))?;
        self.tcp.read(buf)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.set_write_timeout(Some(self.deadline.left()?))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Connects to `host:port` before the deadline. IP literals connect directly; names are
/// looked up in lowercase with [`super::resolve::lookup`] (getaddrinfo; musl's resolver
/// in the static build),
/// whose own timeouts (resolv.conf) this deadline cannot bound without a thread, which
/// this client does not spawn. Each address found is tried in turn with the time left.
fn connect(host: &Host<'_>, port: u16, deadline: &Deadline) -> Result<TcpStream, HttpError> {
    let tcp = match host.kind {
        HostKind::V4(ip) => connect_one(SocketAddr::new(IpAddr::V4(ip), port), deadline)?,
        HostKind::V6(ip) => connect_one(SocketAddr::new(IpAddr::V6(ip), port), deadline)?,
        HostKind::Name => {
            let addrs = super::resolve::lookup(host.text, port).map_err(HttpError::Dns)?;
            let mut last = HttpError::Dns(super::resolve::DnsFailure::NoAddress);
            let mut connected = None;
            for addr in addrs {
                match connect_one(addr, deadline) {
                    Ok(tcp) => {
                        connected = Some(tcp);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            connected.ok_or(last)?
        }
    };
    // The head and the body go out in two writes; do not let Nagle hold the second
    // until the server's delayed ACK of the first.
    tcp.set_nodelay(true).map_err(classify_io)?;
    Ok(tcp)
}

fn connect_one(addr: SocketAddr, deadline: &Deadline) -> Result<TcpStream, HttpError> {
    let left = deadline.left().map_err(classify_io)?;
    TcpStream::connect_timeout(&addr, left).map_err(classify_io)
}

/// Sends the request and reads the answer. When the server cuts the request short (it
/// may answer early and close), its answer is still read if it came.
fn exchange<S: Read + Write>(
    stream: &mut S,
    url: &WebhookUrl<'_>,
    proxy: Option<&Proxy>,
    absolute: bool,
    body: &[u8],
) -> Result<Answer, HttpError> {
    let mut head = FixedBuf::<REQUEST_HEAD_CAP>::new();
    let _ = write_request_head(&mut head, url, proxy, absolute, body.len());
    if head.overflowed() {
        return Err(HttpError::RequestTooLong);
    }
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .and_then(|()| stream.flush());
    match (sent, read_answer(stream)) {
        (_, Ok(answer)) => Ok(answer),
        (Err(e), Err(_)) => Err(classify_io(e)),
        (Ok(()), Err(e)) => Err(e),
    }
}

/// `POST target HTTP/1.1` and its headers; `absolute` sends the whole URL, as a proxy
/// needs it, with the proxy's credentials.
fn write_request_head<W: uWrite + ?Sized>(
    w: &mut W,
    url: &WebhookUrl<'_>,
    proxy: Option<&Proxy>,
    absolute: bool,
    body_len: usize,
) -> Result<(), W::Error> {
    w.write_str("POST ")?;
    if absolute {
        w.write_str("http://")?;
        url.write_authority(w, false)?;
    }
    url.write_target(w)?;
    w.write_str(" HTTP/1.1\r\nHost: ")?;
    url.write_authority(w, false)?;
    if let Some(userinfo) = url.userinfo() {
        w.write_str("\r\nAuthorization: Basic ")?;
        write_credentials(userinfo, w)?;
    }
    if let Some(userinfo) = proxy.filter(|_| absolute).and_then(Proxy::userinfo) {
        w.write_str("\r\nProxy-Authorization: Basic ")?;
        write_credentials(userinfo, w)?;
    }
    uwrite!(
        w,
        "\r\nUser-Agent: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        USER_AGENT,
        body_len
    )
}

/// Asks the proxy for a tunnel to the URL's host and port.
fn open_tunnel(sock: &mut Timed, url: &WebhookUrl<'_>, proxy: &Proxy) -> Result<(), HttpError> {
    let mut head = FixedBuf::<REQUEST_HEAD_CAP>::new();
    let _ = write_connect_head(&mut head, url, proxy);
    if head.overflowed() {
        return Err(HttpError::RequestTooLong);
    }
    sock.write_all(head.as_bytes()).map_err(classify_io)?;
    let mut buf = [0u8; MAX_HEAD];
    let got = read_head(sock, &mut buf, false)?;
    if !(200..=299).contains(&got.status) {
        return Err(HttpError::ProxyRefused {
            status: got.status,
            connect: true,
        });
    }
    // The server speaks only after our ClientHello, so nothing may follow the answer.
    if got.filled > got.head_len {
        return Err(HttpError::ProxyBadTunnel);
    }
    Ok(())
}

fn write_connect_head<W: uWrite + ?Sized>(
    w: &mut W,
    url: &WebhookUrl<'_>,
    proxy: &Proxy,
) -> Result<(), W::Error> {
    w.write_str("CONNECT ")?;
    url.write_authority(w, true)?;
    w.write_str(" HTTP/1.1\r\nHost: ")?;
    url.write_authority(w, true)?;
    if let Some(userinfo) = proxy.userinfo() {
        w.write_str("\r\nProxy-Authorization: Basic ")?;
        write_credentials(userinfo, w)?;
    }
    uwrite!(w, "\r\nUser-Agent: {}\r\n\r\n", USER_AGENT)
}

/// A final head read into a caller's buffer: what the client uses of it, and where the
/// body's first bytes are (`buf[head_len..filled]`).
struct HeadRead {
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    location: Option<Snippet<LOCATION_LEN>>,
    retry_after_s: Option<u64>,
    head_len: usize,
    filled: usize,
}

/// Reads until one final (not 1xx) head is whole, skipping a few interim ones and a few
/// empty lines before a status line. With `took_2xx`, a whole 2xx status line is an
/// answer whatever follows it (a malformed header, a cut, a timeout): the server took the
/// message, and sending it again would duplicate it (issue 19).
fn read_head<S: Read>(
    stream: &mut S,
    buf: &mut [u8; MAX_HEAD],
    took_2xx: bool,
) -> Result<HeadRead, HttpError> {
    let mut filled = 0usize;
    let mut interim = 0u8;
    loop {
        let got = buf.get(..filled).unwrap_or(&[]);
        let skip = leading_blank_len(got);
        let parsed = parse_head(got.get(skip..).unwrap_or(&[]));
        let failed = match parsed {
            Ok(h) if (100..=199).contains(&h.status) && h.status != 101 => {
                // 100 Continue, 103 Early Hints: the real answer follows.
                interim = interim.saturating_add(1);
                if interim > MAX_INTERIM_ANSWERS {
                    return Err(HttpError::NotHttp(HeadError::BadStatusLine));
                }
                let len = h.len.saturating_add(skip);
                buf.copy_within(len..filled, 0);
                filled = filled.saturating_sub(len);
                continue;
            }
            Ok(h) => return Ok(HeadRead::of(&h, skip, filled)),
            Err(HeadError::Incomplete) if skip < filled || skip < MAX_LEADING_BLANK => {
                read_more(stream, buf, &mut filled).err()
            }
            Err(HeadError::Incomplete) => Some(HttpError::NotHttp(HeadError::NotHttp)),
            Err(HeadError::TooLong) => Some(HttpError::HeadTooLong),
            Err(e) => Some(HttpError::NotHttp(e)),
        };
        if let Some(e) = failed {
            let got = buf.get(..filled).unwrap_or(&[]);
            let line = got.get(leading_blank_len(got)..).unwrap_or(&[]);
            return match status_of(line) {
                Some(status) if took_2xx && (200..=299).contains(&status) => {
                    Ok(HeadRead::took(status, filled))
                }
                _ => Err(e),
            };
        }
    }
}

/// One more read into `buf[filled..]`.
fn read_more<S: Read>(
    stream: &mut S,
    buf: &mut [u8; MAX_HEAD],
    filled: &mut usize,
) -> Result<(), HttpError> {
    loop {
        let room = buf.get_mut(*filled..).unwrap_or(&mut []);
        let n = match stream.read(room) {
            Ok(0) => return Err(HttpError::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(HttpError::Closed),
            Err(e) => return Err(classify_io(e)),
        };
        *filled = filled.saturating_add(n);
        return Ok(());
    }
}

impl HeadRead {
    fn of(h: &super::response::Head<'_>, skip: usize, filled: usize) -> HeadRead {
        HeadRead {
            status: h.status,
            content_length: h.content_length,
            chunked: h.chunked,
            location: h.location.map(|l| {
                let mut s = Snippet::default();
                s.push(l);
                s
            }),
            retry_after_s: h.retry_after_s,
            head_len: h.len.saturating_add(skip),
            filled,
        }
    }

    /// A 2xx whose head is malformed or cut: taken, its body not read.
    fn took(status: u16, filled: usize) -> HeadRead {
        HeadRead {
            status,
            content_length: None,
            chunked: false,
            location: None,
            retry_after_s: None,
            head_len: filled,
            filled,
        }
    }
}

fn read_answer<S: Read>(stream: &mut S) -> Result<Answer, HttpError> {
    let mut buf = [0u8; MAX_HEAD];
    let got = read_head(stream, &mut buf, true)?;
    let mut answer = Answer {
        status: got.status,
        location: got.location.clone(),
        body_head: Snippet::default(),
        retry_after_s: got.retry_after_s,
    };
    // A delivered message needs nothing more; others keep a little of the body for the log.
    if !(200..=299).contains(&got.status) && got.status != 304 {
        let early = buf.get(got.head_len..got.filled).unwrap_or(&[]);
        read_body_head(stream, &got, early, &mut answer.body_head);
    }
    Ok(answer)
}

/// How the body's end is known.
enum Framing {
    Length(u64),
    Chunked(ChunkDecoder),
    UntilClose,
}

/// Keeps the body's first bytes: reads until they are kept, the body ends, the server
/// stops, [`MAX_BODY_READ`] bytes came, or the deadline passes. The answer stands
/// whatever happens here.
fn read_body_head<S: Read>(
    stream: &mut S,
    got: &HeadRead,
    early: &[u8],
    kept: &mut Snippet<BODY_HEAD_LEN>,
) {
    let mut framing = match (got.chunked, got.content_length) {
        (true, _) => Framing::Chunked(ChunkDecoder::default()),
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::UntilClose,
    };
    let mut buf = [0u8; 2048];
    let mut piece_len = early.len().min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..piece_len), early.get(..piece_len)) {
        dst.copy_from_slice(src);
    }
    let mut read_total = 0usize;
    loop {
        let piece = buf.get(..piece_len).unwrap_or(&[]);
        let ended = match &mut framing {
            Framing::Length(left) => {
                let take = piece.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                kept.push(piece.get(..take).unwrap_or(&[]));
                *left = left.saturating_sub(take as u64);
                *left == 0
            }
            Framing::Chunked(decoder) => match decoder.feed(piece, |data| kept.push(data)) {
                Ok(_) => decoder.is_done(),
                Err(_) => true,
            },
            Framing::UntilClose => {
                kept.push(piece);
                false
            }
        };
        if ended || kept.is_full() || read_total >= MAX_BODY_READ {
            return;
        }
        piece_len = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        read_total = read_total.saturating_add(piece_len);
    }
}

/// What an I/O error means for the user.
fn classify_io(e: io::Error) -> HttpError {
    #[cfg(feature = "https")]
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return HttpError::Tls(super::tls::classify(tls));
    }
    match e.kind() {
        io::ErrorKind::ConnectionRefused => HttpError::Refused,
        // A socket timeout shows as EAGAIN (WouldBlock) on Linux.
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::TimedOut,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => HttpError::Reset,
        io::ErrorKind::UnexpectedEof => HttpError::Closed,
        kind => HttpError::Io(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliver::net::error::TlsFailure;

    fn head_for(url: &str, proxy: Option<&str>, absolute: bool) -> String {
        let url = WebhookUrl::parse(url).unwrap();
        let proxy = proxy.map(|p| Proxy::parse(p, "HTTP_PROXY").unwrap());
        let mut out = FixedBuf::<REQUEST_HEAD_CAP>::new();
        write_request_head(&mut out, &url, proxy.as_ref(), absolute, 17).unwrap();
        out.as_str().to_owned()
    }

    #[test]
    fn the_request_head_names_host_length_and_credentials() {
        let ua = USER_AGENT;
        assert_eq!(
            head_for("http://Hook.Example:8080/a/b?x=1#frag", None, false),
            format!("POST /a/b?x=1 HTTP/1.1\r\nHost: hook.example:8080\r\nUser-Agent: {ua}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n")
        );
        assert_eq!(
            head_for("https://[::1]", None, false),
            format!("POST / HTTP/1.1\r\nHost: [::1]\r\nUser-Agent: {ua}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n")
        );
        assert_eq!(
            head_for("http://Aladdin:open%20sesame@h/x", None, false),
            format!("POST /x HTTP/1.1\r\nHost: h\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\nUser-Agent: {ua}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n")
        );
    }

    #[test]
    fn through_a_proxy_the_request_names_the_whole_url_and_the_proxy_credentials() {
        let ua = USER_AGENT;
        assert_eq!(
            head_for("http://h:81/x?q", Some("http://user:pass@p:3128"), true),
            format!("POST http://h:81/x?q HTTP/1.1\r\nHost: h:81\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\nUser-Agent: {ua}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n")
        );
        let url = WebhookUrl::parse("https://hooks.slack.com/services/T/B/X").unwrap();
        let proxy = Proxy::parse("user:pass@p:3128", "HTTPS_PROXY").unwrap();
        let mut out = FixedBuf::<REQUEST_HEAD_CAP>::new();
        write_connect_head(&mut out, &url, &proxy).unwrap();
        assert_eq!(
            out.as_str(),
            format!("CONNECT hooks.slack.com:443 HTTP/1.1\r\nHost: hooks.slack.com:443\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\nUser-Agent: {ua}\r\n\r\n")
        );
    }

    /// Bytes in, in pieces of a given size, then end of stream.
    struct Pieces<'a> {
        data: &'a [u8],
        size: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.size.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn answer_of(data: &[u8], size: usize) -> Result<Answer, HttpError> {
        read_answer(&mut Pieces { data, size })
    }

    #[test]
    fn answers_are_read_whatever_the_piece_size() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 422 Unprocessable\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        for size in [1, 2, 7, 100, 4096] {
            let a = answer_of(raw, size).unwrap();
            assert_eq!(a.status, 422, "size {size}");
            assert_eq!(a.body_head.as_bytes(), b"hello world", "size {size}");
            assert!(!a.body_head.is_cut());
        }
        let redirect = b"HTTP/1.1 302 Found\r\nLocation: http://h:2/next\r\nContent-Length: 0\r\n\r\n";
        let a = answer_of(redirect, 3).unwrap();
        assert_eq!(a.location.unwrap().as_bytes(), b"http://h:2/next");
    }

    #[test]
    fn only_the_first_bytes_of_a_long_body_are_kept() {
        let mut raw = b"HTTP/1.1 400 Bad\r\nContent-Length: 100000\r\n\r\n".to_vec();
        raw.resize(raw.len() + 100_000, b'x');
        let a = answer_of(&raw, 1000).unwrap();
        assert_eq!(a.body_head.as_bytes().len(), BODY_HEAD_LEN);
        assert!(a.body_head.is_cut());
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert!(answer_of(ok, 100).unwrap().body_head.as_bytes().is_empty());
    }

    /// Issue 19: once a whole status line says 2xx, the message is delivered whatever
    /// follows; empty lines before the status line are skipped.
    #[test]
    fn a_2xx_status_line_is_delivered_whatever_follows() {
        let endless = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; 10_000]].concat();
        let cases: [&[u8]; 6] = [
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 202 OK\r\nX: a\r\n folded\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
            b"\r\nHTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nbroken header\r\n",
            &endless,
        ];
        for raw in cases {
            let status = answer_of(raw, 3).map(|a| a.status);
            assert!(matches!(status, Ok(200..=299)), "{raw:?}: {status:?}");
        }
        let nine_blank = [&[b'\n'; 9][..], b"HTTP/1.1 200 OK\r\n\r\n"].concat();
        assert!(answer_of(&nine_blank, 4).is_err());
    }

    #[test]
    fn what_is_not_an_answer_is_an_error() {
        assert_eq!(answer_of(b"", 10), Err(HttpError::Closed));
        assert_eq!(answer_of(b"HTTP/1.1 500 No\r\n", 10), Err(HttpError::Closed));
        assert_eq!(answer_of(b"\r\n\r\n", 10), Err(HttpError::Closed));
        assert_eq!(
            answer_of(b"SSH-2.0-OpenSSH\r\n", 10),
            Err(HttpError::NotHttp(HeadError::NotHttp))
        );
        let endless = [b"HTTP/1.1 500 No\r\nX: ".as_slice(), &[b'a'; 10_000]].concat();
        assert_eq!(answer_of(&endless, 512), Err(HttpError::HeadTooLong));
        let continues = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(5);
        assert_eq!(
            answer_of(&continues, 64),
            Err(HttpError::NotHttp(HeadError::BadStatusLine))
        );
    }

    #[test]
    fn an_endpoint_shows_its_url_and_proxy_masked() {
        let proxy = Proxy::parse("http://pu:PROXYPW@p:3128", "HTTPS_PROXY").unwrap();
        let ep = Endpoint::new("https://u:PW@h/x?token=T", Duration::from_secs(5))
            .unwrap()
            .with_proxy(Some(proxy));
        assert_eq!(
            format!("{ep:?}"),
            "Endpoint(https://***@h/x?*** via http://***@p:3128, timeout 5s)"
        );
    }

    #[test]
    fn error_texts_say_why_in_plain_words() {
        let table: &[(HttpError, &str)] = &[
            (HttpError::Refused, "connection refused"),
            (HttpError::TimedOut, "timed out"),
            (HttpError::Reset, "connection reset by peer"),
            (
                HttpError::ProxyRefused {
                    status: 407,
                    connect: true,
                },
                "the proxy refused CONNECT with status 407 (proxy credentials missing or wrong)",
            ),
            (
                HttpError::Tls(TlsFailure::UnknownIssuer),
                "TLS: certificate from an unknown issuer (not signed by a trusted CA)",
            ),
            (
                HttpError::NotHttp(HeadError::NotHttp),
                "not an HTTP answer: it does not start with HTTP/1.",
            ),
        ];
        for &(e, want) in table {
            assert_eq!(e.to_string(), want);
        }
    }
}
