//! The big call button: debounced, with short press, long press (SOS) and
//! stuck-button detection, polled by ticks.

use embedded_hal::digital::InputPin;

use crate::Polarity;

/// How the call button's presses are told apart, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ButtonTiming {
    /// A change of level counts once it has held this long (contact
    /// bounce of a big arcade-style button lasts a few ms). Also the
    /// shortest press that counts.
    pub debounce_ms: u32,
    /// Holding this long is a long press: the SOS.
    pub long_press_ms: u32,
    /// Holding this long means the button is stuck (or something leans on
    /// it), not a person asking for help.
    pub stuck_ms: u32,
}

impl Default for ButtonTiming {
    /// 30 ms debounce, SOS after a 3 s hold, stuck after 60 s.
    fn default() -> Self {
        ButtonTiming {
            debounce_ms: 30,
            long_press_ms: 3_000,
            stuck_ms: 60_000,
        }
    }
}

/// What the call button did, returned by [`CallButton::tick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonEvent {
    /// Pressed and released before the long-press time: reported on
    /// release.
    ShortPress,
    /// Held for the long-press time: the SOS. Reported once, while the
    /// button is still held.
    LongPress,
    /// Held for the stuck time. Reported once; the button reports nothing
    /// else until it is released.
    Stuck,
    /// A stuck button was released; it works normally again.
    StuckCleared,
}

/// The call button on an input pin.
///
/// Call [`tick`](Self::tick) every 5–10 ms (well below the debounce time);
/// it reads the pin once and returns at most one event. When one tick is
/// late enough to make two events due (a hold that passed both the
/// long-press and the stuck time unseen), they come on successive ticks, in
/// order.
///
/// A button that is already held at the first tick (held down at power-on,
/// or stuck since before) never counts as a press: it must be released
/// first, so that a stuck button does not send an SOS on every boot. It is
/// still reported [`Stuck`](ButtonEvent::Stuck) when held long enough.
#[derive(Debug)]
pub struct CallButton<P> {
    pin: P,
    polarity: Polarity,
    timing: ButtonTiming,
    /// The last level read (`true` = active) and since when; `None` before
    /// the first read.
    raw: Option<(bool, u64)>,
    /// The debounced state and since when it holds (the first edge of the
    /// final, stable level).
    pressed: bool,
    pressed_since: u64,
    /// False while a press that was under way at the first tick lasts.
    armed: bool,
    long_reported: bool,
    stuck: bool,
}

impl<P: InputPin> CallButton<P> {
    /// A call button on `pin` with the default [`ButtonTiming`]; `polarity`
    /// says which level means pressed.
    pub fn new(pin: P, polarity: Polarity) -> Self {
        CallButton::with_timing(pin, polarity, ButtonTiming::default())
    }

    /// A call button with its own timing.
    pub fn with_timing(pin: P, polarity: Polarity, timing: ButtonTiming) -> Self {
        CallButton {
            pin,
            polarity,
            timing,
            raw: None,
            pressed: false,
            pressed_since: 0,
            armed: true,
            long_reported: false,
            stuck: false,
        }
    }

    /// Reads the pin at `now_ms` (monotonic) and returns what happened.
    pub fn tick(&mut self, now_ms: u64) -> Result<Option<ButtonEvent>, P::Error> {
        let active = self.polarity.is_active(self.pin.is_high()?);
        let (raw, raw_since) = match self.raw {
            None => {
                // First read: take the level as settled.
                self.pressed = active;
                self.pressed_since = now_ms;
                self.armed = !active;
                (active, now_ms)
            }
            Some((level, since)) if level == active => (level, since),
            Some(_) => (active, now_ms),
        };
        self.raw = Some((raw, raw_since));

        if raw != self.pressed
            && now_ms.saturating_sub(raw_since) >= u64::from(self.timing.debounce_ms)
        {
            self.pressed = raw;
            self.pressed_since = raw_since;
            if raw {
                self.long_reported = false;
                self.stuck = false;
            } else {
                return Ok(self.released());
            }
        }

        // A release still bouncing (not yet debounced) stops the hold: a
        // press let go at 2.99 s is a short press.
        if self.pressed && raw {
            let held = now_ms.saturating_sub(self.pressed_since);
            if self.armed
                && !self.long_reported
                && !self.stuck
                && held >= u64::from(self.timing.long_press_ms)
            {
                self.long_reported = true;
                return Ok(Some(ButtonEvent::LongPress));
            }
            if !self.stuck && held >= u64::from(self.timing.stuck_ms) {
                self.stuck = true;
                return Ok(Some(ButtonEvent::Stuck));
            }
        }
        Ok(None)
    }

    /// The debounced release: what it means depends on how the press went.
    fn released(&mut self) -> Option<ButtonEvent> {
        let event = if self.stuck {
            Some(ButtonEvent::StuckCleared)
        } else if self.armed && !self.long_reported {
            Some(ButtonEvent::ShortPress)
        } else {
            None
        };
        self.armed = true;
        self.long_reported = false;
        self.stuck = false;
        event
    }

    /// Whether the button is held (debounced), as of the last tick.
    pub fn is_pressed(&self) -> bool {
        self.pressed
    }

    /// How long the button has been held at `now_ms`, if it is (for a
    /// "keep holding for SOS" hint on the TV).
    pub fn held_ms(&self, now_ms: u64) -> Option<u64> {
        self.pressed
            .then(|| now_ms.saturating_sub(self.pressed_since))
    }

    /// Whether the button is reported stuck and not yet released.
    pub fn is_stuck(&self) -> bool {
        self.stuck
    }

    /// The timing in use.
    pub fn timing(&self) -> ButtonTiming {
        self.timing
    }

    /// Gives the pin back.
    pub fn destroy(self) -> P {
        self.pin
    }
}
