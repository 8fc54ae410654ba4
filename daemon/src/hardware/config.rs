//! The `[hardware]` section of `box.toml`: which GPIO, PWM channel and I2C
//! bus the box's own parts use. Pure: parsed and checked here, opened by
//! the Pi binding.

use serde::Deserialize;

use crate::config::ConfigError;

/// Highest BCM GPIO number on the Pi's 40-pin header.
pub const MAX_GPIO: u8 = 27;

/// How the chime is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChimeOutput {
    /// A passive piezo on a hardware PWM channel (0 or 1: GPIO 18 or 19 with
    /// `dtoverlay=pwm-2chan`).
    Pwm {
        /// The channel.
        channel: u8,
        /// The tone, Hz.
        frequency_hz: u32,
    },
    /// An active buzzer (its own oscillator) on a plain GPIO.
    Gpio {
        /// BCM GPIO number.
        pin: u8,
    },
}

/// The box's own parts and where they are wired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareConfig {
    /// The front LED's GPIO, and whether low lights it.
    pub led: Option<(u8, bool)>,
    /// The chime.
    pub chime: Option<ChimeOutput>,
    /// The call button's GPIO, and whether low means pressed (wired to
    /// ground, with the pin's pull-up).
    pub button: Option<(u8, bool)>,
    /// The room sensor: I2C bus and 7-bit address.
    pub sensor: Option<(u8, u8)>,
    /// Seconds between room readings.
    pub sensor_interval_s: u64,
}

/// `[hardware]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct HardwareFile {
    led_pin: Option<i64>,
    led_active_low: bool,
    chime: String,
    chime_frequency_hz: i64,
    button_pin: Option<i64>,
    button_active_low: bool,
    sensor: bool,
    i2c_bus: i64,
    sensor_address: i64,
    sensor_interval_s: i64,
}

impl Default for HardwareFile {
    fn default() -> Self {
        Self {
            led_pin: Some(17),
            led_active_low: false,
            chime: "pwm0".into(),
            chime_frequency_hz: 2000,
            button_pin: Some(22),
            button_active_low: true,
            sensor: true,
            i2c_bus: 1,
            sensor_address: 0x44,
            sensor_interval_s: 60,
        }
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

fn gpio(key: &'static str, value: i64) -> Result<u8, ConfigError> {
    u8::try_from(value)
        .ok()
        .filter(|p| *p <= MAX_GPIO)
        .ok_or_else(|| {
            invalid(
                key,
                format!("GPIO {value} is not a BCM GPIO of the header (0–{MAX_GPIO})"),
            )
        })
}

impl HardwareFile {
    /// Checks the section; errors name the key.
    pub(crate) fn check(self) -> Result<HardwareConfig, ConfigError> {
        let led = self
            .led_pin
            .map(|p| gpio("hardware.led_pin", p).map(|p| (p, self.led_active_low)))
            .transpose()?;
        let button = self
            .button_pin
            .map(|p| gpio("hardware.button_pin", p).map(|p| (p, self.button_active_low)))
            .transpose()?;
        let chime = match self.chime.as_str() {
            "none" => None,
            "pwm0" | "pwm1" => {
                if !(100..=10_000).contains(&self.chime_frequency_hz) {
                    return Err(invalid(
                        "hardware.chime_frequency_hz",
                        format!(
                            "{} Hz is not between 100 and 10000",
                            self.chime_frequency_hz
                        ),
                    ));
                }
                Some(ChimeOutput::Pwm {
                    channel: u8::from(self.chime == "pwm1"),
                    frequency_hz: u32::try_from(self.chime_frequency_hz).unwrap_or(2000),
                })
            }
            other => match other.strip_prefix("gpio:") {
                Some(pin) => {
                    let pin: i64 = pin.parse().map_err(|_| {
                        invalid(
                            "hardware.chime",
                            format!("`{other}`: `{pin}` is not a GPIO number"),
                        )
                    })?;
                    Some(ChimeOutput::Gpio {
                        pin: gpio("hardware.chime", pin)?,
                    })
                }
                None => {
                    return Err(invalid(
                        "hardware.chime",
                        format!("`{other}` is not pwm0, pwm1, gpio:N or none"),
                    ));
                }
            },
        };
        let sensor = if self.sensor {
            let bus = u8::try_from(self.i2c_bus)
                .ok()
                .filter(|b| *b <= 22)
                .ok_or_else(|| {
                    invalid(
                        "hardware.i2c_bus",
                        format!("{} is not an I2C bus (0–22)", self.i2c_bus),
                    )
                })?;
            let address = u8::try_from(self.sensor_address)
                .ok()
                .filter(|a| (0x44..=0x46).contains(a))
                .ok_or_else(|| {
                    invalid(
                        "hardware.sensor_address",
                        format!(
                            "{:#x} is not an SHT4x address (0x44, 0x45 or 0x46)",
                            self.sensor_address
                        ),
                    )
                })?;
            Some((bus, address))
        } else {
            None
        };
        if !(5..=3600).contains(&self.sensor_interval_s) {
            return Err(invalid(
                "hardware.sensor_interval_s",
                format!("{} s is not between 5 and 3600", self.sensor_interval_s),
            ));
        }
        // Pins already taken: the I2C bus's SDA/SCL, the PWM channel's pin.
        let mut taken: Vec<(u8, &'static str)> = Vec::new();
        match sensor {
            Some((0, _)) => taken.extend([(0, "I2C bus 0"), (1, "I2C bus 0")]),
            Some((1, _)) => taken.extend([(2, "I2C bus 1"), (3, "I2C bus 1")]),
            _ => {}
        }
        match chime {
            Some(ChimeOutput::Pwm { channel: 0, .. }) => taken.push((18, "PWM channel 0")),
            Some(ChimeOutput::Pwm { .. }) => taken.push((19, "PWM channel 1")),
            _ => {}
        }
        let mut claim = |key: &'static str, pin: u8| -> Result<(), ConfigError> {
            if let Some((_, by)) = taken.iter().find(|(p, _)| *p == pin) {
                return Err(invalid(key, format!("GPIO {pin} is already used by {by}")));
            }
            taken.push((pin, key));
            Ok(())
        };
        if let Some((pin, _)) = led {
            claim("hardware.led_pin", pin)?;
        }
        if let Some(ChimeOutput::Gpio { pin }) = chime {
            claim("hardware.chime", pin)?;
        }
        if let Some((pin, _)) = button {
            claim("hardware.button_pin", pin)?;
        }
        Ok(HardwareConfig {
            led,
            chime,
            button,
            sensor,
            sensor_interval_s: u64::try_from(self.sensor_interval_s).unwrap_or(60),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HardwareConfig, ConfigError> {
        toml::from_str::<HardwareFile>(text)
            .map_err(|e| ConfigError::Syntax(e.to_string()))?
            .check()
    }

    #[test]
    fn defaults_and_choices() {
        let d = parse("").unwrap();
        assert_eq!(d.led, Some((17, false)));
        assert_eq!(
            d.chime,
            Some(ChimeOutput::Pwm {
                channel: 0,
                frequency_hz: 2000
            })
        );
        assert_eq!(d.button, Some((22, true)));
        assert_eq!(d.sensor, Some((1, 0x44)));
        let c = parse("chime = \"gpio:27\"\nsensor = false\nled_pin = 18\n").unwrap();
        assert_eq!(c.chime, Some(ChimeOutput::Gpio { pin: 27 }));
        assert_eq!(c.sensor, None);
        assert_eq!(
            c.led,
            Some((18, false)),
            "GPIO 18 is free without the PWM chime"
        );
        assert_eq!(parse("chime = \"none\"").unwrap().chime, None);
    }

    #[test]
    fn a_pin_used_twice_is_named() {
        let e = parse("led_pin = 18\n").unwrap_err().to_string();
        assert!(
            e.contains("hardware.led_pin") && e.contains("PWM channel 0"),
            "{e}"
        );
        let e = parse("chime = \"gpio:22\"\n").unwrap_err().to_string();
        assert!(
            e.contains("hardware.button_pin") && e.contains("hardware.chime"),
            "{e}"
        );
    }
}
