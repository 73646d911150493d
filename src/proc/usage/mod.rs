//! CPU rates from two scans of the same process, and severity from consecutive scans.
//!
//! Pure; never panics; no allocation after construction; no floats; time is the caller's
//! (`now_ms` from the boot clock, as [`crate::proc::found::ScanReport::now_ms`]). A top-level
//! module rather than a part of `alert`: the scan report feeds it and the alert table,
//! the metrics and the renderers all read from it, and `alert.rs` is its own state machine.
//!
//! **Units.** Rates are [`MilliCores`] (`u32`): 1000 is one CPU busy the whole interval, so
//! `cpu_cores` 1.25 is 1250 ([`write_cores`] prints it back as `1.25`, and
//! [`millicores_from_decimal`] reads `WATCHDOG_PROC_CRITICAL_CORES=0.5` as 500). A rate is
//! Δticks / ticks-per-second / Δseconds, rounded down, from integers only.
//!
//! **[`RateTracker`].** Per scan: [`RateTracker::begin_scan`] with the scan's time, then
//! [`RateTracker::observe`] each process (or tree) with its [`ProcessKey`] and its CPU
//! ticks so far, then [`RateTracker::end_scan`], which forgets every key not observed in
//! the scan. `observe` gives the rate over the interval since the previous scan that saw
//! the same key, `None` on first sight. The key is (pid, start ticks), so a pid reused
//! between two scans is a new key: its first observation is `None`, and the old process's
//! counters, never matched, are forgotten at the end of the scan. The unit of the ticks is
//! the tracker's (`new(100)` for [`crate::proc::found::Found::cpu_centis`], `new(clk_tck)` for
//! raw `utime + stime`); ticks that go back (a tree that lost a member whose time nobody
//! reaped) give `None` and restart from the new count. Capacity is [`RATES_MAX`] =
//! [`crate::proc::found::MAX_FOUND`], as many as a scan report holds, so a tracker fed from one
//! report is never full; when full anyway, the keys already tracked keep their place and a
//! new key is not tracked (its `observe` is `None`, counted in
//! [`RateTracker::untracked`]). Lookups are linear: 256 keys, no hashing, no sorting.
//!
//! **[`SeverityCounter`].** One per alert (a tree's top process): fed each scan's rate,
//! it is [`Severity::Critical`] once the rate has been at or above
//! [`SeverityRule::critical_millicores`] for [`SeverityRule::critical_scans`] scans in a
//! row, and [`Severity::Warning`] again at the first scan below. `update` returns the
//! [`Transition`] when the severity changes, so the alert table can send the escalation
//! at once and mention the fall back in its next message. A scan without a rate (first
//! sight, ticks gone back) changes nothing: it neither breaks nor extends the streak.
//!
//! **[`tree`].** The bounded walk over a process's descendants and the totals a tree's
//! rate and memory come from.

pub mod tree;

use heapless::Vec;

use crate::proc::found::{ProcessKey, MAX_FOUND};

/// Thousandths of one CPU.
pub type MilliCores = u32;

/// How many keys a [`RateTracker`] holds.
pub const RATES_MAX: usize = MAX_FOUND;

const MS_PER_S: u128 = 1000;
const MILLI_PER_UNIT: u128 = 1000;

/// The rate of `delta_ticks` over `delta_ms`, in milli-cores, rounded down and capped at
/// `u32::MAX`; `None` when no time passed or the tick rate is 0.
pub fn millicores(delta_ticks: u64, ticks_per_s: u64, delta_ms: u64) -> Option<MilliCores> {
    let per = u128::from(ticks_per_s).checked_mul(u128::from(delta_ms))?;
    let scaled = u128::from(delta_ticks)
        .checked_mul(MS_PER_S)?
        .checked_mul(MILLI_PER_UNIT)?;
    let rate = scaled.checked_div(per)?;
    Some(MilliCores::try_from(rate).unwrap_or(MilliCores::MAX))
}

/// One key's counters at the last scan that saw it.
#[derive(Clone, Copy, Debug)]
struct Sample {
    key: ProcessKey,
    ticks: u64,
    at_ms: u64,
    /// Observed in the current scan.
    seen: bool,
    /// The rate this scan gave, handed out again if the key is observed twice.
    rate: Option<MilliCores>,
}

/// CPU rates over the last interval, per process or per tree. See the module doc.
#[derive(Clone, Debug)]
pub struct RateTracker {
    samples: Vec<Sample, RATES_MAX>,
    ticks_per_s: u64,
    now_ms: u64,
    untracked: u32,
}

impl RateTracker {
    /// A tracker for ticks of `ticks_per_s` per second (100 for centiseconds).
    pub const fn new(ticks_per_s: u64) -> Self {
        RateTracker {
            samples: Vec::new(),
            ticks_per_s,
            now_ms: 0,
            untracked: 0,
        }
    }

    /// Starts a scan taken at `now_ms` (boot clock).
    pub fn begin_scan(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.untracked = 0;
        for s in self.samples.iter_mut() {
            s.seen = false;
            s.rate = None;
        }
    }

    /// Records `key` at `ticks` CPU ticks so far; the rate since the previous scan that
    /// saw it, or `None` on first sight (and when the tracker is full).
    pub fn observe(&mut self, key: ProcessKey, ticks: u64) -> Option<MilliCores> {
        let (now_ms, ticks_per_s) = (self.now_ms, self.ticks_per_s);
        let Some(s) = self.samples.iter_mut().find(|s| s.key == key) else {
            let fresh = Sample {
                key,
                ticks,
                at_ms: now_ms,
                seen: true,
                rate: None,
            };
            if self.samples.push(fresh).is_err() {
                self.untracked = self.untracked.saturating_add(1);
            }
            return None;
        };
        if s.seen {
            return s.rate;
        }
        s.seen = true;
        let elapsed_ms = now_ms.checked_sub(s.at_ms).filter(|&d| d > 0);
        let Some(elapsed_ms) = elapsed_ms else {
            // No time passed (or the caller's clock went back): keep the old baseline.
            return None;
        };
        s.rate = ticks
            .checked_sub(s.ticks)
            .and_then(|d| millicores(d, ticks_per_s, elapsed_ms));
        s.ticks = ticks;
        s.at_ms = now_ms;
        s.rate
    }

    /// The rate `key` got in this scan, if it was observed and had one.
    pub fn rate(&self, key: ProcessKey) -> Option<MilliCores> {
        self.samples
            .iter()
            .find(|s| s.key == key && s.seen)
            .and_then(|s| s.rate)
    }

    /// Ends the scan: forgets every key it did not observe.
    pub fn end_scan(&mut self) {
        self.samples.retain(|s| s.seen);
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// New keys of this scan that did not fit.
    pub fn untracked(&self) -> u32 {
        self.untracked
    }
}

/// How bad a lingering tree is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    #[default]
    Warning,
    Critical,
}

impl Severity {
    /// As JSON bodies and the Alertmanager label spell it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A change of severity, for the alert table to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Send now, even within the cooldown.
    BecameCritical,
    /// Say so in the next regular message.
    FellBack,
}

/// When a tree is critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeverityRule {
    /// `WATCHDOG_PROC_CRITICAL_CORES`, in milli-cores (0 makes every rate critical).
    pub critical_millicores: MilliCores,
    /// `WATCHDOG_PROC_CRITICAL_SCANS`: scans in a row at or above it (0 counts as 1).
    pub critical_scans: u16,
}

impl SeverityRule {
    /// The defaults: 0.5 cores for 3 scans.
    pub const DEFAULT: SeverityRule = SeverityRule {
        critical_millicores: 500,
        critical_scans: 3,
    };
}

impl Default for SeverityRule {
    fn default() -> Self {
        SeverityRule::DEFAULT
    }
}

/// One alert's severity and the streak behind it. See the module doc.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounter {
    /// Scans in a row at or above the threshold (saturating).
    streak: u16,
    severity: Severity,
}

impl SeverityCounter {
    pub fn severity(&self) -> Severity {
        self.severity
    }

    pub fn streak(&self) -> u16 {
        self.streak
    }

    /// Takes one scan's rate; the transition, if the severity changed.
    pub fn update(&mut self, rate: Option<MilliCores>, rule: &SeverityRule) -> Option<Transition> {
        let rate = rate?;
        if rate >= rule.critical_millicores {
            self.streak = self.streak.saturating_add(1);
            let enough = self.streak >= rule.critical_scans.max(1);
            if enough && self.severity == Severity::Warning {
                self.severity = Severity::Critical;
                return Some(Transition::BecameCritical);
            }
            return None;
        }
        self.streak = 0;
        if self.severity == Severity::Critical {
            self.severity = Severity::Warning;
            return Some(Transition::FellBack);
        }
        None
    }
}

/// Reads cores written as a decimal (`0.5`, `2`, `1.25`, at most three decimals) as
/// milli-cores, exactly; `None` for anything else (a sign, a fourth decimal, overflow).
pub fn millicores_from_decimal(text: &[u8]) -> Option<MilliCores> {
    let (int, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (text.get(..dot)?, text.get(dot.checked_add(1)?..)?),
        None => (text, &b""[..]),
    };
    if int.is_empty() || fraction.len() > 3 || (fraction.is_empty() && int.len() < text.len()) {
        return None;
    }
    let mut milli = u64::from(MilliCores::try_from(crate::proc::parse::parse_u64(int)?).ok()?);
    milli = milli.checked_mul(1000)?;
    let mut scale: u64 = 100;
    for &b in fraction {
        let digit = u64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        milli = milli.checked_add(digit.checked_mul(scale)?)?;
        scale /= 10;
    }
    MilliCores::try_from(milli).ok()
}

/// Writes milli-cores as cores, a JSON number with no trailing zeros: `1.25`, `0.5`, `2`.
pub fn write_cores<W: ufmt::uWrite + ?Sized>(w: &mut W, millicores: MilliCores) -> Result<(), W::Error> {
    ufmt::uwrite!(w, "{}", millicores / 1000)?;
    let fraction = millicores % 1000;
    if fraction == 0 {
        return Ok(());
    }
    w.write_char('.')?;
    let digits = [fraction / 100, fraction / 10 % 10, fraction % 10];
    let shown = if fraction % 10 != 0 {
        3
    } else if fraction % 100 != 0 {
        2
    } else {
        1
    };
    for &d in digits.iter().take(shown) {
        let d = u8::try_from(d).unwrap_or(0);
        w.write_char(char::from(b'0'.saturating_add(d)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pid: u32, start_ticks: u64) -> ProcessKey {
        ProcessKey { pid, start_ticks }
    }

    #[test]
    fn rate_needs_two_scans_and_is_ticks_over_time() {
        let mut t = RateTracker::new(100);
        let k = key(4242, 9000);
        t.begin_scan(10_000);
        assert_eq!(t.observe(k, 500), None, "first sight");
        t.end_scan();
        // 2 s later, 300 more centiseconds: 1.5 cores.
        t.begin_scan(12_000);
        assert_eq!(t.observe(k, 800), Some(1500));
        assert_eq!(t.observe(k, 999), Some(1500), "twice in one scan: same answer");
        assert_eq!(t.rate(k), Some(1500));
        t.end_scan();
        t.begin_scan(42_000);
        assert_eq!(t.observe(k, 800), Some(0), "idle");
        t.end_scan();
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn reused_pid_never_gets_a_rate_from_the_old_counters() {
        let mut t = RateTracker::new(100);
        t.begin_scan(1_000);
        assert_eq!(t.observe(key(77, 100), 50_000), None);
        t.end_scan();
        // Pid 77 died; a new process got pid 77 and has used few ticks.
        t.begin_scan(2_000);
        assert_eq!(t.observe(key(77, 180), 10), None);
        t.end_scan();
        assert_eq!(t.len(), 1, "the old process is forgotten");
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(77, 180), 60), Some(500));
        assert_eq!(t.observe(key(77, 100), 50_100), None, "the old one is new again");
        t.end_scan();
    }

    #[test]
    fn unseen_keys_are_forgotten_and_ticks_going_back_restart() {
        let mut t = RateTracker::new(100);
        t.begin_scan(1_000);
        t.observe(key(1, 1), 10);
        t.observe(key(2, 2), 10);
        t.end_scan();
        t.begin_scan(2_000);
        assert_eq!(t.observe(key(1, 1), 5), None, "went back");
        t.end_scan();
        assert_eq!(t.len(), 1);
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(1, 1), 105), Some(1000), "from the new count");
        assert_eq!(t.observe(key(2, 2), 110), None, "forgotten, so first sight");
        t.end_scan();
        // The same time again keeps the baseline.
        t.begin_scan(3_000);
        assert_eq!(t.observe(key(1, 1), 200), None);
        t.end_scan();
        t.begin_scan(4_000);
        assert_eq!(t.observe(key(1, 1), 205), Some(1000));
    }

    #[test]
    fn a_full_tracker_keeps_its_keys_and_counts_the_newcomers() {
        let mut t = RateTracker::new(100);
        t.begin_scan(0);
        for pid in 0..=RATES_MAX as u32 + 4 {
            t.observe(key(pid, 1), 0);
        }
        assert_eq!((t.len(), t.untracked()), (RATES_MAX, 5));
        t.end_scan();
        t.begin_scan(1_000);
        assert_eq!(t.observe(key(0, 1), 100), Some(1000));
        assert_eq!(t.observe(key(RATES_MAX as u32, 1), 100), None);
        assert_eq!(t.untracked(), 1);
    }

    #[test]
    fn millicores_are_exact_and_never_divide_by_zero() {
        assert_eq!(millicores(800, 100, 1000), Some(8000), "eight cores");
        assert_eq!(millicores(1, 100, 3000), Some(3), "rounded down");
        assert_eq!(millicores(1, 0, 1000), None);
        assert_eq!(millicores(1, 100, 0), None);
        assert_eq!(millicores(u64::MAX, 1, 1), Some(u32::MAX));
        assert_eq!(millicores(u64::MAX, u64::MAX, u64::MAX), Some(0));
    }

    #[test]
    fn severity_needs_the_streak_and_falls_back_at_the_first_scan_below() {
        let rule = SeverityRule::DEFAULT;
        let mut c = SeverityCounter::default();
        let seq = [
            (Some(600), None, Severity::Warning),
            (None, None, Severity::Warning),
            (Some(500), None, Severity::Warning),
            (Some(9000), Some(Transition::BecameCritical), Severity::Critical),
            (Some(700), None, Severity::Critical),
            (None, None, Severity::Critical),
            (Some(499), Some(Transition::FellBack), Severity::Warning),
            (Some(499), None, Severity::Warning),
        ];
        for (i, (rate, transition, severity)) in seq.into_iter().enumerate() {
            assert_eq!(c.update(rate, &rule), transition, "scan {i}");
            assert_eq!(c.severity(), severity, "scan {i}");
        }
        let at_once = SeverityRule {
            critical_millicores: 0,
            critical_scans: 0,
        };
        let mut c = SeverityCounter::default();
        assert_eq!(c.update(Some(0), &at_once), Some(Transition::BecameCritical));
        assert_eq!(Severity::Critical.name(), "critical");
    }

    #[test]
    fn cores_read_and_write_as_decimals() {
        let cases: &[(&[u8], Option<u32>)] = &[
            (b"0.5", Some(500)),
            (b"0", Some(0)),
            (b"2", Some(2000)),
            (b"1.25", Some(1250)),
            (b"0.001", Some(1)),
            (b"4294967.295", Some(u32::MAX)),
            (b"4294967.296", None),
            (b"0.0001", None),
            (b"1.", None),
            (b".5", None),
            (b"-1", None),
            (b"1e3", None),
            (b"", None),
        ];
        for (text, want) in cases {
            let got = millicores_from_decimal(text);
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(text));
        }
        for (m, shown) in [
            (1250, "1.25"),
            (500, "0.5"),
            (2000, "2"),
            (1, "0.001"),
            (0, "0"),
            (1010, "1.01"),
            (1100, "1.1"),
            (u32::MAX, "4294967.295"),
        ] {
            let mut s = crate::text::FixedBuf::<16>::new();
            write_cores(&mut s, m).unwrap();
            assert_eq!(s.as_str(), shown);
        }
    }
}
