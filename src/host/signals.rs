//! Signals as events, not default actions: blocked at start (before any thread exists,
//! so every thread inherits the mask) and taken one at a time with `sigwaitinfo` by a
//! thread of their own, so they are answered whatever the other threads are doing (a
//! scan blocked on a read, a request that hangs). This also works as PID 1 of a
//! container, where the kernel ignores signals that have no handler. rustix has no
//! supported signal API, hence libc.
// unsafe is denied crate-wide; libc's signal calls need it here (the other modules that
// allow it: net::resolve for getaddrinfo, the sandbox's test probes, and
// text::heap_table, which builds a table in zeroed memory).
#![allow(unsafe_code)]

use core::mem::MaybeUninit;

/// The signals the daemon answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Int,
    Quit,
    Hup,
    Usr1,
    Usr2,
    Alrm,
}

const HANDLED: [(libc::c_int, Signal); 7] = [
    (libc::SIGTERM, Signal::Term),
    (libc::SIGINT, Signal::Int),
    (libc::SIGQUIT, Signal::Quit),
    (libc::SIGHUP, Signal::Hup),
    (libc::SIGUSR1, Signal::Usr1),
    (libc::SIGUSR2, Signal::Usr2),
    (libc::SIGALRM, Signal::Alrm),
];

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Int => "SIGINT",
            Signal::Quit => "SIGQUIT",
            Signal::Hup => "SIGHUP",
            Signal::Usr1 => "SIGUSR1",
            Signal::Usr2 => "SIGUSR2",
            Signal::Alrm => "SIGALRM",
        }
    }

    /// Whether it asks the daemon to stop.
    pub fn stops(self) -> bool {
        matches!(
            self,
            Signal::Term | Signal::Int | Signal::Quit | Signal::Hup
        )
    }
}

/// The handled signals, blocked in this thread and every thread it starts afterwards.
#[derive(Clone, Copy)]
pub struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    /// Blocks every handled signal in the calling thread; call before spawning threads.
    pub fn block() -> std::io::Result<Self> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set it is given; sigaddset and
        // pthread_sigmask only read and write that initialised set; all pointers are to
        // live locals.
        let set = unsafe {
            if libc::sigemptyset(set.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let mut set = set.assume_init();
            for (sig, _) in HANDLED {
                libc::sigaddset(&mut set, sig);
            }
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
            if rc != 0 {
                return Err(std::io::Error::from_raw_os_error(rc));
            }
            set
        };
        Ok(Signals { set })
    }

    /// Waits for the next handled signal.
    pub fn next(&self) -> Signal {
        loop {
            // SAFETY: `self.set` is an initialised sigset_t; a null siginfo pointer is
            // allowed.
            let sig = unsafe { libc::sigwaitinfo(&self.set, core::ptr::null_mut()) };
            if let Some(&(_, s)) = HANDLED.iter().find(|(n, _)| *n == sig) {
                return s;
            }
            // -1 with EINTR (a signal outside the set): wait again.
        }
    }

    /// Waits at most `ms` milliseconds for the next handled signal; `None` when none came.
    pub fn next_within(&self, ms: u32) -> Option<Signal> {
        let timeout = libc::timespec {
            // At most 999,000,000 ns: fits the u32 it is computed in.
            tv_sec: (ms / 1000).into(),
            tv_nsec: ((ms % 1000).saturating_mul(1_000_000)).into(),
        };
        // SAFETY: `self.set` is an initialised sigset_t, `timeout` a live local; a null
        // siginfo pointer is allowed.
        let sig = unsafe { libc::sigtimedwait(&self.set, core::ptr::null_mut(), &timeout) };
        // -1: EAGAIN (the time is up) or EINTR; the caller asks again.
        HANDLED.iter().find(|(n, _)| *n == sig).map(|&(_, s)| s)
    }
}
