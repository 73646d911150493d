//! `/proc/stat`: the aggregate `cpu` line (all CPUs' time, in clock ticks), and the share
//! of it that some processes used between two samples.
//!
//! Pure; never panics; no allocation; no floats. The kernel writes the aggregate line
//! first (fs/proc/stat.c: `"cpu  "`, then ten counters), so [`CpuTimesFinder`] decides from
//! the first line alone and is done at its end: fed the same chunks as
//! [`super::proc_stat::BtimeFinder`], one read of `/proc/stat` per tick gives both.
//!
//! The counters (proc(5)), in `USER_HZ` ticks (`CLK_TCK`, the unit of `utime` and `stime`
//! in `/proc/<pid>/stat`, so a process's ticks and the host's compare without conversion):
//! `user nice system idle iowait irq softirq steal guest guest_nice`. `guest` and
//! `guest_nice` are already counted inside `user` and `nice` (kernel/sched/cputime.c
//! `account_guest_time`), so the total is the sum of the first eight and the last two are
//! ignored; `idle` here is `idle + iowait` (a CPU waiting on I/O runs nothing). Kernels
//! before 2.6.11 wrote fewer counters: the first four are required, the others count when
//! present. Counters are summed saturating (no host reaches `u64::MAX` ticks).
//!
//! Shares are in per-mille (0..=1000) of all CPUs' time: "lingering processes use 63% of
//! this host's CPU" is `share_permille == 630..=639`.

/// The counters summed into the total: user, nice, system, idle, iowait, irq, softirq,
/// steal (`guest` and `guest_nice` are inside user and nice).
const FIELDS_USED: u8 = 8;
/// user, nice, system and idle: every kernel writes those.
const FIELDS_REQUIRED: u8 = 4;
// Field numbers after `cpu` (1-based, as proc(5) lists them and errors name them).
const FIELD_IDLE: u8 = 4;
const FIELD_IOWAIT: u8 = 5;
/// The aggregate line's name; `cpu0`, `cpu1`, … are single CPUs.
const PREFIX: &[u8] = b"cpu";

/// All CPUs' time since boot, in clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// user + nice + system + idle + iowait + irq + softirq + steal.
    pub total_ticks: u64,
    /// idle + iowait.
    pub idle_ticks: u64,
}

/// Why no CPU times came out. Field numbers count the counters after `cpu`, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuTimesError {
    /// The first line is not the aggregate `cpu ` line (empty, `cpu0`, something else).
    NotCpuLine,
    /// The line ends before this counter (fewer than four).
    MissingField(u8),
    /// This counter is not a number that fits u64.
    BadNumber(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// `usize` bytes of [`PREFIX`] matched at the start of the file.
    Prefix(usize),
    /// In the counters: `done` complete, `value` the digits of the next so far.
    Fields {
        done: u8,
        value: Option<u64>,
        times: CpuTimes,
    },
    Done(CpuTimes),
    Bad(CpuTimesError),
}

/// Streaming reader of the first line of `/proc/stat`.
#[derive(Clone, Copy, Debug)]
pub struct CpuTimesFinder {
    state: State,
}

impl Default for CpuTimesFinder {
    fn default() -> Self {
        CpuTimesFinder {
            state: State::Prefix(0),
        }
    }
}

impl CpuTimes {
    /// Adds counter number `field` (1-based).
    fn add(self, field: u8, value: u64) -> CpuTimes {
        let idle = matches!(field, FIELD_IDLE | FIELD_IOWAIT);
        CpuTimes {
            total_ticks: self.total_ticks.saturating_add(value),
            idle_ticks: if idle {
                self.idle_ticks.saturating_add(value)
            } else {
                self.idle_ticks
            },
        }
    }

    /// All CPUs' ticks from `earlier` to `self`; `None` when the counters stood still or
    /// went back (a sample from another boot, a fake file), so nobody divides by it.
    pub fn ticks_since(self, earlier: CpuTimes) -> Option<u64> {
        self.total_ticks
            .checked_sub(earlier.total_ticks)
            .filter(|&d| d > 0)
    }
}

/// The end of the counters: enough of them, or the field that is missing.
fn end_of_line(done: u8, times: CpuTimes) -> State {
    if done < FIELDS_REQUIRED {
        State::Bad(CpuTimesError::MissingField(done.saturating_add(1)))
    } else {
        State::Done(times)
    }
}

/// Completes the counter in progress, if any: (counters done, times).
fn complete(done: u8, value: Option<u64>, times: CpuTimes) -> (u8, CpuTimes) {
    match value {
        Some(v) => {
            let field = done.saturating_add(1);
            (field, times.add(field, v))
        }
        None => (done, times),
    }
}

fn step(state: State, b: u8) -> State {
    match state {
        State::Done(_) | State::Bad(_) => state,
        State::Prefix(k) => match PREFIX.get(k) {
            Some(&want) if want == b => State::Prefix(k.saturating_add(1)),
            None if b == b' ' => State::Fields {
                done: 0,
                value: None,
                times: CpuTimes::default(),
            },
            _ => State::Bad(CpuTimesError::NotCpuLine),
        },
        State::Fields { done, value, times } => match b {
            b'0'..=b'9' => value
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b.saturating_sub(b'0'))))
                .map_or(
                    State::Bad(CpuTimesError::BadNumber(done.saturating_add(1))),
                    |v| State::Fields {
                        done,
                        value: Some(v),
                        times,
                    },
                ),
            b' ' | b'\n' => {
                let (done, times) = complete(done, value, times);
                if b == b'\n' || done >= FIELDS_USED {
                    end_of_line(done, times)
                } else {
                    State::Fields {
                        done,
                        value: None,
                        times,
                    }
                }
            }
            _ => State::Bad(CpuTimesError::BadNumber(done.saturating_add(1))),
        },
    }
}

impl CpuTimesFinder {
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if self.done() {
                return;
            }
            self.state = step(self.state, b);
        }
    }

    /// The times, once the first line (or the whole file, if it has one line and no
    /// newline) has been fed.
    pub fn finish(&self) -> Result<CpuTimes, CpuTimesError> {
        match self.state {
            State::Done(times) => Ok(times),
            State::Bad(e) => Err(e),
            State::Prefix(_) => Err(CpuTimesError::NotCpuLine),
            State::Fields { done, value, times } => {
                let (done, times) = complete(done, value, times);
                match end_of_line(done, times) {
                    State::Done(times) => Ok(times),
                    State::Bad(e) => Err(e),
                    _ => Err(CpuTimesError::NotCpuLine),
                }
            }
        }
    }

    /// True once more input cannot change the answer (the first line has ended, or the
    /// eighth counter has).
    pub fn done(&self) -> bool {
        matches!(self.state, State::Done(_) | State::Bad(_))
    }
}

/// Whole-buffer form, for callers that already hold the start of the file.
pub fn cpu_times(stat: &[u8]) -> Result<CpuTimes, CpuTimesError> {
    let mut f = CpuTimesFinder::default();
    f.feed(stat);
    f.finish()
}

/// `part / whole` in per-mille, rounded down, at most 1000 (samples taken a moment apart
/// can make a process's ticks run ahead of the host's); `None` when `whole` is 0.
pub fn permille(part: u64, whole: u64) -> Option<u16> {
    let scaled = u128::from(part).checked_mul(1000)?;
    let share = scaled.checked_div(u128::from(whole))?.min(1000);
    u16::try_from(share).ok()
}

/// The share of all CPUs' time from `before` to `after` that `part_ticks` (the ticks some
/// processes used over the same interval, e.g. the lingering trees' Δ(utime+stime))
/// stands for, in per-mille; `None` when the host counters did not advance.
pub fn share_permille(part_ticks: u64, before: CpuTimes, after: CpuTimes) -> Option<u16> {
    permille(part_ticks, after.ticks_since(before)?)
}

/// How busy the host was from `before` to `after` (non-idle share), in per-mille.
pub fn busy_permille(before: CpuTimes, after: CpuTimes) -> Option<u16> {
    let whole = after.ticks_since(before)?;
    let idle = after.idle_ticks.saturating_sub(before.idle_ticks);
    permille(whole.saturating_sub(idle), whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on this project's build host (Linux 6.18, 2 CPUs, CLK_TCK 100):
    // `head -2 /proc/stat`.
    const CAPTURED: &[u8] =
        b"cpu  86874 209413 24358 43065 667 0 443 274 0 0\ncpu0 46996 100067 12047 22622 450 0 225 133 0 0\n";
    // From proc_stat.rs's sample: the same layout, a quiet host.
    const QUIET: &[u8] = b"cpu  1369 0 3245 286713 100 0 21 0 0 0\nintr 1 2\nbtime 1764340110\n";

    #[test]
    fn sums_the_first_eight_counters_of_the_captured_line_at_every_chunk_size() {
        let total = 86874 + 209413 + 24358 + 43065 + 667 + 443 + 274;
        let want = CpuTimes {
            total_ticks: total,
            idle_ticks: 43065 + 667,
        };
        for size in 1..=CAPTURED.len() {
            let mut f = CpuTimesFinder::default();
            for c in CAPTURED.chunks(size) {
                f.feed(c);
            }
            assert!(f.done(), "done after the first line, chunk {size}");
            assert_eq!(f.finish(), Ok(want), "chunk {size}");
        }
        assert_eq!(cpu_times(QUIET).map(|t| t.idle_ticks), Ok(286813));
    }

    #[test]
    fn guest_counters_are_not_counted_twice() {
        let with_guest = cpu_times(b"cpu  100 50 10 1000 0 0 0 0 90 40\n").unwrap();
        assert_eq!(with_guest.total_ticks, 1160);
    }

    #[test]
    fn old_kernels_with_fewer_counters_and_lines_without_newline() {
        assert_eq!(
            cpu_times(b"cpu  1 2 3 4\n"),
            Ok(CpuTimes {
                total_ticks: 10,
                idle_ticks: 4
            })
        );
        assert_eq!(cpu_times(b"cpu 1 2 3 4 5").map(|t| t.idle_ticks), Ok(9));
    }

    #[test]
    fn malformed_first_lines_give_error_values() {
        use CpuTimesError::*;
        let cases: &[(&[u8], CpuTimesError)] = &[
            (b"", NotCpuLine),
            (b"cp", NotCpuLine),
            (b"cpu", NotCpuLine),
            (b"cpu\n", NotCpuLine),
            (b"cpu0 1 2 3 4 5 6 7 8 9 10\n", NotCpuLine),
            (b"intr 1\ncpu  1 2 3 4\n", NotCpuLine),
            (b" cpu  1 2 3 4\n", NotCpuLine),
            (b"cpu \n", MissingField(1)),
            (b"cpu  1 2 3\n", MissingField(4)),
            (b"cpu  1 2 3", MissingField(4)),
            (b"cpu  1 2 x 4\n", BadNumber(3)),
            (b"cpu  1 -2 3 4\n", BadNumber(2)),
            (b"cpu  1\t2 3 4\n", BadNumber(1)),
            (b"cpu  18446744073709551616 2 3 4\n", BadNumber(1)),
            (b"cpu  1 2 3 4 5 6 7 1e9 9 10\n", BadNumber(8)),
        ];
        for (input, want) in cases {
            let got = cpu_times(input);
            assert_eq!(got, Err(*want), "{:?}", String::from_utf8_lossy(input));
        }
        // Past the eighth counter nothing is read: a strange guest field is no error.
        assert!(cpu_times(b"cpu  1 2 3 4 5 6 7 8 x y\n").is_ok());
        // Saturating sum rather than an error.
        let huge = cpu_times(b"cpu  18446744073709551615 1 0 0\n").unwrap();
        assert_eq!(huge.total_ticks, u64::MAX);
    }

    #[test]
    fn line_cut_at_every_byte_never_panics() {
        for n in 0..CAPTURED.len() {
            let _ = cpu_times(&CAPTURED[..n]);
        }
    }

    #[test]
    fn shares_in_per_mille_never_divide_by_zero() {
        let before = CpuTimes {
            total_ticks: 1000,
            idle_ticks: 500,
        };
        let after = CpuTimes {
            total_ticks: 1400,
            idle_ticks: 600,
        };
        // 2 CPUs over 2 s at 100 Hz: 400 ticks; the trees used 252 of them.
        assert_eq!(share_permille(252, before, after), Some(630));
        assert_eq!(busy_permille(before, after), Some(750));
        assert_eq!(share_permille(999, before, after), Some(1000), "capped");
        assert_eq!(share_permille(1, before, before), None, "stood still");
        assert_eq!(share_permille(1, after, before), None, "went back");
        assert_eq!(permille(u64::MAX, 1), Some(1000));
        assert_eq!(permille(u64::MAX, u64::MAX), Some(1000));
        assert_eq!(permille(0, 0), None);
        let idle_back = CpuTimes {
            idle_ticks: 0,
            ..after
        };
        assert_eq!(busy_permille(before, idle_back), Some(1000));
    }
}
