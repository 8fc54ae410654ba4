//! A stand-in for the box's parts in tests of the runtime: the test presses
//! the call button and sets the room, and reads back what the LED shows and
//! which melodies played.
//!
//! ```
//! use mimamori_daemon::hardware::fake::FakeBoard;
//! use mimamori_daemon::hardware::{Board, HardwareEvent};
//! use mimamori_firmware::{ButtonEvent, LedPattern};
//!
//! let (mut board, parts) = FakeBoard::new();
//! parts.hold_button();
//! board.set_led(LedPattern::FastBlink, 0).unwrap();
//! let mut events = Vec::new();
//! board.tick(0, &mut events).unwrap();
//! assert_eq!(events, [HardwareEvent::Button(ButtonEvent::LongPress)]);
//! assert_eq!(parts.led(), LedPattern::FastBlink);
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use mimamori_firmware::{ButtonEvent, LedPattern, Measurement, Melody};

use super::{Board, BoardError, HardwareEvent};

#[derive(Debug, Default)]
struct State {
    led: Option<LedPattern>,
    melodies: Vec<Melody>,
    pending: Vec<HardwareEvent>,
    rested: bool,
}

/// The fake parts, as the board sees them.
#[derive(Debug)]
pub struct FakeBoard {
    state: Arc<Mutex<State>>,
}

/// The test's side of the fake parts.
#[derive(Debug, Clone)]
pub struct FakeParts {
    state: Arc<Mutex<State>>,
}

impl FakeBoard {
    /// A board and the handle that drives and watches it.
    pub fn new() -> (Self, FakeParts) {
        let state = Arc::new(Mutex::new(State::default()));
        (
            Self {
                state: state.clone(),
            },
            FakeParts { state },
        )
    }
}

impl FakeParts {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The call button held for the long-press time.
    pub fn hold_button(&self) {
        self.with(|s| {
            s.pending
                .push(HardwareEvent::Button(ButtonEvent::LongPress))
        });
    }

    /// The call button pressed briefly.
    pub fn tap_button(&self) {
        self.with(|s| {
            s.pending
                .push(HardwareEvent::Button(ButtonEvent::ShortPress))
        });
    }

    /// A room reading of `temperature_c` and `humidity_pct` (whole units).
    pub fn room(&self, temperature_c: i32, humidity_pct: i32) {
        // The sensor's raw words for these values (the inverse of
        // `Measurement::from_raw`, to the nearest word).
        let raw_t = ((temperature_c + 45) * 65_535 + 87) / 175;
        let raw_h = ((humidity_pct + 6) * 65_535 + 62) / 125;
        let m = Measurement::from_raw(
            u16::try_from(raw_t.clamp(0, 65_535)).unwrap_or(0),
            u16::try_from(raw_h.clamp(0, 65_535)).unwrap_or(0),
        );
        self.with(|s| s.pending.push(HardwareEvent::Room(m)));
    }

    /// The room sensor stops answering.
    pub fn sensor_fails(&self) {
        self.with(|s| s.pending.push(HardwareEvent::SensorFailed));
    }

    /// The LED's pattern (off until set).
    pub fn led(&self) -> LedPattern {
        self.with(|s| s.led.unwrap_or(LedPattern::Off))
    }

    /// Every melody played, in order.
    pub fn melodies(&self) -> Vec<Melody> {
        self.with(|s| s.melodies.clone())
    }

    /// Whether the board was put at rest (the daemon stopped).
    pub fn rested(&self) -> bool {
        self.with(|s| s.rested)
    }
}

impl Board for FakeBoard {
    fn describe(&self) -> String {
        "fake parts (tests)".into()
    }

    fn set_led(&mut self, pattern: LedPattern, _now_ms: u64) -> Result<(), BoardError> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .led = Some(pattern);
        Ok(())
    }

    fn play(&mut self, melody: Melody, _now_ms: u64) -> Result<(), BoardError> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .melodies
            .push(melody);
        Ok(())
    }

    fn tick(&mut self, now_ms: u64, events: &mut Vec<HardwareEvent>) -> Result<u64, BoardError> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        events.append(&mut s.pending);
        // Polled like a real button.
        Ok(now_ms + super::BUTTON_POLL_MS)
    }

    fn rest(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.led = Some(LedPattern::Off);
        s.rested = true;
    }
}
