//! When a process lingers: the one rule behind `scan`'s exit code, its `!` and
//! `over_threshold`, the alert table and the metrics.
//!
//! Pure; never panics; no allocation. The scan only observes (age, orphan, parent,
//! container); this says what of it is worth an alert.

use crate::proc::found::{Found, Unstored};

/// The alert threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// A process lingers when its age is strictly greater than this.
    pub age_s: u64,
    /// Only orphans (any reason: init, session, launcher) linger.
    pub orphans_only: bool,
}

impl Threshold {
    /// Whether `found` lingers: older than the threshold, in whole seconds, and an orphan
    /// when only orphans count.
    pub fn lingers(&self, found: &Found) -> bool {
        found.age_s() > self.age_s && (!self.orphans_only || found.orphan())
    }

    /// How many of the matches that the scan could not store linger. The scan counts those
    /// older than its `older_than_s`, which configuration sets to this threshold.
    pub(crate) fn unstored_lingering(&self, unstored: &Unstored) -> u32 {
        if self.orphans_only {
            unstored.older_orphans
        } else {
            unstored.older
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::found::OrphanWhy;

    fn found(age_ms: u64, orphan: bool) -> Found {
        Found {
            age_ms,
            orphan_why: if orphan {
                OrphanWhy::SESSION
            } else {
                OrphanWhy::NONE
            },
            ..Found::blank(7, 1)
        }
    }

    #[test]
    fn strictly_older_in_whole_seconds_and_an_orphan_when_asked() {
        let t = Threshold {
            age_s: 60,
            orphans_only: false,
        };
        assert!(!t.lingers(&found(60_999, true)), "60.999 s is 60 s");
        assert!(t.lingers(&found(61_000, false)));
        let orphans = Threshold {
            orphans_only: true,
            ..t
        };
        assert!(!orphans.lingers(&found(61_000, false)));
        assert!(orphans.lingers(&found(61_000, true)));
        let unstored = Unstored {
            count: 9,
            older: 5,
            older_orphans: 2,
        };
        assert_eq!(t.unstored_lingering(&unstored), 5);
        assert_eq!(orphans.unstored_lingering(&unstored), 2);
    }
}
