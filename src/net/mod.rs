//! The webhook client: pure parsers of what goes out and comes back ([`response`]), and
//! the one module that touches the network.

pub mod response;
pub mod basic_auth;
pub mod proxy;
