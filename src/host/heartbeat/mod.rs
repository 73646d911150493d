//! The heartbeat: a fixed-size [`record`] stamped after each tick into a [`file`] that
//! `lingerwatch health` reads, so a `FROM scratch` image can have a HEALTHCHECK without a
//! shell.

pub mod record;
#[cfg(not(target_os = "none"))]
pub mod file;

#[cfg(not(target_os = "none"))]
pub use file::{read, FileError};
#[cfg(not(target_os = "none"))]
pub(crate) use file::{open_regular_at, Heartbeat};
