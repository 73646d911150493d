//! The outbox: messages waiting for the webhook, oldest first.
//!
//! Pure and driven by explicit time; fixed capacity; no allocation; never panics. A failed
//! delivery stays at the front and is retried with backoff, so order holds. When the box
//! is full, reminders go first (they repeat anyway); FIRING and RESOLVED are dropped only
//! when nothing but them is left, oldest first. Every drop is counted, and the count is
//! reported in the next message delivered.

use crate::alert::{Event, Key, Kind};
use crate::scan::Found;

/// Messages held during an outage.
pub const OUTBOX_CAPACITY: usize = 128;
/// The longest wait between retries, in ticks.
const MAX_BACKOFF_TICKS: u64 = 8;

/// What a message is about.
// Held inline in the fixed outbox: boxing the large variant would allocate per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Subject {
    Process(Found),
    /// Active processes beyond the alert table.
    Untracked(u32),
}

/// One message, as the state machine decided it; rendered only when it is sent, so a
/// retry carries the latest drop count and Alertmanager gets a fresh `endsAt`.
#[derive(Clone, Debug)]
pub struct Message {
    /// Unique, increasing: tells a retried message from a newer one.
    pub seq: u64,
    pub kind: Kind,
    pub subject: Subject,
    /// When the alert first fired, boot clock ms.
    pub fired_ms: u64,
    /// When it was decided, boot clock ms.
    pub created_ms: u64,
}

impl Message {
    pub fn key(&self) -> Option<Key> {
        match &self.subject {
            Subject::Process(f) => Some(Key::of(f)),
            Subject::Untracked(_) => None,
        }
    }

    /// A short name for logs: "firing pid 123".
    pub fn describe<W: ufmt::uWrite + ?Sized>(&self, w: &mut W) -> Result<(), W::Error> {
        match &self.subject {
            Subject::Process(f) => ufmt::uwrite!(w, "{} pid {}", self.kind.as_str(), f.pid),
            Subject::Untracked(n) => ufmt::uwrite!(w, "{} untracked={}", self.kind.as_str(), *n),
        }
    }
}

/// What the caller learned from one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Connection error, timeout, 5xx, 429: keep it and try again later.
    Retry,
    /// Any other 4xx: the webhook will never take it (a configuration error); drop it.
    Refused,
}

#[derive(Debug)]
pub struct Outbox {
    /// Reserved for [`OUTBOX_CAPACITY`] at start-up and never grown past it: no allocation
    /// after `new`, and memory only as it is used.
    queue: Vec<Message>,
    next_seq: u64,
    /// Failed attempts of the front message.
    attempts: u32,
    /// Not before this boot-clock time is the front retried.
    retry_at_ms: u64,
    /// Dropped on overflow and not yet reported in a delivered message.
    dropped_unreported: u32,
    /// Dropped on overflow since start.
    pub dropped_total: u64,
    tick_ms: u64,
}

/// What `push` had to give up to make room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub kind: Kind,
    pub pid: Option<u32>,
}

impl Outbox {
    /// `tick_ms` is the scan interval: backoff counts in ticks.
    pub fn new(tick_ms: u64) -> Self {
        Outbox {
            queue: Vec::with_capacity(OUTBOX_CAPACITY),
            next_seq: 0,
            attempts: 0,
            retry_at_ms: 0,
            dropped_unreported: 0,
            dropped_total: 0,
            tick_ms: tick_ms.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn dropped_unreported(&self) -> u32 {
        self.dropped_unreported
    }

    /// Queues a decision of the state machine. Returns what was dropped to make room.
    pub fn push_event(&mut self, event: Event<'_>, now_ms: u64) -> Option<Dropped> {
        let (kind, subject, fired_ms) = match event {
            Event::Process {
                kind,
                found,
                fired_ms,
            } => (kind, Subject::Process(found.clone()), fired_ms),
            Event::Untracked {
                kind,
                count,
                fired_ms,
            } => (kind, Subject::Untracked(count), fired_ms),
        };
        self.push(kind, subject, fired_ms, now_ms)
    }

    pub fn push(
        &mut self,
        kind: Kind,
        subject: Subject,
        fired_ms: u64,
        now_ms: u64,
    ) -> Option<Dropped> {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        let msg = Message {
            seq,
            kind,
            subject,
            fired_ms,
            created_ms: now_ms,
        };
        // A newer reminder about the same process supersedes a queued one; the front is
        // left alone, as it may be in flight.
        if kind == Kind::Reminder {
            let key = msg.key();
            if let Some(i) = self
                .queue
                .iter()
                .skip(1)
                .position(|m| m.kind == Kind::Reminder && m.key() == key)
            {
                let _ = self.remove(i.saturating_add(1));
            }
        }
        let mut dropped = None;
        if self.queue.len() >= OUTBOX_CAPACITY {
            // Reminders first, oldest first; else the oldest message of all. The front is
            // kept when there is any other choice, as it may be in flight.
            let victim = self.queue.iter().position(|m| m.kind == Kind::Reminder).or(
                if self.queue.len() > 1 {
                    Some(1)
                } else {
                    Some(0)
                },
            );
            if let Some(i) = victim {
                dropped = self.remove(i).map(|m| Dropped {
                    kind: m.kind,
                    pid: match m.subject {
                        Subject::Process(f) => Some(f.pid),
                        Subject::Untracked(_) => None,
                    },
                });
                self.dropped_unreported = self.dropped_unreported.saturating_add(1);
                self.dropped_total = self.dropped_total.saturating_add(1);
            }
        }
        self.queue.push(msg);
        dropped
    }

    fn remove(&mut self, i: usize) -> Option<Message> {
        if i >= self.queue.len() {
            return None;
        }
        if i == 0 {
            self.attempts = 0;
            self.retry_at_ms = 0;
        }
        Some(self.queue.remove(i))
    }

    /// The message to send now, if any is due.
    pub fn due(&self, now_ms: u64) -> Option<&Message> {
        if now_ms < self.retry_at_ms {
            return None;
        }
        self.queue.first()
    }

    /// When the front message may next be tried (0: now), if there is one.
    pub fn next_attempt_ms(&self) -> Option<u64> {
        self.queue.first().map(|_| self.retry_at_ms)
    }

    /// Records the outcome of sending message `seq`, which carried `reported_drops` in its
    /// text. Returns the attempts so far and the retry time, for the log.
    pub fn settle(
        &mut self,
        seq: u64,
        outcome: Outcome,
        reported_drops: u32,
        now_ms: u64,
    ) -> (u32, u64) {
        let Some(i) = self.queue.iter().position(|m| m.seq == seq) else {
            return (0, 0);
        };
        match outcome {
            Outcome::Delivered | Outcome::Refused => {
                if outcome == Outcome::Delivered {
                    self.dropped_unreported =
                        self.dropped_unreported.saturating_sub(reported_drops);
                }
                let _ = self.remove(i);
                (0, 0)
            }
            Outcome::Retry => {
                if i == 0 {
                    self.attempts = self.attempts.saturating_add(1);
                    let exp = self.attempts.saturating_sub(1).min(3);
                    let ticks = (1u64 << exp).min(MAX_BACKOFF_TICKS);
                    self.retry_at_ms = now_ms.saturating_add(ticks.saturating_mul(self.tick_ms));
                }
                (self.attempts, self.retry_at_ms)
            }
        }
    }

    /// Copies the front message into `slot` if it is due, for sending outside a lock.
    pub fn take_due(&self, now_ms: u64, slot: &mut Option<Message>) -> bool {
        match self.due(now_ms) {
            Some(m) => {
                match slot {
                    Some(s) => s.clone_from(m),
                    None => *slot = Some(m.clone()),
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pid: u32) -> Found {
        Found {
            orphan: true,
            over_threshold: true,
            ..Found::blank(pid, 1)
        }
    }

    fn kinds(o: &Outbox) -> std::vec::Vec<(Kind, u32)> {
        o.queue
            .iter()
            .map(|m| {
                (
                    m.kind,
                    match &m.subject {
                        Subject::Process(f) => f.pid,
                        Subject::Untracked(n) => *n,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn failed_front_is_retried_with_backoff_and_order_holds() {
        let mut o = Outbox::new(1000);
        o.push(Kind::Firing, Subject::Process(found(1)), 0, 0);
        o.push(Kind::Firing, Subject::Process(found(2)), 0, 0);
        let seq = o.due(0).unwrap().seq;
        assert_eq!(o.settle(seq, Outcome::Retry, 0, 0), (1, 1000));
        assert!(o.due(999).is_none(), "backoff");
        assert_eq!(o.due(1000).unwrap().seq, seq, "same message again, first");
        assert_eq!(o.settle(seq, Outcome::Retry, 0, 1000), (2, 3000));
        assert_eq!(o.settle(seq, Outcome::Retry, 0, 3000), (3, 7000));
        assert_eq!(o.settle(seq, Outcome::Retry, 0, 7000), (4, 15000));
        assert_eq!(
            o.settle(seq, Outcome::Retry, 0, 15000),
            (5, 23000),
            "capped at 8 ticks"
        );
        o.settle(seq, Outcome::Delivered, 0, 23000);
        assert_eq!(kinds(&o), [(Kind::Firing, 2)]);
        assert!(o.due(23000).is_some(), "next one goes at once");
    }

    #[test]
    fn overflow_drops_reminders_first_then_oldest_and_counts_until_reported() {
        let mut o = Outbox::new(1000);
        o.push(Kind::Firing, Subject::Process(found(1)), 0, 0);
        for pid in 2..OUTBOX_CAPACITY as u32 {
            o.push(Kind::Reminder, Subject::Process(found(pid)), 0, 0);
        }
        o.push(Kind::Resolved, Subject::Process(found(999)), 0, 0);
        assert_eq!(o.len(), OUTBOX_CAPACITY);
        let d = o.push(Kind::Firing, Subject::Process(found(1000)), 0, 0);
        assert_eq!(
            d,
            Some(Dropped {
                kind: Kind::Reminder,
                pid: Some(2)
            })
        );
        // Drop every reminder; then the oldest behind the front goes.
        for pid in 1001..1001 + OUTBOX_CAPACITY as u32 {
            o.push(Kind::Resolved, Subject::Process(found(pid)), 0, 0);
        }
        assert!(o.queue.iter().all(|m| m.kind != Kind::Reminder));
        assert_eq!(kinds(&o)[0], (Kind::Firing, 1), "front kept");
        assert_eq!(o.dropped_unreported(), OUTBOX_CAPACITY as u32 + 1);
        let seq = o.due(0).unwrap().seq;
        o.settle(seq, Outcome::Delivered, 5, 0);
        assert_eq!(o.dropped_unreported(), OUTBOX_CAPACITY as u32 - 4);
        assert_eq!(o.dropped_total, OUTBOX_CAPACITY as u64 + 1);
    }

    #[test]
    fn newer_reminder_supersedes_a_queued_one_and_refused_is_dropped() {
        let mut o = Outbox::new(1000);
        o.push(Kind::Firing, Subject::Process(found(1)), 0, 0);
        o.push(Kind::Reminder, Subject::Process(found(2)), 0, 0);
        o.push(Kind::Reminder, Subject::Process(found(3)), 0, 0);
        o.push(Kind::Reminder, Subject::Process(found(2)), 0, 0);
        assert_eq!(
            kinds(&o),
            [(Kind::Firing, 1), (Kind::Reminder, 3), (Kind::Reminder, 2)]
        );
        let seq = o.due(0).unwrap().seq;
        o.settle(seq, Outcome::Refused, 0, 0);
        assert_eq!(o.len(), 2);
        assert_eq!(o.dropped_total, 0, "refused is not an overflow drop");
    }
}
