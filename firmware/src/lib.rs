//! Drivers for the set-top box's own hardware, generic over embedded-hal 1.0
//! so that they run on the Raspberry Pi (through `rppal`) and on any other
//! board, and are tested against recorded bus transactions.
//!
//! The box has four parts of its own:
//!
//! | part | driver | bus | what it tells or shows |
//! |---|---|---|---|
//! | front LED | [`StatusLed`] | [`OutputPin`] | [`LedPattern`]: on, check-in due, SOS sent, offline |
//! | chime | [`Chime`] | [`SetDutyCycle`] (PWM) or [`OutputPin`] | [`Melody`]: reminder, confirm, error |
//! | call button | [`CallButton`] | [`InputPin`] | [`ButtonEvent`]: short press, SOS, stuck |
//! | room sensor | [`Sht4x`] | [`I2c`] | [`Measurement`] → [`Wbgt`] → [`HeatRisk`] (暑さ指数) |
//!
//! **Time is a parameter.** Nothing here reads a clock or sleeps: the owner
//! passes a monotonic `now_ms` (milliseconds since any fixed instant, e.g.
//! boot) to `tick`, and each animated driver says when it next needs one
//! (`next_change_ms`). Only [`Sht4x::measure`], [`Sht4x::serial_number`] and
//! [`Sht4x::soft_reset`] wait, on a [`DelayNs`] the caller lends them; the
//! measurement also has a non-blocking form.
//!
//! Every driver owns its bus or pin and hands it back from `destroy()`.
//! This crate is `no_std`, allocates nothing and has no `unsafe`.
//!
//! ```
//! use embedded_hal::digital::{ErrorType, OutputPin};
//! use mimamori_firmware::{LedPattern, Polarity, StatusLed};
//!
//! /// A pin that remembers its level, standing in for a GPIO.
//! struct Pin(bool);
//! impl ErrorType for Pin {
//!     type Error = core::convert::Infallible;
//! }
//! impl OutputPin for Pin {
//!     fn set_low(&mut self) -> Result<(), Self::Error> { self.0 = false; Ok(()) }
//!     fn set_high(&mut self) -> Result<(), Self::Error> { self.0 = true; Ok(()) }
//! }
//!
//! let mut led = StatusLed::new(Pin(false), Polarity::ActiveHigh);
//! led.set_pattern(LedPattern::SlowBlink, 0).unwrap(); // check-in due
//! assert!(led.is_lit());
//! led.tick(1_000).unwrap();
//! assert!(!led.is_lit());
//! assert_eq!(led.next_change_ms(), Some(2_000));
//! assert!(!led.destroy().0);
//!
//! // 32 °C and 60 % in a closed room: 暑さ指数 about 29.2, 厳重警戒.
//! let wbgt = mimamori_firmware::Wbgt::indoor(32_000, 60_000);
//! assert_eq!(wbgt.millicelsius(), 29_151);
//! assert_eq!(wbgt.risk().label_ja(), "厳重警戒");
//! ```
//!
//! [`OutputPin`]: embedded_hal::digital::OutputPin
//! [`InputPin`]: embedded_hal::digital::InputPin
//! [`SetDutyCycle`]: embedded_hal::pwm::SetDutyCycle
//! [`I2c`]: embedded_hal::i2c::I2c
//! [`DelayNs`]: embedded_hal::delay::DelayNs

#![no_std]
#![deny(unsafe_code, missing_docs)]

mod button;
mod chime;
mod heat;
mod led;
mod sht4x;

pub use button::{ButtonEvent, ButtonTiming, CallButton};
pub use chime::{Buzzer, Chime, Melody, Note, PinBuzzer, PwmBuzzer};
pub use heat::{HeatRisk, Wbgt};
pub use led::{LedPattern, StatusLed};
pub use sht4x::{Error, Measurement, Precision, Sht4x, crc8};

/// Which electrical level means "active" (LED lit, button pressed).
///
/// A button wired to ground with a pull-up resistor reads low when pressed
/// ([`Polarity::ActiveLow`]); an LED driven through a transistor from the
/// GPIO is usually [`Polarity::ActiveHigh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// High level = active.
    ActiveHigh,
    /// Low level = active.
    ActiveLow,
}

impl Polarity {
    /// The electrical level (`true` = high) for a logical state.
    const fn level(self, active: bool) -> bool {
        match self {
            Polarity::ActiveHigh => active,
            Polarity::ActiveLow => !active,
        }
    }

    /// Whether an electrical level (`true` = high) means active.
    const fn is_active(self, high: bool) -> bool {
        match self {
            Polarity::ActiveHigh => high,
            Polarity::ActiveLow => !high,
        }
    }
}
