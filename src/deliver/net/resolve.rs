//! Name lookup for [`super::http`]: `getaddrinfo` called directly (std's `ToSocketAddrs`
//! hides its error code), so the log can tell a name that does not exist from a resolver
//! that did not answer (issue 19). The name is looked up in lowercase, as it is shown
//! (musl's `/etc/hosts` lookup is case-sensitive). Bounded like every lookup: by the
//! resolver's own timeouts (resolv.conf). Allocates (the results), only while sending.
#![allow(unsafe_code)] // The one call that needs it: libc's getaddrinfo.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The longest name looked up: a DNS name (253) and its trailing dot.
const NAME_MAX: usize = 254;

/// Why a name gave no address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsFailure {
    /// The name does not exist (`EAI_NONAME`: NXDOMAIN, or in no hosts file).
    NoSuchName,
    /// The resolver did not answer or failed for now (`EAI_AGAIN`, a timeout).
    NoAnswer,
    /// The name exists but has no address (`EAI_NODATA`, or no IPv4/IPv6 result).
    NoAddress,
    /// Any other `getaddrinfo` error code.
    Other(i32),
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsFailure::NoSuchName => f.write_str("DNS: no such name"),
            DnsFailure::NoAnswer => {
                f.write_str("DNS lookup failed (the resolver did not answer; see resolv.conf)")
            }
            DnsFailure::NoAddress => f.write_str("DNS: the name has no address"),
            DnsFailure::Other(code) => write!(f, "DNS lookup failed (getaddrinfo error {code})"),
        }
    }
}

/// What a `getaddrinfo` error code means.
pub(crate) fn classify(code: i32) -> DnsFailure {
    match code {
        libc::EAI_NONAME => DnsFailure::NoSuchName,
        libc::EAI_AGAIN => DnsFailure::NoAnswer,
        // glibc's EAI_NODATA; musl reports it as EAI_NONAME.
        -5 => DnsFailure::NoAddress,
        code => DnsFailure::Other(code),
    }
}

/// `name` in lowercase, NUL-terminated, in `buf`; `None` when it does not fit.
fn lower_c_name<'b>(name: &str, buf: &'b mut [u8; NAME_MAX + 1]) -> Option<&'b core::ffi::CStr> {
    let len = name.len();
    if len > NAME_MAX {
        return None;
    }
    let dst = buf.get_mut(..len)?;
    dst.copy_from_slice(name.as_bytes());
    dst.make_ascii_lowercase();
    *buf.get_mut(len)? = 0;
    core::ffi::CStr::from_bytes_with_nul(buf.get(..=len)?).ok()
}

/// The TCP addresses of `name` (any case), with `port`.
pub(crate) fn lookup(name: &str, port: u16) -> Result<Vec<SocketAddr>, DnsFailure> {
    let mut buf = [0u8; NAME_MAX + 1];
    let c_name = lower_c_name(name, &mut buf).ok_or(DnsFailure::NoSuchName)?;
    // SAFETY: an all-zero addrinfo is a valid "no hints" value; the fields set are plain
    // integers.
    let mut hints: libc::addrinfo = unsafe { core::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = core::ptr::null_mut();
    // SAFETY: `c_name` is NUL-terminated and lives across the call; `hints` is
    // initialised; `list` receives a list freed below with freeaddrinfo.
    let rc = unsafe { libc::getaddrinfo(c_name.as_ptr(), core::ptr::null(), &hints, &mut list) };
    if rc != 0 {
        return Err(classify(rc));
    }
    let mut addrs = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: `node` is a non-null entry of the list getaddrinfo returned, not yet
        // freed; its ai_addr points to ai_addrlen bytes of the family it names.
        let ai = unsafe { &*node };
        if let Some(addr) = unsafe { socket_addr(ai, port) } {
            addrs.push(addr);
        }
        node = ai.ai_next;
    }
    // SAFETY: `list` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    if addrs.is_empty() {
        return Err(DnsFailure::NoAddress);
    }
    Ok(addrs)
}

/// The address of one result, with `port`.
///
/// # Safety
/// `ai.ai_addr` must be null or point to `ai.ai_addrlen` readable bytes.
unsafe fn socket_addr(ai: &libc::addrinfo, port: u16) -> Option<SocketAddr> {
    if ai.ai_addr.is_null() {
        return None;
    }
    let len = usize::try_from(ai.ai_addrlen).ok()?;
    match ai.ai_family {
        libc::AF_INET if len >= core::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the caller's promise, and the length checked for this family.
            let sin = unsafe { core::ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        libc::AF_INET6 if len >= core::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for an IPv6 address.
            let sin6 =
                unsafe { core::ptr::read_unaligned(ai.ai_addr.cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, sin6.sin6_scope_id)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_looked_up_in_lowercase() {
        let mut buf = [0u8; NAME_MAX + 1];
        assert_eq!(lower_c_name("LOCALHOST.", &mut buf).unwrap(), c"localhost.");
        let long = "a".repeat(NAME_MAX + 1);
        assert!(lower_c_name(&long, &mut buf).is_none());
    }

    #[test]
    fn an_upper_case_name_resolves_as_its_lowercase() {
        let addrs = lookup("LocalHost", 80).unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80), "{addrs:?}");
    }

    #[test]
    fn error_codes_are_told_apart() {
        assert_eq!(classify(libc::EAI_NONAME), DnsFailure::NoSuchName);
        assert_eq!(classify(libc::EAI_AGAIN), DnsFailure::NoAnswer);
        assert_eq!(classify(libc::EAI_FAIL), DnsFailure::Other(libc::EAI_FAIL));
        assert_eq!(DnsFailure::NoSuchName.to_string(), "DNS: no such name");
    }
}
