//! `/proc/<pid>/task/<tid>/children`: the pids whose parent is that thread.
//!
//! Pure; never panics; no allocation. The kernel (fs/proc/array.c, `children_seq_show`)
//! writes each child as `"%d "`: space-separated decimal pids, a trailing space, no
//! newline, and nothing at all for a thread without children. Each thread has its own
//! list (a child belongs to the thread that forked it), so a process's children are the
//! union over `task/*/children`. The file exists only with `CONFIG_PROC_CHILDREN`, and
//! proc(5) warns the list is exact only while the threads are stopped: a walk of a
//! running tree is a best effort, which is all a cost estimate needs.
//!
//! [`children`] yields each pid in order. Tokens are split on ASCII whitespace (so a
//! newline from a hand-made fake file is a separator too); a token that is not a decimal
//! pid in `1..=PID_MAX_LIMIT` (a sign, a letter, a non-UTF-8 byte, 0, a number past the
//! kernel's limit) is skipped and counted in [`Children::skipped`], so one bad token costs
//! that token only. When the read filled the caller's buffer, the last token may have been
//! cut in the middle of a pid (`123` of `12345`): [`children_of_prefix`] then drops what
//! follows the last separator.

/// The kernel's ceiling for `pid_max` (include/linux/threads.h, 64-bit: 4 Mi).
pub const PID_MAX_LIMIT: u32 = 4 * 1024 * 1024;

/// The pids of a children file, in order.
#[derive(Clone, Debug)]
pub struct Children<'a> {
    rest: &'a [u8],
    skipped: u32,
}

/// Every pid of a whole children file.
pub fn children(file: &[u8]) -> Children<'_> {
    Children {
        rest: file,
        skipped: 0,
    }
}

/// The pids of the first `buf.len()` bytes of a longer file: only tokens followed by a
/// separator count, since the read may have cut the last one.
pub fn children_of_prefix(buf: &[u8]) -> Children<'_> {
    let end = buf
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(0, |at| at.saturating_add(1));
    children(buf.get(..end).unwrap_or_default())
}

/// A token as a pid, if it is one.
pub fn pid(token: &[u8]) -> Option<u32> {
    super::parse_u64(token)
        .and_then(|p| u32::try_from(p).ok())
        .filter(|p| (1..=PID_MAX_LIMIT).contains(p))
}

impl Children<'_> {
    /// Tokens skipped so far because they were not pids.
    pub fn skipped(&self) -> u32 {
        self.skipped
    }
}

impl Iterator for Children<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            let start = self.rest.iter().position(|b| !b.is_ascii_whitespace())?;
            let rest = self.rest.get(start..).unwrap_or_default();
            let len = rest
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(rest.len());
            let (token, after) = rest.split_at_checked(len).unwrap_or((rest, &[]));
            self.rest = after;
            match pid(token) {
                Some(p) => return Some(p),
                None => self.skipped = self.skipped.saturating_add(1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on this project's build host: `sh -c 'sleep 30 & … ; cat
    // /proc/$$/task/$$/children | od -c | head'`: three sleeps, then cat, od and head.
    const CAPTURED: &[u8] = b"15584 15585 15586 15587 15588 15589 ";
    // A thread with no children: the file is empty.
    const NONE: &[u8] = b"";

    fn all(file: &[u8]) -> (Vec<u32>, u32) {
        let mut c = children(file);
        let pids = c.by_ref().collect();
        (pids, c.skipped())
    }

    #[test]
    fn captured_file_gives_each_pid_in_order() {
        let want = vec![15584, 15585, 15586, 15587, 15588, 15589];
        assert_eq!(all(CAPTURED), (want, 0));
        assert_eq!(all(NONE), (vec![], 0));
    }

    #[test]
    fn garbage_tokens_are_skipped_and_counted() {
        let cases: &[(&[u8], &[u32], u32)] = &[
            (b" ", &[], 0),
            (b"1", &[1], 0),
            (b"7 8\n", &[7, 8], 0),
            (b"7  8\t9\n", &[7, 8, 9], 0),
            (b"0 1 ", &[1], 1),
            (b"-5 +5 5 ", &[5], 2),
            (b"12a 12 a12 ", &[12], 2),
            (b"4194304 4194305 ", &[4194304], 1),
            (b"4294967296 99999999999999999999999 3 ", &[3], 2),
            (b"\xff\xfe 2 ", &[2], 1),
            (b"1,2 3 ", &[3], 1),
        ];
        for (file, pids, skipped) in cases {
            let (got, got_skipped) = all(file);
            assert_eq!(
                (&got[..], got_skipped),
                (*pids, *skipped),
                "{:?}",
                String::from_utf8_lossy(file)
            );
        }
    }

    #[test]
    fn a_buffer_cut_inside_a_pid_drops_the_cut_token() {
        let cut = &CAPTURED[..14]; // "15584 15585 15"
        assert_eq!(children_of_prefix(cut).collect::<Vec<_>>(), [15584, 15585]);
        assert_eq!(children_of_prefix(CAPTURED).count(), 6);
        assert_eq!(children_of_prefix(b"123").count(), 0);
        assert_eq!(children_of_prefix(b"").count(), 0);
    }

    #[test]
    fn file_cut_at_every_byte_never_panics() {
        for n in 0..CAPTURED.len() {
            let _ = children(&CAPTURED[..n]).count();
            let _ = children_of_prefix(&CAPTURED[..n]).count();
        }
    }
}
