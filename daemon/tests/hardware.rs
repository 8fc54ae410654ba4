//! The hardware layer: the firmware drivers as a board, with every pin read
//! and bus transaction checked; the board's thread; the TV woken by a
//! `cec-ctl` stand-in that records its arguments.

use std::time::{Duration, Instant};

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Pin};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction as I2c};
use mimamori_daemon::cec::Tv;
use mimamori_daemon::hardware::fake::FakeBoard;
use mimamori_daemon::hardware::{Board, Drivers, Hardware, HardwareEvent};
use mimamori_firmware::{ButtonEvent, CallButton, LedPattern, Melody, PinBuzzer, Polarity, Sht4x};

/// 31.500 °C, 65.000 % with CRCs (as in the firmware's tests).
const SUMMER_ROOM: [u8; 6] = [0x6F, 0xE8, 0x35, 0x91, 0x68, 0x3A];

type TestBoard = Drivers<PinMock, PinBuzzer<PinMock>, PinMock, I2cMock>;

fn board(button: &PinMock, i2c: &I2cMock) -> TestBoard {
    Drivers::new(
        None,
        None,
        Some(CallButton::new(button.clone(), Polarity::ActiveLow)),
        Some(Sht4x::new(i2c.clone())),
        60_000,
        "test board".into(),
    )
}

#[test]
fn the_board_reads_the_room_and_turns_a_held_button_into_a_long_press() {
    // One pin read per 10 ms tick; pressed (low) from 100 ms on.
    let times: Vec<u64> = (0..=320).map(|i| i * 10).collect();
    let reads: Vec<Pin> = times
        .iter()
        .map(|&t| Pin::get(if t >= 100 { State::Low } else { State::High }))
        .collect();
    let mut button = PinMock::new(&reads);
    let mut i2c = I2cMock::new(&[
        I2c::write(0x44, vec![0xFD]),
        I2c::read(0x44, SUMMER_ROOM.to_vec()),
    ]);
    let mut b = board(&button, &i2c);
    let mut events = Vec::new();
    let mut at = Vec::new();
    for &t in &times {
        let next = b.tick(t, &mut events).unwrap();
        assert!(next <= t + 10, "a button is polled every 10 ms");
        at.extend(events.drain(..).map(|e| (t, e)));
    }
    assert_eq!(at.len(), 2, "{at:?}");
    match at[0] {
        (10, HardwareEvent::Room(m)) => {
            assert_eq!(m.temperature_millicelsius, 31_500);
            assert_eq!(m.humidity_millipercent, 65_000);
        }
        other => panic!("expected the room reading at 10 ms: {other:?}"),
    }
    assert_eq!(
        at[1],
        (3_100, HardwareEvent::Button(ButtonEvent::LongPress))
    );
    button.done();
    i2c.done();
}

#[test]
fn a_silent_sensor_is_reported_and_tried_again_after_the_interval() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut button = PinMock::new(&[Pin::get(State::High), Pin::get(State::High)]);
    let mut i2c = I2cMock::new(&[
        I2c::write(0x44, vec![0xFD]).with_error(nack),
        I2c::write(0x44, vec![0xFD]),
    ]);
    let mut b = board(&button, &i2c);
    let mut events = Vec::new();
    let err = b.tick(0, &mut events).unwrap_err();
    assert_eq!(err.part, "sensor");
    assert_eq!(events, [HardwareEvent::SensorFailed]);
    events.clear();
    b.tick(60_000, &mut events).unwrap();
    assert!(events.is_empty());
    button.done();
    i2c.done();
}

#[test]
fn the_led_and_chime_are_driven_on_their_pins() {
    let mut led = PinMock::new(&[Pin::set(State::High)]);
    let mut buzzer = PinMock::new(&[Pin::set(State::High)]);
    let mut b: Drivers<PinMock, PinBuzzer<PinMock>, PinMock, I2cMock> = Drivers::new(
        Some(mimamori_firmware::StatusLed::new(
            led.clone(),
            Polarity::ActiveHigh,
        )),
        Some(mimamori_firmware::Chime::new(PinBuzzer::new(
            buzzer.clone(),
            Polarity::ActiveHigh,
        ))),
        None,
        None,
        60_000,
        "led and chime".into(),
    );
    b.set_led(LedPattern::On, 0).unwrap();
    b.play(Melody::Confirm, 0).unwrap();
    let next = b.tick(0, &mut Vec::new()).unwrap();
    assert!(next > 0 && next <= 60_000);
    led.done();
    buzzer.done();
}

#[test]
fn the_hardware_thread_delivers_events_and_rests_the_parts_when_dropped() {
    let (board, parts) = FakeBoard::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let hardware = Hardware::spawn(Box::new(board), move |e| tx.send(e).is_ok()).unwrap();
    assert_eq!(hardware.describe(), "fake parts (tests)");
    parts.hold_button();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        HardwareEvent::Button(ButtonEvent::LongPress)
    );
    hardware.led(LedPattern::FastBlink);
    hardware.play(Melody::Reminder);
    let deadline = Instant::now() + Duration::from_secs(5);
    while parts.melodies().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(parts.led(), LedPattern::FastBlink);
    assert_eq!(parts.melodies(), [Melody::Reminder]);
    drop(hardware);
    assert!(parts.rested());
    assert_eq!(parts.led(), LedPattern::Off);
}

#[tokio::test]
async fn a_missing_cec_ctl_leaves_the_tv_alone() {
    let empty = tempfile::tempdir().unwrap();
    let tv = Tv::find(Some(empty.path().as_os_str()), "/dev/cec0".as_ref());
    assert!(matches!(tv, Tv::Absent));
    tv.wake(); // does nothing, says nothing
    assert!(matches!(Tv::find(None, "/dev/cec0".as_ref()), Tv::Absent));
}

/// A `cec-ctl` stand-in: appends its arguments to `args` and answers the
/// status with a physical address.
fn fake_cec_ctl(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let log = dir.join("args");
    let script = dir.join("cec-ctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in *--playback*) echo 'Physical Address           : 1.0.0.0';; esac\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

#[tokio::test]
async fn the_tv_is_woken_and_switched_to_the_box_with_cec_ctl() {
    let dir = tempfile::tempdir().unwrap();
    let log = fake_cec_ctl(dir.path());
    let path = std::env::join_paths([std::path::Path::new("/nonexistent"), dir.path()]).unwrap();
    let Tv::Cec(cec) = Tv::find(Some(&path), "/dev/cec1".as_ref()) else {
        panic!("cec-ctl not found on {path:?}");
    };
    assert_eq!(cec.wake().await.unwrap().as_deref(), Some("1.0.0.0"));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "-d /dev/cec1 --playback --osd-name Mimamori\n\
         -d /dev/cec1 --to 0 --image-view-on\n\
         -d /dev/cec1 --to 15 --active-source phys-addr=1.0.0.0\n"
    );
}

#[tokio::test]
async fn a_failing_cec_ctl_is_an_error_naming_its_arguments() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cec-ctl");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'Failed to open /dev/cec0' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let Tv::Cec(cec) = Tv::find(Some(dir.path().as_os_str()), "/dev/cec0".as_ref()) else {
        panic!("cec-ctl not found");
    };
    let e = cec.wake().await.unwrap_err().to_string();
    assert!(
        e.contains("--playback") && e.contains("Failed to open /dev/cec0"),
        "{e}"
    );
}
