//! A model of the daemon around the alert table, for property tests and the fuzz target
//! (`fuzz/fuzz_targets/alert_state_machine.rs` includes this file): random scans
//! (processes appearing, lingering, vanishing, pids reused, more than every capacity)
//! and random delivery attempts to several destinations, each outcome checked against
//! what users are promised:
//! - no message about a process that never lingered;
//! - per destination, messages arrive in the order they were decided, never a second
//!   FIRING while one is open, never a RESOLVED (or REMINDER) without an earlier FIRING;
//! - a failed attempt waits out its backoff (never shorter than documented);
//! - once every process is gone and deliveries succeed, every FIRING has a later
//!   RESOLVED, and (no destination refused anything, none had to give up messages)
//!   every tracked process was told everywhere.

use std::collections::{HashMap, HashSet};

use lingerwatch::alert::outbox::{backoff_ticks, Cadence, Outcome, Seq};
use lingerwatch::alert::policy::Threshold;
use lingerwatch::alert::{AlertTable, Batch, Kind, Policy, Subject, BATCH_MAX};
use lingerwatch::proc::found::{Found, ProcessKey, ScanReport};

/// The threshold of the model: older than 5 s, any process.
const THRESHOLD: Threshold = Threshold {
    age_s: 5,
    orphans_only: false,
};
pub const TICK_MS: u64 = 10_000;
/// Distinct pids; each is seen with two start times (pid reuse).
pub const PIDS: u16 = 400;

/// One step of the model.
#[derive(Clone, Debug)]
pub enum Step {
    /// A scan after `advance_ms`, of these processes: (identity, lingers).
    Scan {
        advance_ms: u64,
        present: Vec<(u16, bool)>,
    },
    /// A delivery attempt to destination `dest` (mod their number) of at most `max`
    /// messages, after `advance_ms`.
    Deliver {
        dest: u8,
        max: u8,
        outcome: u8,
        advance_ms: u64,
    },
}

/// What a destination received: (kind, process or None for the aggregate, seq).
type Received = Vec<(Kind, Option<ProcessKey>, Seq)>;

pub struct Model {
    table: AlertTable,
    now_ms: u64,
    received: Vec<Received>,
    /// Processes that lingered in some scan.
    lingered: HashSet<ProcessKey>,
    /// Processes the table tracked at some point.
    tracked: HashSet<ProcessKey>,
    /// A destination refused or gave up something: completeness does not hold.
    lossy: bool,
    report: Box<ScanReport>,
    batch: Box<Batch>,
    /// When each destination failed last, and its attempts then.
    failed: HashMap<usize, (u64, u32)>,
    allow_refusal: bool,
    /// Per destination and process: whether its alert is open there.
    open: HashMap<(usize, ProcessKey), bool>,
    /// Destinations for which the table gave up messages (evicted ended alerts).
    evicted_at: HashSet<usize>,
}

fn key_of(identity: u16) -> ProcessKey {
    ProcessKey {
        pid: 100 + u32::from(identity % PIDS),
        start_ticks: 1 + u64::from(identity / PIDS % 2) * 1000,
    }
}

impl Model {
    pub fn new(cadences: &[Cadence], cooldown_s: u64, allow_refusal: bool) -> Self {
        let policy = Policy {
            threshold: THRESHOLD,
            cooldown_ms: cooldown_s * 1000,
            tick_ms: TICK_MS,
        };
        Model {
            table: AlertTable::new(policy, cadences),
            now_ms: 1_000_000,
            received: vec![Vec::new(); cadences.len()],
            lingered: HashSet::new(),
            tracked: HashSet::new(),
            lossy: false,
            report: Box::default(),
            batch: Box::default(),
            failed: HashMap::new(),
            allow_refusal,
            open: HashMap::new(),
            evicted_at: HashSet::new(),
        }
    }

    pub fn step(&mut self, step: &Step) {
        match step {
            Step::Scan {
                advance_ms,
                present,
            } => {
                self.now_ms += advance_ms;
                self.scan(present);
            }
            Step::Deliver {
                dest,
                max,
                outcome,
                advance_ms,
            } => {
                self.now_ms += advance_ms;
                let outcome = match outcome % 4 {
                    0 | 1 => Outcome::Delivered,
                    3 if self.allow_refusal => Outcome::Refused,
                    _ => Outcome::Retry,
                };
                let dest = usize::from(*dest) % self.received.len();
                self.deliver(dest, usize::from(*max).clamp(1, BATCH_MAX), outcome);
            }
        }
    }

    /// A scan as the scanner reports it: one process per pid, the tracked ones always
    /// stored, the oldest kept, the rest counted.
    fn scan(&mut self, present: &[(u16, bool)]) {
        let mut watch = lingerwatch::alert::WatchList::new();
        self.table.watch_list(&mut watch);
        let report = &mut self.report;
        **report = ScanReport::default();
        report.now_ms = self.now_ms;
        let mut pids = HashSet::new();
        for &(identity, lingers) in present {
            let key = key_of(identity);
            if !pids.insert(key.pid) {
                continue;
            }
            let found = Found {
                age_ms: if lingers { 60_000 } else { 1_000 },
                orphan_why: lingerwatch::proc::found::OrphanWhy::INIT,
                ppid: 1,
                ..Found::blank(key.pid, key.start_ticks)
            };
            if lingers {
                self.lingered.insert(key);
            }
            let pinned = watch.binary_search(&key).is_ok();
            if let Some(left) = report.insert(found, pinned) {
                report.unstored.count += 1;
                if left.age_s() > THRESHOLD.age_s {
                    report.unstored.older += 1;
                    report.unstored.older_orphans += 1;
                }
            }
        }
        let summary = self.table.tick(self.now_ms, report);
        for (dest, &n) in summary.evicted.iter().enumerate() {
            if n > 0 {
                self.lossy = true;
                self.evicted_at.insert(dest);
            }
        }
        for view in self.table.alerts() {
            if let Subject::Process(f) = view.subject {
                assert!(
                    self.lingered.contains(&f.key()),
                    "tracks {:?}, which never lingered",
                    f.key()
                );
                self.tracked.insert(f.key());
            }
        }
    }

    fn deliver(&mut self, dest: usize, max: usize, outcome: Outcome) {
        let before = self.table.outbox(dest).unwrap().retry_at_ms();
        if !self.table.take_due(dest, self.now_ms, max, &mut self.batch) {
            return;
        }
        if let Some(&(at, attempts)) = self.failed.get(&dest) {
            let wait = backoff_ticks(attempts) * TICK_MS;
            assert!(
                self.now_ms >= at + wait,
                "tried {} ms after a failure, backoff {wait}",
                self.now_ms - at
            );
            assert_eq!(before, at + wait);
        }
        let up_to = self.batch.messages().last().unwrap().seq;
        self.table
            .settle(dest, up_to, outcome, self.batch.dropped, self.now_ms);
        if outcome == Outcome::Retry {
            let attempts = self.table.outbox(dest).unwrap().attempts();
            self.failed.insert(dest, (self.now_ms, attempts));
            return;
        }
        self.failed.remove(&dest);
        self.lossy |= outcome == Outcome::Refused;
        let got: Vec<_> = self
            .batch
            .messages()
            .iter()
            .map(|m| (m.kind, key_of_subject(&m.subject), m.seq))
            .collect();
        self.check_and_record(dest, got, outcome == Outcome::Refused);
    }

    /// Checks what a destination got (or refused) against what it got before.
    fn check_and_record(&mut self, dest: usize, got: Received, refused: bool) {
        for (kind, key, seq) in got {
            let log = &mut self.received[dest];
            if let Some(&(_, _, last)) = log.last() {
                assert!(
                    seq > last,
                    "out of order at destination {dest}: {seq} after {last}"
                );
            }
            log.push((kind, key, seq));
            let Some(key) = key else { continue };
            assert!(
                self.lingered.contains(&key),
                "a message about {key:?}, which never lingered"
            );
            // A process can linger, stop (e.g. stop matching) and linger again: a new
            // FIRING only after a RESOLVED. A refused FIRING or RESOLVED closes the alert
            // there (it is abandoned, or its end given up).
            let open = self.open.get(&(dest, key)).copied();
            match (kind, open) {
                // After the table gave up an alert's RESOLVED for a destination that
                // stayed down (counted and reported), that process may fire again there.
                (Kind::Firing, Some(true)) if !self.evicted_at.contains(&dest) => {
                    panic!("a second FIRING for {key:?} at {dest}")
                }
                (Kind::Reminder | Kind::Resolved, None) | (Kind::Reminder, Some(false))
                    if !refused =>
                {
                    panic!("{kind:?} without a FIRING for {key:?} at {dest}")
                }
                _ => {}
            }
            let now_open = match kind {
                Kind::Firing => !refused,
                Kind::Reminder => open.unwrap_or(false),
                Kind::Resolved => false,
            };
            self.open.insert((dest, key), now_open);
        }
    }

    /// Every process goes; deliveries succeed until nothing is owed. Then every FIRING
    /// has a later RESOLVED, and with nothing refused or given up, every tracked process
    /// was told everywhere.
    pub fn drain(&mut self) {
        self.allow_refusal = false;
        for _ in 0..(lingerwatch::alert::RESOLVED_REPOSTS + 2) {
            self.now_ms += TICK_MS * 8;
            self.scan(&[]);
            for dest in 0..self.received.len() {
                for _ in 0..2000 {
                    if !self
                        .table
                        .take_due(dest, self.now_ms, BATCH_MAX, &mut self.batch)
                    {
                        break;
                    }
                    self.deliver(dest, BATCH_MAX, Outcome::Delivered);
                }
            }
        }
        assert!(
            self.table.is_empty(),
            "alerts left after every process went"
        );
        for (dest, log) in self.received.iter().enumerate() {
            self.check_complete(dest, log);
        }
    }

    fn check_complete(&self, dest: usize, log: &Received) {
        if self.lossy {
            // A refused message is given up on purpose (the destination will never take
            // it); an evicted one is counted and reported.
            return;
        }
        let keys: HashSet<Option<ProcessKey>> = log.iter().map(|&(_, k, _)| k).collect();
        for key in keys {
            let kinds: Vec<Kind> = log.iter().filter(|m| m.1 == key).map(|m| m.0).collect();
            if key.is_some() {
                assert_eq!(
                    kinds.first(),
                    Some(&Kind::Firing),
                    "{key:?} at {dest}: {kinds:?}"
                );
            }
            assert_eq!(
                kinds.last(),
                Some(&Kind::Resolved),
                "{key:?} at {dest} never resolved: {kinds:?}"
            );
        }
        if self.lossy {
            return;
        }
        for key in &self.tracked {
            let fired = log.iter().any(|m| m.1 == Some(*key) && m.0 == Kind::Firing);
            assert!(fired, "{key:?} was tracked but {dest} never heard of it");
        }
    }
}

fn key_of_subject(s: &Subject) -> Option<ProcessKey> {
    match s {
        Subject::Process(f) => Some(f.key()),
        Subject::Untracked(_) => None,
    }
}
