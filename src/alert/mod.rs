//! The alert table: which processes linger, and what each destination is still owed
//! about them. It is the source of truth for every message.
//!
//! Pure and driven by explicit time (the boot clock, in milliseconds): it takes each
//! scan's observations and `now`, decides, and records what every destination is owed
//! ([`crate::alert::outbox`]); delivery threads take what is due in order and settle it here.
//! Keyed by (pid, start_ticks), so a reused pid is a new process. Fixed capacity; no
//! allocation; never panics.
//!
//! - FIRING the first time a process lingers (see [`crate::alert::policy`]);
//! - REMINDER while it stays, once the cooldown has passed since the last one (and, for
//!   [`Cadence::Refresh`] destinations, on every tick);
//! - RESOLVED once, when it is known to be gone (the scan always stores the processes
//!   the table watches, so one missing from a report is gone or no longer matches) or no
//!   longer lingers;
//! - nothing for a process that never lingered.
//!
//! Each alert also keeps its tree's severity ([`crate::proc::usage::SeverityCounter`],
//! issue 22): when it becomes critical, a REMINDER is owed at once, within the cooldown
//! (the escalation), and the cooldown restarts from it; when it falls back to warning,
//! the next regular message (REMINDER or RESOLVED) says so ([`Message::fell_back`]).
//!
//! A process whose FIRING is still owed to a destination when it ends still gets its
//! FIRING there, then its RESOLVED: nothing promised is dropped. An alert stays in the
//! table until every destination has been told it ended. Lingering processes beyond
//! [`ALERT_CAPACITY`] are counted and told as one aggregated alert with the same cycle.

pub mod outbox;
pub mod policy;
pub mod terminate;

use heapless::Vec;

// The kinds of message are the outbox's (what is owed is kept by kind); the table is
// where the rest of the code meets them.
pub use crate::alert::outbox::{Kind, PerKind};
use crate::alert::outbox::{Cadence, Outbox, Outcome, Owed, Seq};
use crate::alert::policy::Threshold;
use crate::alert::terminate::{Candidate, Signal};
use crate::proc::found::{Found, ProcessKey, ScanReport, MAX_FOUND};
use crate::proc::usage::{MilliCores, SeverityCounter, SeverityRule, Transition};
use crate::text::{heap_table, HeapTable};

/// Processes tracked at once while they linger.
pub const ALERT_CAPACITY: usize = MAX_FOUND;
/// Alerts kept in all: the lingering ones, and as many again that ended and are still
/// owed to a destination that is down.
pub(crate) const TABLE_SLOTS: usize = 2 * ALERT_CAPACITY;
/// The most destinations.
pub(crate) const MAX_DESTINATIONS: usize = 4;
/// The processes a scan must store (see [`AlertTable::watch_list`]).
pub type WatchList = Vec<ProcessKey, ALERT_CAPACITY>;
/// Ticks after an alert ends during which [`Cadence::Refresh`] destinations get its
/// RESOLVED again (Prometheus re-sends resolved alerts for 15 minutes; a few ticks are
/// enough for a replica that was restarting).
pub const RESOLVED_REPOSTS: u64 = 4;

// The scan must be able to store every tracked process.
const _: () = assert!(ALERT_CAPACITY <= MAX_FOUND);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub threshold: Threshold,
    /// Least time between two messages about one process.
    pub cooldown_ms: u64,
    /// The scan interval: backoff and RESOLVED re-posts count in ticks.
    pub tick_ms: u64,
}

/// Why an alert ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The process is gone (or its pid now holds another process, or it stopped
    /// matching).
    Gone { at_ms: u64 },
    /// Still running, but no longer lingers (e.g. orphans-only and it is no orphan).
    NoLongerLingers { at_ms: u64 },
    /// Gone after lingerwatch signalled it (`WATCHDOG_PROC_ACTION=terminate`); the
    /// last signal it was sent.
    Terminated { at_ms: u64, signal: Signal },
}

impl End {
    pub fn at_ms(self) -> u64 {
        match self {
            End::Gone { at_ms }
            | End::NoLongerLingers { at_ms }
            | End::Terminated { at_ms, .. } => at_ms,
        }
    }
}

/// What a message is about.
// Held inline in fixed buffers: boxing the large variant would allocate per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Subject {
    Process(Found),
    /// Lingering processes beyond the table's capacity.
    Untracked(u32),
}

/// What the lingering trees cost the host at the last tick (issue 22).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostShare {
    /// The tracked lingering trees' CPU over the last interval, summed (those without a
    /// rate yet count 0; those beyond the table are not counted).
    pub lingering_millicores: MilliCores,
    /// Their share of all the host's CPUs, in per-mille; `None` until two scans.
    pub share_permille: Option<u16>,
    /// `/proc/pressure/cpu` `some avg60`, hundredths of a percent, where readable.
    pub pressure_some_avg60: Option<u16>,
}

/// One message, copied out of the table to be rendered and sent.
#[derive(Clone, Debug)]
pub struct Message {
    pub seq: Seq,
    pub kind: Kind,
    pub subject: Subject,
    /// When the alert first fired, boot clock ms.
    pub fired_ms: u64,
    pub end: Option<End>,
    /// The process was counted by the aggregate before the table took it (a slot freed):
    /// see [`Alert::promoted`].
    pub promoted: bool,
    /// The tree was critical and is a warning again: the first regular message after the
    /// fall says so.
    pub fell_back: bool,
    /// The host's side at the last tick.
    pub host: HostShare,
    /// When it is due for SIGTERM (`WATCHDOG_PROC_ACTION=terminate`), boot clock ms.
    pub terminate_at_ms: Option<u64>,
}

impl Message {
    /// The status a body gives: the kind's, or `terminated` for the end of a process
    /// lingerwatch signalled.
    pub fn status(&self) -> &'static str {
        match (self.kind, self.end) {
            (Kind::Resolved, Some(End::Terminated { .. })) => "terminated",
            (kind, _) => kind.as_str(),
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

/// One alert: a lingering process, or the aggregate of those beyond capacity.
#[derive(Clone, Debug)]
struct Alert {
    subject: Subject,
    fired_ms: u64,
    /// The last FIRING or REMINDER decision, for the cooldown.
    notified_ms: u64,
    end: Option<End>,
    /// The process lingers again under a new alert: this ended one is not re-posted
    /// (an old RESOLVED would end the new alert, which has the same labels).
    superseded: bool,
    /// Fired when a slot freed for a process that lingered beyond the table, so the
    /// aggregate's count had it: a digest after the aggregate's FIRING tells it moved,
    /// not that it started, so the counts add up (issue 19).
    promoted: bool,
    /// The tree's severity and the streak behind it (processes only).
    severity: SeverityCounter,
    /// Fell back to warning; no regular message has said so yet.
    fall_unsaid: bool,
    /// The decision that says it fell back.
    fell_back_seq: Option<Seq>,
    /// The last signal lingerwatch sent it: its end is then [`End::Terminated`].
    signalled: Option<Signal>,
    /// When it is due for SIGTERM, as the FIRING says.
    terminate_at_ms: Option<u64>,
    owed: [Owed; MAX_DESTINATIONS],
}

impl Alert {
    /// A new alert, fired at `now_ms`, owing nothing yet.
    fn new(subject: Subject, now_ms: u64) -> Self {
        Alert {
            subject,
            fired_ms: now_ms,
            notified_ms: now_ms,
            end: None,
            superseded: false,
            promoted: false,
            severity: SeverityCounter::default(),
            fall_unsaid: false,
            fell_back_seq: None,
            signalled: None,
            terminate_at_ms: None,
            owed: [Owed::default(); MAX_DESTINATIONS],
        }
    }

    fn key(&self) -> Option<ProcessKey> {
        match &self.subject {
            Subject::Process(f) => Some(f.key()),
            Subject::Untracked(_) => None,
        }
    }

    fn is_active(&self) -> bool {
        self.end.is_none()
    }

    /// Feeds the tree's rate of this scan to the severity and copies the verdict into the
    /// subject; the transition, if any.
    fn follow_severity(&mut self, rule: &SeverityRule) -> Option<Transition> {
        let Subject::Process(found) = &mut self.subject else {
            return None;
        };
        let transition = self.severity.update(found.tree.cpu_millicores, rule);
        found.severity = self.severity.severity();
        if transition == Some(Transition::FellBack) {
            self.fall_unsaid = true;
        }
        transition
    }

    /// A regular message (`seq`) is owed: it says the fall back, if one is unsaid.
    fn say_fall(&mut self, seq: Seq) {
        if core::mem::take(&mut self.fall_unsaid) {
            self.fell_back_seq = Some(seq);
        }
    }
}

/// What one tick decided, for logs and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickSummary {
    pub fired: u32,
    pub reminded: u32,
    pub resolved: u32,
    /// Lingering processes the table cannot hold (the aggregate's count).
    pub untracked: u32,
    /// Messages given up per destination because the table was full of ended alerts
    /// still owed to it.
    pub evicted: [u32; MAX_DESTINATIONS],
}

impl TickSummary {
    /// The decisions of the tick, by kind.
    pub fn decided(&self) -> PerKind<u32> {
        PerKind {
            firing: self.fired,
            reminder: self.reminded,
            resolved: self.resolved,
        }
    }
}

/// A read-only view of one alert, for the SIGUSR1 dump.
pub struct AlertView<'a> {
    pub subject: &'a Subject,
    pub fired_ms: u64,
    pub end: Option<End>,
    pub owed: &'a [Owed],
}

/// The table of alerted processes.
pub struct AlertTable {
    policy: Policy,
    /// At most [`TABLE_SLOTS`] ([`Self::make_room`] first). On the heap, built in place:
    /// the table is 400 KB (see [`HeapTable`]).
    alerts: HeapTable<Alert, TABLE_SLOTS>,
    aggregate: Option<Alert>,
    outboxes: Vec<Outbox, MAX_DESTINATIONS>,
    next_seq: Seq,
    severity_rule: SeverityRule,
    /// `WATCHDOG_PROC_MIN_CORES`: a lingering tree below it does not fire (0: off).
    min_millicores: MilliCores,
    host: HostShare,
}

impl AlertTable {
    /// A table for destinations with these cadences (at most [`MAX_DESTINATIONS`]; the
    /// rest are ignored).
    pub fn new(policy: Policy, cadences: &[Cadence]) -> Self {
        let mut outboxes = Vec::new();
        for &c in cadences.iter().take(MAX_DESTINATIONS) {
            let _ = outboxes.push(Outbox::new(c));
        }
        AlertTable {
            policy,
            alerts: heap_table(),
            aggregate: None,
            outboxes,
            next_seq: 1,
            severity_rule: SeverityRule::DEFAULT,
            min_millicores: 0,
            host: HostShare::default(),
        }
    }

    /// The same table firing only for lingering trees that used at least `millicores` over
    /// the last interval (0: every one). A tree with no rate yet waits for one. Only the
    /// FIRING is held back: an alert that fired stays until its process ends or no longer
    /// lingers, so a tree that idles between bursts does not fire again and again.
    #[must_use]
    pub fn with_min_millicores(mut self, millicores: MilliCores) -> Self {
        self.min_millicores = millicores;
        self
    }

    /// The same table with another rule for when a tree is critical (the default is
    /// [`SeverityRule::DEFAULT`]).
    #[must_use]
    pub fn with_severity_rule(mut self, rule: SeverityRule) -> Self {
        self.severity_rule = rule;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Alerts for processes that still linger.
    pub fn active(&self) -> usize {
        self.alerts.iter().filter(|a| a.is_active()).count()
    }

    /// Alerts held in all (active, and ended ones still owed somewhere).
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.aggregate.is_none()
    }

    /// The processes the next scan must store: the active alerts, sorted.
    pub fn watch_list(&self, out: &mut WatchList) {
        out.clear();
        for key in self.alerts.iter().filter(|a| a.is_active()).filter_map(Alert::key) {
            let _ = out.push(key);
        }
        out.sort_unstable();
    }

    pub fn outbox(&self, dest: usize) -> Option<&Outbox> {
        self.outboxes.get(dest)
    }

    /// The active alerts about processes, as [`terminate::Reaper`] sees them (nothing
    /// spared yet: the caller adds what it reads).
    pub fn candidates(&self, out: &mut heapless::Vec<Candidate, ALERT_CAPACITY>) {
        out.clear();
        for a in self.alerts.iter().filter(|a| a.is_active()) {
            if let Subject::Process(f) = &a.subject {
                let _ = out.push(Candidate {
                    key: f.key(),
                    fired_ms: a.fired_ms,
                    orphan: f.orphan(),
                    spared: None,
                });
            }
        }
    }

    /// Says in the active alert about `key` when it is due for SIGTERM (`None`: never),
    /// for its messages from now on.
    pub fn set_terminate_at(&mut self, key: ProcessKey, at_ms: Option<u64>) {
        if let Some(a) = self.active_mut(key) {
            a.terminate_at_ms = at_ms;
        }
    }

    /// Records that the process of the active alert about `key` was sent `signal`: when
    /// it is gone, its alert ends as [`End::Terminated`].
    pub fn mark_signalled(&mut self, key: ProcessKey, signal: Signal) {
        if let Some(a) = self.active_mut(key) {
            a.signalled = Some(signal);
        }
    }

    fn active_mut(&mut self, key: ProcessKey) -> Option<&mut Alert> {
        self.alerts
            .iter_mut()
            .find(|a| a.is_active() && a.key() == Some(key))
    }

    /// Messages owed to every destination together, in one pass over the table.
    pub(crate) fn owed_total(&self) -> usize {
        let n = self.outboxes.len();
        self.all_alerts()
            .flat_map(|a| a.owed.get(..n).unwrap_or(&[]))
            .map(|o| o.each().count())
            .sum()
    }

    /// Messages owed to `dest` now.
    pub(crate) fn owed_to(&self, dest: usize) -> usize {
        self.all_alerts()
            .filter_map(|a| a.owed.get(dest))
            .map(|o| o.each().count())
            .sum()
    }

    /// Every alert, the aggregate last.
    pub fn alerts(&self) -> impl Iterator<Item = AlertView<'_>> {
        let n = self.outboxes.len();
        self.all_alerts().map(move |a| AlertView {
            subject: &a.subject,
            fired_ms: a.fired_ms,
            end: a.end,
            owed: a.owed.get(..n).unwrap_or(&[]),
        })
    }

    fn all_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().chain(self.aggregate.as_ref())
    }

    fn next_seq(&mut self) -> Seq {
        take_seq(&mut self.next_seq)
    }
}

/// The next decision's sequence number.
fn take_seq(next: &mut Seq) -> Seq {
    let seq = *next;
    *next = next.saturating_add(1);
    seq
}

/// A REMINDER to the message destinations once the cooldown has passed since the last
/// FIRING or REMINDER (exactly at it, not a millisecond before). True when one was owed.
fn remind_if_due(
    alert: &mut Alert,
    outboxes: &[Outbox],
    cooldown_ms: u64,
    now_ms: u64,
    next_seq: &mut Seq,
) -> bool {
    if now_ms.saturating_sub(alert.notified_ms) < cooldown_ms {
        return false;
    }
    alert.notified_ms = now_ms;
    let seq = take_seq(next_seq);
    alert.say_fall(seq);
    owe(alert, outboxes, Kind::Reminder, seq, Some(Cadence::Messages));
    true
}

/// The escalation: a REMINDER to the message destinations now, whatever the cooldown
/// (which restarts from it).
fn escalate(alert: &mut Alert, outboxes: &[Outbox], now_ms: u64, next_seq: &mut Seq) {
    alert.notified_ms = now_ms;
    owe(alert, outboxes, Kind::Reminder, take_seq(next_seq), Some(Cadence::Messages));
}

/// Records that `alert` owes `kind` (decision `seq`) to every destination, or only to
/// those of one cadence.
fn owe(alert: &mut Alert, outboxes: &[Outbox], kind: Kind, seq: Seq, only: Option<Cadence>) {
    for (owed, outbox) in alert.owed.iter_mut().zip(outboxes) {
        if owed.abandoned || only.is_some_and(|c| c != outbox.cadence) {
            continue;
        }
        match kind {
            Kind::Firing => owed.firing = Some(seq),
            // A reminder says nothing a FIRING still owed will not say; a newer one
            // supersedes an older one.
            Kind::Reminder if owed.firing.is_none() => owed.reminder = Some(seq),
            Kind::Reminder => {}
            // A FIRING still owed stays: it goes first, so no destination hears of an
            // end without the start.
            Kind::Resolved => {
                owed.reminder = None;
                owed.resolved = Some(seq);
            }
        }
    }
}

impl AlertTable {
    /// Feeds one scan at `now_ms` and decides.
    pub fn tick(&mut self, now_ms: u64, report: &ScanReport) -> TickSummary {
        let mut sum = TickSummary::default();
        self.follow_tracked(now_ms, report, &mut sum);
        let promoted;
        (sum.untracked, promoted) = self.admit_lingering(now_ms, report, &mut sum);
        self.follow_aggregate(now_ms, sum.untracked, promoted, &mut sum);
        self.refresh(now_ms);
        self.collect_garbage(now_ms);
        self.host = self.host_share(report);
        sum
    }

    /// What the tracked lingering trees cost the host over the last interval.
    fn host_share(&self, report: &ScanReport) -> HostShare {
        let lingering_millicores = self
            .alerts
            .iter()
            .filter(|a| a.is_active())
            .filter_map(|a| match &a.subject {
                Subject::Process(f) => f.tree.cpu_millicores,
                Subject::Untracked(_) => None,
            })
            .fold(0, MilliCores::saturating_add);
        let share_permille = report.host.capacity_millicores.and_then(|whole| {
            crate::proc::parse::cpu_times::permille(u64::from(lingering_millicores), u64::from(whole))
        });
        HostShare {
            lingering_millicores,
            share_permille,
            pressure_some_avg60: report.host.pressure_some_avg60,
        }
    }

    /// What the lingering trees cost the host at the last tick.
    pub fn host(&self) -> HostShare {
        self.host
    }

    /// Active alerts: still lingering (updated, reminded when due), or ended.
    fn follow_tracked(&mut self, now_ms: u64, report: &ScanReport, sum: &mut TickSummary) {
        let threshold = self.policy.threshold;
        let cooldown_ms = self.policy.cooldown_ms;
        let rule = self.severity_rule;
        for alert in self.alerts.iter_mut().filter(|a| a.is_active()) {
            let Some(key) = alert.key() else {
                continue;
            };
            let seen = report.get(key);
            if let (Subject::Process(found), Some(f)) = (&mut alert.subject, seen) {
                found.clone_from(f);
                found.severity = alert.severity.severity();
            }
            let end = match seen {
                Some(f) if threshold.lingers(f) => {
                    let escalated = alert.follow_severity(&rule) == Some(Transition::BecameCritical);
                    if escalated {
                        escalate(alert, &self.outboxes, now_ms, &mut self.next_seq);
                    }
                    if escalated
                        || remind_if_due(alert, &self.outboxes, cooldown_ms, now_ms, &mut self.next_seq)
                    {
                        sum.reminded = sum.reminded.saturating_add(1);
                    }
                    continue;
                }
                Some(_) => End::NoLongerLingers { at_ms: now_ms },
                None => match alert.signalled {
                    Some(signal) => End::Terminated { at_ms: now_ms, signal },
                    None => End::Gone { at_ms: now_ms },
                },
            };
            alert.end = Some(end);
            let seq = take_seq(&mut self.next_seq);
            alert.say_fall(seq);
            owe(alert, &self.outboxes, Kind::Resolved, seq, None);
            sum.resolved = sum.resolved.saturating_add(1);
        }
    }

    /// New lingering processes fire while there is room; returns how many lingering
    /// processes the table cannot hold (those of the report, and those the scan could not
    /// store), and how many it took that the aggregate counted until now.
    fn admit_lingering(
        &mut self,
        now_ms: u64,
        report: &ScanReport,
        sum: &mut TickSummary,
    ) -> (u32, u32) {
        let threshold = self.policy.threshold;
        let mut untracked = threshold.unstored_lingering(&report.unstored);
        let mut promoted = 0u32;
        let counted = self.aggregate.as_ref().is_some_and(Alert::is_active);
        // Lingering a tick ago too: the last tick counted it among the untracked.
        let lingered_s = threshold.age_s.saturating_add(self.policy.tick_ms / 1000);
        let mut active = self.active();
        let min = self.min_millicores;
        let busy = |f: &Found| min == 0 || f.tree.cpu_millicores.is_some_and(|r| r >= min);
        for f in report.tops().filter(|f| threshold.lingers(f) && busy(f)) {
            let key = Some(f.key());
            if self.alerts.iter().any(|a| a.is_active() && a.key() == key) {
                continue;
            }
            if active >= ALERT_CAPACITY || !self.make_room(sum) {
                untracked = untracked.saturating_add(1);
                continue;
            }
            let mut alert = Alert::new(Subject::Process(f.clone()), now_ms);
            // Its first rate counts: the FIRING says critical when one scan is enough.
            let _ = alert.follow_severity(&self.severity_rule);
            alert.promoted = counted && f.age_s() > lingered_s;
            promoted = promoted.saturating_add(u32::from(alert.promoted));
            for old in self.alerts.iter_mut().filter(|a| a.key() == key) {
                old.superseded = true;
            }
            let seq = self.next_seq();
            owe(&mut alert, &self.outboxes, Kind::Firing, seq, None);
            // make_room left a slot: the push cannot fail (if it did, the process is
            // counted like any other beyond the table).
            if self.alerts.push(alert).is_err() {
                untracked = untracked.saturating_add(1);
                continue;
            }
            active = active.saturating_add(1);
            sum.fired = sum.fired.saturating_add(1);
        }
        (untracked, promoted)
    }

    /// Frees a slot when the table is full of ended alerts still owed to a destination
    /// that is down: the one that ended first goes, and what it still owed is counted as
    /// dropped. Only then can a message be lost, and only for a destination that stayed
    /// down while more than [`ALERT_CAPACITY`] alerts ended.
    fn make_room(&mut self, sum: &mut TickSummary) -> bool {
        if self.alerts.len() < TABLE_SLOTS {
            return true;
        }
        let oldest = self
            .alerts
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.end.map(|e| (e.at_ms(), i)))
            .min();
        let Some((_, i)) = oldest else {
            return false;
        };
        let alert = self.alerts.swap_remove(i);
        for ((owed, outbox), evicted) in alert
            .owed
            .iter()
            .zip(self.outboxes.iter_mut())
            .zip(sum.evicted.iter_mut())
        {
            let n = u32::try_from(owed.each().count()).unwrap_or(u32::MAX);
            outbox.drop_messages(n);
            *evicted = evicted.saturating_add(n);
        }
        true
    }

    /// The aggregate alert about lingering processes beyond the table's capacity;
    /// `promoted` of those it counted are in the table now.
    fn follow_aggregate(&mut self, now_ms: u64, count: u32, promoted: u32, sum: &mut TickSummary) {
        let active = self.aggregate.as_ref().is_some_and(Alert::is_active);
        let seq = self.next_seq();
        let cooldown_ms = self.policy.cooldown_ms;
        let outboxes = &self.outboxes;
        match (self.aggregate.as_mut(), active, count) {
            (Some(agg), true, 0) => {
                // Those the table took did not end: their RESOLVED is their own.
                if let Subject::Untracked(n) = &mut agg.subject {
                    *n = n.saturating_sub(promoted);
                }
                agg.end = Some(End::Gone { at_ms: now_ms });
                owe(agg, &self.outboxes, Kind::Resolved, seq, None);
                sum.resolved = sum.resolved.saturating_add(1);
            }
            (Some(agg), true, _) => {
                agg.subject = Subject::Untracked(count);
                let mut reminder_seq = seq;
                if remind_if_due(agg, outboxes, cooldown_ms, now_ms, &mut reminder_seq) {
                    sum.reminded = sum.reminded.saturating_add(1);
                }
            }
            (_, _, 0) => {}
            (previous, _, _) => {
                let mut agg = Alert::new(Subject::Untracked(count), now_ms);
                if let Some(old) = previous {
                    // Fired again before every destination heard the last one end. Where
                    // its FIRING was never heard either, nothing of it is worth telling;
                    // elsewhere its RESOLVED goes first.
                    for (new, old) in agg.owed.iter_mut().zip(old.owed.iter()) {
                        if old.firing.is_none() {
                            new.resolved = old.resolved;
                        }
                    }
                }
                owe(&mut agg, &self.outboxes, Kind::Firing, seq, None);
                self.aggregate = Some(agg);
                sum.fired = sum.fired.saturating_add(1);
            }
        }
    }

    /// [`Cadence::Refresh`] destinations hear every active alert on every tick, and each
    /// RESOLVED again for [`RESOLVED_REPOSTS`] ticks.
    fn refresh(&mut self, now_ms: u64) {
        if !self.outboxes.iter().any(|o| o.cadence == Cadence::Refresh) {
            return;
        }
        let window_ms = RESOLVED_REPOSTS.saturating_mul(self.policy.tick_ms);
        let count = self.alerts.len().saturating_add(1);
        for i in 0..count {
            let seq = self.next_seq();
            let alert = if i < self.alerts.len() {
                self.alerts.get_mut(i)
            } else {
                self.aggregate.as_mut()
            };
            let Some(alert) = alert else { continue };
            match alert.end {
                None => owe(alert, &self.outboxes, Kind::Reminder, seq, Some(Cadence::Refresh)),
                Some(end) if !alert.superseded && now_ms.saturating_sub(end.at_ms()) < window_ms => {
                    for (owed, outbox) in alert.owed.iter_mut().zip(self.outboxes.iter()) {
                        if outbox.cadence == Cadence::Refresh && !owed.abandoned && owed.resolved.is_none() {
                            owed.resolved = Some(seq);
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// Forgets ended alerts that owe nothing to anyone (and are past their re-posts).
    fn collect_garbage(&mut self, now_ms: u64) {
        let refresh = self.outboxes.iter().any(|o| o.cadence == Cadence::Refresh);
        let window_ms = if refresh {
            RESOLVED_REPOSTS.saturating_mul(self.policy.tick_ms)
        } else {
            0
        };
        let keep = |a: &Alert| match a.end {
            None => true,
            Some(end) => {
                a.owed.iter().any(|o| !o.is_empty())
                    || (!a.superseded && now_ms.saturating_sub(end.at_ms()) < window_ms)
            }
        };
        self.alerts.retain(|a| keep(a));
        if self.aggregate.as_ref().is_some_and(|a| !keep(a)) {
            self.aggregate = None;
        }
    }
}

/// The most messages one batch carries (an Alertmanager POST; a chat digest counts all
/// that are owed but lists only the first).
pub const BATCH_MAX: usize = 64;
/// How many processes of each kind a digest names before it only counts.
pub const DIGEST_NAMED: usize = 5;
/// Every message that can be owed to one destination: three per alert.
const ORDER_CAP: usize = (TABLE_SLOTS + 1) * 3;
/// What a digest names: FIRING (started), FIRING (moved from the aggregate's count),
/// RESOLVED, REMINDER.
const NAMED_GROUPS: usize = 4;
/// Room for [`DIGEST_NAMED`] messages of every digest group.
const NAMED_MAX: usize = NAMED_GROUPS * DIGEST_NAMED;

/// The messages a destination takes at once, copied out of the table so they are
/// rendered and sent without holding its lock. Allocate once per destination.
pub struct Batch {
    /// (seq, alert index, kind) of everything owed, in sequence order.
    order: Vec<(Seq, u16, Kind), ORDER_CAP>,
    /// The first [`BATCH_MAX`] of them, on the heap from start-up (no allocation after).
    messages: HeapTable<Message, BATCH_MAX>,
    /// The first [`DIGEST_NAMED`] of each group a digest names that `messages` does not
    /// hold (they were owed later), on the heap from start-up.
    named: HeapTable<Message, NAMED_MAX>,
    /// Everything owed at take time, by kind.
    pub owed_by_kind: PerKind<u32>,
    /// The highest sequence number owed at take time.
    pub last_owed: Seq,
    /// Messages given up before and not yet reported: reported in this batch.
    pub dropped: u32,
    /// The kinds the aggregate owes, by kind, and its count of untracked processes: a
    /// digest counts processes, not messages.
    aggregate_owes: PerKind<bool>,
    untracked: u32,
    /// FIRINGs of processes the aggregate's FIRING, told before, already counted.
    moved: u32,
}

impl Default for Batch {
    fn default() -> Self {
        Batch {
            order: Vec::new(),
            messages: heap_table(),
            named: heap_table(),
            owed_by_kind: PerKind::default(),
            last_owed: 0,
            dropped: 0,
            aggregate_owes: PerKind::default(),
            untracked: 0,
            moved: 0,
        }
    }
}

impl Batch {
    /// The messages taken, in sequence order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Messages owed at take time, taken or not.
    pub fn owed(&self) -> u32 {
        self.owed_by_kind.each().map(|(_, n)| n).sum()
    }

    pub(crate) fn owed_of(&self, kind: Kind) -> u32 {
        self.owed_by_kind.get(kind)
    }

    /// The aggregate's count of untracked processes, when it owes a message of `kind`.
    pub fn aggregate_of(&self, kind: Kind) -> Option<u32> {
        self.aggregate_owes.get(kind).then_some(self.untracked)
    }

    /// Processes owed a message of `kind`: one per process alert, and the aggregate's
    /// count of untracked ones; a FIRING of a process the aggregate already counted
    /// ([`Self::moved`]) is not counted again.
    pub fn processes_of(&self, kind: Kind) -> u32 {
        let mut n = self.owed_of(kind);
        if let Some(untracked) = self.aggregate_of(kind) {
            n = n.saturating_sub(1).saturating_add(untracked);
        }
        if kind == Kind::Firing {
            n = n.saturating_sub(self.moved);
        }
        n
    }

    /// FIRINGs owed for processes that the aggregate's FIRING, told before this batch,
    /// already counted: the table took them when a slot freed.
    pub fn moved(&self) -> u32 {
        self.moved
    }

    /// Whether `msg` is one of [`Self::moved`].
    pub fn is_moved(&self, msg: &Message) -> bool {
        self.moves(msg.kind, msg.promoted)
    }

    fn moves(&self, kind: Kind, promoted: bool) -> bool {
        promoted && kind == Kind::Firing && self.aggregate_of(Kind::Firing).is_none()
    }

    /// The first processes owed a message of `kind` (moved ones or the others), in
    /// sequence order: what a digest names.
    pub fn named(&self, kind: Kind, moved: bool) -> impl Iterator<Item = &Found> {
        self.messages
            .iter()
            .chain(self.named.iter())
            .filter(move |m| m.kind == kind && self.is_moved(m) == moved)
            .filter_map(|m| match &m.subject {
                Subject::Process(f) => Some(f),
                Subject::Untracked(_) => None,
            })
            .take(DIGEST_NAMED)
    }

    /// The digest group (an index below [`NAMED_GROUPS`]) of a message of `kind` about
    /// `alert`; `None` for the aggregate, which a digest counts but does not name.
    fn group(&self, kind: Kind, alert: &Alert) -> Option<usize> {
        if matches!(alert.subject, Subject::Untracked(_)) {
            return None;
        }
        Some(match kind {
            Kind::Firing if self.moves(kind, alert.promoted) => 1,
            Kind::Firing => 0,
            Kind::Resolved => 2,
            Kind::Reminder => 3,
        })
    }

    fn clear(&mut self) {
        self.order.clear();
        self.messages.clear();
        self.named.clear();
        self.owed_by_kind = PerKind::default();
        self.last_owed = 0;
        self.dropped = 0;
        self.aggregate_owes = PerKind::default();
        self.untracked = 0;
        self.moved = 0;
    }
}

impl AlertTable {
    /// Copies the first `max` (at most [`BATCH_MAX`]) messages owed to `dest` into
    /// `batch`, in sequence order, and the first few of each kind that a digest names;
    /// false when it is waiting out a backoff or owed nothing.
    pub fn take_due(&self, dest: usize, now_ms: u64, max: usize, batch: &mut Batch) -> bool {
        batch.clear();
        let Some(outbox) = self.outboxes.get(dest).filter(|o| o.ready(now_ms)) else {
            return false;
        };
        let mut promoted_firing = 0u32;
        for (i, alert) in self.all_alerts().enumerate() {
            let owed = alert.owed.get(dest).copied().unwrap_or_default();
            for (seq, kind) in owed.each() {
                let index = u16::try_from(i).unwrap_or(u16::MAX);
                if batch.order.push((seq, index, kind)).is_ok() {
                    let owed = batch.owed_by_kind.get_mut(kind);
                    *owed = owed.saturating_add(1);
                    if let Subject::Untracked(n) = &alert.subject {
                        *batch.aggregate_owes.get_mut(kind) = true;
                        batch.untracked = *n;
                    }
                    let promoted = alert.promoted && kind == Kind::Firing;
                    promoted_firing = promoted_firing.saturating_add(u32::from(promoted));
                }
            }
        }
        batch.order.sort_unstable_by_key(|&(seq, _, _)| seq);
        let Some(&(last, _, _)) = batch.order.last() else {
            return false;
        };
        batch.last_owed = last;
        batch.dropped = outbox.dropped_unreported();
        if batch.aggregate_of(Kind::Firing).is_none() {
            batch.moved = promoted_firing;
        }
        let take = max.min(BATCH_MAX);
        for &(seq, i, kind) in batch.order.iter().take(take) {
            if let Some(m) = self.message(seq, i, kind) {
                // At most BATCH_MAX are taken: the push cannot fail.
                let _ = batch.messages.push(m);
            }
        }
        self.take_named(batch, take);
        !batch.messages.is_empty()
    }

    /// Alert `i` of the order (the aggregate after the rest).
    fn alert_at(&self, i: u16) -> Option<&Alert> {
        let i = usize::from(i);
        self.alerts
            .get(i)
            .or(self.aggregate.as_ref().filter(|_| i == self.alerts.len()))
    }

    /// The message `seq` of kind `kind` about alert `i`.
    fn message(&self, seq: Seq, i: u16, kind: Kind) -> Option<Message> {
        let alert = self.alert_at(i)?;
        Some(Message {
            seq,
            kind,
            subject: alert.subject.clone(),
            fired_ms: alert.fired_ms,
            end: alert.end,
            promoted: alert.promoted,
            fell_back: alert.fell_back_seq == Some(seq),
            host: self.host,
            terminate_at_ms: alert.terminate_at_ms,
        })
    }

    /// Past the first `taken` of `batch`'s order, the first [`DIGEST_NAMED`] of each group
    /// a digest names that the messages taken do not fill.
    fn take_named(&self, batch: &mut Batch, taken: usize) {
        let mut have = [0usize; NAMED_GROUPS];
        for &(_, i, kind) in batch.order.iter().take(taken) {
            let group = self.alert_at(i).and_then(|a| batch.group(kind, a));
            if let Some(n) = group.and_then(|g| have.get_mut(g)) {
                *n = n.saturating_add(1);
            }
        }
        for &(seq, i, kind) in batch.order.iter().skip(taken) {
            if have.iter().all(|&n| n >= DIGEST_NAMED) {
                break;
            }
            let group = self.alert_at(i).and_then(|a| batch.group(kind, a));
            let Some(n) = group.and_then(|g| have.get_mut(g)).filter(|n| **n < DIGEST_NAMED) else {
                continue;
            };
            *n = n.saturating_add(1);
            if let Some(m) = self.message(seq, i, kind) {
                // Room for DIGEST_NAMED of every group: the push cannot fail.
                let _ = batch.named.push(m);
            }
        }
    }

    /// Records the outcome of sending to `dest` every owed message up to `up_to` (what a
    /// batch carried, or all it counted, for a digest), which reported `reported_drops`.
    /// Returns how many messages it settled.
    pub fn settle(
        &mut self,
        dest: usize,
        up_to: Seq,
        outcome: Outcome,
        reported_drops: u32,
        now_ms: u64,
    ) -> u32 {
        let mut settled = 0u32;
        for alert in self.alerts.iter_mut().chain(self.aggregate.as_mut()) {
            if let Some(owed) = alert.owed.get_mut(dest) {
                let n = match outcome {
                    Outcome::Delivered => owed.clear_up_to(up_to),
                    Outcome::Refused => owed.give_up_to(up_to),
                    Outcome::Retry => 0,
                };
                settled = settled.saturating_add(n);
            }
        }
        let tick_ms = self.policy.tick_ms;
        if let Some(outbox) = self.outboxes.get_mut(dest) {
            outbox.record(outcome, settled, reported_drops, now_ms, tick_ms);
        }
        self.collect_garbage(now_ms);
        settled
    }

    /// A destination's server said `Retry-After: secs` to a failed attempt: see
    /// [`crate::alert::outbox::Outbox::hold_back`].
    pub fn hold_back(&mut self, dest: usize, now_ms: u64, secs: u64) {
        if let Some(outbox) = self.outboxes.get_mut(dest) {
            outbox.hold_back(now_ms, secs);
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)] // test arithmetic
mod tests {
    use super::*;
    use crate::proc::found::Found;
    use Kind::*;

    const THRESHOLD: Threshold = Threshold {
        age_s: 60,
        orphans_only: false,
    };

    fn policy(cooldown_s: u64) -> Policy {
        Policy {
            threshold: THRESHOLD,
            cooldown_ms: cooldown_s * 1000,
            tick_ms: 30_000,
        }
    }

    /// A report of (pid, start, lingers) as the scanner makes it.
    fn report(procs: &[(u32, u64, bool)]) -> ScanReport {
        let mut r = ScanReport::default();
        for &(pid, start, lingers) in procs {
            let f = Found {
                ppid: 1,
                orphan_why: crate::proc::found::OrphanWhy::INIT,
                age_ms: if lingers { 120_000 } else { 1_000 },
                ..Found::blank(pid, start)
            };
            if let Some(left) = r.insert(f, false) {
                r.unstored.count += 1;
                if left.age_s() > THRESHOLD.age_s {
                    r.unstored.older += 1;
                }
            }
        }
        r
    }

    /// Delivers everything due to `dest` at `now_s`; the messages as (kind, pid or
    /// u32::MAX for the aggregate, start or count).
    fn drain(t: &mut AlertTable, dest: usize, now_s: u64) -> alloc::vec::Vec<(Kind, u32, u64)> {
        let mut batch = Box::<Batch>::default();
        let mut out = alloc::vec::Vec::new();
        while t.take_due(dest, now_s * 1000, BATCH_MAX, &mut batch) {
            for m in batch.messages() {
                out.push(match &m.subject {
                    Subject::Process(f) => (m.kind, f.pid, f.start_ticks),
                    Subject::Untracked(n) => (m.kind, u32::MAX, u64::from(*n)),
                });
            }
            let last = batch.messages().last().unwrap().seq;
            t.settle(dest, last, Outcome::Delivered, batch.dropped, now_s * 1000);
        }
        out
    }

    fn tick(t: &mut AlertTable, now_s: u64, procs: &[(u32, u64, bool)]) -> alloc::vec::Vec<(Kind, u32, u64)> {
        t.tick(now_s * 1000, &report(procs));
        drain(t, 0, now_s)
    }

    /// One lingering process whose tree uses `millicores` (None: no rate yet).
    fn busy(millicores: Option<u32>) -> ScanReport {
        let mut r = ScanReport::default();
        let mut f = Found {
            ppid: 1,
            orphan_why: crate::proc::found::OrphanWhy::INIT,
            age_ms: 120_000,
            ..Found::blank(7, 70)
        };
        f.tree.cpu_millicores = millicores;
        r.insert(f, false);
        r
    }

    /// Messages due at `now_s` after a tick, as (kind, severity, fell back).
    fn severities(t: &mut AlertTable, now_s: u64, rate: Option<u32>) -> std::vec::Vec<(Kind, &'static str, bool)> {
        t.tick(now_s * 1000, &busy(rate));
        let mut batch = Box::<Batch>::default();
        let mut out = std::vec::Vec::new();
        while t.take_due(0, now_s * 1000, BATCH_MAX, &mut batch) {
            for m in batch.messages() {
                if let Subject::Process(f) = &m.subject {
                    out.push((m.kind, f.severity.name(), m.fell_back));
                }
            }
            let last = batch.messages().last().unwrap().seq;
            t.settle(0, last, Outcome::Delivered, 0, now_s * 1000);
        }
        out
    }

    #[test]
    fn becoming_critical_is_sent_at_once_within_the_cooldown_and_the_fall_in_the_next_message() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        assert_eq!(severities(&mut t, 100, None), [(Firing, "warning", false)]);
        assert_eq!(severities(&mut t, 130, Some(900)), []);
        assert_eq!(severities(&mut t, 160, None), [], "no rate: the streak holds");
        assert_eq!(severities(&mut t, 190, Some(500)), []);
        // The third scan at or above 0.5 cores: the escalation, 90 s into a 30 min cooldown.
        assert_eq!(severities(&mut t, 220, Some(1000)), [(Reminder, "critical", false)]);
        assert_eq!(severities(&mut t, 250, Some(1000)), []);
        // Falls back: nothing at once, said in the next regular message (the cooldown
        // restarted at the escalation).
        assert_eq!(severities(&mut t, 280, Some(100)), []);
        assert_eq!(severities(&mut t, 2019, Some(100)), []);
        assert_eq!(severities(&mut t, 2020, Some(100)), [(Reminder, "warning", true)]);
        assert_eq!(severities(&mut t, 3820, Some(100)), [(Reminder, "warning", false)]);
        // Critical again, then gone: the RESOLVED keeps the last severity.
        let rule = SeverityRule { critical_millicores: 500, critical_scans: 1 };
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]).with_severity_rule(rule);
        assert_eq!(severities(&mut t, 100, Some(2000)), [(Firing, "critical", false)]);
        t.tick(130_000, &ScanReport::default());
        let mut batch = Box::<Batch>::default();
        assert!(t.take_due(0, 130_000, BATCH_MAX, &mut batch));
        let m = &batch.messages()[0];
        let Subject::Process(f) = &m.subject else { panic!("a process") };
        assert_eq!((m.kind, f.severity.name()), (Resolved, "critical"));
    }

    #[test]
    fn below_the_minimum_rate_a_lingering_tree_does_not_fire_and_once_fired_stays() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]).with_min_millicores(500);
        assert_eq!(severities(&mut t, 100, None), [], "no rate yet: it waits");
        assert_eq!(severities(&mut t, 130, Some(499)), []);
        assert_eq!(severities(&mut t, 160, Some(500)), [(Firing, "warning", false)]);
        assert_eq!(severities(&mut t, 190, Some(0)), [], "idle now, but not RESOLVED");
        assert_eq!(t.active(), 1);
    }

    #[test]
    fn the_table_keeps_its_slots_on_the_heap_reserved_once() {
        // Inline, 512 slots are 400 KB: built and moved on the main thread's stack they
        // stayed resident (peak RSS 1.5 MiB instead of 0.8).
        assert!(std::mem::size_of::<AlertTable>() < 4096);
        let t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        assert!(t.alerts.capacity() >= TABLE_SLOTS);
    }

    #[test]
    fn below_threshold_then_crossing_then_reminder_exactly_at_cooldown_then_resolved() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        assert_eq!(tick(&mut t, 0, &[(7, 100, false)]), [], "first sight below threshold");
        assert_eq!(tick(&mut t, 30, &[(7, 100, true)]), [(Firing, 7, 100)]);
        assert_eq!(tick(&mut t, 60, &[(7, 100, true)]), []);
        assert_eq!(tick(&mut t, 30 + 1799, &[(7, 100, true)]), [], "a second before");
        assert_eq!(tick(&mut t, 30 + 1800, &[(7, 100, true)]), [(Reminder, 7, 100)]);
        assert_eq!(tick(&mut t, 30 + 3599, &[(7, 100, true)]), []);
        assert_eq!(tick(&mut t, 30 + 3600, &[(7, 100, true)]), [(Reminder, 7, 100)]);
        assert_eq!(tick(&mut t, 4000, &[]), [(Resolved, 7, 100)], "vanished");
        assert_eq!(tick(&mut t, 4030, &[]), [], "resolved once");
        assert!(t.is_empty());
    }

    #[test]
    fn never_lingering_never_alerts_and_no_longer_lingering_resolves_as_such() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        for s in 0..10 {
            assert_eq!(tick(&mut t, s * 30, &[(8, 1, false)]), []);
        }
        assert_eq!(tick(&mut t, 300, &[(8, 1, true)]), [(Firing, 8, 1)]);
        t.tick(330_000, &report(&[(8, 1, false)]));
        let mut batch = Box::<Batch>::default();
        assert!(t.take_due(0, 330_000, 1, &mut batch));
        let m = &batch.messages()[0];
        assert_eq!(m.kind, Resolved);
        assert_eq!(m.end, Some(End::NoLongerLingers { at_ms: 330_000 }), "still running");
    }

    #[test]
    fn reused_pid_with_new_starttime_resolves_the_old_and_fires_the_new() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        assert_eq!(tick(&mut t, 0, &[(9, 100, true)]), [(Firing, 9, 100)]);
        assert_eq!(
            tick(&mut t, 30, &[(9, 5000, true)]),
            [(Resolved, 9, 100), (Firing, 9, 5000)]
        );
    }

    #[test]
    fn more_lingering_than_the_table_holds_are_one_aggregate_that_counts_only_lingerers() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        let n = ALERT_CAPACITY as u32 + 5;
        // Also 100 young matches: they must not count as lingering.
        let mut all: alloc::vec::Vec<(u32, u64, bool)> = (1..=n).map(|p| (p, 1, true)).collect();
        all.extend((1000..1100).map(|p| (p, 9, false)));
        let ev = tick(&mut t, 0, &all);
        assert_eq!(ev.iter().filter(|e| e.0 == Firing && e.1 != u32::MAX).count(), ALERT_CAPACITY);
        // The report holds 256: the oldest (start 1) are kept; the 5 lingering that did
        // not fit the table plus those the report could not hold.
        assert_eq!(ev.last(), Some(&(Firing, u32::MAX, 5 + 100 - 100)), "{:?}", ev.last());
        assert_eq!(t.active(), ALERT_CAPACITY);
        // Tracked pid 1 exits: RESOLVED, and one untracked takes its slot.
        let rest: alloc::vec::Vec<_> = all[1..].to_vec();
        let ev = tick(&mut t, 60, &rest);
        assert_eq!(ev[0], (Resolved, 1, 1));
        assert_eq!(ev[1].0, Firing);
        assert_eq!(ev.len(), 2, "the aggregate waits for its cooldown: {ev:?}");
        let ev = tick(&mut t, 1830, &[]);
        assert_eq!(ev.iter().filter(|e| e.0 == Resolved).count(), ALERT_CAPACITY + 1);
    }

    #[test]
    fn refresh_reposts_every_tick_and_resolved_for_a_few_ticks() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Refresh]);
        assert_eq!(tick(&mut t, 0, &[(5, 1, true)]), [(Firing, 5, 1)]);
        assert_eq!(tick(&mut t, 30, &[(5, 1, true)]), [(Reminder, 5, 1)]);
        assert_eq!(tick(&mut t, 60, &[(5, 1, true)]), [(Reminder, 5, 1)]);
        let mut resolved = 0;
        for i in 0..10 {
            resolved += tick(&mut t, 90 + 30 * i, &[]).len();
        }
        assert_eq!(resolved as u64, RESOLVED_REPOSTS);
        assert!(t.is_empty());
    }

    #[test]
    fn a_dead_destination_never_delays_another_and_gets_its_backlog_in_order() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages, Cadence::Messages]);
        t.tick(0, &report(&[(1, 1, true), (2, 1, true)]));
        assert_eq!(drain(&mut t, 0, 0), [(Firing, 1, 1), (Firing, 2, 1)]);
        let mut batch = Box::<Batch>::default();
        assert!(t.take_due(1, 0, 1, &mut batch));
        t.settle(1, batch.messages()[0].seq, Outcome::Retry, 0, 0);
        assert!(!t.take_due(1, 29_999, 1, &mut batch), "backoff: one tick");
        t.tick(30_000, &report(&[(2, 1, true)]));
        assert_eq!(drain(&mut t, 0, 30), [(Resolved, 1, 1)]);
        assert_eq!(
            drain(&mut t, 1, 30),
            [(Firing, 1, 1), (Firing, 2, 1), (Resolved, 1, 1)]
        );
    }

    #[test]
    fn a_destination_down_while_more_alerts_end_than_the_table_holds_loses_only_the_oldest_and_says_so() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages]);
        let burst = |first: u32| -> alloc::vec::Vec<(u32, u64, bool)> {
            (first..first + ALERT_CAPACITY as u32).map(|p| (p, 1, true)).collect()
        };
        t.tick(0, &report(&burst(1)));
        t.tick(30_000, &report(&[]));
        let s = t.tick(60_000, &report(&burst(1001)));
        assert_eq!(s.evicted[0], 0, "the table holds a burst of lingering and one of ended");
        t.tick(90_000, &report(&[]));
        // A third burst needs the slots of the first: those alerts, the oldest ended,
        // give up their FIRING and RESOLVED.
        let s = t.tick(120_000, &report(&burst(2001)));
        assert_eq!(s.evicted[0], 2 * ALERT_CAPACITY as u32);
        let mut batch = Box::<Batch>::default();
        assert!(t.take_due(0, 120_000, 1, &mut batch));
        assert_eq!(batch.dropped, 2 * ALERT_CAPACITY as u32, "reported in the next message");
        let got = drain(&mut t, 0, 120);
        assert_eq!(got[0], (Firing, 1001, 1), "the second burst is still owed, in order");
        assert!(got.iter().all(|m| m.1 > ALERT_CAPACITY as u32));
        assert_eq!(got.len(), 3 * ALERT_CAPACITY);
    }

    #[test]
    fn a_refused_firing_abandons_the_alert_at_that_destination_only() {
        let mut t = AlertTable::new(policy(1800), &[Cadence::Messages, Cadence::Messages]);
        t.tick(0, &report(&[(3, 1, true)]));
        let mut batch = Box::<Batch>::default();
        assert!(t.take_due(0, 0, 1, &mut batch));
        t.settle(0, batch.messages()[0].seq, Outcome::Refused, 0, 0);
        t.tick(30_000, &report(&[]));
        assert_eq!(drain(&mut t, 0, 30), [], "no RESOLVED about an alert it refused");
        assert_eq!(drain(&mut t, 1, 30), [(Firing, 3, 1), (Resolved, 3, 1)]);
    }
}
