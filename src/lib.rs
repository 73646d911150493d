//! lingerwatch: finds processes that match a pattern and have lived too long (first of
//! all orphaned `pytest` runs), and tells people through a webhook.
//!
//! The modules below are listed in the order data flows: text and log lines underneath
//! everything; configuration; `/proc` bytes through [`sys`] (rustix, fixed buffers) and
//! [`parse`] (pure) into a [`scan`] report, which [`lineage`] completes with each match's
//! launcher; [`policy`] says what lingers; the [`alert`]
//! table decides and records what each destination is owed ([`outbox`]); [`render`] makes
//! bodies that [`courier`] threads send through [`deliver`] and [`net`] (HTTP, proxies,
//! TLS) to destinations parsed by [`url`]; [`metrics`] go to a [`textfile`] for
//! node_exporter; [`health`] and [`heartbeat`]
//! stamp each tick; [`sandbox`] locks the process in after start-up; [`daemon`] runs the
//! loop and [`app`] the commands.

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

tick_path_modules!(text);
pub mod log;
tick_path_modules!(url);
pub mod config;
tick_path_modules!(
    parse, sys, scan, lineage, policy, memory, warnings, outbox, alert, render, report, metrics,
    net
);
pub mod courier;
pub mod deliver;
tick_path_modules!(health, heartbeat);
tick_path_modules!(usage);
pub mod app;
pub mod daemon;
pub mod sandbox;
pub mod signals;
pub mod textfile;
