//! The center and the box as real processes on 127.0.0.1, for scenarios
//! that stop, kill and restart them, and the card dock (`simcard dock`).
#![allow(dead_code)] // not every test binary uses every helper

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `mimamori-center` binary, built next to `mimamorid` (cargo builds
/// it for the workspace's tests; when only this crate's tests are built, it
/// is built here once).
pub(crate) fn center_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| workspace_binary("mimamori-center", "mimamori-center"))
        .clone()
}

/// The `simcard` binary of `mimamori-hw-tests` (the card dock), found or
/// built like [`center_binary`].
pub(crate) fn simcard_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| workspace_binary("mimamori-hw-tests", "simcard"))
        .clone()
}

/// Builds `bin` of `package` (quick when it is up to date) and returns its
/// path beside `mimamorid`.
fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let beside = Path::new(env!("CARGO_BIN_EXE_mimamorid")).with_file_name(bin);
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|e| panic!("running cargo build for {bin}: {e}"));
    assert!(status.success(), "building {bin} failed");
    assert!(beside.exists(), "{} after the build", beside.display());
    beside
}

/// A free port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (SIGKILL) when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Process {
    /// SIGKILL, as a power cut would.
    pub(crate) fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM, and waits for a clean exit.
    pub(crate) fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.0.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "no exit 10 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(self.0.wait().unwrap().success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the center on `port` with its data in `dir/center` (set up by
/// `center_with_household`) and waits until it answers.
pub(crate) async fn start_center(dir: &Path, port: u16) -> Process {
    start_center_with(dir, port, "").await
}

/// [`start_center`] with `extra` after its `[http]` section (`[mail]`, …).
pub(crate) async fn start_center_with(dir: &Path, port: u16, extra: &str) -> Process {
    let config = dir.join("center.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"center\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n{extra}"),
    )
    .unwrap();
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("center.log"))
        .unwrap();
    let child = Command::new(center_binary())
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = Process(child);
    wait_until("the center answers", Duration::from_secs(20), || async {
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    process
}

/// Runs `mimamori-center admin …` (`args` after `admin`) against the
/// configuration [`start_center`] wrote in `dir`; its output.
pub(crate) fn center_admin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(center_binary())
        .arg("--config")
        .arg(dir.join("center.toml"))
        .arg("admin")
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "admin {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `mimamorid run` with a virtual TV on `tv_port` (cards from its
/// buttons, no reader), data in `dir/box`, syncing every second and
/// retrying within a second; `extra` goes in `[sync]`.
pub(crate) fn start_box(
    dir: &Path,
    center_port: u16,
    token: &str,
    tv_port: u16,
    extra: &str,
) -> Process {
    let extra = format!("{extra}[card]\nreader = \"none\"\n");
    start_box_with(dir, center_port, token, tv_port, "", &extra)
}

/// [`start_box`] with more keys in `[display]` (`card_dock = …`), and
/// `extra` after `[sync]`'s keys (more of them, then other sections); the
/// card reader is the default one unless `extra` has a `[card]` section.
pub(crate) fn start_box_with(
    dir: &Path,
    center_port: u16,
    token: &str,
    tv_port: u16,
    display: &str,
    extra: &str,
) -> Process {
    let config = dir.join("box.toml");
    std::fs::write(
        &config,
        format!(
            "device_id = \"box-0001\"\ncenter_url = \"http://127.0.0.1:{center_port}\"\n\
             token = \"{token}\"\ndata_dir = \"box\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"640x360\"\n{display}\
             [input]\ndevices = \"none\"\n\
             [sync]\ninterval_s = 1\nretry_first_s = 0.2\nretry_max_s = 1\n{extra}"
        ),
    )
    .unwrap();
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("box.log"))
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mimamorid"))
        .args(["run", "--config"])
        .arg(&config)
        .stderr(log)
        .spawn()
        .unwrap();
    Process(child)
}

/// Waits for `check`, failing with `what` after `limit`.
pub(crate) async fn wait_until<F, Fut>(what: &str, limit: Duration, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Events waiting in the box's outbox (read without writing).
pub(crate) fn box_pending(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("box/box.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))
        .unwrap()
}

/// The virtual TV's state (`screen`, `cards`, …).
pub(crate) async fn tv_state(tv_port: u16) -> serde_json::Value {
    crate::common::tv::state(&format!("http://127.0.0.1:{tv_port}")).await
}

/// Presses a button on the virtual TV page (`/key/ok`, `/card/insert/…`).
pub(crate) async fn tv_post(tv_port: u16, path: &str) {
    crate::common::tv::post(&format!("http://127.0.0.1:{tv_port}"), path).await;
}

/// Inserts 山田 花子's card and answers with OK until 記録しました.
pub(crate) async fn check_in_on_the_tv(tv_port: u16) {
    wait_until("her card on the page", Duration::from_secs(30), || async {
        tv_state(tv_port).await["cards"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    })
    .await;
    tv_post(tv_port, "/card/insert/04A1B2C3").await;
    wait_until("the greeting", Duration::from_secs(10), || async {
        tv_state(tv_port).await["screen"] != "Standby"
    })
    .await;
    for _ in 0..12 {
        if tv_state(tv_port).await["screen"] == "Done" {
            break;
        }
        tv_post(tv_port, "/key/ok").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_until("記録しました", Duration::from_secs(10), || async {
        tv_state(tv_port).await["screen"] == "Done"
    })
    .await;
    tv_post(tv_port, "/card/remove").await;
}
