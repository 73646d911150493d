//! `/proc/<pid>/cmdline`: the arguments, each ended by a NUL.
//!
//! Pure; never panics; no allocation. A process matches when any include pattern is a
//! substring of its arguments joined by single spaces (each NUL between arguments becomes a
//! space, trailing NULs are dropped; a cmdline rewritten with spaces, as setproctitle does,
//! reads the same), and no exclude pattern is. The matcher is fed chunk by chunk, so a
//! cmdline longer than any read buffer still matches exactly: it searches each chunk in
//! place and carries only the last bytes a match across chunks could start in.

use heapless::Vec;

/// The most patterns of one kind (include or exclude).
pub(crate) const MAX_PATTERNS: usize = 16;
/// The longest pattern, in bytes.
pub(crate) const MAX_PATTERN_LEN: usize = 128;
/// How much of a cmdline is kept to show people: enough to tell one run from another,
/// small enough that the alert table, outbox and scan report stay within the memory budget.
pub const SHOWN_LEN: usize = 256;

/// Why a pattern was refused at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternError {
    Empty,
    TooLong,
    TooMany,
}

/// One substring pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    bytes: Vec<u8, MAX_PATTERN_LEN>,
}

impl Pattern {
    pub fn new(pattern: &[u8]) -> Result<Self, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError::Empty);
        }
        let bytes = Vec::from_slice(pattern).map_err(|_| PatternError::TooLong)?;
        Ok(Pattern { bytes })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A list of patterns, built once from configuration.
#[derive(Clone, Debug, Default)]
pub struct PatternSet {
    patterns: Vec<Pattern, MAX_PATTERNS>,
    /// The longest pattern's length: how much of a chunk's end the matcher keeps.
    longest: usize,
}

impl PatternSet {
    pub fn new() -> Self {
        PatternSet::default()
    }

    pub fn push(&mut self, pattern: &[u8]) -> Result<(), PatternError> {
        let p = Pattern::new(pattern)?;
        let len = p.bytes.len();
        self.patterns.push(p).map_err(|_| PatternError::TooMany)?;
        self.longest = self.longest.max(len);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pattern> {
        self.patterns.iter()
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether any pattern occurs in `hay`, read with each NUL as a space.
    fn any_in(&self, hay: &[u8]) -> bool {
        self.patterns.iter().any(|p| contains(hay, &p.bytes))
    }
}

/// Turns raw cmdline chunks into the joined form: NUL → space, trailing NULs dropped.
/// NULs are held back until a non-NUL byte shows they were not trailing.
#[derive(Clone, Copy, Debug, Default)]
struct Joiner {
    pending_nuls: usize,
}

impl Joiner {
    #[inline]
    fn feed(&mut self, chunk: &[u8], mut emit: impl FnMut(u8) -> bool) -> bool {
        for &b in chunk {
            if b == 0 {
                self.pending_nuls = self.pending_nuls.saturating_add(1);
                continue;
            }
            while self.pending_nuls > 0 {
                self.pending_nuls = self.pending_nuls.saturating_sub(1);
                if !emit(b' ') {
                    return false;
                }
            }
            if !emit(b) {
                return false;
            }
        }
        true
    }
}

/// A byte as it reads in the joined cmdline (a NUL that is not trailing is a space).
#[inline]
fn joined(b: u8) -> u8 {
    if b == 0 {
        b' '
    } else {
        b
    }
}

/// Bytes a word holds, for the first-byte scan.
const WORD: usize = core::mem::size_of::<u64>();
const ONES: u64 = u64::from_ne_bytes([0x01; WORD]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; WORD]);

/// Whether any byte of `x` is zero (the classic SWAR test: exact for "any").
#[inline]
fn has_zero_byte(x: u64) -> bool {
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// Where the first byte that reads as `first` in the joined form is: memchr's idea,
/// eight bytes at a time in plain Rust, so it stays fast at opt-level "z" (a per-byte
/// loop there costs several times the memory's speed) and adds no dependency.
fn find_first(hay: &[u8], first: u8) -> Option<usize> {
    let want = u64::from_ne_bytes([first; WORD]);
    // A space in the pattern also matches a NUL between arguments.
    let nul_too = first == b' ';
    let mut words = hay.chunks_exact(WORD);
    let mut at = 0usize;
    for w in words.by_ref() {
        let x = u64::from_ne_bytes(<[u8; WORD]>::try_from(w).unwrap_or([0; WORD]));
        if has_zero_byte(x ^ want) || (nul_too && has_zero_byte(x)) {
            break;
        }
        at = at.saturating_add(WORD);
    }
    let rest = hay.get(at..).unwrap_or(&[]);
    rest.iter()
        .position(|&b| joined(b) == first)
        .map(|i| i.saturating_add(at))
}

/// Whether `needle` occurs in `hay` read in the joined form (`hay` holds no trailing
/// NULs: every NUL in it is a space).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return false;
    };
    let mut from = 0usize;
    while let Some(window) = hay.get(from..) {
        let Some(i) = find_first(window, first) else {
            return false;
        };
        let next = from.saturating_add(i).saturating_add(1);
        let after = hay.get(next..).unwrap_or(&[]);
        if after.len() < rest.len() {
            return false;
        }
        if after.iter().zip(rest).all(|(&h, &p)| joined(h) == p) {
            return true;
        }
        from = next;
    }
    false
}

/// Room for what a match across chunks can span: the kept end of the joined bytes so far,
/// the NULs held back (as spaces), and the start of the next chunk.
const SEAM: usize = 3 * MAX_PATTERN_LEN;

/// Streaming include/exclude matcher over one cmdline.
///
/// Each chunk is searched where it lies, a word at a time for each pattern's first byte;
/// only the last `longest - 1` joined bytes are carried to the next chunk, where the seam
/// between the two is searched on its own. Trailing NULs are held back as a count until a
/// non-NUL byte shows they were spaces.
pub struct Matcher<'p> {
    include: &'p PatternSet,
    exclude: &'p PatternSet,
    /// The end of the joined bytes so far: what a match across chunks starts in.
    tail: [u8; MAX_PATTERN_LEN],
    tail_len: usize,
    /// How much of the end to keep: the longest pattern less one.
    keep: usize,
    pending_nuls: usize,
    included: bool,
    excluded: bool,
}

impl<'p> Matcher<'p> {
    pub fn new(include: &'p PatternSet, exclude: &'p PatternSet) -> Self {
        Matcher {
            include,
            exclude,
            tail: [0; MAX_PATTERN_LEN],
            tail_len: 0,
            keep: include.longest.max(exclude.longest).saturating_sub(1),
            pending_nuls: 0,
            included: false,
            excluded: false,
        }
    }

    /// Feeds the next chunk of raw cmdline bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.decided() {
            return;
        }
        let Some(last) = chunk.iter().rposition(|&b| b != 0) else {
            // All NULs: trailing so far.
            self.pending_nuls = self.pending_nuls.saturating_add(chunk.len());
            return;
        };
        let end = last.saturating_add(1);
        let body = chunk.get(..end).unwrap_or(&[]);
        let mut seam = [0u8; SEAM];
        let mut seam_len = 0;
        if self.tail_len > 0 || self.pending_nuls > 0 {
            seam_len = self.fill_seam(&mut seam, body);
            self.search(seam.get(..seam_len).unwrap_or(&[]));
        }
        self.search(body);
        // The new end: from the seam when the chunk is shorter than what is kept (the
        // seam then ends with the whole chunk), else from the chunk's own end.
        let from = if body.len() < self.keep && seam_len > 0 {
            seam.get(..seam_len).unwrap_or(&[])
        } else {
            body
        };
        let n = self.keep.min(from.len());
        let src = from.get(from.len().saturating_sub(n)..).unwrap_or(&[]);
        for (d, &s) in self.tail.iter_mut().zip(src) {
            *d = joined(s);
        }
        self.tail_len = n;
        self.pending_nuls = chunk.len().saturating_sub(end);
    }

    /// Lays out the kept end, the held-back NULs as spaces (at most a pattern's length of
    /// them: a match cannot span more) and the chunk's first `keep` bytes; returns the
    /// length.
    fn fill_seam(&self, seam: &mut [u8; SEAM], body: &[u8]) -> usize {
        let tail = self.tail.get(..self.tail_len).unwrap_or(&[]);
        let spaces = self.pending_nuls.min(MAX_PATTERN_LEN);
        let head = body.get(..self.keep.min(body.len())).unwrap_or(&[]);
        let bytes = tail
            .iter()
            .copied()
            .chain(core::iter::repeat_n(b' ', spaces))
            .chain(head.iter().map(|&b| joined(b)));
        let mut n = 0usize;
        for (d, s) in seam.iter_mut().zip(bytes) {
            *d = s;
            n = n.saturating_add(1);
        }
        n
    }

    /// Searches joined bytes for what is still undecided.
    fn search(&mut self, hay: &[u8]) {
        if !self.included && self.include.any_in(hay) {
            self.included = true;
        }
        if !self.excluded && self.exclude.any_in(hay) {
            self.excluded = true;
        }
    }

    /// True once more bytes cannot change the answer, so the caller may stop reading.
    pub fn decided(&self) -> bool {
        self.excluded || (self.included && self.exclude.patterns.is_empty())
    }

    /// The answer for the bytes fed so far.
    pub fn is_match(&self) -> bool {
        self.included && !self.excluded
    }
}

/// The first `SHOWN_LEN` bytes of the joined cmdline, for people. Cut at a UTF-8 boundary
/// when longer; `truncated` tells the renderer to add a visible marker.
#[derive(Clone, Copy, Debug)]
pub struct ShownCmdline {
    bytes: [u8; SHOWN_LEN],
    len: usize,
    truncated: bool,
    joiner: Joiner,
}

impl Default for ShownCmdline {
    fn default() -> Self {
        ShownCmdline {
            bytes: [0; SHOWN_LEN],
            len: 0,
            truncated: false,
            joiner: Joiner::default(),
        }
    }
}

impl ShownCmdline {
    /// Feeds the next chunk of raw cmdline bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.truncated {
            return;
        }
        let ShownCmdline {
            bytes,
            len,
            truncated,
            joiner,
        } = self;
        joiner.feed(chunk, |b| match bytes.get_mut(*len) {
            Some(slot) => {
                *slot = b;
                *len = len.saturating_add(1);
                true
            }
            None => {
                *truncated = true;
                false
            }
        });
        if self.truncated {
            self.len = crate::text::utf8_trim_incomplete(self.as_bytes());
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

}

/// The naive oracle: join the whole cmdline, then test substrings. Allocation-free but
/// needs the whole input; the fuzz targets and tests compare the streaming matcher to it.
pub fn naive_match(cmdline: &[u8], include: &[&[u8]], exclude: &[&[u8]]) -> bool {
    let end = cmdline
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i.saturating_add(1));
    let joined = cmdline.get(..end).unwrap_or(&[]);
    let contains = |needle: &[u8]| {
        !needle.is_empty()
            && joined.windows(needle.len()).any(|w| {
                w.iter()
                    .zip(needle)
                    .all(|(&a, &b)| (if a == 0 { b' ' } else { a }) == b)
            })
    };
    include.iter().any(|p| contains(p)) && !exclude.iter().any(|p| contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&[u8]]) -> PatternSet {
        let mut s = PatternSet::new();
        for p in patterns {
            s.push(p).unwrap();
        }
        s
    }

    fn stream(cmdline: &[u8], chunk: usize, inc: &PatternSet, exc: &PatternSet) -> bool {
        let mut m = Matcher::new(inc, exc);
        for c in cmdline.chunks(chunk.max(1)) {
            m.feed(c);
        }
        m.is_match()
    }

    #[test]
    fn matches_across_argument_boundaries_as_joined_by_spaces() {
        let inc = set(&[b"python -m pytest"]);
        let none = set(&[]);
        assert!(stream(b"python\0-m\0pytest\0tests/\0", 3, &inc, &none));
        assert!(
            stream(b"python -m pytest tests/", 3, &inc, &none),
            "setproctitle form"
        );
        assert!(
            !stream(b"python\0-m\0\0pytest\0", 3, &inc, &none),
            "empty argument"
        );
    }

    #[test]
    fn trailing_nuls_are_not_spaces() {
        let inc = set(&[b"pytest "]);
        assert!(!stream(b"pytest\0\0\0", 1, &inc, &set(&[])));
        assert!(stream(b"pytest\0x\0", 1, &inc, &set(&[])));
    }

    #[test]
    fn exclude_wins_and_empty_cmdline_never_matches() {
        let inc = set(&[b"pytest"]);
        let exc = set(&[b"--collect-only"]);
        assert!(!stream(b"pytest\0--collect-only\0", 4, &inc, &exc));
        assert!(stream(b"pytest\0-x\0", 4, &inc, &exc));
        assert!(!stream(b"", 4, &inc, &exc), "kernel thread or zombie");
    }

    #[test]
    fn pattern_in_last_bytes_of_256_kib_cmdline_matches_at_every_chunk_size() {
        let mut cmd = vec![b'a'; 256 * 1024];
        cmd.extend_from_slice(b"\0pytest\0");
        let inc = set(&[b"a pytest"]);
        for chunk in [1, 7, 4096, 65536, cmd.len()] {
            assert!(stream(&cmd, chunk, &inc, &set(&[])), "chunk {chunk}");
        }
    }

    #[test]
    fn streaming_agrees_with_naive_oracle_on_overlapping_patterns() {
        let pats: &[&[u8]] = &[b"aab", b"abab", b"a a", b"bb"];
        let inc = set(pats);
        let inputs: &[&[u8]] = &[
            b"aaab", b"ababab", b"a\0a", b"a\0\0a", b"b\0b", b"abba\0", b"aba\0b",
        ];
        for input in inputs {
            for chunk in 1..=input.len().max(1) {
                assert_eq!(
                    stream(input, chunk, &inc, &set(&[])),
                    naive_match(input, pats, &[]),
                    "{input:?} chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn a_match_across_chunks_through_held_back_nuls_is_found_once_they_prove_spaces() {
        let inc = set(&[b"pytest -x"]);
        let none = set(&[]);
        for chunk in 1..=12 {
            assert!(stream(b"pytest\0-x\0", chunk, &inc, &none), "chunk {chunk}");
        }
        let inc = set(&[b"t  -"]);
        assert!(stream(b"pytest\0\0-x", 7, &inc, &none), "NULs alone in a chunk");
        let spaced = set(&[b"pytest "]);
        for chunk in 1..=9 {
            assert!(!stream(b"pytest\0\0\0", chunk, &spaced, &none), "chunk {chunk}");
        }
    }

    #[test]
    fn a_run_of_nuls_longer_than_any_pattern_is_that_many_spaces() {
        let mut cmd = b"a".to_vec();
        cmd.extend_from_slice(&[0; 3 * MAX_PATTERN_LEN]);
        cmd.push(b'b');
        let wide = [b' '; MAX_PATTERN_LEN];
        let mut edge = vec![b' '; MAX_PATTERN_LEN - 1];
        edge.push(b'b');
        let pats: [&[u8]; 4] = [&wide, &edge, b"a b", b"a  "];
        for p in pats {
            let want = naive_match(&cmd, &[p], &[]);
            for chunk in [1, 2, 5, 127, 128, 129, 200, cmd.len()] {
                assert_eq!(stream(&cmd, chunk, &set(&[p]), &set(&[])), want, "chunk {chunk}");
            }
        }
    }

    #[test]
    fn the_first_byte_scan_finds_a_byte_at_every_offset_of_a_word() {
        for at in 0..40 {
            let mut hay = vec![b'a'; 40];
            hay[at] = b'z';
            assert_eq!(find_first(&hay, b'z'), Some(at));
            hay[at] = 0;
            assert_eq!(find_first(&hay, b' '), Some(at), "a NUL reads as a space");
            assert_eq!(find_first(&hay, b'z'), None);
        }
        assert_eq!(find_first(&[0x81, 0x7f, 0x01, 0xfe, 0x80], 0x80), Some(4));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert_eq!(Pattern::new(b"").err(), Some(PatternError::Empty));
        assert_eq!(
            Pattern::new(&[b'x'; MAX_PATTERN_LEN + 1]).err(),
            Some(PatternError::TooLong)
        );
        let mut s = PatternSet::new();
        for _ in 0..MAX_PATTERNS {
            s.push(b"x").unwrap();
        }
        assert_eq!(s.push(b"x"), Err(PatternError::TooMany));
    }

    /// Found by the `cmdline` fuzz target (its property was too strict, the code right):
    /// an invalid lead byte just before a character cut in half stays, only the cut
    /// character goes, and decoded, what is shown is a prefix of the decoded original.
    #[test]
    fn cut_after_an_invalid_lead_byte_keeps_it_and_drops_only_the_cut_character() {
        let mut cmd = vec![b'a'; SHOWN_LEN - 2];
        cmd.extend_from_slice(b"\xc3\xc3\xa9tail");
        let mut s = ShownCmdline::default();
        s.feed(&cmd);
        assert!(s.truncated());
        assert_eq!(s.as_bytes().len(), SHOWN_LEN - 1, "only the cut \\xc3\\xa9 is dropped");
        assert_eq!(s.as_bytes().last(), Some(&0xc3));
        let full = String::from_utf8_lossy(&cmd);
        assert!(full.starts_with(String::from_utf8_lossy(s.as_bytes()).as_ref()));
    }

    #[test]
    fn shown_cmdline_joins_and_cuts_at_utf8_boundary() {
        let mut s = ShownCmdline::default();
        s.feed(b"pytest\0-k\0");
        s.feed(b"x\0\0");
        assert_eq!(s.as_bytes(), b"pytest -k x");
        assert!(!s.truncated());

        let mut long = vec![b'a'; SHOWN_LEN - 1];
        long.extend_from_slice("ж".as_bytes());
        let mut s = ShownCmdline::default();
        s.feed(&long);
        assert!(s.truncated());
        assert_eq!(s.as_bytes().len(), SHOWN_LEN - 1);
        assert!(std::str::from_utf8(s.as_bytes()).is_ok());
    }
}
