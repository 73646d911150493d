//! Text helpers shared by the renderers: a fixed-capacity ufmt writer, JSON string escaping
//! of arbitrary bytes, and cutting at a UTF-8 boundary.
//!
//! Pure; never panics; no allocation.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::convert::Infallible;

/// A count and its English noun for a log line: "1 message", "2 messages", "0 messages".
/// Formatting it allocates nothing (it writes into the log line's stack buffer). Alert
/// texts have their own words per language ([`crate::deliver::render`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    n: u64,
    noun: &'static str,
}

/// `n` with `one` or `many`, whichever it takes.
pub fn count<N: TryInto<u64>>(n: N, one: &'static str, many: &'static str) -> Count {
    let n = n.try_into().unwrap_or(u64::MAX);
    Count {
        n,
        noun: if n == 1 { one } else { many },
    }
}

impl core::fmt::Display for Count {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.n, self.noun)
    }
}

/// The marker appended where text was cut to fit (U+2026 HORIZONTAL ELLIPSIS).
pub(crate) const CUT_MARKER: &str = "\u{2026}";

/// The two lowercase hex digits of a byte, for every place that writes one (JSON's
/// `\u00XX`, the heartbeat's flags, made-up ids in fuzz inputs).
pub fn hex_byte(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| DIGITS.get(usize::from(n & 15)).copied().unwrap_or(b'0');
    [digit(b >> 4), digit(b)]
}

/// A byte buffer of fixed capacity that ufmt writes into. Writing past the end keeps what
/// fits (cut at a UTF-8 boundary) and sets `overflowed`, so a long message is a value, not
/// a panic or an allocation.
pub struct FixedBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    overflowed: bool,
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FixedBuf<N> {
    pub const fn new() -> Self {
        FixedBuf {
            bytes: [0; N],
            len: 0,
            overflowed: false,
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.overflowed = false;
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The text written so far; `write_str` only ever stores whole characters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when something did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Cuts the text back to at most `len` bytes, at a character boundary.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            let keep = utf8_floor(self.as_str().as_bytes(), len);
            self.len = keep;
        }
    }

    pub(crate) fn push_bytes_utf8(&mut self, s: &str) {
        let src = fitting(s, N.saturating_sub(self.len), &mut self.overflowed);
        if let Some(dst) = self.bytes.get_mut(self.len..self.len.saturating_add(src.len())) {
            dst.copy_from_slice(src);
            self.len = self.len.saturating_add(src.len());
        }
    }
}

impl<const N: usize> ufmt::uWrite for FixedBuf<N> {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        self.push_bytes_utf8(s);
        Ok(())
    }
}

/// A table of at most `N` entries on the heap. The capacity is in the type (a push past
/// it fails), and [`heap_table`] builds it in place, so a table of hundreds of KB never
/// passes through the stack: a value that size, built and moved there, leaves the stack
/// pages resident for the life of the process. Only the entries in use touch memory.
pub type HeapTable<T, const N: usize> = Box<heapless::Vec<T, N>>;

/// An empty [`HeapTable`], made once at start-up: zeroed memory from the allocator
/// (fresh pages from the kernel for a large one), never a copy.
#[allow(unsafe_code)]
pub fn heap_table<T, const N: usize>() -> HeapTable<T, N> {
    let layout = core::alloc::Layout::new::<heapless::Vec<T, N>>();
    // SAFETY: the layout is never zero-sized (the length is a usize field). heapless
    // 0.9's `Vec<T, N>` is a `usize` length and an array of `MaybeUninit<T>`
    // (`VecInner { len, buffer }`): all zeros is the empty vector, length 0 with nothing
    // initialised, so the zeroed block is a valid value that the Box then owns with the
    // same layout. Cargo.lock pins heapless; the unit test
    // `a_heap_table_starts_empty_with_its_capacity` checks one built this way.
    unsafe {
        let block = alloc::alloc::alloc_zeroed(layout).cast::<heapless::Vec<T, N>>();
        if block.is_null() {
            alloc::alloc::handle_alloc_error(layout);
        }
        Box::from_raw(block)
    }
}

/// A byte buffer like [`FixedBuf`] whose bytes are reserved on the heap at start-up and
/// never grow: pages are touched only as they are written, so a large body buffer costs
/// memory only when a large body is rendered.
pub struct ReservedBuf {
    bytes: Vec<u8>,
    cap: usize,
    overflowed: bool,
}

impl ReservedBuf {
    /// Start-up only: reserves `cap` bytes.
    pub fn with_capacity(cap: usize) -> Self {
        ReservedBuf {
            bytes: Vec::with_capacity(cap),
            cap,
            overflowed: false,
        }
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.overflowed = false;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The text written so far; `write_str` only ever stores whole characters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True when something did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Goes back to `len` bytes (a mark taken before a piece that did not fit), clearing
    /// the overflow.
    pub(crate) fn rewind(&mut self, len: usize) {
        let keep = utf8_floor(&self.bytes, len);
        self.bytes.truncate(keep);
        self.overflowed = false;
    }
}

impl ufmt::uWrite for ReservedBuf {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        let room = self.cap.min(self.bytes.capacity()).saturating_sub(self.bytes.len());
        // Within the reserved capacity: never reallocates.
        self.bytes.extend_from_slice(fitting(s, room, &mut self.overflowed));
        Ok(())
    }
}

/// What of `s` fits in `room` bytes, cut at a character boundary; sets `overflowed` when
/// that is not all of it.
fn fitting<'a>(s: &'a str, room: usize, overflowed: &mut bool) -> &'a [u8] {
    if s.len() <= room {
        return s.as_bytes();
    }
    *overflowed = true;
    s.as_bytes().get(..utf8_floor(s.as_bytes(), room)).unwrap_or(&[])
}

/// The largest `n <= max` such that `bytes[..n]` does not end inside a UTF-8 sequence that
/// continues past `max`. Invalid bytes before the cut are left for the escaper to replace.
pub(crate) fn utf8_floor(bytes: &[u8], max: usize) -> usize {
    if max >= bytes.len() {
        return bytes.len();
    }
    // Step back over at most three continuation bytes to the lead byte of the character
    // that `max` falls into; cut before that lead byte if the character straddles `max`.
    let mut i = max;
    let mut steps = 0u8;
    while i > 0 && steps < 3 {
        match bytes.get(i) {
            Some(b) if (b & 0xC0) == 0x80 => {
                i = i.saturating_sub(1);
                steps = steps.saturating_add(1);
            }
            _ => break,
        }
    }
    match bytes.get(i) {
        Some(&b) if b >= 0xC0 => i,
        _ => max,
    }
}

/// The length of `bytes` without a UTF-8 sequence left incomplete at its end (what a cut
/// through a character leaves behind).
pub(crate) fn utf8_trim_incomplete(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let Some(&b) = bytes.get(n.saturating_sub(back)) else {
            break;
        };
        if b & 0xC0 == 0x80 {
            continue;
        }
        let need = match b {
            0xF8.. => 1,
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if need > back {
            n.saturating_sub(back)
        } else {
            n
        };
    }
    n
}

/// Writes `bytes` as the inside of a JSON string: quotes, backslashes and control
/// characters escaped, invalid UTF-8 replaced by U+FFFD, so any byte string gives valid
/// JSON.
pub(crate) fn write_json_escaped<W: ufmt::uWrite + ?Sized>(
    w: &mut W,
    bytes: &[u8],
) -> Result<(), W::Error> {
    for chunk in bytes.utf8_chunks() {
        write_json_escaped_str(w, chunk.valid())?;
        if !chunk.invalid().is_empty() {
            w.write_str("\\ufffd")?;
        }
    }
    Ok(())
}

fn write_json_escaped_str<W: ufmt::uWrite + ?Sized>(w: &mut W, s: &str) -> Result<(), W::Error> {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1F | 0x7F => None,
            _ => continue,
        };
        if let Some(done) = s.get(start..i) {
            w.write_str(done)?;
        }
        match escape {
            Some(e) => w.write_str(e)?,
            None => {
                let [hi, lo] = hex_byte(b);
                let esc = [b'\\', b'u', b'0', b'0', hi, lo];
                w.write_str(core::str::from_utf8(&esc).unwrap_or("\\ufffd"))?;
            }
        }
        start = i.saturating_add(1);
    }
    if let Some(rest) = s.get(start..) {
        w.write_str(rest)?;
    }
    Ok(())
}

/// Writes `bytes` for people (a terminal, an alert text): invalid UTF-8 and control
/// characters become U+FFFD, so a hostile cmdline cannot move the cursor or forge lines
/// in a table; characters that change how the text around them reads without being seen
/// ([`is_hidden`]) are shown as their code point, `<U+202E>`.
pub(crate) fn write_printable<W: ufmt::uWrite + ?Sized>(w: &mut W, bytes: &[u8]) -> Result<(), W::Error> {
    for chunk in bytes.utf8_chunks() {
        let s = chunk.valid();
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let hidden = is_hidden(c);
            if c.is_control() || hidden {
                if let Some(done) = s.get(start..i) {
                    w.write_str(done)?;
                }
                if hidden {
                    write_code_point(w, c)?;
                } else {
                    w.write_str("\u{fffd}")?;
                }
                start = i.saturating_add(c.len_utf8());
            }
        }
        if let Some(rest) = s.get(start..) {
            w.write_str(rest)?;
        }
        if !chunk.invalid().is_empty() {
            w.write_str("\u{fffd}")?;
        }
    }
    Ok(())
}

/// Characters that change how the text around them reads without being seen: every
/// Unicode format character (general category Cf, Unicode 16: the soft hyphen,
/// bidirectional marks, overrides and isolates, zero-width spaces and joiners, invisible
/// operators, the byte order mark, interlinear annotation, tags) and the line and
/// paragraph separators. With U+202E, `evil\u{202e}gpj.exe` reads `evilexe.jpg`.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// `<U+XXXX>`: the code point in uppercase hex, at least four digits.
fn write_code_point<W: ufmt::uWrite + ?Sized>(w: &mut W, c: char) -> Result<(), W::Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let v = u32::from(c);
    let width: u32 = match v {
        0x10_0000.. => 6,
        0x1_0000.. => 5,
        _ => 4,
    };
    let mut hex = [b'0'; 6];
    for (i, slot) in (0u32..).zip(hex.iter_mut().take(width as usize)) {
        let shift = width.saturating_sub(1).saturating_sub(i).saturating_mul(4);
        let nibble = v.checked_shr(shift).unwrap_or(0) & 0xF;
        *slot = HEX.get(nibble as usize).copied().unwrap_or(b'0');
    }
    let digits = hex.get(..width as usize).unwrap_or(&[]);
    w.write_str("<U+")?;
    w.write_str(core::str::from_utf8(digits).unwrap_or(""))?;
    w.write_str(">")
}

/// Writes `bytes` through `escape`, then the cut marker when they were cut to fit: how
/// every shown cmdline is written (table, JSON, alert text).
pub(crate) fn write_cut<W: ufmt::uWrite + ?Sized>(
    w: &mut W,
    bytes: &[u8],
    cut: bool,
    escape: impl Fn(&mut W, &[u8]) -> Result<(), W::Error>,
) -> Result<(), W::Error> {
    escape(w, bytes)?;
    if cut {
        w.write_str(CUT_MARKER)?;
    }
    Ok(())
}

/// Writes `hundredths / 100` as a decimal with two places ("12.05"): ufmt has no floats.
pub(crate) fn write_centis<W: ufmt::uWrite + ?Sized>(w: &mut W, hundredths: u64) -> Result<(), W::Error> {
    let whole = hundredths / 100;
    let frac = hundredths % 100;
    ufmt::uwrite!(w, "{}.", whole)?;
    if frac < 10 {
        w.write_str("0")?;
    }
    ufmt::uwrite!(w, "{}", frac)
}

/// A duration for people, as [`write_duration`] writes it, in a buffer of its own.
pub(crate) fn duration(secs: u64) -> FixedBuf<24> {
    let mut b = FixedBuf::new();
    let _ = write_duration(&mut b, secs);
    b
}

/// Writes a duration for people: "42s", "5m03s", "1h02m", "3d04h".
pub(crate) fn write_duration<W: ufmt::uWrite + ?Sized>(w: &mut W, secs: u64) -> Result<(), W::Error> {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let two = |w: &mut W, v: u64| -> Result<(), W::Error> {
        if v < 10 {
            w.write_str("0")?;
        }
        ufmt::uwrite!(w, "{}", v)
    };
    if d > 0 {
        ufmt::uwrite!(w, "{}d", d)?;
        two(w, h)?;
        w.write_str("h")
    } else if h > 0 {
        ufmt::uwrite!(w, "{}h", h)?;
        two(w, m)?;
        w.write_str("m")
    } else if m > 0 {
        ufmt::uwrite!(w, "{}m", m)?;
        two(w, s)?;
        w.write_str("s")
    } else {
        ufmt::uwrite!(w, "{}s", s)
    }
}

/// Writes `v` with at least `width` digits, zero-padded.
pub(crate) fn write_zero_padded<W: ufmt::uWrite + ?Sized>(
    w: &mut W,
    v: u64,
    width: usize,
) -> Result<(), W::Error> {
    let mut digits = 1usize;
    let mut rest = v / 10;
    while rest > 0 {
        digits = digits.saturating_add(1);
        rest /= 10;
    }
    for _ in digits..width {
        w.write_str("0")?;
    }
    ufmt::uwrite!(w, "{}", v)
}

/// Writes seconds since the epoch as RFC 3339 UTC: "2026-11-28T17:42:45Z".
pub(crate) fn write_rfc3339<W: ufmt::uWrite + ?Sized>(w: &mut W, epoch_s: u64) -> Result<(), W::Error> {
    let (y, m, d) = civil_from_days(epoch_s / 86_400);
    let secs = epoch_s % 86_400;
    write_zero_padded(w, y, 4)?;
    w.write_str("-")?;
    write_zero_padded(w, m, 2)?;
    w.write_str("-")?;
    write_zero_padded(w, d, 2)?;
    w.write_str("T")?;
    write_zero_padded(w, secs / 3600, 2)?;
    w.write_str(":")?;
    write_zero_padded(w, secs / 60 % 60, 2)?;
    w.write_str(":")?;
    write_zero_padded(w, secs % 60, 2)?;
    w.write_str("Z")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`), for non-negative days.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe
        .saturating_sub(doe / 1460)
        .saturating_add(doe / 36_524)
        .saturating_sub(doe / 146_096))
        / 365;
    let doy = doe.saturating_sub(
        (365u64.saturating_mul(yoe))
            .saturating_add(yoe / 4)
            .saturating_sub(yoe / 100),
    );
    let mp = (5u64.saturating_mul(doy).saturating_add(2)) / 153;
    let d = doy
        .saturating_sub((153u64.saturating_mul(mp).saturating_add(2)) / 5)
        .saturating_add(1);
    let m = if mp < 10 {
        mp.saturating_add(3)
    } else {
        mp.saturating_sub(9)
    };
    let y = yoe
        .saturating_add(era.saturating_mul(400))
        .saturating_add(u64::from(m <= 2));
    (y, m, d)
}

/// Cuts `buf` to at most `max_chars` characters; when it had more, the last kept
/// character is the cut marker, so the result still fits. With `entities` (text where
/// every `&` opens an entity ending in `;`, as Slack's escaping writes it), the cut
/// never leaves a partial entity.
pub(crate) fn cut_to_chars<const N: usize>(buf: &mut FixedBuf<N>, max_chars: usize, entities: bool) {
    let text = buf.as_str();
    if text.chars().count() <= max_chars && !buf.overflowed() {
        return;
    }
    let keep = max_chars.saturating_sub(1);
    let mut end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    if entities {
        let kept = text.get(..end).unwrap_or("");
        if let Some(amp) = kept.rfind('&').filter(|&a| !kept.get(a..).unwrap_or("").contains(';')) {
            end = amp;
        }
    }
    buf.truncate(end);
    buf.overflowed = false;
    if buf.len().saturating_add(CUT_MARKER.len()) > N {
        // No room for the marker's bytes: make some.
        let end = utf8_floor(buf.as_str().as_bytes(), N.saturating_sub(CUT_MARKER.len()));
        buf.truncate(end);
    }
    buf.push_bytes_utf8(CUT_MARKER);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ufmt::uWrite;

    #[test]
    fn a_heap_table_starts_empty_with_its_capacity() {
        let mut table: HeapTable<[u64; 4], 1000> = heap_table();
        assert!(table.is_empty());
        assert_eq!(table.capacity(), 1000);
        for i in 0..1000u64 {
            table.push([i; 4]).unwrap();
        }
        assert_eq!(table.push([0; 4]), Err([0; 4]));
        assert_eq!(table.last(), Some(&[999; 4]));
    }

    /// Issue 19, item 4: "1 messages".
    #[test]
    fn a_count_takes_the_singular_for_one_only() {
        let said = |n: u64| std::format!("{}", count(n, "message", "messages"));
        assert_eq!(said(0), "0 messages");
        assert_eq!(said(1), "1 message");
        assert_eq!(said(2), "2 messages");
        assert_eq!(said(u64::MAX), "18446744073709551615 messages");
        assert_eq!(std::format!("{}", count(1usize, "alert", "alerts")), "1 alert");
    }

    fn json(bytes: &[u8]) -> String {
        let mut b = FixedBuf::<256>::new();
        let _ = write_json_escaped(&mut b, bytes);
        b.as_str().to_owned()
    }

    #[test]
    fn json_escapes_quotes_backslashes_controls_and_invalid_utf8() {
        assert_eq!(json(b"a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(json(b"x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(json(b"\x01\x1f\x7f"), "\\u0001\\u001f\\u007f");
        assert_eq!(json(b"ok\xff\xfeok"), "ok\\ufffd\\ufffdok");
        assert_eq!(json("жук".as_bytes()), "жук");
    }

    #[test]
    fn fixed_buf_cuts_at_char_boundary_and_reports_overflow() {
        let mut b = FixedBuf::<5>::new();
        let _ = ufmt::uwrite!(b, "{}", "abжжж");
        assert_eq!(b.as_str(), "abж");
        assert!(b.overflowed());
    }

    #[test]
    fn utf8_floor_never_splits_a_character() {
        let s = "aж€😀".as_bytes();
        for max in 0..=s.len() {
            let n = utf8_floor(s, max);
            assert!(n <= max);
            assert!(core::str::from_utf8(&s[..n]).is_ok(), "max {max} gave {n}");
        }
        assert_eq!(utf8_floor(s, 2), 1);
        assert_eq!(utf8_floor(s, 3), 3);
    }

    #[test]
    fn utf8_trim_incomplete_drops_only_a_cut_character() {
        let s = "aж€😀".as_bytes();
        assert_eq!(utf8_trim_incomplete(s), s.len());
        for cut in 0..=s.len() {
            let n = utf8_trim_incomplete(&s[..cut]);
            assert!(core::str::from_utf8(&s[..n]).is_ok(), "cut {cut}");
            assert!(cut - n < 4);
        }
        assert_eq!(
            utf8_trim_incomplete(b"ab\xff"),
            3,
            "invalid bytes are the escaper's"
        );
    }

    #[test]
    fn rfc3339_dates() {
        let f = |s| {
            let mut b = FixedBuf::<32>::new();
            let _ = write_rfc3339(&mut b, s);
            b.as_str().to_owned()
        };
        assert_eq!(f(0), "1970-01-01T00:00:00Z");
        assert_eq!(f(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(f(1_764_340_110), "2025-11-28T14:28:30Z");
        assert_eq!(f(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn cut_to_chars_keeps_the_limit_with_a_marker() {
        let mut b = FixedBuf::<64>::new();
        let _ = b.write_str("жжжжжжжжжж");
        cut_to_chars(&mut b, 5, false);
        assert_eq!(b.as_str(), "жжжж\u{2026}");
        let mut b = FixedBuf::<64>::new();
        let _ = b.write_str("abc");
        cut_to_chars(&mut b, 3, false);
        assert_eq!(b.as_str(), "abc");
        let mut b = FixedBuf::<64>::new();
        let _ = b.write_str("ab&lt;cd");
        cut_to_chars(&mut b, 5, true);
        assert_eq!(b.as_str(), "ab\u{2026}", "never half an entity");
        let mut b = FixedBuf::<64>::new();
        let _ = b.write_str("ab&lt;cd");
        cut_to_chars(&mut b, 7, true);
        assert_eq!(b.as_str(), "ab&lt;\u{2026}");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let f = |s| {
            let mut b = FixedBuf::<32>::new();
            let _ = write_duration(&mut b, s);
            b.as_str().to_owned()
        };
        assert_eq!(f(42), "42s");
        assert_eq!(f(303), "5m03s");
        assert_eq!(f(3720), "1h02m");
        assert_eq!(f(273_600), "3d04h");
    }

    #[test]
    fn printable_replaces_control_characters() {
        let mut b = FixedBuf::<64>::new();
        let _ = write_printable(&mut b, b"a\x1b[2Jb\n\xff");
        assert_eq!(b.as_str(), "a\u{fffd}[2Jb\u{fffd}\u{fffd}");
    }

    #[test]
    fn printable_shows_format_characters_escaped() {
        // Issue 19: a right-to-left override or a zero-width character in a cmdline made
        // the text read other than it is.
        let mut b = FixedBuf::<256>::new();
        let s = "a\u{202e}b\u{200b}c\u{feff}d\u{2028}e\u{2066}f\u{ad}g\u{e0041}h\u{061c}жi";
        let _ = write_printable(&mut b, s.as_bytes());
        assert_eq!(
            b.as_str(),
            "a<U+202E>b<U+200B>c<U+FEFF>d<U+2028>e<U+2066>f<U+00AD>g<U+E0041>h<U+061C>жi"
        );
    }
}
