//! The chime: short melodies on a piezo buzzer, animated by ticks.
//!
//! embedded-hal 1.0 can set a PWM channel's duty cycle but not its
//! frequency, so the board fixes the tone's pitch (for a passive piezo,
//! a PWM channel set to about 2–4 kHz, near its resonance; an active buzzer
//! has its own oscillator) and a melody here is a rhythm: a sequence of
//! [`Note`]s, each a duty cycle (0 = silence) held for a duration. On a
//! square wave the duty cycle sets the loudness, loudest at 50 %; on a plain
//! pin (an active buzzer) any duty above 0 switches the buzzer on. The
//! melodies differ by rhythm alone, so they stay recognisable on either.

use embedded_hal::digital::{OutputPin, PinState};
use embedded_hal::pwm::SetDutyCycle;

use crate::Polarity;

/// One step of a melody: a duty cycle held for a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Note {
    /// Duty cycle in percent of the period, 0 (silent) to 100; 50 is the
    /// loudest square wave. Values above 100 count as 100.
    pub duty_percent: u8,
    /// How long the note lasts, ms.
    pub duration_ms: u16,
}

impl Note {
    /// The loudest tone (50 % duty) for `duration_ms`.
    pub const fn tone(duration_ms: u16) -> Note {
        Note {
            duty_percent: 50,
            duration_ms,
        }
    }

    /// Silence for `duration_ms`.
    pub const fn rest(duration_ms: u16) -> Note {
        Note {
            duty_percent: 0,
            duration_ms,
        }
    }
}

/// The box's melodies. Loud and distinct by rhythm: many residents hear
/// high tones poorly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Melody {
    /// Time for the check-in or the medicine: two phrases of three beats,
    /// about 4 s.
    Reminder,
    /// Done, recorded: two short chirps.
    Confirm,
    /// Something went wrong: two long tones.
    Error,
}

const REMINDER: &[Note] = &[
    Note::tone(300),
    Note::rest(200),
    Note::tone(300),
    Note::rest(200),
    Note::tone(600),
    Note::rest(800),
    Note::tone(300),
    Note::rest(200),
    Note::tone(300),
    Note::rest(200),
    Note::tone(600),
];
const CONFIRM: &[Note] = &[Note::tone(80), Note::rest(60), Note::tone(80)];
const ERROR: &[Note] = &[Note::tone(500), Note::rest(100), Note::tone(500)];

impl Melody {
    /// The melody's notes.
    pub const fn notes(self) -> &'static [Note] {
        match self {
            Melody::Reminder => REMINDER,
            Melody::Confirm => CONFIRM,
            Melody::Error => ERROR,
        }
    }

    /// How long the melody lasts, ms.
    pub fn duration_ms(self) -> u32 {
        self.notes().iter().map(|n| u32::from(n.duration_ms)).sum()
    }
}

/// Something that sounds at a duty cycle: the chime's output.
///
/// Implemented by [`PwmBuzzer`] and [`PinBuzzer`]; a board with another
/// kind of sounder implements it itself.
pub trait Buzzer {
    /// The output's error.
    type Error;

    /// Sounds at `duty_percent` (0 = silent, 100 = always on) until told
    /// otherwise.
    fn set_duty_percent(&mut self, duty_percent: u8) -> Result<(), Self::Error>;
}

/// A passive piezo on a PWM channel whose frequency the board has set.
#[derive(Debug)]
pub struct PwmBuzzer<P> {
    pwm: P,
    max_duty: u16,
}

impl<P: SetDutyCycle> PwmBuzzer<P> {
    /// Wraps `pwm`, reading its maximum duty cycle once.
    pub fn new(pwm: P) -> Self {
        let max_duty = pwm.max_duty_cycle();
        PwmBuzzer { pwm, max_duty }
    }

    /// Gives the PWM channel back.
    pub fn destroy(self) -> P {
        self.pwm
    }
}

impl<P: SetDutyCycle> Buzzer for PwmBuzzer<P> {
    type Error = P::Error;

    fn set_duty_percent(&mut self, duty_percent: u8) -> Result<(), P::Error> {
        let percent = u32::from(duty_percent.min(100));
        // At most 65535 · 100 / 100: fits u16, rounded down.
        let duty = u32::from(self.max_duty) * percent / 100;
        self.pwm.set_duty_cycle(duty as u16)
    }
}

/// An active buzzer (with its own oscillator) on a plain output pin: on for
/// any duty above 0.
#[derive(Debug)]
pub struct PinBuzzer<P> {
    pin: P,
    polarity: Polarity,
}

impl<P: OutputPin> PinBuzzer<P> {
    /// Wraps `pin`; `polarity` says which level sounds the buzzer.
    pub fn new(pin: P, polarity: Polarity) -> Self {
        PinBuzzer { pin, polarity }
    }

    /// Gives the pin back.
    pub fn destroy(self) -> P {
        self.pin
    }
}

impl<P: OutputPin> Buzzer for PinBuzzer<P> {
    type Error = P::Error;

    fn set_duty_percent(&mut self, duty_percent: u8) -> Result<(), P::Error> {
        let on = duty_percent > 0;
        self.pin.set_state(PinState::from(self.polarity.level(on)))
    }
}

/// The chime: plays one melody at a time on a [`Buzzer`].
///
/// [`play`](Self::play) starts a melody, [`tick`](Self::tick) moves it on
/// (call it every 10–20 ms while [`is_playing`](Self::is_playing), or at
/// [`next_change_ms`](Self::next_change_ms)). The output is written only
/// when the duty cycle changes. A tick that comes late skips what it
/// missed, so the melody keeps its length. The buzzer is left alone until
/// the first `play` or `tick`; an idle tick keeps it silent.
#[derive(Debug)]
pub struct Chime<B> {
    buzzer: B,
    notes: &'static [Note],
    started_ms: u64,
    /// The duty cycle last written successfully; `None` before the first
    /// write and after a failed one.
    written: Option<u8>,
    next_change_ms: Option<u64>,
}

impl<P: SetDutyCycle> Chime<PwmBuzzer<P>> {
    /// A chime on a PWM channel (a passive piezo).
    pub fn pwm(pwm: P) -> Self {
        Chime::new(PwmBuzzer::new(pwm))
    }
}

impl<P: OutputPin> Chime<PinBuzzer<P>> {
    /// A chime on a plain pin (an active buzzer).
    pub fn pin(pin: P, polarity: Polarity) -> Self {
        Chime::new(PinBuzzer::new(pin, polarity))
    }
}

impl<B: Buzzer> Chime<B> {
    /// A silent chime on `buzzer`.
    pub fn new(buzzer: B) -> Self {
        Chime {
            buzzer,
            notes: &[],
            started_ms: 0,
            written: None,
            next_change_ms: None,
        }
    }

    /// Plays `melody` from its start at `now_ms`, cutting off whatever was
    /// playing (also the same melody: a new reminder starts again).
    pub fn play(&mut self, melody: Melody, now_ms: u64) -> Result<(), B::Error> {
        self.play_notes(melody.notes(), now_ms)
    }

    /// Plays any sequence of notes, like [`play`](Self::play).
    pub fn play_notes(&mut self, notes: &'static [Note], now_ms: u64) -> Result<(), B::Error> {
        self.notes = notes;
        self.started_ms = now_ms;
        self.tick(now_ms)
    }

    /// Silences the chime now.
    pub fn stop(&mut self) -> Result<(), B::Error> {
        self.notes = &[];
        self.next_change_ms = None;
        self.write(0)
    }

    /// Whether a melody is still playing as of the last tick.
    pub fn is_playing(&self) -> bool {
        !self.notes.is_empty()
    }

    /// Brings the output to the melody's note at `now_ms`; silence once it
    /// has ended.
    pub fn tick(&mut self, now_ms: u64) -> Result<(), B::Error> {
        let elapsed = now_ms.saturating_sub(self.started_ms);
        let mut note_end = 0u64;
        let mut current = None;
        for note in self.notes {
            note_end += u64::from(note.duration_ms);
            if elapsed < note_end {
                current = Some(note.duty_percent.min(100));
                break;
            }
        }
        let duty = match current {
            Some(duty) => {
                self.next_change_ms = Some(self.started_ms + note_end);
                duty
            }
            None => {
                self.notes = &[];
                self.next_change_ms = None;
                0
            }
        };
        self.write(duty)
    }

    fn write(&mut self, duty: u8) -> Result<(), B::Error> {
        if self.written != Some(duty) {
            self.written = None;
            self.buzzer.set_duty_percent(duty)?;
            self.written = Some(duty);
        }
        Ok(())
    }

    /// When the output next changes, as of the last tick; `None` when idle.
    pub fn next_change_ms(&self) -> Option<u64> {
        self.next_change_ms
    }

    /// Gives the buzzer back, leaving it at its last duty cycle (call
    /// [`stop`](Self::stop) first to silence it).
    pub fn destroy(self) -> B {
        self.buzzer
    }
}

#[cfg(test)]
mod tests {
    use super::Melody;

    #[test]
    fn melodies_are_short() {
        assert_eq!(Melody::Reminder.duration_ms(), 4_000);
        assert_eq!(Melody::Confirm.duration_ms(), 220);
        assert_eq!(Melody::Error.duration_ms(), 1_100);
    }

    #[test]
    fn melodies_start_and_end_with_a_tone() {
        for melody in [Melody::Reminder, Melody::Confirm, Melody::Error] {
            let notes = melody.notes();
            assert!(notes[0].duty_percent > 0);
            assert!(notes[notes.len() - 1].duty_percent > 0);
        }
    }
}
