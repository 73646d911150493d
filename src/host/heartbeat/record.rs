//! The heartbeat record and the judgement `lingerwatch health` makes of it.
//!
//! Pure; never panics; no allocation. The daemon stamps one fixed-size record after each
//! tick (see [`crate::host::heartbeat`] for the file): the boot-clock time of the tick, the
//! interval, the boot id (the boot clock restarts at every boot, so a record from another
//! boot says nothing about this one) and what the daemon wants `health` to report.

use crate::text::write_zero_padded;

const MAGIC: &[u8] = b"lingerwatch-heartbeat 2 ";
pub use crate::proc::parse::{boot_id_from, BOOT_ID_LEN};
/// `MAGIC`, 20 digits of boot-clock ms, 10 digits of interval seconds, the boot id, two
/// hex digits of flags, separated by spaces, newline.
pub const RECORD_LEN: usize = MAGIC.len() + 20 + 1 + 10 + 1 + BOOT_ID_LEN + 1 + 2 + 1;

/// What the daemon asks `health` to report besides the time of the last tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// It cannot see other users' processes (`hidepid`, or reads refused): unhealthy.
    pub blind: bool,
    /// The memory limit is below what the `/proc` cache needs for this host: a warning.
    pub memory_low: bool,
}

impl Flags {
    fn bits(self) -> u8 {
        u8::from(self.blind) | (u8::from(self.memory_low) << 1)
    }

    fn from_bits(bits: u8) -> Self {
        Flags {
            blind: bits & 1 != 0,
            memory_low: bits & 2 != 0,
        }
    }
}

/// One stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub boot_ms: u64,
    pub interval_s: u64,
    pub boot_id: [u8; BOOT_ID_LEN],
    pub flags: Flags,
}


/// Writes `rec` as exactly [`RECORD_LEN`] bytes.
pub fn write_record<W: ufmt::uWrite + ?Sized>(w: &mut W, rec: &Record) -> Result<(), W::Error> {
    w.write_str("lingerwatch-heartbeat 2 ")?;
    write_zero_padded(w, rec.boot_ms, 20)?;
    w.write_str(" ")?;
    write_zero_padded(w, rec.interval_s, 10)?;
    w.write_str(" ")?;
    let id = core::str::from_utf8(&rec.boot_id).unwrap_or("");
    if id.len() == BOOT_ID_LEN && !rec.boot_id.contains(&0) {
        w.write_str(id)?;
    } else {
        w.write_str("000000000000000000000000000000000000")?;
    }
    let bits = rec.flags.bits();
    let digits = crate::text::hex_byte(bits);
    w.write_str(" ")?;
    w.write_str(core::str::from_utf8(&digits).unwrap_or("00"))?;
    w.write_str("\n")
}

/// Reads a record; `None` for anything that is not exactly one.
pub fn parse_record(bytes: &[u8]) -> Option<Record> {
    let rest = bytes.strip_prefix(MAGIC)?.strip_suffix(b"\n")?;
    let mut fields = rest.split(|&b| b == b' ');
    // Fixed widths, as written: a record is exactly RECORD_LEN bytes.
    let boot_ms = crate::proc::parse::parse_u64(fields.next().filter(|f| f.len() == 20)?)?;
    let interval_s = crate::proc::parse::parse_u64(fields.next().filter(|f| f.len() == 10)?)?;
    let id = fields.next()?;
    let flags = fields.next()?;
    if fields.next().is_some() || id.len() != BOOT_ID_LEN || flags.len() != 2 {
        return None;
    }
    let boot_id = boot_id_from(id);
    if boot_id == [0; BOOT_ID_LEN] && id != [b'0'; BOOT_ID_LEN] {
        return None;
    }
    // Exactly what `write_record` writes: lowercase hex of known bits.
    let bits = match flags {
        [b'0', low @ b'0'..=b'3'] => low.checked_sub(b'0')?,
        _ => return None,
    };
    Some(Record {
        boot_ms,
        interval_s,
        boot_id,
        flags: Flags::from_bits(bits),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Health {
    /// Last tick `age_ms` ago, within three intervals; `memory_low` is a warning.
    Healthy { age_ms: u64, memory_low: bool },
    /// Last tick too long ago: stuck or dead.
    Stale { age_ms: u64, limit_ms: u64 },
    /// Dated more than one interval after now: not a stamp of this clock.
    Future { ahead_ms: u64 },
    /// Stamped during another boot (the boot clock restarted since).
    OtherBoot,
    /// The daemon ticks but cannot see other users' processes.
    Blind,
    /// No readable record.
    Missing,
}

/// Judges a record read at boot-clock time `now_ms` on the boot `boot_id`.
pub(crate) fn judge(record: Option<&Record>, now_ms: u64, boot_id: &[u8; BOOT_ID_LEN]) -> Health {
    let Some(rec) = record else {
        return Health::Missing;
    };
    if rec.boot_id != *boot_id {
        return Health::OtherBoot;
    }
    let interval_ms = rec.interval_s.saturating_mul(1000);
    let ahead_ms = rec.boot_ms.saturating_sub(now_ms);
    if ahead_ms > interval_ms {
        return Health::Future { ahead_ms };
    }
    let age_ms = now_ms.saturating_sub(rec.boot_ms);
    let limit_ms = interval_ms.saturating_mul(3);
    if age_ms > limit_ms {
        return Health::Stale { age_ms, limit_ms };
    }
    if rec.flags.blind {
        return Health::Blind;
    }
    Health::Healthy {
        age_ms,
        memory_low: rec.flags.memory_low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::FixedBuf;

    const ID: &[u8; 36] = b"0f6c1f0e-7c1a-4bb2-9c5e-2d7a1f3b4c5d";

    fn rec(boot_ms: u64, flags: Flags) -> Record {
        Record {
            boot_ms,
            interval_s: 30,
            boot_id: *ID,
            flags,
        }
    }

    #[test]
    fn record_round_trips_and_is_fixed_size() {
        for flags in [
            Flags::default(),
            Flags {
                blind: true,
                memory_low: true,
            },
        ] {
            let mut b = FixedBuf::<RECORD_LEN>::new();
            write_record(&mut b, &rec(123_456, flags)).unwrap();
            assert_eq!(b.len(), RECORD_LEN);
            assert!(!b.overflowed());
            assert_eq!(parse_record(b.as_bytes()), Some(rec(123_456, flags)));
        }
        assert_eq!(parse_record(b"garbage"), None);
        // Found by the heartbeat_record fuzz target: a field one digit wider still parsed.
        let wide = b"lingerwatch-heartbeat 2 000000000000000123456 0000000030 0f6c1f0e-7c1a-4bb2-9c5e-2d7a1f3b4c5d 00\n";
        assert_eq!(parse_record(wide), None);
        let flags = b"lingerwatch-heartbeat 2 00000000000000123456 0000000030 0f6c1f0e-7c1a-4bb2-9c5e-2d7a1f3b4c5d ff\n";
        assert_eq!(parse_record(flags), None, "unknown flag bits");
        assert_eq!(parse_record(b"lingerwatch-heartbeat 2 1 2 3\n"), None);
        assert_eq!(boot_id_from(b"not an id\n"), [0; 36]);
        assert_eq!(&boot_id_from(b"0f6c1f0e-7c1a-4bb2-9c5e-2d7a1f3b4c5d\n"), ID);
    }

    #[test]
    fn healthy_within_three_intervals_stale_after() {
        let r = rec(1000, Flags::default());
        assert_eq!(
            judge(Some(&r), 91_000, ID),
            Health::Healthy {
                age_ms: 90_000,
                memory_low: false
            }
        );
        assert_eq!(
            judge(Some(&r), 91_001, ID),
            Health::Stale {
                age_ms: 90_001,
                limit_ms: 90_000
            }
        );
        assert_eq!(judge(None, 5, ID), Health::Missing);
    }

    #[test]
    fn a_record_from_another_boot_or_from_the_future_is_unhealthy() {
        let r = rec(100_000, Flags::default());
        assert_eq!(judge(Some(&r), 100_000, &[b'0'; 36]), Health::OtherBoot);
        assert!(matches!(judge(Some(&r), 70_000, ID), Health::Healthy { .. }));
        assert_eq!(
            judge(Some(&r), 69_999, ID),
            Health::Future { ahead_ms: 30_001 }
        );
    }

    #[test]
    fn blind_is_unhealthy_and_memory_low_is_a_warning() {
        let blind = Flags {
            blind: true,
            memory_low: false,
        };
        assert_eq!(judge(Some(&rec(0, blind)), 1, ID), Health::Blind);
        let low = Flags {
            blind: false,
            memory_low: true,
        };
        assert_eq!(
            judge(Some(&rec(0, low)), 1, ID),
            Health::Healthy {
                age_ms: 1,
                memory_low: true
            }
        );
    }
}
