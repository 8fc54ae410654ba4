//! `mimamorid run` under systemd's eyes: the real binary, with a
//! notification socket bound by the test as systemd would bind it.

use std::io::Read as _;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mimamorid");

/// A box's directory, its configuration (the base plus `extra`) and the
/// notification socket systemd would bind, reading with `timeout`.
struct Setup {
    tmp: tempfile::TempDir,
    socket_path: std::path::PathBuf,
    socket: UnixDatagram,
    config: std::path::PathBuf,
}

fn setup(timeout: Duration, extra: &str) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let socket_path = tmp.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(timeout)).unwrap();
    let config = tmp.path().join("box.toml");
    std::fs::write(
        &config,
        format!(
            "device_id = \"box-0001\"\n\
             center_url = \"http://127.0.0.1:9\"\n\
             token = \"mmb_test\"\n\
             data_dir = \"data\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:0\"\n\
             [input]\ndevices = \"none\"\n{extra}"
        ),
    )
    .unwrap();
    Setup {
        tmp,
        socket_path,
        socket,
        config,
    }
}

fn receive(socket: &UnixDatagram, until: Instant) -> Option<String> {
    let mut buf = [0u8; 512];
    while Instant::now() < until {
        match socket.recv(&mut buf) {
            Ok(n) => return Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) => panic!("{e}"),
        }
    }
    None
}

#[test]
fn ready_after_the_first_frame_watchdog_from_the_loop_and_a_clean_stop_on_sigterm() {
    let Setup {
        tmp: _tmp,
        socket_path,
        socket,
        config,
    } = setup(Duration::from_millis(100), "");
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&config)
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "300000")
        .env("JOURNAL_STREAM", "8:12345")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut before_ready = Vec::new();
    loop {
        let message =
            receive(&socket, started + Duration::from_secs(30)).expect("READY=1 within 30 s");
        if message == "READY=1" {
            break;
        }
        before_ready.push(message);
    }
    assert!(
        !before_ready.iter().any(|m| m == "WATCHDOG=1"),
        "no watchdog before ready: {before_ready:?}"
    );

    // Watchdog pings every 150 ms, and status lines, for a second.
    let window = Instant::now() + Duration::from_secs(1);
    let mut pings = 0;
    let mut statuses = Vec::new();
    while let Some(message) = receive(&socket, window) {
        if message == "WATCHDOG=1" {
            pings += 1;
        } else if let Some(status) = message.strip_prefix("STATUS=") {
            statuses.push(status.to_owned());
        }
    }
    assert!((4..=9).contains(&pings), "{pings} pings in 1 s");
    assert!(
        statuses.iter().any(|s| s.contains("offline")),
        "the unreachable center shows in the status: {statuses:?}"
    );

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut stopping = false;
    while let Some(message) = receive(&socket, Instant::now() + Duration::from_secs(10)) {
        if message == "STOPPING=1" {
            stopping = true;
            break;
        }
    }
    assert!(stopping, "STOPPING=1 on SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");

    // Journald reads each line's priority from its `<N>` prefix.
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.lines()
            .any(|l| l.starts_with("<6>") && l.contains("the box is up")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.starts_with("<4>") && l.contains("sync failed")),
        "{log}"
    );
    assert!(
        log.lines()
            .all(|l| l.starts_with('<') && !l.contains('\u{1b}')),
        "{log}"
    );
}

/// The watchdog is fed by the main loop itself: when the loop is stuck (here
/// on its own disk, the outbox locked by another process so a heartbeat
/// cannot be written), the pings stop and systemd would restart the box;
/// when the loop moves again, they come back and the heartbeat is kept.
#[test]
fn a_stuck_main_loop_stops_feeding_the_watchdog() {
    let Setup {
        tmp,
        socket_path,
        socket,
        config,
    } = setup(
        Duration::from_millis(50),
        "[sync]\nheartbeat_interval_s = 0.5\nretry_first_s = 30\n",
    );
    let started = Instant::now();
    let _child = Killed(
        Command::new(BIN)
            .args(["run", "--config"])
            .arg(&config)
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", "200000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    while receive(&socket, started + Duration::from_secs(30)).expect("READY=1 within 30 s")
        != "READY=1"
    {}
    let pings_in = |limit: Duration| {
        let until = Instant::now() + limit;
        let mut pings = 0;
        while let Some(message) = receive(&socket, until) {
            pings += usize::from(message == "WATCHDOG=1");
        }
        pings
    };
    assert!(pings_in(Duration::from_secs(1)) >= 5, "pings while healthy");

    // Another process takes the outbox for itself; the next heartbeat's
    // write waits in the loop.
    let outbox = rusqlite::Connection::open(tmp.path().join("data/box.sqlite3")).unwrap();
    // The center is unreachable: everything in the outbox is a heartbeat.
    let heartbeats = |db: &rusqlite::Connection| -> i64 {
        db.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .unwrap()
    };
    outbox.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let before = heartbeats(&outbox);
    // Let the loop reach the heartbeat (every 0.5 s) and block on it; forget
    // the pings sent before; then count.
    std::thread::sleep(Duration::from_millis(700));
    while receive(&socket, Instant::now() + Duration::from_millis(1)).is_some() {}
    let stuck = pings_in(Duration::from_secs(2));
    assert!(
        stuck <= 1,
        "{stuck} pings in 2 s while the loop was stuck: the watchdog is not fed by the loop"
    );
    outbox.execute_batch("COMMIT").unwrap();

    assert!(
        pings_in(Duration::from_secs(1)) >= 4,
        "the pings come back once the loop moves"
    );
    assert!(
        heartbeats(&outbox) > before,
        "the heartbeat that waited was written"
    );
}

/// A child process killed when dropped, the test passing or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
