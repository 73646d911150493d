//! CPU rates from two scans of the same process, and severity from consecutive scans.
//!
//! Pure; never panics; no allocation after construction; no floats; time is the caller's
//! (`now_ms` from the boot clock, as [`crate::proc::found::ScanReport::now_ms`]). Part of
//! `proc` rather than `alert`: the scanner feeds it, and the alert table, the metrics and
//! the renderers all read from it.
//!
//! **Units.** Rates are [`MilliCores`] (`u32`): 1000 is one CPU busy the whole interval, so
//! `cpu_cores` 1.25 is 1250 ([`write_cores`] prints it back as `1.25`, and
//! [`millicores_from_decimal`] reads `WATCHDOG_PROC_CRITICAL_CORES=0.5` as 500). A rate is
//! Δticks / ticks-per-second / Δseconds, rounded down, from integers only.
//!
//! **[`rate`].** CPU rates per process or tree from two scans of the same (pid, start
//! time): [`rate::RateTracker`].
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

pub mod rate;
pub mod tree;

/// Thousandths of one CPU.
pub type MilliCores = u32;

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
