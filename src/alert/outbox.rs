//! What each destination is still owed, and when it may be tried again.
//!
//! Pure and driven by explicit time; fixed size; no allocation; never panics. There is no
//! queue of messages: each alert in the [`crate::alert`] table carries, per destination,
//! the messages it still owes ([`Owed`]: at most a FIRING, a REMINDER and a RESOLVED,
//! each with its sequence number), so the table's capacity is the only capacity and a
//! burst cannot push a FIRING or RESOLVED out. A destination sends its owed messages in
//! sequence order; a failed attempt keeps them owed and the destination waits (backoff,
//! counted in ticks) before it tries again, so order holds and a dead destination never
//! delays another.

/// A message's place in the order of decisions: unique, increasing.
pub type Seq = u64;

/// What a message says of its alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Firing,
    Reminder,
    Resolved,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Firing => "firing",
            Kind::Reminder => "reminder",
            Kind::Resolved => "resolved",
        }
    }

    pub const ALL: [Kind; 3] = [Kind::Firing, Kind::Reminder, Kind::Resolved];
}

/// One value per kind of message, named: counts since start, what a batch owes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerKind<T> {
    pub firing: T,
    pub reminder: T,
    pub resolved: T,
}

impl<T: Copy> PerKind<T> {
    pub fn get(&self, kind: Kind) -> T {
        match kind {
            Kind::Firing => self.firing,
            Kind::Reminder => self.reminder,
            Kind::Resolved => self.resolved,
        }
    }

    pub fn get_mut(&mut self, kind: Kind) -> &mut T {
        match kind {
            Kind::Firing => &mut self.firing,
            Kind::Reminder => &mut self.reminder,
            Kind::Resolved => &mut self.resolved,
        }
    }

    /// Each kind with its value, in [`Kind::ALL`]'s order.
    pub fn each(&self) -> impl Iterator<Item = (Kind, T)> + '_ {
        Kind::ALL.into_iter().map(|k| (k, self.get(k)))
    }
}

/// The longest wait between retries, in ticks.
pub(crate) const MAX_BACKOFF_TICKS: u64 = 8;
/// The longest a server's `Retry-After` holds a destination back: an hour. A longer (or
/// absurd) one is cut to this, so a destination is never silenced for good.
pub const RETRY_AFTER_MAX_S: u64 = 3600;

/// The messages one alert still owes one destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owed {
    pub firing: Option<Seq>,
    pub reminder: Option<Seq>,
    pub resolved: Option<Seq>,
    /// The destination refused this alert's FIRING: it is owed nothing more about it (a
    /// RESOLVED there would be about an alert it never took).
    pub abandoned: bool,
}

impl Owed {
    pub fn is_empty(&self) -> bool {
        self.firing.is_none() && self.reminder.is_none() && self.resolved.is_none()
    }

    /// The owed messages as (seq, kind), in no particular order.
    pub fn each(&self) -> impl Iterator<Item = (Seq, Kind)> {
        [
            self.firing.map(|s| (s, Kind::Firing)),
            self.reminder.map(|s| (s, Kind::Reminder)),
            self.resolved.map(|s| (s, Kind::Resolved)),
        ]
        .into_iter()
        .flatten()
    }

    /// Forgets every message up to `seq` (sent, or given up); returns how many. A
    /// FIRING given up abandons the alert at this destination.
    pub(crate) fn give_up_to(&mut self, seq: Seq) -> u32 {
        if self.firing.is_some_and(|s| s <= seq) {
            self.abandoned = true;
        }
        let n = self.clear_up_to(seq);
        if self.abandoned {
            *self = Owed {
                abandoned: true,
                ..Owed::default()
            };
        }
        n
    }

    /// Forgets every message up to `seq` (sent, or given up); returns how many.
    pub(crate) fn clear_up_to(&mut self, seq: Seq) -> u32 {
        let mut n: u32 = 0;
        for slot in [&mut self.firing, &mut self.reminder, &mut self.resolved] {
            if slot.is_some_and(|s| s <= seq) {
                *slot = None;
                n = n.saturating_add(1);
            }
        }
        n
    }
}

/// How a destination hears about an alert that stays active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// FIRING once, a REMINDER once the cooldown has passed, RESOLVED once (json, chat).
    Messages,
    /// Every active alert on every tick, and RESOLVED again for a few ticks (Alertmanager
    /// forgets an alert that is not re-sent before its `endsAt`, and a replica that was
    /// down when the process ended still learns it).
    Refresh,
}

/// The result of one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Connection error, timeout, 5xx, 408, 429: keep it owed and try again later.
    Retry,
    /// Any other 4xx or a 3xx: the destination will never take it (a configuration
    /// error); give it up.
    Refused,
}

/// Counters of one destination, since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages delivered.
    pub sent: u64,
    /// Failed attempts (each retried later).
    pub failed: u64,
    /// Messages given up: refused by the destination, or evicted from a full table.
    pub dropped: u64,
}

/// One destination's delivery state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outbox {
    pub cadence: Cadence,
    /// Failed attempts in a row.
    attempts: u32,
    /// Not before this boot-clock time is it tried again.
    retry_at_ms: u64,
    /// Messages given up and not yet reported in a delivered message.
    dropped_unreported: u32,
    pub stats: Stats,
}

/// The wait after `attempts` failures in a row, in ticks: 1, 2, 4, then every 8.
pub fn backoff_ticks(attempts: u32) -> u64 {
    let exp = attempts.saturating_sub(1).min(3);
    (1u64 << exp).min(MAX_BACKOFF_TICKS)
}

impl Outbox {
    pub fn new(cadence: Cadence) -> Self {
        Outbox {
            cadence,
            attempts: 0,
            retry_at_ms: 0,
            dropped_unreported: 0,
            stats: Stats::default(),
        }
    }

    /// Whether it may be tried at `now_ms`.
    pub fn ready(&self, now_ms: u64) -> bool {
        now_ms >= self.retry_at_ms
    }

    /// When it may be tried next (0: now).
    pub fn retry_at_ms(&self) -> u64 {
        self.retry_at_ms
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn dropped_unreported(&self) -> u32 {
        self.dropped_unreported
    }

    /// Counts `n` messages given up.
    pub(crate) fn drop_messages(&mut self, n: u32) {
        self.dropped_unreported = self.dropped_unreported.saturating_add(n);
        self.stats.dropped = self.stats.dropped.saturating_add(u64::from(n));
    }

    /// After a failed attempt, a server's `Retry-After` of `secs` (bounded by
    /// [`RETRY_AFTER_MAX_S`]): no retry before `now_ms` plus that, never sooner than the
    /// backoff already says.
    pub fn hold_back(&mut self, now_ms: u64, secs: u64) {
        let wait = secs.min(RETRY_AFTER_MAX_S).saturating_mul(1000);
        self.retry_at_ms = self.retry_at_ms.max(now_ms.saturating_add(wait));
    }

    /// Records an attempt that carried `messages` and reported `reported_drops`.
    pub fn record(
        &mut self,
        outcome: Outcome,
        messages: u32,
        reported_drops: u32,
        now_ms: u64,
        tick_ms: u64,
    ) {
        match outcome {
            Outcome::Delivered => {
                self.attempts = 0;
                self.retry_at_ms = 0;
                self.dropped_unreported = self.dropped_unreported.saturating_sub(reported_drops);
                self.stats.sent = self.stats.sent.saturating_add(u64::from(messages));
            }
            Outcome::Refused => {
                // Counted, but not reported as lost to an outage: the log says why.
                self.attempts = 0;
                self.retry_at_ms = 0;
                self.stats.dropped = self.stats.dropped.saturating_add(u64::from(messages));
            }
            Outcome::Retry => {
                self.attempts = self.attempts.saturating_add(1);
                self.stats.failed = self.stats.failed.saturating_add(1);
                let wait = backoff_ticks(self.attempts).saturating_mul(tick_ms.max(1));
                self.retry_at_ms = now_ms.saturating_add(wait);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_eight_ticks_and_stays() {
        let waits: Vec<u64> = (1..=6).map(backoff_ticks).collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
        let mut o = Outbox::new(Cadence::Messages);
        o.record(Outcome::Retry, 1, 0, 5_000, 1_000);
        assert!(!o.ready(5_999));
        assert!(o.ready(6_000));
        o.record(Outcome::Retry, 1, 0, 6_000, 1_000);
        assert_eq!(o.retry_at_ms(), 8_000);
        o.record(Outcome::Delivered, 3, 0, 8_000, 1_000);
        assert!(o.ready(0));
        assert_eq!(
            o.stats,
            Stats {
                sent: 3,
                failed: 2,
                dropped: 0
            }
        );
    }

    #[test]
    fn retry_after_holds_back_bounded_and_never_shortens_the_backoff() {
        let mut o = Outbox::new(Cadence::Messages);
        o.record(Outcome::Retry, 1, 0, 5_000, 1_000);
        o.hold_back(5_000, 3);
        assert_eq!(o.retry_at_ms(), 8_000, "three seconds, not the one-tick backoff");
        for _ in 0..3 {
            o.record(Outcome::Retry, 1, 0, 8_000, 10_000);
        }
        // 8 ticks of 10 s: 80 s, more than Retry-After says.
        o.hold_back(8_000, 5);
        assert_eq!(o.retry_at_ms(), 88_000);
        o.hold_back(8_000, u64::MAX);
        assert_eq!(o.retry_at_ms(), 8_000 + RETRY_AFTER_MAX_S * 1000);
        o.record(Outcome::Delivered, 1, 0, 9_000, 1_000);
        assert!(o.ready(9_000));
    }

    #[test]
    fn drops_are_counted_until_a_delivered_message_reports_them() {
        let mut o = Outbox::new(Cadence::Messages);
        o.drop_messages(2);
        o.record(Outcome::Refused, 1, 0, 0, 1000);
        assert_eq!(o.dropped_unreported(), 2, "a refusal is not a loss to report");
        o.record(Outcome::Delivered, 1, 2, 0, 1000);
        assert_eq!(o.dropped_unreported(), 0);
        assert_eq!(o.stats.dropped, 3);
    }

    #[test]
    fn owed_messages_clear_up_to_a_sequence_number() {
        let mut owed = Owed {
            firing: Some(3),
            resolved: Some(9),
            ..Owed::default()
        };
        assert_eq!(owed.clear_up_to(5), 1);
        assert_eq!(owed.each().collect::<Vec<_>>(), [(9, Kind::Resolved)]);
        assert_eq!(owed.clear_up_to(9), 1);
        assert!(owed.is_empty());
        let mut refused = Owed {
            firing: Some(3),
            resolved: Some(9),
            ..Owed::default()
        };
        assert_eq!(refused.give_up_to(3), 1);
        assert!(refused.abandoned && refused.is_empty(), "nothing more after a refused FIRING");
    }
}
