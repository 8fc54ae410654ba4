//! The status LED's pin over simulated time, pattern by pattern.

use std::io::ErrorKind;

use embedded_hal_mock::eh1::MockError;
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Pin};
use mimamori_firmware::{LedPattern, Polarity, StatusLed};

use crate::Script;

/// Sets `pattern` at 0 ms and ticks every 10 ms up to `until`, expecting a
/// pin write exactly at each of `changes` (ms, level) and nowhere else.
fn check_pattern(pattern: LedPattern, polarity: Polarity, until: u64, changes: &[(u64, State)]) {
    let mut pin = PinMock::new(&[]);
    let mut led = StatusLed::new(pin.clone(), polarity);
    let mut script = Script::new();
    script.every(10, 0, until, |now| {
        changes
            .iter()
            .filter(|&&(at, _)| at == now)
            .map(|&(_, state)| Pin::set(state))
            .collect()
    });
    script.run(&mut pin, |now| {
        if now == 0 {
            led.set_pattern(pattern, now).unwrap();
        } else {
            led.tick(now).unwrap();
        }
    });
}

#[test]
fn off_and_on_write_once() {
    check_pattern(
        LedPattern::Off,
        Polarity::ActiveHigh,
        5_000,
        &[(0, State::Low)],
    );
    check_pattern(
        LedPattern::On,
        Polarity::ActiveHigh,
        5_000,
        &[(0, State::High)],
    );
}

#[test]
fn slow_blink_is_one_second_each() {
    use State::*;
    check_pattern(
        LedPattern::SlowBlink,
        Polarity::ActiveHigh,
        4_500,
        &[
            (0, High),
            (1_000, Low),
            (2_000, High),
            (3_000, Low),
            (4_000, High),
        ],
    );
}

#[test]
fn fast_blink_is_200_ms_each() {
    use State::*;
    check_pattern(
        LedPattern::FastBlink,
        Polarity::ActiveHigh,
        1_000,
        &[
            (0, High),
            (200, Low),
            (400, High),
            (600, Low),
            (800, High),
            (1_000, Low),
        ],
    );
}

#[test]
fn heartbeat_is_a_double_flash_every_two_seconds() {
    use State::*;
    check_pattern(
        LedPattern::Heartbeat,
        Polarity::ActiveHigh,
        4_500,
        &[
            (0, High),
            (100, Low),
            (250, High),
            (350, Low),
            (2_000, High),
            (2_100, Low),
            (2_250, High),
            (2_350, Low),
            (4_000, High),
            (4_100, Low),
            (4_250, High),
            (4_350, Low),
        ],
    );
}

#[test]
fn active_low_inverts_the_levels() {
    use State::*;
    check_pattern(
        LedPattern::SlowBlink,
        Polarity::ActiveLow,
        2_500,
        &[(0, Low), (1_000, High), (2_000, Low)],
    );
    check_pattern(LedPattern::Off, Polarity::ActiveLow, 100, &[(0, High)]);
}

#[test]
fn setting_the_same_pattern_keeps_its_phase() {
    let mut pin = PinMock::new(&[]);
    let mut led = StatusLed::new(pin.clone(), Polarity::ActiveHigh);
    let mut script = Script::new();
    script
        .at(0, vec![Pin::set(State::High)])
        .at(400, vec![])
        .at(900, vec![])
        .at(1_000, vec![Pin::set(State::Low)])
        .at(1_500, vec![])
        .at(2_000, vec![Pin::set(State::High)]);
    // The owner sets the wanted pattern on every pass of its loop.
    script.run(&mut pin, |now| {
        led.set_pattern(LedPattern::SlowBlink, now).unwrap();
    });
    assert_eq!(led.pattern(), LedPattern::SlowBlink);
    assert_eq!(led.next_change_ms(), Some(3_000));
}

#[test]
fn a_new_pattern_starts_at_its_beginning() {
    let mut pin = PinMock::new(&[]);
    let mut led = StatusLed::new(pin.clone(), Polarity::ActiveHigh);
    let mut script = Script::new();
    script
        .at(0, vec![Pin::set(State::High)]) // slow blink
        .at(1_200, vec![Pin::set(State::Low)])
        .at(1_300, vec![Pin::set(State::High)]) // SOS sent: fast blink from here
        .at(1_450, vec![])
        .at(1_500, vec![Pin::set(State::Low)])
        .at(1_700, vec![Pin::set(State::High)])
        .at(1_750, vec![Pin::set(State::Low)]); // SOS handled: off
    script.run(&mut pin, |now| match now {
        0 => led.set_pattern(LedPattern::SlowBlink, now).unwrap(),
        1_300 => led.set_pattern(LedPattern::FastBlink, now).unwrap(),
        1_750 => led.set_pattern(LedPattern::Off, now).unwrap(),
        _ => led.tick(now).unwrap(),
    });
    assert_eq!(led.next_change_ms(), None);
    led.destroy();
}

#[test]
fn next_change_tells_when_to_tick() {
    let mut pin = PinMock::new(&[Pin::set(State::High)]);
    let mut led = StatusLed::new(pin.clone(), Polarity::ActiveHigh);
    led.set_pattern(LedPattern::Heartbeat, 10_000).unwrap();
    assert!(led.is_lit());
    assert_eq!(led.next_change_ms(), Some(10_100));
    pin.done();
}

#[test]
fn a_failed_write_is_retried_on_the_next_tick() {
    let mut pin = PinMock::new(&[]);
    let mut led = StatusLed::new(pin.clone(), Polarity::ActiveHigh);
    let mut script = Script::new();
    script
        .at(
            0,
            vec![Pin::set(State::High).with_error(MockError::Io(ErrorKind::Other))],
        )
        .at(10, vec![Pin::set(State::High)])
        .at(20, vec![]);
    script.run(&mut pin, |now| {
        let result = led.set_pattern(LedPattern::On, now);
        assert_eq!(result.is_err(), now == 0, "at {now} ms");
        assert_eq!(led.is_lit(), now > 0);
    });
}

#[test]
fn time_going_backwards_counts_as_the_start() {
    let mut pin = PinMock::new(&[Pin::set(State::High)]);
    let mut led = StatusLed::new(pin.clone(), Polarity::ActiveHigh);
    led.set_pattern(LedPattern::SlowBlink, 5_000).unwrap();
    led.tick(4_000).unwrap();
    assert!(led.is_lit());
    pin.done();
}
