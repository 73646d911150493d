//! Delivery: bodies rendered for each destination's format ([`render`]) go out through
//! a thread per destination ([`courier`]) and one send at a time ([`send`]) with the HTTP
//! client ([`net`]) to the webhooks parsed by [`url`].

tick_path_modules!(render, url);
tick_path_modules!(
    #[cfg(not(target_os = "none"))]
    net
);
#[cfg(not(target_os = "none"))]
pub mod courier;
#[cfg(not(target_os = "none"))]
pub mod send;

#[cfg(not(target_os = "none"))]
pub use send::{endpoint, send, Attempt, Target};
