//! The configuration's tests: what each section accepts, and errors that
//! name their key.

use super::*;

#[test]
fn the_input_section_chooses_devices_and_changes_keys() {
    let base = Path::new("/tmp");
    let ok = "device_id = \"box-1\"\ncenter_url = \"http://127.0.0.1:8080\"\ntoken = \"mmb_x\"\n";
    let config = Config::parse(ok, base).unwrap();
    assert_eq!(
        config.input_devices,
        Some(Selection::Auto("/dev/input".into()))
    );
    let text = format!(
        "{ok}[input]\ndevices = [\"/dev/input/by-id/usb-remote-event-kbd\"]\n[input.keys]\nKEY_INFO = \"back\"\n0x18e = \"12\"\n"
    );
    let config = Config::parse(&text, base).unwrap();
    assert_eq!(
        config.input_devices,
        Some(Selection::Paths(vec![
            "/dev/input/by-id/usb-remote-event-kbd".into()
        ]))
    );
    assert_eq!(config.keys.get(0x166), Some(Key::Back));
    assert_eq!(config.keys.get(0x18e), Some(Key::Digit(12)));
    assert_eq!(config.keys.get(0x160), Some(Key::Ok), "the rest stays");
    let none = format!("{ok}[input]\ndevices = \"none\"\n");
    assert_eq!(Config::parse(&none, base).unwrap().input_devices, None);
}

#[test]
fn a_card_dock_is_a_loopback_url_for_the_virtual_tv() {
    let ok = "device_id = \"box-1\"\ncenter_url = \"http://127.0.0.1:8080\"\ntoken = \"mmb_x\"\n";
    for (given, kept) in [
        ("http://127.0.0.1:8710/", "http://127.0.0.1:8710"),
        ("http://localhost:8710", "http://localhost:8710"),
        ("http://[::1]:8710", "http://[::1]:8710"),
    ] {
        let text = format!("{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"{given}\"\n");
        let config = Config::parse(&text, Path::new("/tmp")).unwrap();
        let Display::Virtual { card_dock, .. } = config.display else {
            panic!("a virtual TV");
        };
        assert_eq!(card_dock.as_deref(), Some(kept));
        assert!(config.card_reader);
    }
}

#[test]
fn a_daemon_can_keep_to_the_readers_it_names() {
    let ok = "device_id = \"b\"\ncenter_url = \"http://c\"\ntoken = \"t\"\n";
    let all = Config::parse(ok, Path::new("/tmp")).unwrap();
    assert!(all.card_readers.is_empty(), "every reader by default");
    let one = Config::parse(
        &format!("{ok}[card]\nreaders = [\"Virtual PCD 00 01\"]\n"),
        Path::new("/tmp"),
    )
    .unwrap();
    assert_eq!(one.card_readers, ["Virtual PCD 00 01"]);
}

#[test]
fn errors_name_the_key() {
    let base = Path::new("/tmp");
    let ok = "device_id = \"box-1\"\ncenter_url = \"http://127.0.0.1:8080\"\ntoken = \"mmb_x\"\n";
    assert!(Config::parse(ok, base).is_ok());
    for (text, key) in [
        ("center_url = \"http://x\"\ntoken = \"t\"\n", "device_id"),
        (
            "device_id = \"a b\"\ncenter_url = \"http://x\"\ntoken = \"t\"\n",
            "device_id",
        ),
        (
            "device_id = \"b\"\ncenter_url = \"ftp://x\"\ntoken = \"t\"\n",
            "center_url",
        ),
        ("device_id = \"b\"\ncenter_url = \"http://x\"\n", "token"),
        (
            &format!("{ok}[display]\nbackend = \"hdmi\"\n"),
            "display.backend",
        ),
        (
            &format!("{ok}[display]\nbackend = \"virtual\"\nlisten = \"0.0.0.0:8700\"\n"),
            "display.listen",
        ),
        (&format!("{ok}colour = 1\n"), "colour"),
        (
            &format!(
                "{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"http://192.168.1.5:8710\"\n"
            ),
            "display.card_dock",
        ),
        (
            &format!(
                "{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"https://127.0.0.1:8710\"\n"
            ),
            "display.card_dock",
        ),
        (
            &format!(
                "{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"http://127.0.0.1:8710/cards\"\n"
            ),
            "display.card_dock",
        ),
        (
            &format!("{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"dock\"\n"),
            "display.card_dock",
        ),
        (
            &format!("{ok}[display]\ncard_dock = \"http://127.0.0.1:8710\"\n"),
            "display.card_dock",
        ),
        (
            &format!(
                "{ok}[display]\nbackend = \"virtual\"\ncard_dock = \"http://127.0.0.1:8710\"\n[card]\nreader = \"none\"\n"
            ),
            "display.card_dock",
        ),
        (
            &format!("{ok}[input]\ndevices = \"some\"\n"),
            "input.devices",
        ),
        (
            &format!("{ok}[input]\ndevices = [\"event3\"]\n"),
            "input.devices",
        ),
        (
            &format!("{ok}[input.keys]\nKEY_NOPE = \"ok\"\n"),
            "input.keys",
        ),
        (
            &format!("{ok}[input.keys]\nKEY_INFO = \"menu\"\n"),
            "input.keys",
        ),
        (&format!("{ok}[input]\nremotes = 1\n"), "remotes"),
        (
            &format!("{ok}[sync]\nheartbeat_interval_s = 0\n"),
            "sync.heartbeat_interval_s",
        ),
        (
            &format!("{ok}[sync]\nretry_first_s = 0\n"),
            "sync.retry_first_s",
        ),
        (
            &format!("{ok}[sync]\nretry_first_s = 10\nretry_max_s = 5\n"),
            "sync.retry_max_s",
        ),
        (&format!("{ok}[card]\nreader = \"usb\"\n"), "card.reader"),
        (
            &format!("{ok}[card]\nreader = \"none\"\nreaders = [\"Virtual PCD 00 01\"]\n"),
            "card.readers",
        ),
        (&format!("{ok}[card]\nreaders = [\" \"]\n"), "card.readers"),
        (
            &format!("{ok}[reminder]\nmax_prompts = 0\n"),
            "reminder.max_prompts",
        ),
        (
            &format!("{ok}[hardware]\nled_pin = 40\n"),
            "hardware.led_pin",
        ),
        (
            &format!("{ok}[hardware]\nled_pin = 17\nbutton_pin = 17\n"),
            "hardware.button_pin",
        ),
        (
            &format!("{ok}[hardware]\nchime = \"pwm3\"\n"),
            "hardware.chime",
        ),
        (
            &format!("{ok}[hardware]\nchime = \"gpio:x\"\n"),
            "hardware.chime",
        ),
        (
            &format!("{ok}[hardware]\nchime_frequency_hz = 20\n"),
            "hardware.chime_frequency_hz",
        ),
        (
            &format!("{ok}[hardware]\nsensor_address = 0x50\n"),
            "hardware.sensor_address",
        ),
        (
            &format!("{ok}[hardware]\nled_pin = 3\n"),
            "hardware.led_pin",
        ),
        (
            &format!("{ok}[hardware]\nsensor_interval_s = 1\n"),
            "hardware.sensor_interval_s",
        ),
        (&format!("{ok}[hardware]\nled = 1\n"), "led"),
        (
            &format!("{ok}[station]\nrepeat_window_s = 100000\n"),
            "station.repeat_window_s",
        ),
        (&format!("{ok}[station]\nshow_s = 0\n"), "station.show_s"),
        (&format!("{ok}[station]\nshow_s = 61\n"), "station.show_s"),
        (&format!("{ok}[station]\nwindow = 5\n"), "window"),
        (
            &format!("{ok}[card]\nreader = \"none\"\n[station]\n"),
            "card.reader",
        ),
        (
            &format!("{ok}[station]\nrepeat_window_s = -1\n"),
            "repeat_window_s",
        ),
    ] {
        let err = Config::parse(text, base).unwrap_err().to_string();
        assert!(err.contains(key), "`{err}` should name `{key}`");
    }
}

#[test]
fn a_ca_file_must_hold_pem_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let ok =
        "device_id = \"box-1\"\ncenter_url = \"https://center.example.jp\"\ntoken = \"mmb_x\"\n";
    let config = Config::parse(ok, dir.path()).unwrap();
    assert!(config.center_ca.is_empty(), "the public roots by default");

    std::fs::write(dir.path().join("junk.pem"), "not a certificate\n").unwrap();
    let err = Config::parse(&format!("{ok}[sync]\nca_file = \"junk.pem\"\n"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("sync.ca_file"), "{err}");

    let err = Config::parse(
        &format!("{ok}[sync]\nca_file = \"absent.pem\"\n"),
        dir.path(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("absent.pem"), "{err}");

    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).unwrap().pem();
    std::fs::write(dir.path().join("town-ca.pem"), pem).unwrap();
    let config = Config::parse(
        &format!("{ok}[sync]\nca_file = \"town-ca.pem\"\n"),
        dir.path(),
    )
    .unwrap();
    assert_eq!(config.center_ca.len(), 1);
}

#[test]
fn a_station_section_makes_a_tap_station() {
    let base = Path::new("/tmp");
    let ok = "device_id = \"st-1\"\ncenter_url = \"http://127.0.0.1:8080\"\ntoken = \"mmb_x\"\n";
    assert_eq!(Config::parse(ok, base).unwrap().station, None);
    let defaults = Config::parse(&format!("{ok}[station]\n"), base).unwrap();
    assert_eq!(
        defaults.station,
        Some(StationConfig {
            repeat_window: std::time::Duration::from_secs(300),
            show: std::time::Duration::from_secs(5),
        })
    );
    let text = format!("{ok}[station]\nrepeat_window_s = 0\nshow_s = 8\n");
    let config = Config::parse(&text, base).unwrap().station.unwrap();
    assert_eq!(config.repeat_window, std::time::Duration::ZERO);
    assert_eq!(config.show, std::time::Duration::from_secs(8));
}
