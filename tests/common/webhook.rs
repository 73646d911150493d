//! A real HTTP webhook receiver on 127.0.0.1, run by the test: it records every request
//! body and answers as the test scripts it (a status, or never).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Read the request, then never answer (the connection stays open).
    Never,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub body: String,
    pub answered: Answer,
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    requests: Vec<Request>,
    held: Vec<TcpStream>,
}

pub struct Webhook {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Webhook {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut w = Webhook {
            port,
            state: Arc::default(),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        w.serve(listener);
        w
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let state = Arc::clone(&self.state);
        let stop = Arc::clone(&self.stop);
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => handle(conn, &state),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// The next answers, in order; after them, 200.
    pub fn script(&self, answers: &[Answer]) {
        self.state
            .lock()
            .unwrap()
            .script
            .extend(answers.iter().copied());
    }

    /// Stops listening: connections are refused until `restart`.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.stop.store(false, Ordering::Relaxed);
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.serve(listener);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Bodies that were answered 2xx, parsed.
    pub fn delivered(&self) -> Vec<serde_json::Value> {
        self.requests()
            .iter()
            .filter(|r| matches!(r.answered, Answer::Status(200..=299)))
            .map(|r| serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body)))
            .collect()
    }

    /// Waits until `pred` holds for the delivered bodies, or panics after `secs`.
    pub fn wait_for(
        &self,
        secs: u64,
        what: &str,
        pred: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        crate::common::wait_until(
            secs,
            what,
            || Some(self.delivered()).filter(|d| pred(d)),
            || format!("delivered: {:#?}", self.delivered()),
        )
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle(mut conn: TcpStream, state: &Arc<Mutex<State>>) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let mut st = state.lock().unwrap();
    let answer = st.script.pop_front().unwrap_or(Answer::Status(200));
    st.requests.push(Request {
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: answer,
    });
    match answer {
        Answer::Status(code) => {
            let _ = write!(
                conn,
                "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
        Answer::Never => st.held.push(conn),
    }
}

/// A delivered JSON body's `status` ("firing", "reminder", "resolved", "terminated").
pub fn status_of(v: &serde_json::Value) -> &str {
    v["status"].as_str().unwrap_or("")
}
