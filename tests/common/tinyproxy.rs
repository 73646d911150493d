//! Debian's tinyproxy, run by the test (never its system service): a config in a temp
//! dir, `Listen 127.0.0.1` on a free port, its log in the temp dir, killed by pid.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tinyproxy {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy allowing CONNECT to `connect_ports`, requiring `user:pass` Basic
    /// credentials when given.
    pub fn start(connect_ports: &[u16], basic_auth: Option<(&str, &str)>) -> Tinyproxy {
        // The port is found free and then handed over, so another process may take it
        // in between: try again a few times.
        for _ in 0..5 {
            if let Some(p) = Tinyproxy::try_start(connect_ports, basic_auth) {
                return p;
            }
        }
        panic!("tinyproxy did not start");
    }

    fn try_start(connect_ports: &[u16], basic_auth: Option<(&str, &str)>) -> Option<Tinyproxy> {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\nMaxClients 32\nAllow 127.0.0.1\n",
            log.display()
        );
        for p in connect_ports {
            conf.push_str(&format!("ConnectPort {p}\n"));
        }
        if let Some((user, pass)) = basic_auth {
            conf.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        // -d: stay in the foreground, so the pid is tinyproxy's own.
        let mut child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("tinyproxy: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Tinyproxy {
                    child,
                    port,
                    log,
                    _dir: dir,
                });
            }
            if child.try_wait().unwrap().is_some() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::common::kill(child.id());
        let _ = child.wait();
        None
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log holds `what` (tinyproxy writes it after answering).
    pub fn wait_for_log(&self, what: &str) -> String {
        crate::common::wait_until(
            10,
            &format!("{what:?} in tinyproxy's log"),
            || Some(self.log()).filter(|log| log.contains(what)),
            || self.log(),
        )
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        crate::common::kill(self.child.id());
        let _ = self.child.wait();
    }
}
