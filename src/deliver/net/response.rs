//! HTTP/1.x response heads, and chunked bodies, read from whatever bytes a server sent.
//!
//! Pure; never panics; no allocation. [`parse_head`] looks at no more than [`MAX_HEAD`]
//! bytes, so a server cannot make the client hold more; anything that is not HTTP is an
//! error value, found as early as the bytes allow (the first bytes that are not `HTTP/1.`
//! fail at once, not after 8 KiB). A bare `\n` ends a line as `\r\n` does (RFC 9112 2.2).

/// The most bytes of a head (status line, headers, empty line) the client reads.
pub const MAX_HEAD: usize = 8 * 1024;

/// The longest status line, without its line end.
pub(crate) const MAX_STATUS_LINE: usize = 1024;

/// What the client needs from a response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head<'a> {
    /// 100..=999.
    pub status: u16,
    pub content_length: Option<u64>,
    /// The last transfer coding is `chunked`.
    pub chunked: bool,
    /// The first `Location` header's value, blanks trimmed.
    pub location: Option<&'a [u8]>,
    /// `Retry-After` in delta-seconds (an HTTP-date is not read).
    pub retry_after_s: Option<u64>,
    /// Bytes of the head including the empty line: the body starts here.
    pub len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    /// The head has not ended yet and is under [`MAX_HEAD`]: read more.
    Incomplete,
    /// No end of head within [`MAX_HEAD`] bytes.
    TooLong,
    /// The status line is longer than [`MAX_STATUS_LINE`].
    StatusLineTooLong,
    /// The answer does not start with `HTTP/1.`.
    NotHttp,
    /// Not `HTTP/1.x NNN[ reason]`.
    BadStatusLine,
    /// A header line without a colon, with a bad name, or folded onto the previous one.
    BadHeader,
    /// A `Content-Length` that is not a decimal number.
    BadContentLength,
    /// Two `Content-Length` values that differ (a sign of request smuggling).
    ConflictingContentLength,
}

impl HeadError {
    pub fn as_str(self) -> &'static str {
        match self {
            HeadError::Incomplete => "the answer ended inside its head",
            HeadError::TooLong => "the head is longer than 8 KiB",
            HeadError::StatusLineTooLong => "the status line is longer than 1 KiB",
            HeadError::NotHttp => "it does not start with HTTP/1.",
            HeadError::BadStatusLine => "the status line is malformed",
            HeadError::BadHeader => "a header line is malformed",
            HeadError::BadContentLength => "Content-Length is not a number",
            HeadError::ConflictingContentLength => "two Content-Length values differ",
        }
    }
}

const HTTP_PREFIX: &[u8] = b"HTTP/1.";

/// Parses the head at the start of `buf`, which may hold more (the body's first bytes).
pub fn parse_head(buf: &[u8]) -> Result<Head<'_>, HeadError> {
    let buf = buf.get(..MAX_HEAD).unwrap_or(buf);
    let seen = buf.len().min(HTTP_PREFIX.len());
    if buf.get(..seen) != HTTP_PREFIX.get(..seen) {
        return Err(HeadError::NotHttp);
    }
    // The status line: its `\n` must come within the line limit plus `\r\n`.
    let window = buf.get(..MAX_STATUS_LINE.saturating_add(2)).unwrap_or(buf);
    let Some(eol) = window.iter().position(|&b| b == b'\n') else {
        return Err(if window.len() > MAX_STATUS_LINE.saturating_add(1) {
            HeadError::StatusLineTooLong
        } else {
            HeadError::Incomplete
        });
    };
    let status_line = trim_cr(buf.get(..eol).unwrap_or(&[]));
    if status_line.len() > MAX_STATUS_LINE {
        return Err(HeadError::StatusLineTooLong);
    }
    let mut head = Head {
        status: parse_status_line(status_line)?,
        content_length: None,
        chunked: false,
        location: None,
        retry_after_s: None,
        len: 0,
    };
    let mut pos = eol.saturating_add(1);
    loop {
        let rest = buf.get(pos..).unwrap_or(&[]);
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return Err(if buf.len() >= MAX_HEAD {
                HeadError::TooLong
            } else {
                HeadError::Incomplete
            });
        };
        let line = trim_cr(rest.get(..nl).unwrap_or(&[]));
        pos = pos.saturating_add(nl).saturating_add(1);
        if line.is_empty() {
            head.len = pos;
            return Ok(head);
        }
        read_header(line, &mut head)?;
    }
}

/// The status of a whole status line at the start of `buf`, whatever follows it (a
/// malformed header, a head cut short): `None` while the line is not whole or not one.
/// A 2xx here means the server took the message (issue 19).
pub fn status_of(buf: &[u8]) -> Option<u16> {
    let window = buf.get(..MAX_STATUS_LINE.saturating_add(2)).unwrap_or(buf);
    let eol = window.iter().position(|&b| b == b'\n')?;
    parse_status_line(trim_cr(window.get(..eol)?)).ok()
}

/// How many bytes of empty lines (`\r\n` or `\n`) start `buf`, at most
/// [`MAX_LEADING_BLANK`]: some servers send one before the status line, which a client
/// should skip (RFC 9112 2.2).
pub fn leading_blank_len(buf: &[u8]) -> usize {
    buf.iter()
        .take(MAX_LEADING_BLANK)
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// The most empty-line bytes skipped before a status line.
pub const MAX_LEADING_BLANK: usize = 8;

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `HTTP/1.x NNN[ reason]` → NNN.
fn parse_status_line(line: &[u8]) -> Result<u16, HeadError> {
    let rest = line.strip_prefix(HTTP_PREFIX).ok_or(HeadError::NotHttp)?;
    let (minor, rest) = rest.split_first().ok_or(HeadError::BadStatusLine)?;
    let rest = rest.strip_prefix(b" ").ok_or(HeadError::BadStatusLine)?;
    let (code, reason) = rest.split_at_checked(3).ok_or(HeadError::BadStatusLine)?;
    let first_digit_ok = code.first().is_some_and(|d| (b'1'..=b'9').contains(d));
    if !minor.is_ascii_digit() || !first_digit_ok || !(reason.is_empty() || reason.starts_with(b" "))
    {
        return Err(HeadError::BadStatusLine);
    }
    crate::proc::parse::parse_u64(code)
        .and_then(|c| u16::try_from(c).ok())
        .ok_or(HeadError::BadStatusLine)
}

/// One `name: value` line, remembered in `head` when it is one the client uses.
fn read_header<'a>(line: &'a [u8], head: &mut Head<'a>) -> Result<(), HeadError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(HeadError::BadHeader)?;
    let name = line.get(..colon).unwrap_or(&[]);
    // An empty name, a blank before the colon, or a line starting with a blank (obsolete
    // folding) are refused (RFC 9112 5.1, 5.2).
    if name.is_empty() || !name.iter().all(|&b| is_token_char(b)) {
        return Err(HeadError::BadHeader);
    }
    let value = trim_blanks(line.get(colon.saturating_add(1)..).unwrap_or(&[]));
    if name.eq_ignore_ascii_case(b"content-length") {
        read_content_length(value, head)?;
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        let last = value.rsplit(|&b| b == b',').next().unwrap_or(&[]);
        head.chunked = trim_blanks(last).eq_ignore_ascii_case(b"chunked");
    } else if name.eq_ignore_ascii_case(b"location") && head.location.is_none() {
        head.location = Some(value);
    } else if name.eq_ignore_ascii_case(b"retry-after") {
        // Delta-seconds; anything else (an HTTP-date, garbage) is ignored, not an error.
        head.retry_after_s = crate::proc::parse::parse_u64(value);
    }
    Ok(())
}

/// `Content-Length: N` or a list of equal values `N, N` (RFC 9110 8.6); every value, in
/// this header and any earlier one, must be the same number.
fn read_content_length(value: &[u8], head: &mut Head<'_>) -> Result<(), HeadError> {
    for item in value.split(|&b| b == b',') {
        let n = crate::proc::parse::parse_u64(trim_blanks(item)).ok_or(HeadError::BadContentLength)?;
        match head.content_length {
            Some(seen) if seen != n => return Err(HeadError::ConflictingContentLength),
            _ => head.content_length = Some(n),
        }
    }
    Ok(())
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_blanks(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A chunked body (RFC 9112 7.1) decoded as it arrives, in pieces of any size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkDecoder {
    state: ChunkState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    /// Hex digits of a chunk size.
    Size { value: u64, digits: u8 },
    /// After the size: extensions or blanks, up to the line end.
    SizeLineRest { value: u64 },
    Data { left: u64 },
    /// The line end after a chunk's data.
    DataEnd { seen_cr: bool },
    /// After the last (empty) chunk: trailer lines, up to an empty one.
    Trailer { at_line_start: bool },
    Done,
}

impl Default for ChunkState {
    fn default() -> Self {
        ChunkState::Size {
            value: 0,
            digits: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkError {
    /// A chunk size that is not hex, or does not fit in 64 bits.
    BadSize,
    /// No line end after a chunk's data.
    BadFraming,
}

impl ChunkDecoder {
    /// Decodes `input`, handing each run of data bytes to `data`. Returns how many input
    /// bytes were used: all of them, unless the body ended before.
    pub fn feed(
        &mut self,
        input: &[u8],
        mut data: impl FnMut(&[u8]),
    ) -> Result<usize, ChunkError> {
        let mut used = 0usize;
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            if self.is_done() {
                break;
            }
            if let ChunkState::Data { left } = self.state {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                data(rest.get(..take).unwrap_or(&[]));
                let left = left.saturating_sub(take as u64);
                self.state = if left == 0 {
                    ChunkState::DataEnd { seen_cr: false }
                } else {
                    ChunkState::Data { left }
                };
                used = used.saturating_add(take);
                continue;
            }
            if let Some(&b) = rest.first() {
                self.state = step(self.state, b)?;
            }
            used = used.saturating_add(1);
        }
        Ok(used)
    }

    /// The last chunk and the trailer have been read.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }
}

/// One byte outside chunk data.
fn step(state: ChunkState, b: u8) -> Result<ChunkState, ChunkError> {
    Ok(match state {
        ChunkState::Size { value, digits } => match (b, hex_value(b)) {
            (_, Some(d)) => {
                let value = value
                    .checked_mul(16)
                    .and_then(|v| v.checked_add(u64::from(d)))
                    .ok_or(ChunkError::BadSize)?;
                ChunkState::Size {
                    value,
                    digits: digits.saturating_add(1),
                }
            }
            _ if digits == 0 => return Err(ChunkError::BadSize),
            (b'\n', _) => end_of_size_line(value),
            (b';' | b' ' | b'\t' | b'\r', _) => ChunkState::SizeLineRest { value },
            _ => return Err(ChunkError::BadSize),
        },
        ChunkState::SizeLineRest { value } if b == b'\n' => end_of_size_line(value),
        ChunkState::SizeLineRest { value } => ChunkState::SizeLineRest { value },
        ChunkState::DataEnd { seen_cr: false } if b == b'\r' => {
            ChunkState::DataEnd { seen_cr: true }
        }
        ChunkState::DataEnd { .. } if b == b'\n' => ChunkState::default(),
        ChunkState::DataEnd { .. } => return Err(ChunkError::BadFraming),
        ChunkState::Trailer { at_line_start: true } if b == b'\n' => ChunkState::Done,
        ChunkState::Trailer { at_line_start } if b == b'\r' => {
            ChunkState::Trailer { at_line_start }
        }
        ChunkState::Trailer { .. } => ChunkState::Trailer {
            at_line_start: b == b'\n',
        },
        // `feed` handles data itself and stops at `Done`.
        ChunkState::Data { .. } | ChunkState::Done => state,
    })
}

fn end_of_size_line(value: u64) -> ChunkState {
    if value == 0 {
        ChunkState::Trailer {
            at_line_start: true,
        }
    } else {
        ChunkState::Data { left: value }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => b.checked_sub(b'0'),
        b'a'..=b'f' => b.checked_sub(b'a' - 10),
        b'A'..=b'F' => b.checked_sub(b'A' - 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_delta_seconds_only() {
        let head = |v: &str| {
            let raw = format!("HTTP/1.1 429 X\r\nRetry-After: {v}\r\n\r\n");
            parse_head(raw.as_bytes()).unwrap().retry_after_s
        };
        assert_eq!(head("3"), Some(3));
        assert_eq!(head(" 120 "), Some(120));
        assert_eq!(head("Fri, 31 Dec 1999 23:59:59 GMT"), None);
        assert_eq!(head("-1"), None);
    }

    #[test]
    fn a_whole_status_line_is_read_whatever_follows() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n"), Some(200));
        assert_eq!(status_of(b"HTTP/1.1 204\n"), Some(204));
        assert_eq!(status_of(b"HTTP/1.1 200 OK"), None);
        assert_eq!(status_of(b"HTTP/1.1 2x0 OK\r\n"), None);
        assert_eq!(status_of(b"SSH-2.0\r\n"), None);
        assert_eq!(leading_blank_len(b"\r\n\nHTTP/1.1"), 3);
        assert_eq!(leading_blank_len(&[b'\n'; 100]), MAX_LEADING_BLANK);
        assert_eq!(leading_blank_len(b"HTTP/1.1"), 0);
    }

    /// A real answer, captured from Python 3.11's `http.server` (which refuses POST),
    /// body cut after its first line.
    const PYTHON_501: &[u8] = b"HTTP/1.0 501 Unsupported method ('POST')\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Sun, 29 Nov 2026 22:41:50 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 357\r\n\r\n<!DOCTYPE HTML>\n";

    #[test]
    fn a_real_head_gives_status_length_and_where_the_body_starts() {
        let h = parse_head(PYTHON_501).unwrap();
        assert_eq!(h.status, 501);
        assert_eq!(h.content_length, Some(357));
        assert!(!h.chunked);
        assert_eq!(h.location, None);
        assert_eq!(&PYTHON_501[h.len..], b"<!DOCTYPE HTML>\n");
    }

    #[test]
    fn heads_that_parse() {
        // (head, status, content length, chunked, location); each head is all of its input.
        type Case<'a> = (&'a [u8], u16, Option<u64>, bool, Option<&'a [u8]>);
        let table: &[Case<'_>] = &[
            (b"HTTP/1.1 200 OK\r\n\r\n", 200, None, false, None),
            (b"HTTP/1.0 204\r\n\r\n", 204, None, false, None),
            (b"HTTP/1.1 200 \r\n\r\n", 200, None, false, None),
            (b"HTTP/1.1 999 Odd\n\n", 999, None, false, None),
            (b"HTTP/1.1 100 Continue\r\n\r\n", 100, None, false, None),
            (b"HTTP/1.1 200 OK\nContent-Length:  5 \n\n", 200, Some(5), false, None),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n", 200, Some(5), false, None),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", 200, None, true, None),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 200, None, false, None),
            (
                b"HTTP/1.1 302 Found\r\nLocation:  http://h:2/x?t=1 \r\nLocation: /second\r\n\r\n",
                302,
                None,
                false,
                Some(b"http://h:2/x?t=1"),
            ),
            (b"HTTP/1.1 301 Moved\r\nLocation:\r\n\r\n", 301, None, false, Some(b"")),
            (b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Odd: \x01\xff\r\n\r\n", 200, None, false, None),
        ];
        for &(raw, status, len, chunked, location) in table {
            let h = parse_head(raw).unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(raw)));
            assert_eq!(
                (h.status, h.content_length, h.chunked, h.location, h.len),
                (status, len, chunked, location, raw.len()),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn heads_that_do_not_parse() {
        let long_line = [b"HTTP/1.1 200 ".as_slice(), &[b'x'; MAX_STATUS_LINE]].concat();
        let table: &[(&[u8], HeadError)] = &[
            (b"", HeadError::Incomplete),
            (b"HTTP/1.1 200 OK\r\n", HeadError::Incomplete),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", HeadError::Incomplete),
            (b"HTTP/1.1 200 O", HeadError::Incomplete),
            (b"HTT", HeadError::Incomplete),
            (b"SSH-2.0-OpenSSH_9.2\r\n", HeadError::NotHttp),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", HeadError::NotHttp),
            (b"http/1.1 200 OK\r\n\r\n", HeadError::NotHttp),
            (b"HTTP/2 200\r\n\r\n", HeadError::NotHttp),
            (b"<html>", HeadError::NotHttp),
            (b"HTTP/1.1 20 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1 2000 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1 099 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1  200 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1 -20 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.x 200 OK\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1\r\n\r\n", HeadError::BadStatusLine),
            (b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", HeadError::BadHeader),
            (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", HeadError::BadHeader),
            (b"HTTP/1.1 200 OK\r\nName : x\r\n\r\n", HeadError::BadHeader),
            (b"HTTP/1.1 200 OK\r\n: x\r\n\r\n", HeadError::BadHeader),
            (b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", HeadError::BadHeader),
            (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HeadError::BadContentLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", HeadError::BadContentLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", HeadError::BadContentLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", HeadError::BadContentLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HeadError::ConflictingContentLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", HeadError::ConflictingContentLength),
            (&long_line, HeadError::StatusLineTooLong),
        ];
        for &(raw, want) in table {
            assert_eq!(parse_head(raw), Err(want), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn an_endless_header_is_cut_at_the_head_limit() {
        let mut endless = b"HTTP/1.1 200 OK\r\nX-Endless: ".to_vec();
        endless.resize(MAX_HEAD - 1, b'a');
        assert_eq!(parse_head(&endless), Err(HeadError::Incomplete));
        endless.resize(MAX_HEAD, b'a');
        assert_eq!(parse_head(&endless), Err(HeadError::TooLong));
        // What lies past the limit is never looked at, even a head's end.
        endless.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_head(&endless), Err(HeadError::TooLong));
    }

    #[test]
    fn a_status_line_at_its_limit_parses() {
        let mut line = b"HTTP/1.1 200 ".to_vec();
        line.resize(MAX_STATUS_LINE, b'x');
        line.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_head(&line).map(|h| h.status), Ok(200));
        let mut no_end = b"HTTP/1.1 200 ".to_vec();
        no_end.resize(MAX_STATUS_LINE + 1, b'x');
        assert_eq!(parse_head(&no_end), Err(HeadError::Incomplete));
        no_end.push(b'x');
        assert_eq!(parse_head(&no_end), Err(HeadError::StatusLineTooLong));
    }

    fn decode_in_pieces(raw: &[u8], piece: usize) -> Result<(Vec<u8>, bool, usize), ChunkError> {
        let mut d = ChunkDecoder::default();
        let mut out = Vec::new();
        let mut used = 0;
        for p in raw.chunks(piece) {
            used = d.feed(p, |b| out.extend_from_slice(b))?.saturating_add(used);
            if d.is_done() {
                break;
            }
        }
        Ok((out, d.is_done(), used))
    }

    #[test]
    fn chunked_bodies_decode_in_pieces_of_any_size() {
        let raw = b"7\r\n{\"error\r\n19;ext=1\r\n\": \"missing field text\"}\n\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let body = b"{\"error\": \"missing field text\"}\n";
        for piece in 1..=raw.len() {
            let (out, done, used) = decode_in_pieces(raw, piece).unwrap();
            assert_eq!(out, body, "piece {piece}");
            assert!(done, "piece {piece}");
            assert_eq!(&raw[used..], b"NEXT", "piece {piece}");
        }
        let bare_lf = b"3\nabc\n0\n\n";
        assert_eq!(decode_in_pieces(bare_lf, 1).unwrap(), (b"abc".to_vec(), true, bare_lf.len()));
    }

    #[test]
    fn bad_chunk_framing_is_an_error() {
        let table: &[(&[u8], ChunkError)] = &[
            (b"x\r\n", ChunkError::BadSize),
            (b"\r\n", ChunkError::BadSize),
            (b";\r\n", ChunkError::BadSize),
            (b"3x\r\n", ChunkError::BadSize),
            (b"11111111111111111\r\n", ChunkError::BadSize),
            (b"3\r\nabcX", ChunkError::BadFraming),
            (b"3\r\nabc\rX", ChunkError::BadFraming),
        ];
        for &(raw, want) in table {
            assert_eq!(decode_in_pieces(raw, 1), Err(want), "{:?}", String::from_utf8_lossy(raw));
        }
        // A size that fits in 64 bits is fine (the client stops reading long before).
        let (out, done, _) = decode_in_pieces(b"ffffffffffffffff\r\nab", 2).unwrap();
        assert_eq!((out, done), (b"ab".to_vec(), false));
    }
}
