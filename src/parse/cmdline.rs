//! `/proc/<pid>/cmdline`: the arguments, each ended by a NUL.
//!
//! Pure; never panics; no allocation. A process matches when any include pattern is a
//! substring of its arguments joined by single spaces (each NUL between arguments becomes a
//! space, trailing NULs are dropped; a cmdline rewritten with spaces, as setproctitle does,
//! reads the same), and no exclude pattern is. The matcher is fed chunk by chunk, so a
//! cmdline longer than any read buffer still matches exactly: KMP keeps one state per
//! pattern across chunks.

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

/// One substring pattern with its KMP failure table.
#[derive(Clone, Debug)]
pub struct Pattern {
    bytes: Vec<u8, MAX_PATTERN_LEN>,
    /// `fail[i]`: length of the longest proper border of `bytes[..=i]`.
    fail: [u8; MAX_PATTERN_LEN],
}

impl Pattern {
    pub fn new(pattern: &[u8]) -> Result<Self, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError::Empty);
        }
        let bytes = Vec::from_slice(pattern).map_err(|_| PatternError::TooLong)?;
        let mut fail = [0u8; MAX_PATTERN_LEN];
        let mut k: usize = 0;
        for i in 1..bytes.len() {
            let b = bytes.get(i).copied();
            while k > 0 && bytes.get(k).copied() != b {
                k = usize::from(fail.get(k.saturating_sub(1)).copied().unwrap_or(0));
            }
            if bytes.get(k).copied() == b {
                k = k.saturating_add(1);
            }
            if let Some(slot) = fail.get_mut(i) {
                // k < MAX_PATTERN_LEN <= 255 + 1, so it fits a u8.
                *slot = u8::try_from(k).unwrap_or(0);
            }
        }
        Ok(Pattern { bytes, fail })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Advances KMP state `k` (bytes matched so far) by `b`; returns the new state.
    #[inline]
    fn step(&self, mut k: usize, b: u8) -> usize {
        loop {
            match self.bytes.get(k) {
                Some(&p) if p == b => return k.saturating_add(1),
                _ if k == 0 => return 0,
                _ => k = usize::from(self.fail.get(k.saturating_sub(1)).copied().unwrap_or(0)),
            }
        }
    }

    /// The state to continue from after a full match (overlaps still count).
    #[inline]
    fn after_match(&self) -> usize {
        usize::from(
            self.fail
                .get(self.bytes.len().saturating_sub(1))
                .copied()
                .unwrap_or(0),
        )
    }
}

const _: () = assert!(MAX_PATTERN_LEN <= 256);

/// A list of patterns, built once from configuration.
#[derive(Clone, Debug, Default)]
pub struct PatternSet {
    patterns: Vec<Pattern, MAX_PATTERNS>,
}

impl PatternSet {
    pub fn new() -> Self {
        PatternSet::default()
    }

    pub fn push(&mut self, pattern: &[u8]) -> Result<(), PatternError> {
        let p = Pattern::new(pattern)?;
        self.patterns.push(p).map_err(|_| PatternError::TooMany)
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

/// Streaming include/exclude matcher over one cmdline.
pub struct Matcher<'p> {
    include: &'p PatternSet,
    exclude: &'p PatternSet,
    joiner: Joiner,
    include_state: [usize; MAX_PATTERNS],
    exclude_state: [usize; MAX_PATTERNS],
    included: bool,
    excluded: bool,
    /// Joined bytes seen (0 for an empty cmdline: a kernel thread or a zombie).
    len: u64,
}

impl<'p> Matcher<'p> {
    pub fn new(include: &'p PatternSet, exclude: &'p PatternSet) -> Self {
        Matcher {
            include,
            exclude,
            joiner: Joiner::default(),
            include_state: [0; MAX_PATTERNS],
            exclude_state: [0; MAX_PATTERNS],
            included: false,
            excluded: false,
            len: 0,
        }
    }

    /// Feeds the next chunk of raw cmdline bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.decided() {
            return;
        }
        let Matcher {
            include,
            exclude,
            joiner,
            include_state,
            exclude_state,
            included,
            excluded,
            len,
        } = self;
        joiner.feed(chunk, |b| {
            *len = len.saturating_add(1);
            if !*included {
                for (p, k) in include.patterns.iter().zip(include_state.iter_mut()) {
                    *k = p.step(*k, b);
                    if *k == p.bytes.len() {
                        *included = true;
                        break;
                    }
                }
            }
            for (p, k) in exclude.patterns.iter().zip(exclude_state.iter_mut()) {
                *k = p.step(*k, b);
                if *k == p.bytes.len() {
                    *excluded = true;
                    *k = p.after_match();
                }
            }
            !(*excluded || (*included && exclude.patterns.is_empty()))
        });
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
