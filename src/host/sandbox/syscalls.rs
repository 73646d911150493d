//! The seccomp-bpf allowlist: the system calls lingerwatch makes once it is running,
//! derived with `scripts/trace-syscalls.sh` (strace of both static builds and of the glibc
//! build the tests run, across scan, health, run to stdout and to http and https webhooks,
//! a CONNECT proxy, SIGUSR1 and SIGTERM, and every resolver path: UDP, TCP after a
//! truncated answer, an IPv6 nameserver, `search`, NXDOMAIN, a silent nameserver,
//! `/etc/hosts`, a proxy by name), plus the few that rare paths
//! need (each says why). A call outside the list fails with `EPERM`, which the caller
//! reports where it happens (a resolver path nobody traced is a "DNS lookup failed" line,
//! not a dead watchdog); only the calls on [`KILLED`] (running other code, reaching into
//! other processes, changing the kernel or the mounts) kill the process with SIGSYS.
//! `tests/seccomp-allowlist.txt` holds both lists, so a change to either is visible in
//! review.
//!
//! Start-up calls (execve, arch_prctl, uname, prlimit64, ftruncate of the heartbeat, the
//! sandbox's own prctl/landlock/seccomp) happen before the filter and are not on it.

/// What the arguments of an allowed call must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Args {
    Any,
    /// Argument `index` has every bit of `mask` set.
    HasBits {
        index: u8,
        mask: u64,
    },
    /// Argument `index` has no bit of `mask` set.
    LacksBits {
        index: u8,
        mask: u64,
    },
    /// Argument `index` equals one of `values`.
    OneOf {
        index: u8,
        values: &'static [u64],
    },
}

/// One allowed call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Allowed {
    pub name: &'static str,
    pub nr: i64,
    pub args: Args,
}

const fn any(name: &'static str, nr: i64) -> Allowed {
    Allowed {
        name,
        nr,
        args: Args::Any,
    }
}

/// Allowed when argument `index` is one of `values`.
const fn one_of(name: &'static str, nr: i64, index: u8, values: &'static [u64]) -> Allowed {
    Allowed {
        name,
        nr,
        args: Args::OneOf { index, values },
    }
}

/// Allowed when argument `index` has no bit of `mask` set.
const fn lacks(name: &'static str, nr: i64, index: u8, mask: u64) -> Allowed {
    Allowed {
        name,
        nr,
        args: Args::LacksBits { index, mask },
    }
}

// libc's types for these differ between glibc and musl (FIONBIO is a c_ulong on one, a
// c_int on the other): the filter compares 64-bit values.
#[allow(clippy::unnecessary_cast)] // a no-op on glibc only
const FIONBIO: u64 = libc::FIONBIO as u64;
#[allow(clippy::unnecessary_cast)] // a no-op on glibc only
const FIONREAD: u64 = libc::FIONREAD as u64;
const AF_INET: u64 = libc::AF_INET as u64;
const AF_INET6: u64 = libc::AF_INET6 as u64;
const AF_UNIX: u64 = libc::AF_UNIX as u64;
const AF_NETLINK: u64 = libc::AF_NETLINK as u64;
const PROT_EXEC: u64 = libc::PROT_EXEC as u64;

/// Memory, files through the fds and paths Landlock allows, time, and exit.
pub(crate) const BASE: &[Allowed] = &[
    any("brk", libc::SYS_brk),
    // Never executable memory: lingerwatch loads no code after start (the static build
    // cannot; the glibc build resolves names with its built-in `files` and `dns`
    // modules), so writable-then-executable memory is never needed.
    lacks("mmap", libc::SYS_mmap, 2, PROT_EXEC),
    any("munmap", libc::SYS_munmap),
    any("mremap", libc::SYS_mremap),
    any("madvise", libc::SYS_madvise),
    lacks("mprotect", libc::SYS_mprotect, 2, PROT_EXEC),
    // musl on x86_64 opens with `open`, glibc with `openat`.
    any("open", libc::SYS_open),
    any("openat", libc::SYS_openat),
    any("read", libc::SYS_read),
    any("pread64", libc::SYS_pread64),
    any("write", libc::SYS_write),
    any("pwrite64", libc::SYS_pwrite64),
    any("close", libc::SYS_close),
    any("fstat", libc::SYS_fstat),
    any("newfstatat", libc::SYS_newfstatat),
    any("statx", libc::SYS_statx),
    any("lseek", libc::SYS_lseek),
    any("getdents64", libc::SYS_getdents64),
    any("readlinkat", libc::SYS_readlinkat),
    any("fcntl", libc::SYS_fcntl),
    // ioctl only to make a socket non-blocking (std's connect with a timeout) and to ask
    // how much a datagram holds (glibc's resolver).
    one_of("ioctl", libc::SYS_ioctl, 1, &[FIONBIO, FIONREAD]),
    any("clock_gettime", libc::SYS_clock_gettime),
    any("clock_nanosleep", libc::SYS_clock_nanosleep),
    any("nanosleep", libc::SYS_nanosleep),
    any("getrandom", libc::SYS_getrandom),
    any("futex", libc::SYS_futex),
    any("gettid", libc::SYS_gettid),
    any("sched_yield", libc::SYS_sched_yield),
    any("sched_getaffinity", libc::SYS_sched_getaffinity),
    any("rt_sigprocmask", libc::SYS_rt_sigprocmask),
    // std sets up (and at exit takes down) each thread's stack for its overflow guard.
    any("sigaltstack", libc::SYS_sigaltstack),
    // A call interrupted by a stop/continue resumes through this.
    any("restart_syscall", libc::SYS_restart_syscall),
    any("exit_group", libc::SYS_exit_group),
];

/// Threads: a courier per destination and the signal thread. `clone` only for a thread
/// (CLONE_THREAD), never a new process; glibc's `clone3` (whose flags a filter cannot
/// read) is answered ENOSYS, and glibc falls back to `clone`.
pub(crate) const THREADS: &[Allowed] = &[
    Allowed {
        name: "clone",
        nr: libc::SYS_clone,
        args: Args::HasBits {
            index: 0,
            mask: libc::CLONE_THREAD as u64,
        },
    },
    any("clone3", libc::SYS_clone3),
    any("set_robust_list", libc::SYS_set_robust_list),
    any("rseq", libc::SYS_rseq),
    // std looks at the SIGSEGV handler as each thread starts (its stack overflow guard).
    any("rt_sigaction", libc::SYS_rt_sigaction),
    // Only to name a thread (`deliver`, `signals`).
    one_of("prctl", libc::SYS_prctl, 0, &[libc::PR_SET_NAME as u64]),
    any("rt_sigtimedwait", libc::SYS_rt_sigtimedwait),
    any("exit", libc::SYS_exit),
];

/// Delivery: TCP to webhooks and proxies, UDP to the DNS server (musl binds its socket).
/// `socket` only for IPv4 and IPv6; glibc's attempts at nscd (AF_UNIX) and netlink are
/// answered EACCES, which it handles.
pub(crate) const NETWORK: &[Allowed] = &[
    one_of(
        "socket",
        libc::SYS_socket,
        0,
        &[AF_INET, AF_INET6, AF_UNIX, AF_NETLINK],
    ),
    any("connect", libc::SYS_connect),
    any("bind", libc::SYS_bind),
    any("setsockopt", libc::SYS_setsockopt),
    // The result of a non-blocking connect (SO_ERROR).
    any("getsockopt", libc::SYS_getsockopt),
    any("getsockname", libc::SYS_getsockname),
    any("poll", libc::SYS_poll),
    any("sendto", libc::SYS_sendto),
    any("sendmmsg", libc::SYS_sendmmsg),
    // DNS over TCP, when the UDP answer came truncated (TC bit; issue 19): musl sends the
    // length and the query in one `sendmsg` (MSG_FASTOPEN), glibc both queries in one
    // `writev`.
    any("sendmsg", libc::SYS_sendmsg),
    any("writev", libc::SYS_writev),
    any("recvfrom", libc::SYS_recvfrom),
    any("recvmsg", libc::SYS_recvmsg),
    // glibc's resolver takes its default search domain from the hostname.
    any("uname", libc::SYS_uname),
];

/// The metrics textfile: its mode set whatever the umask, and renamed into place.
pub(crate) const TEXTFILE: &[Allowed] = &[
    any("fchmod", libc::SYS_fchmod),
    any("renameat", libc::SYS_renameat),
];

const SIGTERM: u64 = libc::SIGTERM as u64;
const SIGKILL: u64 = libc::SIGKILL as u64;

/// `WATCHDOG_PROC_ACTION=terminate` only (issue 24): a pidfd for a process, and SIGTERM
/// or SIGKILL through it (`pidfd_send_signal` leaves the kill list then). Never `kill`,
/// `tkill` or `tgkill`: `kill` and `tgkill` to another process stay on the kill list,
/// `tkill` on no list (EPERM).
pub(crate) const SIGNALS: &[Allowed] = &[
    any("pidfd_open", libc::SYS_pidfd_open),
    one_of(
        "pidfd_send_signal",
        libc::SYS_pidfd_send_signal,
        1,
        &[SIGTERM, SIGKILL],
    ),
];

/// Answered with an errno instead of allowed: the caller copes.
pub(crate) const REFUSED: &[(&str, i64, Args, i32)] = &[
    ("clone3", libc::SYS_clone3, Args::Any, libc::ENOSYS),
    (
        "socket",
        libc::SYS_socket,
        Args::OneOf {
            index: 0,
            values: &[AF_UNIX, AF_NETLINK],
        },
        libc::EACCES,
    ),
];

/// When a call on the kill list kills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kills {
    Always,
    /// When argument `index`, a pid, names any process but this one (a signal to itself,
    /// as `abort` sends, merely fails).
    OtherPid {
        index: u8,
    },
}

const fn always(name: &'static str, nr: i64) -> (&'static str, i64, Kills) {
    (name, nr, Kills::Always)
}

/// The calls that kill the process with SIGSYS instead of failing: what an attacker who
/// took over the process would make, and lingerwatch never does. Each is a way out of
/// the sandbox or into another process or the kernel, so a loud death is worth more than
/// a failure the caller may not expect. Everything else outside the allowlist fails with
/// `EPERM`.
pub(crate) const KILLED: &[(&str, i64, Kills)] = &[
    // Running other code.
    always("execve", libc::SYS_execve),
    always("execveat", libc::SYS_execveat),
    // Reaching into other processes: their memory, their fds, signals.
    always("ptrace", libc::SYS_ptrace),
    always("process_vm_readv", libc::SYS_process_vm_readv),
    always("process_vm_writev", libc::SYS_process_vm_writev),
    always("pidfd_getfd", libc::SYS_pidfd_getfd),
    always("pidfd_send_signal", libc::SYS_pidfd_send_signal),
    ("kill", libc::SYS_kill, Kills::OtherPid { index: 0 }),
    ("tgkill", libc::SYS_tgkill, Kills::OtherPid { index: 0 }),
    (
        "rt_sigqueueinfo",
        libc::SYS_rt_sigqueueinfo,
        Kills::OtherPid { index: 0 },
    ),
    (
        "rt_tgsigqueueinfo",
        libc::SYS_rt_tgsigqueueinfo,
        Kills::OtherPid { index: 0 },
    ),
    // Changing the kernel: programs, modules, another kernel, reboot.
    always("bpf", libc::SYS_bpf),
    always("init_module", libc::SYS_init_module),
    always("finit_module", libc::SYS_finit_module),
    always("delete_module", libc::SYS_delete_module),
    always("kexec_load", libc::SYS_kexec_load),
    always("kexec_file_load", libc::SYS_kexec_file_load),
    always("reboot", libc::SYS_reboot),
    // Mounts and namespaces: another view of the files Landlock guards.
    always("mount", libc::SYS_mount),
    always("umount2", libc::SYS_umount2),
    always("pivot_root", libc::SYS_pivot_root),
    always("chroot", libc::SYS_chroot),
    always("unshare", libc::SYS_unshare),
    always("setns", libc::SYS_setns),
    always("open_tree", libc::SYS_open_tree),
    always("move_mount", libc::SYS_move_mount),
    always("fsopen", libc::SYS_fsopen),
    always("fsmount", libc::SYS_fsmount),
    always("fspick", libc::SYS_fspick),
    always("mount_setattr", libc::SYS_mount_setattr),
    // Ways around seccomp itself (io_uring runs calls no filter sees) and the kernel's
    // favourite exploit primitives.
    always("io_uring_setup", libc::SYS_io_uring_setup),
    always("io_uring_enter", libc::SYS_io_uring_enter),
    always("io_uring_register", libc::SYS_io_uring_register),
    always("userfaultfd", libc::SYS_userfaultfd),
    always("perf_event_open", libc::SYS_perf_event_open),
    always("keyctl", libc::SYS_keyctl),
    always("add_key", libc::SYS_add_key),
    always("request_key", libc::SYS_request_key),
];
