//! The front status LED: a few patterns a resident learns once, animated by
//! ticks.

use embedded_hal::digital::{OutputPin, PinState};

use crate::Polarity;

/// What the front LED shows.
///
/// The blinking patterns repeat with these periods (lit/dark in ms):
///
/// | pattern | meaning | cycle |
/// |---|---|---|
/// | [`Off`](Self::Off) | box idle, nothing to tell | dark |
/// | [`On`](Self::On) | box running, all well | lit |
/// | [`SlowBlink`](Self::SlowBlink) | today's check-in is due | 1000 lit, 1000 dark |
/// | [`FastBlink`](Self::FastBlink) | an SOS was sent | 200 lit, 200 dark (2.5 Hz) |
/// | [`Heartbeat`](Self::Heartbeat) | box offline (center unreachable) | 100 lit, 150 dark, 100 lit, 1650 dark |
///
/// The fast blink stays at 2.5 Hz, below the 3 Hz from which flashing light
/// is considered a risk for photosensitive people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LedPattern {
    /// Dark.
    #[default]
    Off,
    /// Lit steadily.
    On,
    /// Check-in due: one second lit, one second dark.
    SlowBlink,
    /// SOS sent: 2.5 flashes a second.
    FastBlink,
    /// Offline: a double flash every two seconds.
    Heartbeat,
}

impl LedPattern {
    /// The repeating cycle as (lit, duration in ms) segments; empty for the
    /// steady patterns.
    const fn cycle(self) -> &'static [(bool, u32)] {
        match self {
            LedPattern::Off | LedPattern::On => &[],
            LedPattern::SlowBlink => &[(true, 1000), (false, 1000)],
            LedPattern::FastBlink => &[(true, 200), (false, 200)],
            LedPattern::Heartbeat => &[(true, 100), (false, 150), (true, 100), (false, 1650)],
        }
    }

    /// Whether the LED is lit `elapsed_ms` after the pattern started, and
    /// how many ms after the start it next changes (`None`: never).
    fn at(self, elapsed_ms: u64) -> (bool, Option<u64>) {
        let cycle = self.cycle();
        if cycle.is_empty() {
            return (self == LedPattern::On, None);
        }
        let period: u64 = cycle.iter().map(|&(_, ms)| u64::from(ms)).sum();
        let cycle_start = elapsed_ms - elapsed_ms % period;
        let mut segment_end = cycle_start;
        for &(lit, ms) in cycle {
            segment_end += u64::from(ms);
            if elapsed_ms < segment_end {
                return (lit, Some(segment_end));
            }
        }
        unreachable!("the phase is shorter than the period")
    }
}

/// The front status LED on an output pin.
///
/// Call [`tick`](Self::tick) from the owner's loop (every 10–50 ms, or at
/// [`next_change_ms`](Self::next_change_ms)); the pin is written only when
/// its level changes. The driver starts in [`LedPattern::Off`] and leaves
/// the pin alone until the first `tick` or
/// [`set_pattern`](Self::set_pattern).
///
/// When a pin write fails, the error is returned and the next `tick`
/// writes the level again.
#[derive(Debug)]
pub struct StatusLed<P> {
    pin: P,
    polarity: Polarity,
    pattern: LedPattern,
    started_ms: u64,
    /// The logical state last written successfully; `None` before the first
    /// write and after a failed one.
    written: Option<bool>,
    next_change_ms: Option<u64>,
}

impl<P: OutputPin> StatusLed<P> {
    /// A driver for the LED on `pin`; `polarity` says which level lights it.
    pub fn new(pin: P, polarity: Polarity) -> Self {
        StatusLed {
            pin,
            polarity,
            pattern: LedPattern::Off,
            started_ms: 0,
            written: None,
            next_change_ms: None,
        }
    }

    /// Shows `pattern` from `now_ms` on.
    ///
    /// Idempotent: setting the pattern already shown keeps its phase (a
    /// blink does not restart) and only brings the pin up to date, so the
    /// owner may set the wanted pattern on every pass of its loop.
    pub fn set_pattern(&mut self, pattern: LedPattern, now_ms: u64) -> Result<(), P::Error> {
        if pattern != self.pattern {
            self.pattern = pattern;
            self.started_ms = now_ms;
        }
        self.tick(now_ms)
    }

    /// The pattern shown.
    pub fn pattern(&self) -> LedPattern {
        self.pattern
    }

    /// Brings the pin to the pattern's state at `now_ms`.
    ///
    /// `now_ms` is monotonic; an instant before the pattern started counts
    /// as its start.
    pub fn tick(&mut self, now_ms: u64) -> Result<(), P::Error> {
        let elapsed = now_ms.saturating_sub(self.started_ms);
        let (lit, next) = self.pattern.at(elapsed);
        self.next_change_ms = next.map(|after| self.started_ms + after);
        if self.written != Some(lit) {
            self.written = None;
            self.pin
                .set_state(PinState::from(self.polarity.level(lit)))?;
            self.written = Some(lit);
        }
        Ok(())
    }

    /// When the LED next changes, as of the last tick; `None` for a steady
    /// pattern. An owner that sleeps between ticks can sleep until then.
    pub fn next_change_ms(&self) -> Option<u64> {
        self.next_change_ms
    }

    /// Whether the LED was lit by the last successful write.
    pub fn is_lit(&self) -> bool {
        self.written == Some(true)
    }

    /// Gives the pin back, leaving it at its last level.
    pub fn destroy(self) -> P {
        self.pin
    }
}

#[cfg(test)]
mod tests {
    use super::LedPattern;

    #[test]
    fn heartbeat_segments() {
        let p = LedPattern::Heartbeat;
        assert_eq!(p.at(0), (true, Some(100)));
        assert_eq!(p.at(99), (true, Some(100)));
        assert_eq!(p.at(100), (false, Some(250)));
        assert_eq!(p.at(250), (true, Some(350)));
        assert_eq!(p.at(350), (false, Some(2000)));
        assert_eq!(p.at(1999), (false, Some(2000)));
        assert_eq!(p.at(2000), (true, Some(2100)));
        assert_eq!(p.at(20_250), (true, Some(20_350)));
    }

    #[test]
    fn steady_patterns_never_change() {
        assert_eq!(LedPattern::On.at(12_345), (true, None));
        assert_eq!(LedPattern::Off.at(12_345), (false, None));
    }
}
