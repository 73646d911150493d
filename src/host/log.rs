//! Log lines on stderr, each one `write(2)`, so lines from several threads (and other
//! writers to the same pipe) never interleave.
//!
//! A line is formatted into a stack buffer (no allocation: `core::fmt` writes into it
//! piece by piece) and written whole. A line longer than the buffer is cut with a marker.
//! Writes to a closed or full stderr are dropped: a log line is never worth a panic.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use core::fmt::{self, Write as _};
use std::io::Write as _;

use crate::text::{FixedBuf, CUT_MARKER};

/// The longest line; the start-up summary with four destinations fits.
pub(crate) const LINE_CAP: usize = 4096;

/// A line being built: what fits of it, cut at a character boundary.
#[derive(Default)]
pub struct Line {
    text: FixedBuf<LINE_CAP>,
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_bytes_utf8(s);
        Ok(())
    }
}

impl Line {
    /// The finished line, newline included: cut to leave room for the cut marker where
    /// it did not fit.
    fn finish(&mut self) -> &[u8] {
        let room = LINE_CAP.saturating_sub(CUT_MARKER.len().saturating_add(1));
        if self.text.overflowed() || self.text.len() > room {
            self.text.truncate(room);
            self.text.push_bytes_utf8(CUT_MARKER);
        }
        self.text.push_bytes_utf8("\n");
        self.text.as_bytes()
    }
}

/// Formats `args` after the `lingerwatch: ` prefix and writes the line with one call.
pub fn emit(args: fmt::Arguments<'_>) {
    let mut line = Line::default();
    let _ = line.write_str("lingerwatch: ");
    let _ = line.write_fmt(args);
    // std's stderr is unbuffered, so this is one write(2); Linux writes up to PIPE_BUF
    // (4096 bytes, = LINE_CAP) to a pipe atomically, so a line never interleaves there.
    let _ = std::io::stderr().lock().write_all(line.finish());
}

/// Writes one log line: `log!("scan failed: {}", why)`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::host::log::emit(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_prefixed_ended_and_cut_to_fit() {
        let mut l = Line::default();
        let _ = l.write_str("abc");
        assert_eq!(l.finish(), b"abc\n");
        let mut l = Line::default();
        for _ in 0..LINE_CAP {
            let _ = l.write_str("\u{0436}");
        }
        let out = l.finish();
        assert!(out.len() <= LINE_CAP);
        assert!(std::str::from_utf8(out).unwrap().ends_with("\u{2026}\n"));
    }
}
