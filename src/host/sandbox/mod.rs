//! Self-confinement: once configuration is read and every file it needs is open, and
//! before any thread starts, the process locks itself in with Landlock (no writing but to
//! the directories it names; TCP connect only to the ports of its destinations and
//! proxies, no TCP bind; no signals to other processes; with `confine_reads`, reads only
//! of the `/proc` it scans and the few files it reads later) and a seccomp-bpf allowlist
//! of its own system calls ([`syscalls`]): anything else fails with `EPERM`, and a short
//! list of dangerous calls ([`syscalls::KILLED`]) kills the process with SIGSYS. Both need
//! no privilege (`no_new_privs` is set first), work as uid 65534 with no capabilities,
//! and are inherited by every thread started afterwards.
//!
//! Landlock is best effort on older kernels (the status says what is enforced); a
//! failure to install either layer where the kernel supports it is an error (start-up
//! exits 2), never a silent downgrade.

pub mod probe;
pub mod syscalls;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use landlock::{
    Access, AccessFs, AccessNet, NetPort, PathBeneath, PathFd, RestrictionStatus, Ruleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};

use syscalls::{Allowed, Args};

/// What the resolver reads on every lookup (musl: hosts and resolv.conf; glibc also its
/// NSS and address-selection files): readable after the lock-down where they exist.
pub(crate) const RESOLVER_FILES: [&str; 5] = [
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
];

/// The Landlock ABI asked for: file access (with truncate), TCP ports, signal scoping.
const ABI_WANTED: ABI = ABI::V6;

/// The read side of Landlock's file rights. Handled, they make the kernel walk each
/// opened file's path up to a rule on every open, a scan's thousands of `/proc` opens
/// included (issue 23: 3% to 10% more CPU per scan); so they are handled only when
/// [`Plan::confine_reads`] asks. Truncate is among them: the open hook asks for it on
/// every open, so handling it alone costs the same walk.
fn read_rights() -> landlock::BitFlags<AccessFs> {
    AccessFs::ReadFile | AccessFs::ReadDir | AccessFs::Truncate
}

/// What one command may do once locked down.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Landlock confines reads too, to `read_trees` and `read_files`
    /// (`WATCHDOG_SANDBOX_CONFINE_READS`). Otherwise reads are what the uid may read.
    pub confine_reads: bool,
    /// Trees it may read (the `/proc` it scans), when reads are confined.
    pub read_trees: Vec<PathBuf>,
    /// Files it may read if they exist (the resolver's, a heartbeat for `health`), when
    /// reads are confined.
    pub read_files: Vec<PathBuf>,
    /// Directories where it may create, write and rename files (the metrics textfile).
    pub write_dirs: Vec<PathBuf>,
    /// TCP ports it may connect to; `None`: no network at all.
    pub connect_ports: Option<Vec<u16>>,
    /// Whether it starts threads after the lock-down.
    pub threads: bool,
    /// Whether it signals lingering orphans (`WATCHDOG_PROC_ACTION=terminate`): then
    /// [`syscalls::SIGNALS`] are allowed, `pidfd_send_signal` leaves the kill list, and
    /// Landlock does not scope signals (see [`restrict_paths_and_ports`]).
    pub signals: bool,
}

/// What Landlock enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landlock {
    Full,
    /// Some of it: the kernel's ABI is older than asked.
    Partial(i32),
    /// The kernel has no Landlock (or it is disabled).
    Unavailable,
}

/// What was installed, for the start-up summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub landlock: Landlock,
    /// Landlock confines reads too ([`Plan::confine_reads`]).
    pub reads_confined: bool,
    pub seccomp: bool,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.landlock {
            Landlock::Full => f.write_str("landlock: full")?,
            Landlock::Partial(abi) => write!(f, "landlock: partial (ABI {abi})")?,
            Landlock::Unavailable => f.write_str("landlock: unavailable")?,
        }
        if self.reads_confined && self.landlock != Landlock::Unavailable {
            f.write_str(" (reads confined)")?;
        }
        f.write_str(if self.seccomp {
            ", seccomp: on"
        } else {
            ", seccomp: unavailable"
        })
    }
}

/// Why the lock-down could not be installed.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Locks the process in when `enabled` (the configuration's `sandbox`): the status, or
/// `None` when it is off. A failure is logged and is exit status 2, never a silent
/// downgrade.
pub(crate) fn confine(enabled: bool, plan: &Plan) -> Result<Option<Status>, u8> {
    if !enabled {
        return Ok(None);
    }
    lock_down(plan).map(Some).map_err(|e| {
        crate::log!(
            "cannot lock itself in: {e} (WATCHDOG_SANDBOX=false runs without, for debugging)"
        );
        2
    })
}

/// Locks the calling thread (and every thread it starts later) into `plan`.
pub(crate) fn lock_down(plan: &Plan) -> Result<Status, Error> {
    // rustix finds the vDSO and CLK_TCK in the aux vector on first use (prctl
    // PR_GET_AUXV, or /proc/self/auxv): do it now, while that is allowed.
    let _ = crate::proc::sys::boot_clock_ms();
    let _ = crate::proc::sys::wall_clock_s();
    let _ = crate::proc::sys::clock_ticks_per_second();
    // Not dumpable: /proc/self/* then belongs to root, so as an unprivileged user this
    // process cannot read its own environ (where the webhook's secrets are) either.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| Error(format!("prctl(PR_SET_DUMPABLE): {e}")))?;
    let landlock = restrict_paths_and_ports(plan)?;
    let seccomp = install_allowlist(plan)?;
    Ok(Status {
        landlock,
        reads_confined: plan.confine_reads,
        seccomp,
    })
}

fn restrict_paths_and_ports(plan: &Plan) -> Result<Landlock, Error> {
    let err = |what: &str, e: &dyn fmt::Display| Error(format!("landlock: {what}: {e}"));
    let fs = handled_fs(plan);
    let mut ruleset = Ruleset::default()
        .handle_access(fs)
        .map_err(|e| err("files", &e))?;
    ruleset = ruleset
        .handle_access(AccessNet::from_all(ABI_WANTED))
        .map_err(|e| err("network", &e))?;
    // Signal scoping (ABI 6) refuses every signal to a process outside this Landlock
    // domain, pidfd_send_signal's too, and knows no exception for chosen processes. With
    // terminate it is left off: the seccomp filter then allows signals only through
    // pidfd_send_signal, only SIGTERM and SIGKILL, and kill, tgkill and friends still
    // kill the process; which processes get them is the pidfd and start-time check's
    // (crate::host::terminate). Without terminate it stays on, as before.
    let scopes = if plan.signals {
        Scope::from_all(ABI_WANTED) & !Scope::Signal
    } else {
        Scope::from_all(ABI_WANTED)
    };
    ruleset = ruleset.scope(scopes).map_err(|e| err("scopes", &e))?;
    let mut created = ruleset.create().map_err(|e| err("create", &e))?;
    created = add_path_rules(created, plan)?;
    for &port in plan.connect_ports.iter().flatten() {
        created = created
            .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
            .map_err(|e| err("port rule", &e))?;
    }
    let status = created.restrict_self().map_err(|e| err("restrict", &e))?;
    Ok(landlock_status(status))
}

/// The file rights Landlock handles for `plan`: all of ABI 6's, less the read side
/// unless reads are confined.
fn handled_fs(plan: &Plan) -> landlock::BitFlags<AccessFs> {
    let all = AccessFs::from_all(ABI_WANTED);
    if plan.confine_reads {
        all
    } else {
        all & !read_rights()
    }
}

/// The file rules: the trees to read, the optional files (both only when reads are
/// confined), the directories to write.
fn add_path_rules(mut created: RulesetCreated, plan: &Plan) -> Result<RulesetCreated, Error> {
    let err = |what: &str, e: &dyn fmt::Display| Error(format!("landlock: {what}: {e}"));
    let handled = handled_fs(plan);
    let (trees, files) = if plan.confine_reads {
        (&plan.read_trees[..], &plan.read_files[..])
    } else {
        (&[][..], &[][..])
    };
    // Truncate too, though nothing here truncates: the kernel's open hook asks for
    // truncate on every open (to note it on the file), and a tree that does not grant it
    // sends that walk on past the tree's root, across the mount, up to `/`: one more
    // mount crossing and two more lookups on each of a scan's opens (issue 23: about a
    // fifth of the floor's cost per pid). It grants no capability: truncate and
    // ftruncate are on no seccomp list, so they fail with EPERM before Landlock is asked,
    // and nothing may open a file here for writing.
    let read = AccessFs::from_read(ABI_WANTED) | AccessFs::Truncate;
    for tree in trees {
        let fd = PathFd::new(tree).map_err(|e| err(&tree.display().to_string(), &e))?;
        created = created
            .add_rule(PathBeneath::new(fd, read))
            .map_err(|e| err("read rule", &e))?;
    }
    // Optional files: a FROM scratch image may lack /etc/nsswitch.conf; nothing to read.
    for file in files {
        if let Ok(fd) = PathFd::new(file) {
            created = created
                .add_rule(PathBeneath::new(fd, AccessFs::ReadFile))
                .map_err(|e| err("read rule", &e))?;
        }
    }
    let write = (AccessFs::ReadFile
        | AccessFs::WriteFile
        | AccessFs::MakeReg
        | AccessFs::RemoveFile
        | AccessFs::Truncate)
        & handled;
    for dir in &plan.write_dirs {
        let fd = PathFd::new(dir).map_err(|e| err(&dir.display().to_string(), &e))?;
        created = created
            .add_rule(PathBeneath::new(fd, write))
            .map_err(|e| err("write rule", &e))?;
    }
    Ok(created)
}

/// How far the kernel enforced the ruleset.
fn landlock_status(status: RestrictionStatus) -> Landlock {
    match (status.ruleset, status.landlock) {
        (RulesetStatus::FullyEnforced, _) => Landlock::Full,
        (
            RulesetStatus::PartiallyEnforced,
            landlock::LandlockStatus::Available { effective_abi, .. },
        ) => Landlock::Partial(effective_abi as i32),
        (RulesetStatus::PartiallyEnforced, _) => Landlock::Partial(0),
        (RulesetStatus::NotEnforced, _) => Landlock::Unavailable,
    }
}

/// The seccomp filters: the allowlist (anything else fails with `EPERM`), the kill list,
/// and the calls answered with another errno. The kernel runs every filter and takes the
/// most restrictive answer (kill, then errno, then allow), so a call on the kill list
/// kills although the allowlist only refuses it, and a refusal's errno beats the
/// allowlist's allow.
fn install_allowlist(plan: &Plan) -> Result<bool, Error> {
    if !cfg!(target_arch = "x86_64") {
        return Ok(false);
    }
    let err = |e: &dyn fmt::Display| Error(format!("seccomp: {e}"));
    let allow = allowlist_filter(plan).map_err(|e| err(&e))?;
    let refuse = refusal_filter().map_err(|e| err(&e))?;
    let kill = kill_filter(plan).map_err(|e| err(&e))?;
    // The allowlist goes last: installing a filter takes prctl and seccomp calls, which
    // it does not allow.
    for prog in refuse.iter().chain([&kill]) {
        seccompiler::apply_filter(prog).map_err(|e| err(&e))?;
    }
    seccompiler::apply_filter(&allow).map_err(|e| err(&e))?;
    Ok(true)
}

/// Every call `plan` needs: the base set, threads, network.
pub(crate) fn allowed(plan: &Plan) -> Vec<Allowed> {
    let mut list: Vec<Allowed> = syscalls::BASE.to_vec();
    if plan.threads {
        list.extend_from_slice(syscalls::THREADS);
    }
    if plan.connect_ports.is_some() {
        list.extend_from_slice(syscalls::NETWORK);
    }
    if !plan.write_dirs.is_empty() {
        list.extend_from_slice(syscalls::TEXTFILE);
    }
    if plan.signals {
        list.extend_from_slice(syscalls::SIGNALS);
    }
    list
}

fn rules_of(args: Args) -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    let cond =
        |index: u8, op, value| SeccompCondition::new(index, SeccompCmpArgLen::Qword, op, value);
    Ok(match args {
        Args::Any => Vec::new(),
        Args::HasBits { index, mask } => {
            vec![SeccompRule::new(vec![cond(
                index,
                SeccompCmpOp::MaskedEq(mask),
                mask,
            )?])?]
        }
        Args::LacksBits { index, mask } => {
            vec![SeccompRule::new(vec![cond(
                index,
                SeccompCmpOp::MaskedEq(mask),
                0,
            )?])?]
        }
        Args::OneOf { index, values } => values
            .iter()
            .map(|&v| SeccompRule::new(vec![cond(index, SeccompCmpOp::Eq, v)?]))
            .collect::<Result<_, _>>()?,
    })
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    on_match: SeccompAction,
) -> Result<BpfProgram, seccompiler::BackendError> {
    let filter = SeccompFilter::new(rules, mismatch, on_match, seccompiler::TargetArch::x86_64)?;
    BpfProgram::try_from(filter)
}

fn allowlist_filter(plan: &Plan) -> Result<BpfProgram, seccompiler::BackendError> {
    let mut rules = BTreeMap::new();
    for a in allowed(plan) {
        rules.insert(a.nr, rules_of(a.args)?);
    }
    let eperm = SeccompAction::Errno(libc::EPERM.unsigned_abs());
    compile(rules, eperm, SeccompAction::Allow)
}

/// The kill list: its calls kill the process, everything else passes to the other
/// filters.
fn kill_filter(plan: &Plan) -> Result<BpfProgram, seccompiler::BackendError> {
    let own = u64::from(std::process::id());
    let mut rules = BTreeMap::new();
    for &(_, nr, kills) in killed(plan) {
        let rule = match kills {
            syscalls::Kills::Always => Vec::new(),
            // A pid is an int: compare its low 32 bits, whatever the register holds above.
            syscalls::Kills::OtherPid { index } => {
                vec![SeccompRule::new(vec![SeccompCondition::new(
                    index,
                    SeccompCmpArgLen::Dword,
                    SeccompCmpOp::Ne,
                    own,
                )?])?]
            }
        };
        rules.insert(nr, rule);
    }
    compile(rules, SeccompAction::Allow, SeccompAction::KillProcess)
}

/// The kill list for `plan`: with signals, less `pidfd_send_signal` (then on the
/// allowlist with SIGTERM and SIGKILL only; any other signal fails with EPERM).
fn killed(plan: &Plan) -> impl Iterator<Item = &'static (&'static str, i64, syscalls::Kills)> {
    let signals = plan.signals;
    syscalls::KILLED
        .iter()
        .filter(move |&&(_, nr, _)| !(signals && nr == libc::SYS_pidfd_send_signal))
}

/// One filter per errno (a filter has one action for its matches).
fn refusal_filter() -> Result<Vec<BpfProgram>, seccompiler::BackendError> {
    let mut by_errno: BTreeMap<i32, BTreeMap<i64, Vec<SeccompRule>>> = BTreeMap::new();
    for &(_, nr, args, errno) in syscalls::REFUSED {
        by_errno
            .entry(errno)
            .or_default()
            .insert(nr, rules_of(args)?);
    }
    by_errno
        .into_iter()
        .map(|(errno, rules)| {
            compile(
                rules,
                SeccompAction::Allow,
                SeccompAction::Errno(u32::try_from(errno).unwrap_or(1)),
            )
        })
        .collect()
}

/// The filters as the committed `tests/seccomp-allowlist.txt` spells them: one allowed
/// call per line, its argument rule after it; then the calls answered with an errno, the
/// calls that kill, and what everything else gets.
pub fn describe(plan: &Plan) -> Vec<String> {
    let mut lines: Vec<String> = allowed(plan)
        .iter()
        .map(|a| match a.args {
            Args::Any => a.name.to_owned(),
            Args::HasBits { index, mask } => format!("{} arg{index} has {mask:#x}", a.name),
            Args::LacksBits { index, mask } => format!("{} arg{index} lacks {mask:#x}", a.name),
            Args::OneOf { index, values } => {
                let v: Vec<String> = values.iter().map(|v| format!("{v:#x}")).collect();
                format!("{} arg{index} in {}", a.name, v.join(","))
            }
        })
        .collect();
    lines.sort();
    for &(name, _, args, errno) in syscalls::REFUSED {
        let when = match args {
            Args::OneOf { index, values } => {
                let v: Vec<String> = values.iter().map(|v| format!("{v:#x}")).collect();
                format!(" arg{index} in {}", v.join(","))
            }
            _ => String::new(),
        };
        lines.push(format!("answered errno {errno}: {name}{when}"));
    }
    for &(name, _, kills) in killed(plan) {
        lines.push(match kills {
            syscalls::Kills::Always => format!("killed: {name}"),
            syscalls::Kills::OtherPid { index } => {
                format!("killed: {name} arg{index} not its own pid")
            }
        });
    }
    lines.push("anything else: errno 1 (EPERM)".to_owned());
    lines
}
