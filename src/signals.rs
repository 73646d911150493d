//! SIGTERM and SIGINT as events, not default actions: blocked at start (before any thread
//! exists, so every thread inherits the mask) and waited for with `sigtimedwait`, which is
//! also the tick timer. This works as PID 1 of a container, where the kernel ignores
//! signals that have no handler. rustix has no supported signal API, hence libc.
#![allow(unsafe_code)] // The one place that needs it: libc's signal calls.

use core::mem::MaybeUninit;

/// The termination signals, blocked.
pub struct Termination {
    set: libc::sigset_t,
}

impl Termination {
    /// Blocks SIGTERM and SIGINT in the calling thread; call before spawning threads.
    pub fn block() -> std::io::Result<Self> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set it is given; sigaddset and
        // pthread_sigmask only read it afterwards; all pointers are to live locals.
        let set = unsafe {
            if libc::sigemptyset(set.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let mut set = set.assume_init();
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
            if rc != 0 {
                return Err(std::io::Error::from_raw_os_error(rc));
            }
            set
        };
        Ok(Termination { set })
    }

    /// Waits up to `timeout_ms` for SIGTERM or SIGINT; returns the signal's name if one
    /// came, `None` when the time ran out (or a stray interruption woke us: the caller
    /// recomputes its deadline either way).
    pub fn wait(&self, timeout_ms: u64) -> Option<&'static str> {
        // Clamped to a day, so it fits a 32-bit time_t too (intervals are at most a day).
        let ts = libc::timespec {
            tv_sec: (timeout_ms / 1000).min(86_400).try_into().unwrap_or(0),
            tv_nsec: (timeout_ms % 1000)
                .saturating_mul(1_000_000)
                .try_into()
                .unwrap_or(0),
        };
        // SAFETY: `self.set` is an initialised sigset_t; a null siginfo pointer is allowed;
        // `ts` lives across the call.
        let sig = unsafe { libc::sigtimedwait(&self.set, core::ptr::null_mut(), &ts) };
        match sig {
            libc::SIGTERM => Some("SIGTERM"),
            libc::SIGINT => Some("SIGINT"),
            _ => None,
        }
    }
}
