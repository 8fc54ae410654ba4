//! The box's own targets, measured on the release `mimamorid` as a process
//! against a center on 127.0.0.1:
//!
//! * start to first frame (a 1920×1080 XRGB8888 file-backed framebuffer):
//!   from `exec` to `READY=1` on the notification socket, which the daemon
//!   sends once the first frame is written — target ≤ 1 s;
//! * idle: resident memory and CPU time over a quiet period with the
//!   center online — target ≤ 30 MB, and no busy loop;
//! * a check-in from the last key press (記録する on the confirm screen)
//!   to committed in the box's SQLite outbox (`synchronous=FULL`) —
//!   target ≤ 50 ms; measured from the key's arrival in the daemon's loop
//!   (its log) and from the HTTP key press on the virtual TV page.
//!
//! ```sh
//! cargo bench -p mimamori-daemon --bench box
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::BufRead as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mimamori_center::clock::ManualClock;

const BIN: &str = env!("CARGO_BIN_EXE_mimamorid");
const STARTS: usize = 7;
const CHECK_INS: usize = 10;
const IDLE: Duration = Duration::from_secs(20);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

struct Box {
    child: Child,
    log: mpsc::Receiver<(Instant, String)>,
}

/// The `Environment=` settings of the systemd unit the box runs under.
fn unit_environment() -> Vec<(String, String)> {
    let unit = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/box/mimamori-box.service"
    );
    std::fs::read_to_string(unit)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Box {
    fn start(config: &Path, notify: Option<&Path>, env: &[(String, String)]) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stderr(Stdio::piped());
        if let Some(socket) = notify {
            command.env("NOTIFY_SOCKET", socket);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Self { child, log }
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap();
    }

    fn wait_log(&self, what: &str, limit: Duration) -> (Instant, String) {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self
                .log
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no `{what}` in the box's log within {limit:?}"));
            if line.contains(what) {
                return (at, line);
            }
        }
    }

    /// (utime + stime in ms, VmRSS in kB, VmHWM in kB)
    fn usage(&self) -> (f64, u64, u64) {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        let hz = 100.0; // USER_HZ on Linux
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kb = |key: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (ticks * 1000.0 / hz, kb("VmRSS:"), kb("VmHWM:"))
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn write_config(dir: &Path, center: &str, token: &str, display: &str) -> PathBuf {
    let path = dir.join("box.toml");
    std::fs::write(
        &path,
        format!(
            "device_id = \"box-0001\"\ncenter_url = \"{center}\"\ntoken = \"{token}\"\n\
             data_dir = \"data\"\n{display}\n[input]\ndevices = \"none\"\n"
        ),
    )
    .unwrap();
    path
}

async fn bench() {
    let tmp = tempfile::tempdir().unwrap();
    #[allow(clippy::disallowed_methods)] // the box reads the real clock; so does this center
    let now = jiff::Timestamp::now();
    let (center_config, token, _) = common::center_with_household(tmp.path(), now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let center = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mimamori_center::server::serve(
        center_config,
        Arc::new(ManualClock::new(now)),
        listener,
        std::future::pending(),
    ));
    println!("mimamorid (release) against a center on {center}");

    // A 1920x1080 XRGB8888 framebuffer in a file, with its sysfs attributes.
    let fb_dir = tmp.path().join("fb");
    let sysfs = fb_dir.join("sysfs");
    std::fs::create_dir_all(&sysfs).unwrap();
    std::fs::write(sysfs.join("virtual_size"), "1920,1080\n").unwrap();
    std::fs::write(sysfs.join("bits_per_pixel"), "32\n").unwrap();
    std::fs::write(sysfs.join("stride"), "7680\n").unwrap();
    let fb = fb_dir.join("fb0");
    std::fs::write(&fb, vec![0u8; 7680 * 1080]).unwrap();
    let dir = tmp.path().join("fbdev-box");
    std::fs::create_dir_all(&dir).unwrap();
    let config = write_config(
        &dir,
        &center,
        &token,
        &format!(
            "[display]\nbackend = \"fbdev\"\nframebuffer = \"{}\"\nsysfs = \"{}\"",
            fb.display(),
            sysfs.display()
        ),
    );
    let notify_path = dir.join("notify");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();

    // Start to first frame, as systemd starts the box.
    let unit_env = unit_environment();
    let shown: Vec<String> = unit_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("the unit's environment: {}", shown.join(" "));
    let mut starts = Vec::new();
    let mut last = None;
    for run in 0..STARTS {
        let started = Instant::now();
        let the_box = Box::start(&config, Some(&notify_path), &unit_env);
        let mut buf = [0u8; 256];
        loop {
            let n = notify.recv(&mut buf).expect("READY=1 within 30 s");
            if &buf[..n] == b"READY=1" {
                break;
            }
        }
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        if run + 1 == STARTS {
            last = Some(the_box);
        } else {
            the_box.stop();
        }
    }
    let max_start = starts.iter().copied().fold(0.0, f64::max);
    let start_median = median(&mut starts);
    println!(
        "start to first frame (1920x1080 fbdev): median {start_median:.0} ms, max {max_start:.0} ms over {STARTS} starts — target ≤ 1000 ms: {}",
        verdict(max_start <= 1000.0)
    );

    // Idle, online, showing the standby screen: as the unit runs it, and
    // without its environment.
    idle(last.unwrap(), &notify, "as the unit runs it").await;
    let the_box = Box::start(&config, Some(&notify_path), &[]);
    idle(the_box, &notify, "without the unit's environment").await;

    // A check-in, last key to committed.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for run in 0..CHECK_INS {
        let dir = tmp.path().join(format!("tv-box-{run}"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = write_config(
            &dir,
            &center,
            &token,
            &format!(
                "[display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{port}\"\nsize = \"1280x720\""
            ),
        );
        let the_box = Box::start(&config, None, &unit_env);
        let tv = format!("http://127.0.0.1:{port}");
        let state = || async {
            match client.get(format!("{tv}/state")).send().await {
                Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            }
        };
        let press = |path: &'static str| {
            let url = format!("{tv}{path}");
            let client = client.clone();
            async move {
                client.post(url).send().await.unwrap();
            }
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while state().await["cards"]
            .as_array()
            .is_none_or(|c| c.is_empty())
        {
            assert!(Instant::now() < deadline, "the card never showed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        client
            .post(format!("{tv}/card/insert/04A1B2C3"))
            .send()
            .await
            .unwrap();
        loop {
            let screen = state().await["screen"].as_str().unwrap_or("").to_owned();
            assert!(Instant::now() < deadline, "stuck on {screen}");
            match screen.as_str() {
                "Confirm" => break,
                "Standby" => {}
                _ => press("/key/ok").await,
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let pressed = Instant::now();
        press("/key/ok").await;
        let (at, line) = the_box.wait_log("check-in recorded", Duration::from_secs(10));
        outside.push((at - pressed).as_secs_f64() * 1000.0);
        let ms: f64 = line
            .split("key_to_commit_ms=")
            .nth(1)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no key_to_commit_ms in `{line}`"));
        inside.push(ms);
        the_box.stop();
    }
    let max_inside = inside.iter().copied().fold(0.0, f64::max);
    let max_outside = outside.iter().copied().fold(0.0, f64::max);
    println!(
        "check-in, last key to committed: median {:.2} ms, max {max_inside:.2} ms in the daemon; \
         median {:.2} ms, max {max_outside:.2} ms from the virtual TV's HTTP key press — target ≤ 50 ms: {}",
        median(&mut inside),
        median(&mut outside),
        verdict(max_outside <= 50.0)
    );
}

async fn idle(the_box: Box, notify: &UnixDatagram, how: &str) {
    let mut buf = [0u8; 256];
    loop {
        let n = notify.recv(&mut buf).expect("online within 30 s");
        if buf[..n].starts_with(b"STATUS=online") {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (cpu0, _, _) = the_box.usage();
    tokio::time::sleep(IDLE).await;
    let (cpu1, rss, hwm) = the_box.usage();
    let cpu_ms = cpu1 - cpu0;
    println!(
        "idle over {} s, {how}: RSS {:.1} MB (peak {:.1} MB) — target ≤ 30 MB: {}; CPU {cpu_ms:.0} ms ({:.2} % of a core) — no busy loop: {}",
        IDLE.as_secs(),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        verdict(rss as f64 / 1024.0 <= 30.0),
        cpu_ms / IDLE.as_secs_f64() / 10.0,
        verdict(cpu_ms / IDLE.as_secs_f64() < 10.0)
    );
    the_box.stop();
}
