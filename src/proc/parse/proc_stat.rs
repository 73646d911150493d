//! `/proc/stat`: the `btime` line (boot time, seconds since the epoch).
//!
//! Pure; never panics; no allocation. Fed chunk by chunk, because the `intr` line before
//! `btime` can run past 64 KiB on hosts with many interrupts, so no fixed buffer is sure
//! to hold the whole file.

const KEY: &[u8] = b"btime ";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line, `usize` bytes of `KEY` matched so far.
    LineStart(usize),
    /// Inside a line that is not `btime`.
    SkipLine,
    /// Reading the digits of `btime`.
    Digits {
        value: u64,
        any: bool,
    },
    Done(u64),
    Bad,
}

/// Streaming finder of `btime`.
#[derive(Clone, Copy, Debug)]
pub struct BtimeFinder {
    state: State,
}

impl Default for BtimeFinder {
    fn default() -> Self {
        BtimeFinder {
            state: State::LineStart(0),
        }
    }
}

/// Why no boot time came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BtimeError {
    /// No `btime` line.
    Missing,
    /// A `btime` line whose value is not a number that fits u64.
    BadNumber,
}

impl BtimeFinder {
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            self.state = match self.state {
                State::Done(_) | State::Bad => return,
                State::LineStart(k) => match KEY.get(k) {
                    Some(&want) if want == b => {
                        if k.saturating_add(1) == KEY.len() {
                            State::Digits {
                                value: 0,
                                any: false,
                            }
                        } else {
                            State::LineStart(k.saturating_add(1))
                        }
                    }
                    _ if b == b'\n' => State::LineStart(0),
                    _ => State::SkipLine,
                },
                State::SkipLine if b == b'\n' => State::LineStart(0),
                State::SkipLine => State::SkipLine,
                State::Digits { value, any } => match b {
                    b'0'..=b'9' => value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(b.saturating_sub(b'0'))))
                        .map_or(State::Bad, |value| State::Digits { value, any: true }),
                    b'\n' if any => State::Done(value),
                    _ => State::Bad,
                },
            };
        }
    }

    /// The boot time, once the whole file (or at least the `btime` line) has been fed.
    pub fn finish(&self) -> Result<u64, BtimeError> {
        match self.state {
            State::Done(v)
            | State::Digits {
                value: v,
                any: true,
            } => Ok(v),
            State::Bad | State::Digits { .. } => Err(BtimeError::BadNumber),
            State::LineStart(_) | State::SkipLine => Err(BtimeError::Missing),
        }
    }

    /// True once more input cannot change the answer.
    pub fn done(&self) -> bool {
        matches!(self.state, State::Done(_) | State::Bad)
    }
}

/// Whole-buffer form, for callers that already hold the file.
pub fn btime(stat: &[u8]) -> Result<u64, BtimeError> {
    let mut f = BtimeFinder::default();
    f.feed(stat);
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"cpu  1369 0 3245 286713 100 0 21 0 0 0\ncpu0 680 0 1622 143300 50 0 10 0 0 0\nintr 1172931 0 9 0 0 0\nctxt 2398741\nbtime 1764340110\nprocesses 38311\nprocs_running 1\nprocs_blocked 0\nsoftirq 1 2 3\n";

    #[test]
    fn finds_btime_in_captured_sample_at_every_chunk_size() {
        for chunk in 1..=SAMPLE.len() {
            let mut f = BtimeFinder::default();
            for c in SAMPLE.chunks(chunk) {
                f.feed(c);
            }
            assert_eq!(f.finish(), Ok(1764340110), "chunk {chunk}");
        }
    }

    #[test]
    fn btime_after_a_100_kib_intr_line() {
        let mut stat = b"intr ".to_vec();
        stat.extend(std::iter::repeat_n(b"0 ", 50 * 1024).flatten());
        stat.extend_from_slice(b"\nbtime 42\n");
        let mut f = BtimeFinder::default();
        for c in stat.chunks(4096) {
            f.feed(c);
        }
        assert_eq!(f.finish(), Ok(42));
    }

    #[test]
    fn malformed_btime_is_an_error_value() {
        assert_eq!(btime(b""), Err(BtimeError::Missing));
        assert_eq!(btime(b"cpu 1\n"), Err(BtimeError::Missing));
        assert_eq!(btime(b"xbtime 5\n"), Err(BtimeError::Missing));
        assert_eq!(btime(b"btime \n"), Err(BtimeError::BadNumber));
        assert_eq!(btime(b"btime x\n"), Err(BtimeError::BadNumber));
        assert_eq!(
            btime(b"btime 99999999999999999999\n"),
            Err(BtimeError::BadNumber)
        );
        assert_eq!(btime(b"btime 7"), Ok(7), "no trailing newline");
    }
}
