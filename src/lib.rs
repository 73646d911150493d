//! lingerwatch: finds processes that match a pattern and have lived too long (first of
//! all orphaned `pytest` runs), and tells people through a webhook.
//!
//! The folders follow the data: [`proc`] reads `/proc` (rustix, fixed buffers), parses it
//! and scans it into records of what matched, with each match's launcher and usage;
//! [`alert`] says what lingers and records what each destination is owed; [`deliver`]
//! renders bodies and sends them (HTTP, proxies, TLS) to the webhooks; [`host`] is
//! lingerwatch's own life on the machine (log, heartbeat, metrics, memory limit, signals,
//! sandbox). [`text`] is underneath them all; [`config`] reads the settings, [`daemon`]
//! runs the loop and [`app`] the commands.

// Functions fit on a screen (clippy.toml: 60 lines); a longer one says why above it.
#![deny(clippy::too_many_lines)]
// The pure core (parsers, records, policy, the alert table and what is owed, renderers,
// text, URLs, the metrics and heartbeat records) builds without std: for a target with
// no OS (`scripts/check-no-std.sh` builds it for x86_64-unknown-none) every module that
// does I/O is left out below, so a `std::` or a system call that creeps into the core
// fails that build. Tables reserved once at start-up use `alloc`.
#![cfg_attr(target_os = "none", no_std)]
// Built alone, the core has crate-visible helpers that only the shell calls.
#![cfg_attr(target_os = "none", allow(dead_code))]

extern crate alloc;

/// Declares the modules of the tick path: nothing that `/proc`, a process or a webhook
/// hands us may panic them, so they are held to no indexing, no unwrap and no unchecked
/// arithmetic.
macro_rules! tick_path_modules {
    (#[cfg($when:meta)] $($name:ident),* $(,)?) => {
        $(
            #[cfg($when)]
            tick_path_modules!($name);
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            #[deny(
                clippy::indexing_slicing,
                clippy::unwrap_used,
                clippy::expect_used,
                clippy::panic,
                clippy::arithmetic_side_effects
            )]
            pub mod $name;
        )*
    };
}

tick_path_modules!(text, proc, alert);
pub mod deliver;
pub mod host;
// The shell around the core: settings from the environment, the loop, the commands.
#[cfg(not(target_os = "none"))]
pub mod app;
#[cfg(not(target_os = "none"))]
pub mod config;
#[cfg(not(target_os = "none"))]
pub mod daemon;
