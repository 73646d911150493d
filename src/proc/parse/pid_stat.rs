//! `/proc/<pid>/stat`: one line, `pid (comm) state ppid … utime stime … starttime …`.
//!
//! Pure; never panics; no allocation. `comm` is whatever the process named itself (up to
//! 15 bytes, or 63 for kernel threads): it may hold spaces, `(`, `)`, newlines and bytes
//! that are not UTF-8, so the fields are found after the *last* `)` (proc(5)).

use super::{parse_i64, parse_u64, ParseError};

// proc(5) field numbers (1-based), as the error values name them.
const FIELD_STATE: u8 = 3;
const FIELD_PPID: u8 = 4;
const FIELD_PGRP: u8 = 5;
const FIELD_SESSION: u8 = 6;
const FIELD_UTIME: u8 = 14;
const FIELD_STIME: u8 = 15;
const FIELD_NUM_THREADS: u8 = 20;
const FIELD_STARTTIME: u8 = 22;
const FIELD_RSS: u8 = 24;

/// The fields lingerwatch uses from one `/proc/<pid>/stat` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PidStat<'a> {
    pub pid: u32,
    /// The raw comm bytes between the first `(` and the last `)`.
    pub comm: &'a [u8],
    /// One letter: R, S, D, Z, T, t, X, I, …
    pub state: u8,
    pub ppid: u32,
    /// The process group id (its leader's pid).
    pub pgrp: u32,
    /// The session id: the pid of the session's leader (0 when the leader is outside this
    /// `/proc`'s PID namespace).
    pub session: u32,
    /// Clock ticks in user mode.
    pub utime: u64,
    /// Clock ticks in kernel mode.
    pub stime: u64,
    pub num_threads: u64,
    /// Clock ticks after boot at which the process started.
    pub starttime: u64,
    /// Resident pages (0 when the kernel reports a negative value).
    pub rss_pages: u64,
}

/// Splits a stat line into its pid, its comm (between the first `(` and the *last* `)`)
/// and the fields after it.
fn split_comm(line: &[u8]) -> Result<(u32, &[u8], &[u8]), ParseError> {
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let open = line
        .iter()
        .position(|&b| b == b'(')
        .ok_or(ParseError::NoComm)?;
    let close = line
        .iter()
        .rposition(|&b| b == b')')
        .ok_or(ParseError::NoComm)?;
    if close < open {
        return Err(ParseError::NoComm);
    }
    let pid_part = line
        .get(..open)
        .and_then(|p| p.strip_suffix(b" "))
        .ok_or(ParseError::BadPid)?;
    let pid = parse_u64(pid_part)
        .and_then(|p| u32::try_from(p).ok())
        .ok_or(ParseError::BadPid)?;
    let comm = line.get(open.saturating_add(1)..close).unwrap_or(&[]);
    let rest = line.get(close.saturating_add(1)..).unwrap_or(&[]);
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let rest = rest
        .strip_prefix(b" ")
        .ok_or(ParseError::MissingField(FIELD_STATE))?;
    Ok((pid, comm, rest))
}

/// Parses one stat line. The trailing newline is optional.
pub fn parse(line: &[u8]) -> Result<PidStat<'_>, ParseError> {
    let (pid, comm, rest) = split_comm(line)?;
    // Field 3 is the first after comm; walk the rest once, keeping what we need.
    let mut fields = rest.split(|&b| b == b' ');
    let mut next = |want: u8, after: u8| -> Result<&[u8], ParseError> {
        // Skip fields between `after` and `want`.
        for skipped in after.saturating_add(1)..want {
            fields.next().ok_or(ParseError::MissingField(skipped))?;
        }
        fields.next().ok_or(ParseError::MissingField(want))
    };
    let num = |field: u8, bytes: &[u8]| parse_u64(bytes).ok_or(ParseError::BadNumber(field));

    let state = match next(FIELD_STATE, FIELD_STATE - 1)? {
        [s] => *s,
        _ => return Err(ParseError::BadNumber(FIELD_STATE)),
    };
    let ppid = num(FIELD_PPID, next(FIELD_PPID, FIELD_STATE)?)?;
    let ppid = u32::try_from(ppid).map_err(|_| ParseError::BadNumber(FIELD_PPID))?;
    let pid_field = |field: u8, bytes: &[u8]| {
        parse_u64(bytes)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(ParseError::BadNumber(field))
    };
    let pgrp = pid_field(FIELD_PGRP, next(FIELD_PGRP, FIELD_PPID)?)?;
    let session = pid_field(FIELD_SESSION, next(FIELD_SESSION, FIELD_PGRP)?)?;
    let utime = num(FIELD_UTIME, next(FIELD_UTIME, FIELD_SESSION)?)?;
    let stime = num(FIELD_STIME, next(FIELD_STIME, FIELD_UTIME)?)?;
    let num_threads = parse_i64(next(FIELD_NUM_THREADS, FIELD_STIME)?)
        .ok_or(ParseError::BadNumber(FIELD_NUM_THREADS))?;
    let starttime = num(FIELD_STARTTIME, next(FIELD_STARTTIME, FIELD_NUM_THREADS)?)?;
    // rss is %ld; old kernels could report it negative for a moment.
    let rss =
        parse_i64(next(FIELD_RSS, FIELD_STARTTIME)?).ok_or(ParseError::BadNumber(FIELD_RSS))?;

    Ok(PidStat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
        session,
        utime,
        stime,
        num_threads: u64::try_from(num_threads).unwrap_or(0),
        starttime,
        rss_pages: u64::try_from(rss).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from a Debian 12 host.
    const PYTEST: &[u8] = b"48213 (pytest) S 1 48201 48201 0 -1 4194304 30862 0 0 0 5124 388 0 0 20 0 3 0 8812345 412569600 24811 18446744073709551615 94204 94208 140725 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const KTHREAD: &[u8] = b"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const ZOMBIE: &[u8] = b"7731 (pytest) Z 7700 7700 7700 0 -1 4227148 120 0 0 0 3 1 0 0 20 0 1 0 99120 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn parses_captured_pytest_line() {
        let s = parse(PYTEST).unwrap();
        assert_eq!(s.pid, 48213);
        assert_eq!(s.comm, b"pytest");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 1);
        assert_eq!((s.pgrp, s.session), (48201, 48201));
        assert_eq!((s.utime, s.stime), (5124, 388));
        assert_eq!(s.num_threads, 3);
        assert_eq!(s.starttime, 8812345);
        assert_eq!(s.rss_pages, 24811);
    }

    #[test]
    fn parses_kernel_thread_and_zombie() {
        let k = parse(KTHREAD).unwrap();
        assert_eq!((k.pid, k.ppid, k.comm), (2, 0, &b"kthreadd"[..]));
        let z = parse(ZOMBIE).unwrap();
        assert_eq!((z.state, z.ppid, z.starttime), (b'Z', 7700, 99120));
    }

    #[test]
    fn comm_with_parens_spaces_newlines_and_non_utf8_splits_at_last_paren() {
        let line = b"77 (a) (b\n) x\xff) R 5 0 0 0 -1 0 0 0 0 0 11 12 0 0 20 0 1 0 1234 0 -1\n";
        let s = parse(line).unwrap();
        assert_eq!(s.comm, b"a) (b\n) x\xff");
        assert_eq!(
            (s.state, s.ppid, s.utime, s.stime, s.starttime),
            (b'R', 5, 11, 12, 1234)
        );
        assert_eq!(s.rss_pages, 0, "negative rss reads as 0");
    }

    #[test]
    fn malformed_lines_give_error_values() {
        let cases: &[(&[u8], ParseError)] = &[
            (b"", ParseError::Empty),
            (b"1 (x)", ParseError::MissingField(3)),
            (b"1 (x)\n", ParseError::MissingField(3)),
            (b"(x) R 1", ParseError::BadPid),
            (b") ( R", ParseError::NoComm),
            (b"1 x R 1", ParseError::NoComm),
            (b"12 (x) R", ParseError::MissingField(4)),
            (b"12 (x) R 1 2 3", ParseError::MissingField(7)),
            (b"12 (x) R 1 -1 3", ParseError::BadNumber(5)),
            (b"12 (x) R 1 2 4294967296", ParseError::BadNumber(6)),
            (b"12 (x) RR 1", ParseError::BadNumber(3)),
            (b"x (x) R 1", ParseError::BadPid),
            (b"4294967296 (x) R 1", ParseError::BadPid),
            (b"1(x) R 1", ParseError::BadPid),
            (b"1 (x) R 4294967296", ParseError::BadNumber(4)),
            (
                b"1 (x) R 1 0 0 0 -1 0 0 0 0 0 18446744073709551616 0 0 0 20 0 1 0 5 0 0",
                ParseError::BadNumber(14),
            ),
            (
                b"1 (x) R 1 0 0 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 99999999999999999999 0 0",
                ParseError::BadNumber(22),
            ),
            (
                b"1 (x) R 1 0 0 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0",
                ParseError::MissingField(24),
            ),
            (b"1 (x)  R 1", ParseError::BadNumber(3)),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse(line),
                Err(*want),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn line_cut_at_every_byte_never_panics() {
        for n in 0..PYTEST.len() {
            let _ = parse(&PYTEST[..n]);
        }
    }
}
