//! `mimamorid run` under systemd's eyes: the real binary, with a
//! notification socket bound by the test as systemd would bind it.

use std::io::Read as _;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mimamorid");

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
    let tmp = tempfile::tempdir().unwrap();
    let socket_path = tmp.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let config = tmp.path().join("box.toml");
    std::fs::write(
        &config,
        "device_id = \"box-0001\"\n\
         center_url = \"http://127.0.0.1:9\"\n\
         token = \"mmb_test\"\n\
         data_dir = \"data\"\n\
         [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:0\"\n\
         [input]\ndevices = \"none\"\n",
    )
    .unwrap();
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
