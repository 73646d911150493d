//! lingerwatch: finds processes that match a pattern and have lived too long (first of all
//! orphaned `pytest` runs), and tells people through a webhook.
//!
//! Data flows one way: `/proc` bytes → [`sys`] (rustix, fixed buffers) → [`parse`] (pure)
//! → [`scan`] result → [`alert`] state machine → [`outbox`] → [`render`] → [`deliver`].

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

tick_path_modules!(alert, heartbeat, outbox, parse, render, report, scan, sys, text, url, net);

pub mod app;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod signals;
