//! A real SMTP server on a loopback port, in the test process
//! (`mailin-embedded`): it can be down (nothing listening), accept, answer
//! 4xx for a while, answer 550 to any recipient whose address starts
//! with `bounce`, and take its time before accepting a message. Shared by the `api` and `cli` test binaries, each using
//! part of it.
#![allow(dead_code)]

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{Handler, Response, Server, response};

/// A message as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) to: Vec<String>,
    pub(crate) data: Vec<u8>,
}

#[derive(Clone)]
struct Collect {
    received: Arc<Mutex<Vec<Received>>>,
    temp_fail: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collect {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.to.clear();
        self.data.clear();
        if self.temp_fail.load(Ordering::SeqCst) {
            return Response::custom(451, "4.3.0 try again later".into());
        }
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if to.trim_start_matches('<').starts_with("bounce") {
            return response::NO_MAILBOX;
        }
        self.to.push(to.to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        // The message is complete: it counts as received even if the
        // client goes away before the answer (a sender killed in flight).
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        self.received.lock().unwrap().push(Received {
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

pub(crate) struct Smtp {
    pub(crate) port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    temp_fail: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
}

impl Smtp {
    /// A port with nothing listening on it yet: the server is "down".
    pub(crate) fn down() -> Smtp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Smtp {
            port,
            received: Arc::default(),
            temp_fail: Arc::default(),
            delay_ms: Arc::default(),
        }
    }

    /// A server up and accepting.
    pub(crate) fn up() -> Smtp {
        let smtp = Smtp::down();
        smtp.start();
        smtp
    }

    /// Starts listening on the port (the server thread lives as long as the
    /// test process).
    pub(crate) fn start(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        let mut server = Server::new(Collect {
            received: self.received.clone(),
            temp_fail: self.temp_fail.clone(),
            delay_ms: self.delay_ms.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("smtp.test")
            .with_num_threads(4)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
    }

    /// Answer 451 to every MAIL FROM (or stop doing so).
    pub(crate) fn temp_fail(&self, on: bool) {
        self.temp_fail.store(on, Ordering::SeqCst);
    }

    /// Wait this long before accepting each message.
    pub(crate) fn delay(&self, delay: Duration) {
        self.delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (10 s at most).
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, got {}", self.received().len());
    }
}
