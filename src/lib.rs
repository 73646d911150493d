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

/// Declares the modules of the tick path: nothing that `/proc`, a process or a webhook
/// hands us may panic them, so they are held to no indexing, no unwrap and no unchecked
/// arithmetic.
macro_rules! tick_path_modules {
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
pub mod app;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod host;
