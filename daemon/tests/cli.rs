//! `mimamorid` as an installer or a reviewer runs it.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mimamorid");

#[test]
fn render_writes_a_png_of_the_asked_size() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("condition.png");
    let status = Command::new(BIN)
        .args([
            "render",
            "--screen",
            "condition",
            "--size",
            "1280x720",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1280, 720));
}

#[test]
fn the_station_screens_render_and_are_listed() {
    let list = Command::new(BIN)
        .args(["render", "--screen", "list"])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&list.stdout);
    let tmp = tempfile::tempdir().unwrap();
    for name in ["station-idle", "station-confirmed", "station-no-reader"] {
        assert!(names.lines().any(|l| l == name), "{names}");
        let out = tmp.path().join(format!("{name}.png"));
        let status = Command::new(BIN)
            .args(["render", "--screen", name, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1920, 1080));
    }
}

#[test]
fn an_unknown_screen_or_size_is_named() {
    let out = Command::new(BIN)
        .args(["render", "--screen", "tea-time", "--out", "/tmp/x.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no screen `tea-time`") && err.contains("standby"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "render",
            "--screen",
            "standby",
            "--size",
            "big",
            "--out",
            "/tmp/x.png",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("WIDTHxHEIGHT"));
}

#[test]
fn a_sync_response_is_checked() {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .arg("check-response")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(include_bytes!(
            "../../protocol/testdata/examples/sync_response.json"
        ))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 acked"));
}
