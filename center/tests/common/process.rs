//! The `mimamori-center` binary as an operator runs it: its commands and
//! the server as a real process on 127.0.0.1.
#![allow(dead_code)] // not every test binary uses every helper

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_mimamori-center");

/// Runs `mimamori-center --config CONFIG ARGS…` to its end.
pub(crate) fn center(config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Runs a command that must succeed; its standard output.
pub(crate) fn ok(config: &Path, args: &[&str]) -> String {
    let out = center(config, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `mimamori-center serve`, killed when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Server {
    /// Starts the server and waits until `url/healthz` answers.
    pub(crate) fn start(config: &Path, url: &str) -> Server {
        // Wrapped at once: the guard kills and waits on every path.
        let server = Server(
            Command::new(BIN)
                .arg("--config")
                .arg(config)
                .arg("serve")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if blocking_get_ok(&format!("{url}/healthz")) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the center did not answer on {url} within 20 s");
    }

    /// SIGKILL, as a power cut would.
    pub(crate) fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether a GET of `url` succeeds, for a test without an async runtime.
pub(crate) fn blocking_get_ok(url: &str) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
}
