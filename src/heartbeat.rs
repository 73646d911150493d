//! The heartbeat file that `lingerwatch health` reads, so a `FROM scratch` image can have
//! a HEALTHCHECK without a shell.
//!
//! The daemon stamps the boot-clock time after each completed tick, in place, as a
//! fixed-size record (one `pwrite`, no allocation). A scan stuck in the kernel (a cmdline
//! read of a process in uninterruptible sleep) stops the stamps, so health turns bad after
//! three intervals.

use std::path::Path;

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, CWD};

use crate::text::{write_zero_padded, FixedBuf};

const MAGIC: &[u8] = b"lingerwatch-heartbeat ";
/// `MAGIC`, 20 digits of boot-clock ms, a space, 10 digits of interval seconds, newline.
pub const RECORD_LEN: usize = 22 + 20 + 1 + 10 + 1;

pub struct Heartbeat {
    fd: OwnedFd,
}

impl Heartbeat {
    /// Creates (or takes over) the file. Start-up only.
    pub fn create(path: &Path) -> rustix::io::Result<Self> {
        let fd = rustix::fs::openat(
            CWD,
            path,
            OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        rustix::fs::ftruncate(&fd, RECORD_LEN as u64)?;
        Ok(Heartbeat { fd })
    }

    /// Stamps a completed tick.
    pub fn beat(&self, boot_ms: u64, interval_s: u64) -> rustix::io::Result<()> {
        let mut rec = FixedBuf::<RECORD_LEN>::new();
        let _ = record(&mut rec, boot_ms, interval_s);
        let mut done = 0usize;
        while let Some(rest) = rec.as_bytes().get(done..).filter(|r| !r.is_empty()) {
            match rustix::io::pwrite(&self.fd, rest, done as u64) {
                Ok(n) => done = done.saturating_add(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn record<W: ufmt::uWrite + ?Sized>(
    w: &mut W,
    boot_ms: u64,
    interval_s: u64,
) -> Result<(), W::Error> {
    w.write_str("lingerwatch-heartbeat ")?;
    write_zero_padded(w, boot_ms, 20)?;
    w.write_str(" ")?;
    write_zero_padded(w, interval_s, 10)?;
    w.write_str("\n")
}

/// Reads a record: (boot-clock ms of the last tick, interval seconds). Pure.
pub fn parse_record(bytes: &[u8]) -> Option<(u64, u64)> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let mut fields = rest.split(|&b| b == b' ');
    let ms = crate::parse::parse_u64(fields.next()?)?;
    let interval = crate::parse::parse_u64(fields.next()?)?;
    if fields.next().is_some() {
        return None;
    }
    Some((ms, interval))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Last tick `age_ms` ago, within three intervals.
    Healthy { age_ms: u64 },
    /// Last tick too long ago: stuck or dead.
    Stale { age_ms: u64, limit_ms: u64 },
    /// No readable record.
    Missing,
}

/// Judges a record read at boot-clock time `now_ms`. Pure.
pub fn judge(record: Option<(u64, u64)>, now_ms: u64) -> Health {
    let Some((ms, interval_s)) = record else {
        return Health::Missing;
    };
    let age_ms = now_ms.saturating_sub(ms);
    let limit_ms = interval_s.saturating_mul(3000);
    if age_ms <= limit_ms {
        Health::Healthy { age_ms }
    } else {
        Health::Stale { age_ms, limit_ms }
    }
}

/// Reads the file at `path` and judges it now.
pub fn check(path: &Path) -> Health {
    let mut buf = [0u8; RECORD_LEN];
    let n = rustix::fs::openat(CWD, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .and_then(|fd| rustix::io::read(&fd, &mut buf));
    let record = n.ok().and_then(|n| buf.get(..n)).and_then(parse_record);
    judge(record, crate::sys::boot_clock_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_is_fixed_size() {
        let mut b = FixedBuf::<RECORD_LEN>::new();
        record(&mut b, 123_456, 30).unwrap();
        assert_eq!(b.len(), RECORD_LEN);
        assert!(!b.overflowed());
        assert_eq!(parse_record(b.as_bytes()), Some((123_456, 30)));
        assert_eq!(parse_record(b"garbage"), None);
        assert_eq!(parse_record(b"lingerwatch-heartbeat 1 2 3\n"), None);
    }

    #[test]
    fn healthy_within_three_intervals_stale_after() {
        assert_eq!(
            judge(Some((1000, 30)), 91_000),
            Health::Healthy { age_ms: 90_000 }
        );
        assert_eq!(
            judge(Some((1000, 30)), 91_001),
            Health::Stale {
                age_ms: 90_001,
                limit_ms: 90_000
            }
        );
        assert_eq!(judge(None, 5), Health::Missing);
    }
}
