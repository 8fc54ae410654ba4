//! The call button over simulated time: a pull-up input (pressed = low),
//! read once per tick, every 10 ms unless a test says otherwise.

use std::io::ErrorKind;

use embedded_hal_mock::eh1::MockError;
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Pin};
use mimamori_firmware::{ButtonEvent, ButtonTiming, CallButton, Polarity};

use crate::Script;

use ButtonEvent::*;

/// The pin read for a pressed or released button wired to ground.
fn read(pressed: bool) -> Pin {
    Pin::get(if pressed { State::Low } else { State::High })
}

/// Ticks at `times`, the button pressed when `pressed(now)`; returns the
/// events with the tick that reported them. Every tick must read the pin
/// exactly once.
fn simulate(
    times: impl IntoIterator<Item = u64>,
    pressed: impl Fn(u64) -> bool,
) -> Vec<(u64, ButtonEvent)> {
    let mut pin = PinMock::new(&[]);
    let mut button = CallButton::new(pin.clone(), Polarity::ActiveLow);
    let mut script = Script::new();
    for now in times {
        script.at(now, vec![read(pressed(now))]);
    }
    let mut events = Vec::new();
    script.run(&mut pin, |now| {
        if let Some(event) = button.tick(now).unwrap() {
            events.push((now, event));
        }
    });
    events
}

/// Every 10 ms from 0 to `to`.
fn every_10ms(to: u64) -> impl Iterator<Item = u64> {
    (0..=to).step_by(10)
}

/// Pressed in each of the half-open intervals.
fn held(intervals: &'static [(u64, u64)]) -> impl Fn(u64) -> bool {
    move |now| {
        intervals
            .iter()
            .any(|&(from, to)| (from..to).contains(&now))
    }
}

#[test]
fn the_defaults_are_30_ms_3_s_60_s() {
    assert_eq!(
        ButtonTiming::default(),
        ButtonTiming {
            debounce_ms: 30,
            long_press_ms: 3_000,
            stuck_ms: 60_000
        }
    );
}

#[test]
fn a_bouncy_short_press_is_one_short_press_on_release() {
    // Contact bounce on both edges: 100–110 closed, open, then closed from
    // 120; released at 520, bouncing closed 530–540.
    let events = simulate(
        every_10ms(1_000),
        held(&[(100, 110), (120, 520), (530, 540)]),
    );
    // Pressed stable from 120: debounced at 150. Open stable from 540:
    // debounced at 570.
    assert_eq!(events, [(570, ShortPress)]);
}

#[test]
fn glitches_shorter_than_the_debounce_are_ignored() {
    let events = simulate(
        every_10ms(2_000),
        held(&[(100, 120), (500, 510), (900, 920), (1_500, 1_520)]),
    );
    assert_eq!(events, []);
}

#[test]
fn a_press_counts_once_seen_closed_for_the_debounce_time() {
    // Read closed at 100, 110, 120 and open at 130: not 30 ms closed.
    let events = simulate(every_10ms(300), held(&[(100, 130)]));
    assert_eq!(events, []);
    // Read closed at 100 and still at 130: debounced press at 130,
    // debounced release at 170.
    let events = simulate(every_10ms(300), held(&[(100, 140)]));
    assert_eq!(events, [(170, ShortPress)]);
}

#[test]
fn holding_three_seconds_is_one_sos_while_held() {
    let events = simulate(every_10ms(8_000), held(&[(100, 5_000)]));
    // Held since 100: the SOS at 3100, before the release; nothing on
    // release.
    assert_eq!(events, [(3_100, LongPress)]);
}

#[test]
fn letting_go_just_before_three_seconds_is_a_short_press() {
    // Released at 3090: the tick at 3100 sees the release still bouncing
    // (not debounced) and must not call it a long press.
    let events = simulate(every_10ms(4_000), held(&[(100, 3_090)]));
    assert_eq!(events, [(3_120, ShortPress)]);
    // Still closed at 3100: three seconds held.
    let events = simulate(every_10ms(4_000), held(&[(100, 3_110)]));
    assert_eq!(events, [(3_100, LongPress)]);
}

#[test]
fn two_presses_in_a_row() {
    let events = simulate(
        every_10ms(10_000),
        held(&[(100, 400), (1_000, 4_500), (5_000, 5_200)]),
    );
    assert_eq!(
        events,
        [(430, ShortPress), (4_000, LongPress), (5_230, ShortPress)]
    );
}

#[test]
fn a_stuck_button_is_reported_once_and_no_sos_repeats() {
    let events = simulate(every_10ms(75_000), held(&[(100, 70_000)]));
    assert_eq!(
        events,
        [(3_100, LongPress), (60_100, Stuck), (70_030, StuckCleared)]
    );
}

#[test]
fn after_a_stuck_button_is_freed_it_works_again() {
    let events = simulate(
        every_10ms(80_000),
        held(&[(100, 61_000), (62_000, 62_500), (70_000, 74_000)]),
    );
    assert_eq!(
        events,
        [
            (3_100, LongPress),
            (60_100, Stuck),
            (61_030, StuckCleared),
            (62_530, ShortPress),
            (73_000, LongPress),
        ]
    );
}

#[test]
fn a_button_held_at_start_never_sends_sos() {
    // Held from before the first tick to 5 s: no SOS, no short press; the
    // next press counts.
    let events = simulate(every_10ms(12_000), held(&[(0, 5_000), (6_000, 9_500)]));
    assert_eq!(events, [(9_000, LongPress)]);
}

#[test]
fn a_button_stuck_since_start_is_still_reported_stuck() {
    let events = simulate(every_10ms(65_000), held(&[(0, 62_000)]));
    assert_eq!(events, [(60_000, Stuck), (62_030, StuckCleared)]);
}

#[test]
fn a_late_tick_reports_sos_then_stuck_on_successive_ticks() {
    let events = simulate([0, 100, 110, 130, 65_000, 65_010, 65_020], |now| now >= 100);
    assert_eq!(events, [(65_000, LongPress), (65_010, Stuck)]);
}

#[test]
fn held_time_and_state_for_a_hint_on_the_tv() {
    let mut pin = PinMock::new(&[]);
    let mut button = CallButton::new(pin.clone(), Polarity::ActiveHigh);
    let mut script = Script::new();
    script
        .at(0, vec![Pin::get(State::Low)])
        .at(100, vec![Pin::get(State::High)])
        .at(130, vec![Pin::get(State::High)]);
    script.run(&mut pin, |now| {
        button.tick(now).unwrap();
    });
    assert!(button.is_pressed());
    assert!(!button.is_stuck());
    assert_eq!(button.held_ms(1_100), Some(1_000));
    button.destroy();
}

#[test]
fn custom_timing() {
    let timing = ButtonTiming {
        debounce_ms: 50,
        long_press_ms: 2_000,
        stuck_ms: 10_000,
    };
    let mut pin = PinMock::new(&[]);
    let mut button = CallButton::with_timing(pin.clone(), Polarity::ActiveLow, timing);
    assert_eq!(button.timing(), timing);
    let mut script = Script::new();
    script.every(10, 0, 12_000, |now| {
        vec![read((100..11_000).contains(&now))]
    });
    let mut events = Vec::new();
    script.run(&mut pin, |now| {
        if let Some(event) = button.tick(now).unwrap() {
            events.push((now, event));
        }
    });
    assert_eq!(
        events,
        [(2_100, LongPress), (10_100, Stuck), (11_050, StuckCleared)]
    );
}

#[test]
fn a_read_error_is_returned_and_the_state_kept() {
    let mut pin = PinMock::new(&[]);
    let mut button = CallButton::new(pin.clone(), Polarity::ActiveLow);
    let mut script = Script::new();
    script
        .at(0, vec![read(false)])
        .at(10, vec![read(true)])
        .at(
            20,
            vec![Pin::get(State::Low).with_error(MockError::Io(ErrorKind::Other))],
        )
        .at(40, vec![read(true)])
        .at(50, vec![read(false)])
        .at(80, vec![read(false)]);
    let mut events = Vec::new();
    script.run(&mut pin, |now| match button.tick(now) {
        Ok(Some(event)) => events.push((now, event)),
        Ok(None) => {}
        Err(e) => assert_eq!(now, 20, "{e:?}"),
    });
    assert_eq!(events, [(80, ShortPress)]);
}
