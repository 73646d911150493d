//! TLS for https webhooks (feature `https`): rustls on *ring* (aws-lc would not fit the
//! static musl build's size, nor build with musl-gcc), trusting the Mozilla roots compiled
//! in (webpki-roots, so a `FROM scratch` image needs no CA files) and, in addition, the
//! certificates of an optional PEM file (a private CA, or a proxy that inspects TLS).
//!
//! The configuration is built once, at start-up, and shared by every request.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};

use super::error::{HttpError, TlsFailure};
use crate::deliver::url::{Host, HostKind};

/// The roots a client trusts; cheap to clone.
#[derive(Clone)]
pub struct TlsConfig(Arc<ClientConfig>);

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConfig")
    }
}

/// Why the TLS configuration could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsSetupError {
    /// The CA file could not be read.
    Read(io::ErrorKind),
    /// The CA file is not a regular file (a FIFO, a directory, a device such as
    /// `/dev/zero`): refused before a read that could block or never end.
    NotRegular,
    /// The CA file is larger than [`CA_FILE_CAP`].
    TooLarge,
    /// The CA file holds no `CERTIFICATE` block.
    NoCertificate,
    /// A PEM block is malformed.
    BadPem,
    /// A certificate is not one rustls can use as a root.
    BadCertificate,
    /// rustls refused the protocol versions (cannot happen with *ring*).
    Protocols,
}

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsSetupError::Read(kind) => write!(f, "cannot read the CA file: {kind}"),
            TlsSetupError::NotRegular => f.write_str(
                "the CA file is not a regular file (a FIFO, directory or device); give a PEM file",
            ),
            TlsSetupError::TooLarge => write!(
                f,
                "the CA file is larger than {} MiB, more than any CA bundle (about 200 KiB); give the PEM file of the CAs to trust",
                CA_FILE_CAP >> 20
            ),
            TlsSetupError::NoCertificate => {
                f.write_str("the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            TlsSetupError::BadPem => f.write_str("the CA file is not valid PEM"),
            TlsSetupError::BadCertificate => {
                f.write_str("a certificate in the CA file cannot be used as a trust anchor")
            }
            TlsSetupError::Protocols => f.write_str("TLS 1.2 and 1.3 are not available"),
        }
    }
}

impl std::error::Error for TlsSetupError {}

impl TlsConfig {
    /// The bundled roots, plus every certificate of `ca_file` when given.
    pub fn new(ca_file: Option<&Path>) -> Result<TlsConfig, TlsSetupError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            add_pem_file(&mut roots, path)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| TlsSetupError::Protocols)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConfig(Arc::new(config)))
    }

    /// The bundled roots only, built on first use, for endpoints given no configuration.
    pub(crate) fn bundled() -> Result<TlsConfig, TlsSetupError> {
        static BUNDLED: OnceLock<Result<TlsConfig, TlsSetupError>> = OnceLock::new();
        BUNDLED.get_or_init(|| TlsConfig::new(None)).clone()
    }

    /// A client session for `host`; IP literals are verified against IP SANs.
    pub(crate) fn client_for(&self, host: &Host<'_>) -> Result<ClientConnection, HttpError> {
        let name: ServerName<'static> = match host.kind {
            HostKind::V4(ip) => ServerName::IpAddress(IpAddr::V4(ip).into()),
            HostKind::V6(ip) => ServerName::IpAddress(IpAddr::V6(ip).into()),
            // SNI carries no trailing dot (RFC 6066 3).
            HostKind::Name => ServerName::try_from(host.name_without_dot().to_ascii_lowercase())
                .map_err(|_| HttpError::Tls(TlsFailure::BadServerName))?,
        };
        ClientConnection::new(Arc::clone(&self.0), name)
            .map_err(|e| HttpError::Tls(classify(&e)))
    }
}

/// The most a CA file may hold: the whole Mozilla bundle is about 200 KiB.
pub const CA_FILE_CAP: usize = 1 << 20;

/// The CA file's bytes: a regular file (opened without blocking, so a FIFO cannot stall
/// start-up), read up to [`CA_FILE_CAP`].
fn read_ca_file(path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    use rustix::fs::{FileType, Mode, OFlags, CWD};
    let read_error = |e: rustix::io::Errno| TlsSetupError::Read(io::Error::from(e).kind());
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(read_error)?;
    let st = rustix::fs::fstat(&fd).map_err(read_error)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(TlsSetupError::NotRegular);
    }
    if u64::try_from(st.st_size).map_or(true, |n| n > CA_FILE_CAP as u64) {
        return Err(TlsSetupError::TooLarge);
    }
    let mut pem = Vec::new();
    // One byte past the cap tells a file that grew since fstat.
    let limit = (CA_FILE_CAP as u64).saturating_add(1);
    io::Read::read_to_end(&mut io::Read::take(std::fs::File::from(fd), limit), &mut pem)
        .map_err(|e| TlsSetupError::Read(e.kind()))?;
    if pem.len() > CA_FILE_CAP {
        return Err(TlsSetupError::TooLarge);
    }
    Ok(pem)
}

fn add_pem_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsSetupError> {
    let pem = read_ca_file(path)?;
    let mut added = 0usize;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| TlsSetupError::BadPem)?;
        roots
            .add(cert)
            .map_err(|_| TlsSetupError::BadCertificate)?;
        added = added.saturating_add(1);
    }
    if added == 0 {
        return Err(TlsSetupError::NoCertificate);
    }
    Ok(())
}

/// What a rustls error means for the user.
pub(crate) fn classify(e: &rustls::Error) -> TlsFailure {
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => TlsFailure::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::NotValidForName
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsFailure::Expired
            }
            _ => TlsFailure::BadCertificate,
        },
        _ => TlsFailure::Handshake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ca_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(contents).unwrap();
        f
    }

    #[test]
    fn the_bundled_roots_build_without_a_ca_file() {
        assert!(TlsConfig::new(None).is_ok());
        assert!(TlsConfig::bundled().is_ok());
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let key_only = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBX5kTqGlwzsRAfGX6DJbN3bYt0u5j3QZp5bbi2XZ0Xl\n-----END PRIVATE KEY-----\n";
        for contents in [&b""[..], b"not pem at all\n", key_only] {
            let f = ca_file(contents);
            assert_eq!(
                TlsConfig::new(Some(f.path())).map(|_| ()),
                Err(TlsSetupError::NoCertificate)
            );
        }
        let missing = Path::new("/nonexistent/lingerwatch-ca.pem");
        assert_eq!(
            TlsConfig::new(Some(missing)).map(|_| ()),
            Err(TlsSetupError::Read(io::ErrorKind::NotFound))
        );
    }

    #[test]
    fn a_certificate_block_that_is_not_a_certificate_is_refused() {
        let f = ca_file(b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n");
        assert_eq!(
            TlsConfig::new(Some(f.path())).map(|_| ()),
            Err(TlsSetupError::BadCertificate)
        );
    }

    #[test]
    fn certificate_errors_are_classified() {
        use rustls::pki_types::UnixTime;
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1));
        let table = [
            (CertificateError::UnknownIssuer, TlsFailure::UnknownIssuer),
            (CertificateError::NotValidForName, TlsFailure::NotValidForName),
            (CertificateError::Expired, TlsFailure::Expired),
            (
                CertificateError::ExpiredContext {
                    time: t,
                    not_after: t,
                },
                TlsFailure::Expired,
            ),
            (CertificateError::NotValidYet, TlsFailure::BadCertificate),
            (CertificateError::BadSignature, TlsFailure::BadCertificate),
        ];
        for (cert, want) in table {
            assert_eq!(classify(&rustls::Error::InvalidCertificate(cert)), want);
        }
        assert_eq!(
            classify(&rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            TlsFailure::Handshake
        );
    }

    #[test]
    fn ip_hosts_and_names_become_server_names() {
        let tls = TlsConfig::new(None).unwrap();
        for host in [
            Host { text: "127.0.0.1", kind: HostKind::V4(std::net::Ipv4Addr::LOCALHOST) },
            Host { text: "::1", kind: HostKind::V6(std::net::Ipv6Addr::LOCALHOST) },
            Host { text: "Hooks.Slack.com.", kind: HostKind::Name },
        ] {
            assert!(tls.client_for(&host).is_ok(), "{host:?}");
        }
    }
}
