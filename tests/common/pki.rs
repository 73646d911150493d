//! A throwaway CA and server certificates, made with the `openssl` CLI in a temp dir for
//! one test (nothing generated is ever committed).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The CA certificate, PEM: what the client is told to trust.
    pub ca: PathBuf,
    ca_key: PathBuf,
}

/// A server certificate and its key.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EC_KEY: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut args = vec![
            "req", "-x509", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        ];
        args.extend(EC_KEY);
        args.extend([
            "-days",
            "30",
            "-subj",
            "/CN=lingerwatch test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &args);
        Pki {
            ca: d.join("ca.pem"),
            ca_key: d.join("ca.key"),
            dir,
        }
    }

    /// A server certificate signed by the CA for `sans` (e.g. `DNS:localhost,IP:127.0.0.1`),
    /// valid for 30 days from now, or over since 2020 when `expired`.
    pub fn leaf(&self, name: &str, sans: &str, expired: bool) -> Leaf {
        let d = self.dir.path();
        let (key, csr, cert, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext"),
        );
        let mut args = vec!["req", "-new", "-nodes", "-keyout", &key, "-out", &csr];
        args.extend(EC_KEY);
        args.extend(["-subj", "/CN=lingerwatch test server"]);
        openssl(d, &args);
        std::fs::write(
            d.join(&ext),
            format!("subjectAltName={sans}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n"),
        )
        .unwrap();
        let ca = self.ca.to_str().unwrap();
        let ca_key = self.ca_key.to_str().unwrap();
        if expired {
            // `openssl x509 -req` (3.0) cannot date a certificate in the past; `openssl ca`
            // can, with a minimal database of its own.
            let conf = format!("{name}.cnf");
            std::fs::write(
                d.join(&conf),
                format!("[ca]\ndefault_ca=d\n[d]\ndatabase={name}.index\nnew_certs_dir=.\nserial={name}.serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n"),
            )
            .unwrap();
            std::fs::write(d.join(format!("{name}.index")), "").unwrap();
            std::fs::write(d.join(format!("{name}.serial")), "1000\n").unwrap();
            openssl(
                d,
                &[
                    "ca",
                    "-batch",
                    "-notext",
                    "-config",
                    &conf,
                    "-cert",
                    ca,
                    "-keyfile",
                    ca_key,
                    "-in",
                    &csr,
                    "-out",
                    &cert,
                    "-extfile",
                    &ext,
                    "-startdate",
                    "20200101000000Z",
                    "-enddate",
                    "20200201000000Z",
                ],
            );
        } else {
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    ca,
                    "-CAkey",
                    ca_key,
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-extfile",
                    &ext,
                    "-out",
                    &cert,
                ],
            );
        }
        Leaf {
            cert: d.join(cert),
            key: d.join(key),
        }
    }
}
