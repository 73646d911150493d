//! Pure parsers for the `/proc` files lingerwatch reads.
//!
//! Bytes in, a small `Copy` value or a borrowed view out: no I/O, no clock, no allocation,
//! and no panic for any input, so each one is a fuzz target as it stands.

pub mod cgroup;
pub mod mountinfo;
pub mod cmdline;
pub mod pid_stat;
pub mod proc_stat;
pub mod status;
pub mod cpu_times;
pub mod pressure;
pub mod children;
pub mod pods;

/// What was wrong with a `/proc` file. Field numbers are proc(5)'s, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing to parse.
    Empty,
    /// No `(comm)` in the line, or the last `)` comes before the first `(`.
    NoComm,
    /// The pid before `(` is missing or not a number.
    BadPid,
    /// The line ends before this field.
    MissingField(u8),
    /// This field is not a number that fits its type.
    BadNumber(u8),
}

/// Parses an unsigned decimal with no sign, no spaces and no overflow.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let d = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(value)
}

/// Parses a signed decimal (`-` allowed) that fits `i64`.
pub(crate) fn parse_i64(digits: &[u8]) -> Option<i64> {
    match digits.split_first() {
        Some((b'-', rest)) => {
            let magnitude = parse_u64(rest)?;
            0i64.checked_sub_unsigned(magnitude)
        }
        _ => i64::try_from(parse_u64(digits)?).ok(),
    }
}

/// Length of a boot id (`/proc/sys/kernel/random/boot_id`, a UUID in text).
pub const BOOT_ID_LEN: usize = 36;

/// Keeps a boot id as read (trailing newline dropped), or zeros when it is not one.
pub fn boot_id_from(text: &[u8]) -> [u8; BOOT_ID_LEN] {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let mut id = [0u8; BOOT_ID_LEN];
    if text.len() == BOOT_ID_LEN
        && text
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b) || *b == b'-')
    {
        id.copy_from_slice(text);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_exactly_or_not_at_all() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_u64(b"1 "), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-"), None);
    }
}
