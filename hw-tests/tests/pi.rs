//! The box's own parts on a real Raspberry Pi, through the daemon's Pi
//! binding and the pins and bus of `box.toml`. Built only with the `pi`
//! feature; run on the box by an installer with `MIMAMORI_HW=1`, one test
//! at a time (they share the pins), following deploy/hw-tests.md:
//!
//! ```sh
//! MIMAMORI_HW=1 MIMAMORI_BOX_TOML=/etc/mimamori/box.toml ./pi-* --test-threads=1
//! ```
//!
//! The LED and chime tests check what the pins and the PWM channel report
//! and show or sound each pattern for the installer to see and hear; the
//! button test waits for the installer's press; the sensor test reads the
//! room. The card reader (pcscd + the reader, a My Number card), the remote
//! (evdev) and the framebuffer have their own hardware tests with the card
//! service and the input and display adapters; deploy/hw-tests.md lists
//! what each checks.

#![cfg(feature = "pi")]

use std::time::{Duration, Instant};

use mimamori_daemon::config::{Config, HardwareConfig};
use mimamori_daemon::hardware::{Board, HardwareEvent, pi};
use mimamori_firmware::{ButtonEvent, LedPattern, Melody, Precision};

/// The box's `[hardware]`, or a failure that says how to run these tests.
fn hardware() -> HardwareConfig {
    assert_eq!(
        std::env::var("MIMAMORI_HW").as_deref(),
        Ok("1"),
        "these tests drive a real Pi's pins: run them on the box with MIMAMORI_HW=1 (deploy/hw-tests.md)"
    );
    let path = std::env::var("MIMAMORI_BOX_TOML").unwrap_or("/etc/mimamori/box.toml".into());
    let config = Config::load(path.as_ref()).unwrap_or_else(|e| panic!("{path}: {e}"));
    config
        .hardware
        .unwrap_or_else(|| panic!("{path} has no [hardware] section"))
}

fn say(text: &str) {
    eprintln!("\n>>> {text}");
}

/// Ticks `board` for `ms` milliseconds, collecting events.
fn run(board: &mut pi::PiBoard, ms: u64) -> Vec<HardwareEvent> {
    let start = Instant::now();
    let now = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut events = Vec::new();
    while now() < ms {
        let next = board.tick(now(), &mut events).expect("the parts answer");
        std::thread::sleep(Duration::from_millis(
            next.min(ms).saturating_sub(now()).max(1),
        ));
    }
    events
}

#[test]
fn led_drives_its_pin_and_shows_each_pattern() {
    let mut config = hardware();
    let (pin, active_low) = config.led.expect("no LED in [hardware] (led_pin)");
    config.chime = None;
    config.button = None;
    config.sensor = None;
    let mut board = pi::open(&config).expect("the LED's GPIO opens");
    for (pattern, what) in [
        (LedPattern::On, "steady on"),
        (LedPattern::SlowBlink, "a slow blink (1 s on, 1 s off)"),
        (LedPattern::FastBlink, "a fast blink"),
        (LedPattern::Heartbeat, "a heartbeat (two short flashes)"),
    ] {
        say(&format!("the front LED shows {what} for 4 s"));
        board.set_led(pattern, 0).unwrap();
        run(&mut board, 4_000);
    }
    // The level on the pin, read back from the GPIO: lit is high unless the
    // LED is wired active-low.
    let mut led = board.led.take().expect("LED");
    led.set_pattern(LedPattern::On, 0).unwrap();
    let out = led.destroy();
    assert_eq!(out.is_set_high(), !active_low, "GPIO {pin} level when lit");
    let mut led = mimamori_firmware::StatusLed::new(
        out,
        if active_low {
            mimamori_firmware::Polarity::ActiveLow
        } else {
            mimamori_firmware::Polarity::ActiveHigh
        },
    );
    led.set_pattern(LedPattern::Off, 0).unwrap();
    assert_eq!(
        led.destroy().is_set_high(),
        active_low,
        "GPIO {pin} level when dark"
    );
}

#[test]
fn chime_plays_each_melody() {
    let mut config = hardware();
    config.chime.expect("no chime in [hardware] (chime)");
    config.led = None;
    config.button = None;
    config.sensor = None;
    let mut board = pi::open(&config).expect("the chime's output opens");
    for melody in [Melody::Reminder, Melody::Confirm, Melody::Error] {
        say(&format!("the chime plays {melody:?}"));
        board.play(melody, 0).unwrap();
        assert!(board.chime.as_ref().unwrap().is_playing());
        run(&mut board, u64::from(melody.duration_ms()) + 500);
        assert!(
            !board.chime.as_ref().unwrap().is_playing(),
            "{melody:?} ended"
        );
    }
    match board.chime.take().unwrap().destroy() {
        pi::PiBuzzer::Pwm(pwm) => {
            assert!(pwm.is_enabled().unwrap(), "the PWM channel is enabled");
            assert_eq!(pwm.duty_cycle().unwrap(), 0.0, "silent after the melody");
        }
        pi::PiBuzzer::Pin(_) => {}
    }
}

#[test]
fn call_button_short_and_long_press() {
    let mut config = hardware();
    config
        .button
        .expect("no call button in [hardware] (button_pin)");
    config.led = None;
    config.chime = None;
    config.sensor = None;
    let mut board = pi::open(&config).expect("the button's GPIO opens");
    say("press the call button briefly (within 30 s)");
    let events = wait_for(&mut board, ButtonEvent::ShortPress);
    assert!(!events.contains(&ButtonEvent::LongPress), "{events:?}");
    say("now hold the call button for 3 seconds (within 30 s)");
    wait_for(&mut board, ButtonEvent::LongPress);
}

fn wait_for(board: &mut pi::PiBoard, wanted: ButtonEvent) -> Vec<ButtonEvent> {
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < Duration::from_secs(30) {
        for e in run(board, 50) {
            if let HardwareEvent::Button(b) = e {
                eprintln!("    {b:?}");
                seen.push(b);
                if b == wanted {
                    return seen;
                }
            }
        }
    }
    panic!("no {wanted:?} within 30 s (saw {seen:?}); check the wiring and button_pin");
}

#[test]
fn room_sensor_answers_with_plausible_readings() {
    let mut config = hardware();
    let (bus, address) = config
        .sensor
        .expect("no room sensor in [hardware] (sensor)");
    config.led = None;
    config.chime = None;
    config.button = None;
    let mut board = pi::open(&config).expect("the I2C bus opens");
    let sensor = board.sensor.as_mut().unwrap();
    let mut delay = rppal::hal::Delay::new();
    let serial = sensor
        .serial_number(&mut delay)
        .unwrap_or_else(|e| panic!("no SHT4x answers at {address:#04x} on i2c-{bus}: {e:?}"));
    say(&format!("SHT4x serial number {serial:#010x}"));
    for _ in 0..3 {
        let m = sensor
            .measure(Precision::High, &mut delay)
            .expect("a reading with valid CRCs");
        say(&format!(
            "{:.2} °C, {:.2} %RH, 暑さ指数 {:.1} ({})",
            f64::from(m.temperature_millicelsius) / 1000.0,
            f64::from(m.humidity_millipercent) / 1000.0,
            f64::from(m.wbgt().millicelsius()) / 1000.0,
            m.wbgt().risk().label_ja()
        ));
        assert!(
            (0..=50_000).contains(&m.temperature_millicelsius),
            "a living room between 0 and 50 °C"
        );
        assert!(
            (5_000..=95_000).contains(&m.humidity_millipercent),
            "humidity between 5 and 95 %"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    // Through the board, as the daemon reads it.
    let events = run(&mut board, 100);
    assert!(
        events.iter().any(|e| matches!(e, HardwareEvent::Room(_))),
        "{events:?}"
    );
}
