//! lingerwatch: finds processes that match a pattern and have lived too long (first of all
//! orphaned `pytest` runs), and tells people through a webhook.
//!
//! Data flows one way: `/proc` bytes → [`sys`] (rustix, fixed buffers) → [`parse`] (pure)
//! → [`scan`] result → alert state machine → render → deliver.

pub mod alert;
pub mod app;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod heartbeat;
pub mod outbox;
pub mod render;
pub mod signals;

// The scan path: nothing that `/proc` or a process hands us may panic it, so these
// modules are held to no indexing, no unwrap and no unchecked arithmetic.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
pub mod parse;
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
pub mod report;
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
pub mod scan;
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
pub mod sys;
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
pub mod text;
