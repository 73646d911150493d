//! `/proc/pressure/cpu`: pressure stall information (PSI), the `some` line.
//!
//! Pure; never panics; no allocation; no floats. The kernel (kernel/sched/psi.c,
//! `psi_show`) writes one or two lines, each `some|full avg10=X.XX avg60=X.XX
//! avg300=X.XX total=N`, the averages as `%lu.%02lu` percent of wall time in which at
//! least one task (`some`) or all non-idle tasks (`full`) waited for a CPU; `total` is
//! microseconds. Averages come back as hundredths of a percent (basis points of wall
//! time, 0..=10000): `41.23` is `4123`, read digit by digit, never through a float.
//!
//! A kernel without PSI (before 4.20, or booted with `psi=0`) has no file, which is the
//! caller's `None`; a file whose `some` line is missing (a `full` line alone: since 5.13
//! the kernel also writes a `full` line for CPU, before that only `some`) or malformed is
//! `None` here. Averages above 100% are malformed.

/// The `some` line's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pressure {
    /// Hundredths of a percent over the last 10 s, 60 s and 300 s.
    pub avg10: u16,
    pub avg60: u16,
    pub avg300: u16,
    /// Microseconds stalled since boot.
    pub total_us: u64,
}

const SOME: &[u8] = b"some ";
/// The keys of the `some` line, in the kernel's order.
const KEY_AVG10: &[u8] = b"avg10=";
const KEY_AVG60: &[u8] = b"avg60=";
const KEY_AVG300: &[u8] = b"avg300=";
const KEY_TOTAL: &[u8] = b"total=";
/// 100.00%.
const FULL_SCALE: u16 = 10_000;
/// The most digits before the point (`100`).
const INT_DIGITS_MAX: usize = 3;
/// The most digits after it (the kernel writes two).
const FRACTION_DIGITS_MAX: usize = 2;

/// A percentage with one or two decimals (`0.00` to `100.00`) in hundredths.
pub fn percent_hundredths(text: &[u8]) -> Option<u16> {
    let (int, fraction) = text.split_at_checked(text.iter().position(|&b| b == b'.')?)?;
    let fraction = fraction.get(1..)?;
    if int.is_empty() || int.len() > INT_DIGITS_MAX {
        return None;
    }
    if fraction.is_empty() || fraction.len() > FRACTION_DIGITS_MAX {
        return None;
    }
    let int = u16::try_from(super::parse_u64(int)?).ok()?;
    let mut hundredths = u16::try_from(super::parse_u64(fraction)?).ok()?;
    if fraction.len() == 1 {
        hundredths = hundredths.checked_mul(10)?;
    }
    int.checked_mul(100)?
        .checked_add(hundredths)
        .filter(|&v| v <= FULL_SCALE)
}

/// The `some` line, wherever it sits in the file; the first one wins.
pub fn some(file: &[u8]) -> Option<Pressure> {
    let line = file
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(SOME))?;
    let mut fields = line.split(|&b| b == b' ');
    let mut next = |key: &[u8]| fields.next().and_then(|f| f.strip_prefix(key));
    let avg10 = percent_hundredths(next(KEY_AVG10)?)?;
    let avg60 = percent_hundredths(next(KEY_AVG60)?)?;
    let avg300 = percent_hundredths(next(KEY_AVG300)?)?;
    let total_us = super::parse_u64(next(KEY_TOTAL)?)?;
    Some(Pressure {
        avg10,
        avg60,
        avg300,
        total_us,
    })
}

/// What the issue shows: `some avg60`, in hundredths of a percent.
pub fn some_avg60(file: &[u8]) -> Option<u16> {
    some(file).map(|p| p.avg60)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on this project's build host (Linux 6.18, 2 CPUs shared by 7 builds):
    // `cat /proc/pressure/cpu`.
    const CAPTURED: &[u8] = b"some avg10=98.34 avg60=97.29 avg300=87.88 total=1097010944\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    // A kernel before 5.13 writes the `some` line only.
    const SOME_ONLY: &[u8] = b"some avg10=0.00 avg60=41.23 avg300=3.10 total=81234\n";

    #[test]
    fn reads_the_captured_some_line_exactly() {
        assert_eq!(
            some(CAPTURED),
            Some(Pressure {
                avg10: 9834,
                avg60: 9729,
                avg300: 8788,
                total_us: 1097010944
            })
        );
        assert_eq!(some_avg60(SOME_ONLY), Some(4123));
        let no_newline = SOME_ONLY.strip_suffix(b"\n").unwrap();
        assert_eq!(some_avg60(no_newline), Some(4123));
        // `full` first, then `some`: the order of lines does not matter.
        assert_eq!(
            some_avg60(b"full avg10=1.00 avg60=2.00 avg300=3.00 total=4\nsome avg10=0.00 avg60=7.50 avg300=0.00 total=9\n"),
            Some(750)
        );
    }

    #[test]
    fn percentages_parse_exactly_or_not_at_all() {
        let cases: &[(&[u8], Option<u16>)] = &[
            (b"0.00", Some(0)),
            (b"41.23", Some(4123)),
            (b"41.2", Some(4120)),
            (b"0.01", Some(1)),
            (b"100.00", Some(10000)),
            (b"100.01", None),
            (b"655.35", None),
            (b"999.99", None),
            (b"41", None),
            (b"41.", None),
            (b".5", None),
            (b"41.234", None),
            (b"-1.00", None),
            (b"+1.00", None),
            (b"1.-1", None),
            (b"0001.00", None),
            (b"1..0", None),
            (b"", None),
        ];
        for (text, want) in cases {
            let got = percent_hundredths(text);
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn missing_or_malformed_some_lines_give_none() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n",
            b"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
            b"some\n",
            b"some avg10=0.00\n",
            b"some avg10=0.00 avg60=x avg300=0.00 total=0\n",
            b"some avg60=1.00 avg10=0.00 avg300=0.00 total=0\n",
            b"some  avg10=0.00 avg60=1.00 avg300=0.00 total=0\n",
            b"some avg10=0.00 avg60=1.00 avg300=0.00\n",
            b"some avg10=0.00 avg60=1.00 avg300=0.00 total=18446744073709551616\n",
            b"some avg10=0.00 avg60=1.00 avg300=0.00 total=1\r\n",
            b" some avg10=0.00 avg60=1.00 avg300=0.00 total=1\n",
            b"somewhat avg10=0.00 avg60=1.00 avg300=0.00 total=1\n",
        ];
        for file in cases {
            assert_eq!(some(file), None, "{:?}", String::from_utf8_lossy(file));
        }
        // Fields past `total` (a future kernel's) are ignored.
        assert_eq!(
            some_avg60(b"some avg10=0.00 avg60=1.00 avg300=0.00 total=1 avg900=2.00\n"),
            Some(100)
        );
    }

    #[test]
    fn file_cut_at_every_byte_never_panics() {
        for n in 0..CAPTURED.len() {
            let _ = some(&CAPTURED[..n]);
        }
    }
}
