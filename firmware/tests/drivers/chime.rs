//! The chime's duty cycles over simulated time, on PWM and on a plain pin.

use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Pin};
use embedded_hal_mock::eh1::pwm::{Mock as PwmMock, Transaction as Pwm};
use mimamori_firmware::{Chime, Melody, Note, Polarity};

use crate::Script;

/// A PWM channel whose maximum duty is 1000, as its chime reads it once.
fn pwm_chime() -> (PwmMock, Chime<mimamori_firmware::PwmBuzzer<PwmMock>>) {
    let mut pwm = PwmMock::new(&[Pwm::max_duty_cycle(1_000)]);
    let chime = Chime::pwm(pwm.clone());
    pwm.update_expectations(&[]);
    (pwm, chime)
}

/// Plays `melody` at 0 ms and ticks every 10 ms up to `until`, expecting
/// exactly the duty writes `changes` (ms, duty) and no others.
fn check_melody(melody: Melody, until: u64, changes: &[(u64, u16)]) {
    let (mut pwm, mut chime) = pwm_chime();
    let mut script = Script::new();
    script.every(10, 0, until, |now| {
        changes
            .iter()
            .filter(|&&(at, _)| at == now)
            .map(|&(_, duty)| Pwm::set_duty_cycle(duty))
            .collect()
    });
    script.run(&mut pwm, |now| {
        if now == 0 {
            chime.play(melody, now).unwrap();
        } else {
            chime.tick(now).unwrap();
        }
        assert_eq!(chime.is_playing(), now < melody.duration_ms().into());
    });
}

#[test]
fn confirm_is_two_short_chirps() {
    check_melody(
        Melody::Confirm,
        500,
        &[(0, 500), (80, 0), (140, 500), (220, 0)],
    );
}

#[test]
fn error_is_two_long_tones() {
    check_melody(
        Melody::Error,
        1_500,
        &[(0, 500), (500, 0), (600, 500), (1_100, 0)],
    );
}

#[test]
fn reminder_is_two_phrases_of_three() {
    check_melody(
        Melody::Reminder,
        5_000,
        &[
            (0, 500),
            (300, 0),
            (500, 500),
            (800, 0),
            (1_000, 500),
            (1_600, 0),
            (2_400, 500),
            (2_700, 0),
            (2_900, 500),
            (3_200, 0),
            (3_400, 500),
            (4_000, 0),
        ],
    );
}

#[test]
fn duty_scales_to_the_channel_and_caps_at_100_percent() {
    static NOTES: [Note; 3] = [
        Note {
            duty_percent: 25,
            duration_ms: 10,
        },
        Note {
            duty_percent: 100,
            duration_ms: 10,
        },
        Note {
            duty_percent: 250,
            duration_ms: 10,
        },
    ];
    let mut pwm = PwmMock::new(&[Pwm::max_duty_cycle(4_095)]);
    let mut chime = Chime::pwm(pwm.clone());
    let mut script = Script::new();
    script
        .at(0, vec![Pwm::set_duty_cycle(1_023)]) // 25 % of 4095, rounded down
        .at(10, vec![Pwm::set_duty_cycle(4_095)])
        .at(20, vec![]) // 250 % counts as 100 %: the same duty, no write
        .at(30, vec![Pwm::set_duty_cycle(0)]);
    script.run(&mut pwm, |now| {
        if now == 0 {
            chime.play_notes(&NOTES, now).unwrap();
        } else {
            chime.tick(now).unwrap();
        }
    });
}

#[test]
fn a_late_tick_skips_to_the_current_note() {
    let (mut pwm, mut chime) = pwm_chime();
    let mut script = Script::new();
    script
        .at(0, vec![Pwm::set_duty_cycle(500)])
        // Missed the 80–140 ms rest; the second chirp is on: no change.
        .at(150, vec![])
        .at(400, vec![Pwm::set_duty_cycle(0)]);
    script.run(&mut pwm, |now| {
        if now == 0 {
            chime.play(Melody::Confirm, now).unwrap();
        } else {
            chime.tick(now).unwrap();
        }
    });
}

#[test]
fn play_restarts_and_stop_silences() {
    let (mut pwm, mut chime) = pwm_chime();
    let mut script = Script::new();
    script
        .at(0, vec![Pwm::set_duty_cycle(500)]) // reminder
        .at(350, vec![Pwm::set_duty_cycle(0)])
        .at(360, vec![Pwm::set_duty_cycle(500)]) // confirm cuts in
        .at(440, vec![Pwm::set_duty_cycle(0)])
        .at(450, vec![Pwm::set_duty_cycle(500)]) // error cuts in
        .at(460, vec![Pwm::set_duty_cycle(0)]) // stop
        .at(2_000, vec![]);
    script.run(&mut pwm, |now| match now {
        0 => chime.play(Melody::Reminder, now).unwrap(),
        360 => chime.play(Melody::Confirm, now).unwrap(),
        450 => chime.play(Melody::Error, now).unwrap(),
        460 => {
            chime.stop().unwrap();
            assert!(!chime.is_playing());
            assert_eq!(chime.next_change_ms(), None);
        }
        _ => chime.tick(now).unwrap(),
    });
    chime.destroy().destroy();
}

#[test]
fn an_idle_tick_keeps_the_buzzer_silent_once() {
    let (mut pwm, mut chime) = pwm_chime();
    let mut script = Script::new();
    script
        .at(0, vec![Pwm::set_duty_cycle(0)])
        .every(10, 10, 100, |_| vec![]);
    script.run(&mut pwm, |now| chime.tick(now).unwrap());
}

#[test]
fn next_change_follows_the_notes() {
    let (mut pwm, mut chime) = pwm_chime();
    pwm.update_expectations(&[Pwm::set_duty_cycle(500), Pwm::set_duty_cycle(0)]);
    chime.play(Melody::Confirm, 1_000).unwrap();
    assert_eq!(chime.next_change_ms(), Some(1_080));
    chime.tick(1_080).unwrap();
    assert_eq!(chime.next_change_ms(), Some(1_140));
    pwm.done();
}

#[test]
fn an_active_buzzer_on_a_pin_follows_the_rhythm() {
    let mut pin = PinMock::new(&[]);
    let mut chime = Chime::pin(pin.clone(), Polarity::ActiveLow);
    let mut script = Script::new();
    script.every(10, 0, 300, |now| match now {
        0 | 140 => vec![Pin::set(State::Low)],
        80 | 220 => vec![Pin::set(State::High)],
        _ => vec![],
    });
    script.run(&mut pin, |now| {
        if now == 0 {
            chime.play(Melody::Confirm, now).unwrap();
        } else {
            chime.tick(now).unwrap();
        }
    });
}
