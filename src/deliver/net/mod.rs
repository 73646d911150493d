//! The webhook client. Pure parts, each fuzzable: what comes back ([`response`]), which
//! proxy ([`proxy`]), Basic credentials ([`basic_auth`]). I/O: [`http`] (the only code
//! that opens a socket), [`resolve`] (name lookup) and, with the `https` feature, [`tls`].

pub(crate) mod basic_auth;
pub mod error;
pub mod http;
pub mod proxy;
pub mod resolve;
pub mod response;
#[cfg(feature = "https")]
pub mod tls;

pub use error::{HttpError, TlsFailure};
pub use http::{post, Answer, Endpoint};
