//! The Raspberry Pi binding, in one place: the box's parts on the Pi's
//! GPIO, hardware PWM and I2C through `rppal`, with pins and bus from
//! `[hardware]` in `box.toml`.
//!
//! Needs `/dev/gpiomem` (or `/dev/gpiochipN`), `/sys/class/pwm/pwmchip0`
//! (`dtoverlay=pwm-2chan` in `config.txt`) for a PWM chime, and
//! `/dev/i2c-N` (`dtparam=i2c_arm=on`) for the room sensor; the daemon's
//! user needs the `gpio` and `i2c` groups. See `deploy/hw-tests.md`.

use anyhow::Context as _;
use mimamori_firmware::{Buzzer, CallButton, Chime, PinBuzzer, Polarity, Sht4x, StatusLed};
use rppal::gpio::{Gpio, InputPin, OutputPin};
use rppal::i2c::I2c;
use rppal::pwm::{Channel, Pwm};

use super::Drivers;
use super::config::{ChimeOutput, HardwareConfig};

/// The Pi's parts as a board.
pub type PiBoard = Drivers<OutputPin, PiBuzzer, InputPin, I2c>;

/// The chime on the Pi: a piezo on hardware PWM, or an active buzzer on a
/// GPIO.
#[derive(Debug)]
pub enum PiBuzzer {
    /// Hardware PWM at a set tone; the duty cycle sets the loudness.
    Pwm(Pwm),
    /// An active buzzer on a GPIO.
    Pin(PinBuzzer<OutputPin>),
}

impl Buzzer for PiBuzzer {
    type Error = String;

    fn set_duty_percent(&mut self, duty_percent: u8) -> Result<(), String> {
        match self {
            // A piezo is loudest at 50 %: scale 0–100 to 0–50 %.
            PiBuzzer::Pwm(pwm) => pwm
                .set_duty_cycle(f64::from(duty_percent.min(100)) / 200.0)
                .map_err(|e| e.to_string()),
            PiBuzzer::Pin(pin) => pin
                .set_duty_percent(duty_percent)
                .map_err(|e| format!("{e:?}")),
        }
    }
}

fn polarity(active_low: bool) -> Polarity {
    if active_low {
        Polarity::ActiveLow
    } else {
        Polarity::ActiveHigh
    }
}

/// Opens the parts `config` names. The error names the part and its key.
pub fn open(config: &HardwareConfig) -> anyhow::Result<PiBoard> {
    let gpio = || {
        Gpio::new().context("opening the GPIO (/dev/gpiomem); is this a Raspberry Pi, and is the user in the `gpio` group?")
    };
    let mut parts = Vec::new();
    let led = match config.led {
        Some((pin, active_low)) => {
            let out = gpio()?
                .get(pin)
                .with_context(|| format!("the LED's GPIO {pin} (hardware.led_pin)"))?
                .into_output_low();
            parts.push(format!("LED GPIO{pin}"));
            Some(StatusLed::new(out, polarity(active_low)))
        }
        None => None,
    };
    let chime = match config.chime {
        Some(ChimeOutput::Pwm {
            channel,
            frequency_hz,
        }) => {
            let ch = if channel == 0 {
                Channel::Pwm0
            } else {
                Channel::Pwm1
            };
            let pwm = Pwm::with_frequency(
                ch,
                f64::from(frequency_hz),
                0.0,
                rppal::pwm::Polarity::Normal,
                true,
            )
            .with_context(|| {
                format!("the chime's PWM channel {channel} (hardware.chime); is dtoverlay=pwm-2chan in config.txt?")
            })?;
            parts.push(format!("chime PWM{channel} at {frequency_hz} Hz"));
            Some(Chime::new(PiBuzzer::Pwm(pwm)))
        }
        Some(ChimeOutput::Gpio { pin }) => {
            let out = gpio()?
                .get(pin)
                .with_context(|| format!("the chime's GPIO {pin} (hardware.chime)"))?
                .into_output_low();
            parts.push(format!("chime GPIO{pin}"));
            Some(Chime::new(PiBuzzer::Pin(PinBuzzer::new(
                out,
                Polarity::ActiveHigh,
            ))))
        }
        None => None,
    };
    let button = match config.button {
        Some((pin, active_low)) => {
            let p = gpio()?
                .get(pin)
                .with_context(|| format!("the call button's GPIO {pin} (hardware.button_pin)"))?;
            let input = if active_low {
                p.into_input_pullup()
            } else {
                p.into_input_pulldown()
            };
            parts.push(format!("call button GPIO{pin}"));
            Some(CallButton::new(input, polarity(active_low)))
        }
        None => None,
    };
    let sensor = match config.sensor {
        Some((bus, address)) => {
            let i2c = I2c::with_bus(bus).with_context(|| {
                format!("the room sensor's bus /dev/i2c-{bus} (hardware.i2c_bus); is dtparam=i2c_arm=on in config.txt?")
            })?;
            parts.push(format!("SHT4x on i2c-{bus} at {address:#04x}"));
            Some(Sht4x::with_address(i2c, address))
        }
        None => None,
    };
    Ok(Drivers::new(
        led,
        chime,
        button,
        sensor,
        config.sensor_interval_s * 1000,
        format!("Raspberry Pi: {}", parts.join(", ")),
    ))
}
