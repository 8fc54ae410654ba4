//! Sensirion SHT4x (SHT40/41/43/45) room temperature and humidity sensor
//! over I2C.
//!
//! Why this part: it is Sensirion's current, inexpensive 3.3 V I2C
//! temperature/humidity sensor (±0.2 °C and ±1.8 %RH typical for the
//! SHT40), sold on breakout boards by many vendors, and it needs no
//! calibration data: its answer converts with two fixed formulas. The older
//! SHT3x speaks 16-bit commands; a BME280 adds pressure we do not need and
//! a calibration table to read.
//!
//! Protocol (datasheet "SHT4x", section 4): the host writes a one-byte
//! command; a measurement takes up to 8.3 ms (high repeatability) during
//! which the sensor NACKs reads; then a 6-byte read returns two 16-bit
//! words, each followed by its CRC-8:
//!
//! ```text
//! write 0x44 [FD]            measure T and RH, high repeatability
//! (wait ≥ 10 ms)
//! read  0x44 [T_msb T_lsb T_crc RH_msb RH_lsb RH_crc]
//! ```
//!
//! `T = -45 + 175 · S_T / 65535` °C, `RH = -6 + 125 · S_RH / 65535` %,
//! the humidity clamped to 0–100 % (the datasheet's own advice).

use core::fmt;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;

use crate::heat::Wbgt;

/// Measure T and RH with high repeatability (max. 8.3 ms).
const MEASURE_HIGH: u8 = 0xFD;
/// Medium repeatability (max. 4.5 ms).
const MEASURE_MEDIUM: u8 = 0xF6;
/// Low repeatability (max. 1.6 ms).
const MEASURE_LOW: u8 = 0xE0;
/// Read the 32-bit serial number.
const READ_SERIAL: u8 = 0x89;
/// Soft reset (max. 1 ms).
const SOFT_RESET: u8 = 0x94;

/// How long after the serial-number command the answer is read. The
/// datasheet gives no figure; Sensirion's and Adafruit's drivers wait 10 ms.
const SERIAL_WAIT_MS: u32 = 10;
/// The soft reset's maximum duration.
const RESET_WAIT_MS: u32 = 1;

/// Measurement repeatability: more repeatable is slower and uses more power
/// (all are negligible at one reading a minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Command `0xFD`; 0.04 °C / 0.08 %RH repeatability; read after 10 ms.
    #[default]
    High,
    /// Command `0xF6`; 0.07 °C / 0.15 %RH; read after 5 ms.
    Medium,
    /// Command `0xE0`; 0.1 °C / 0.25 %RH; read after 2 ms.
    Low,
}

impl Precision {
    /// The measurement command.
    pub const fn command(self) -> u8 {
        match self {
            Precision::High => MEASURE_HIGH,
            Precision::Medium => MEASURE_MEDIUM,
            Precision::Low => MEASURE_LOW,
        }
    }

    /// How long after the command the result can be read, ms: the
    /// datasheet's maximum (8.3, 4.5, 1.6 ms) rounded up with a margin.
    pub const fn wait_ms(self) -> u32 {
        match self {
            Precision::High => 10,
            Precision::Medium => 5,
            Precision::Low => 2,
        }
    }
}

/// A driver error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<E> {
    /// The I2C bus failed (no sensor at the address answers with a NACK).
    I2c(E),
    /// A word of the sensor's answer did not match its CRC: a disturbed
    /// bus. The reading is dropped; the next one is likely fine.
    Crc,
    /// [`Sht4x::read_measurement`] without a measurement started.
    NotStarted,
    /// [`Sht4x::read_measurement`] before the sensor is done; the bus was
    /// not touched and the measurement is still pending.
    NotReady {
        /// When the result can be read, ms (same clock as `now_ms`).
        ready_at_ms: u64,
    },
}

impl<E> Error<E> {
    /// Whether trying again later may succeed: bus trouble and CRC
    /// mismatches are usually passing; the others are mistakes of the
    /// caller.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::I2c(_) | Error::Crc)
    }
}

impl<E> From<E> for Error<E> {
    fn from(e: E) -> Self {
        Error::I2c(e)
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::I2c(e) => write!(f, "SHT4x I2C error: {e:?}"),
            Error::Crc => f.write_str("SHT4x answer failed its CRC check"),
            Error::NotStarted => f.write_str("no SHT4x measurement was started"),
            Error::NotReady { ready_at_ms } => {
                write!(f, "SHT4x measurement not ready before {ready_at_ms} ms")
            }
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}

/// The Sensirion CRC-8 of `data`: polynomial 0x31 (x⁸ + x⁵ + x⁴ + 1),
/// initial value 0xFF, no reflection, no final XOR. `crc8(&[0xBE, 0xEF])`
/// is `0x92`.
pub const fn crc8(data: &[u8]) -> u8 {
    let mut crc: u8 = 0xFF;
    let mut i = 0;
    while i < data.len() {
        crc ^= data[i];
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x31
            } else {
                crc << 1
            };
            bit += 1;
        }
        i += 1;
    }
    crc
}

/// The two CRC-checked words of a 6-byte answer.
fn words(buf: &[u8; 6]) -> Option<(u16, u16)> {
    let word = |chunk: &[u8]| {
        (crc8(&chunk[..2]) == chunk[2]).then(|| u16::from_be_bytes([chunk[0], chunk[1]]))
    };
    Some((word(&buf[0..3])?, word(&buf[3..6])?))
}

/// Divides, rounding half away from zero (`den` > 0).
pub(crate) const fn div_round(num: i64, den: i64) -> i64 {
    if num >= 0 {
        (num + den / 2) / den
    } else {
        (num - den / 2) / den
    }
}

/// One temperature and humidity reading, converted in integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Measurement {
    /// The sensor's raw temperature word, `S_T`.
    pub raw_temperature: u16,
    /// The sensor's raw humidity word, `S_RH`.
    pub raw_humidity: u16,
    /// Temperature in m°C: `-45 000 + 175 000 · S_T / 65535`, rounded to
    /// the nearest (the sensor's resolution is 2.7 m°C).
    pub temperature_millicelsius: i32,
    /// Relative humidity in thousandths of a percent:
    /// `-6 000 + 125 000 · S_RH / 65535`, rounded, clamped to 0–100 000.
    pub humidity_millipercent: u32,
}

impl Measurement {
    /// Converts the sensor's two words.
    pub const fn from_raw(raw_temperature: u16, raw_humidity: u16) -> Measurement {
        let t = -45_000 + div_round(175_000 * raw_temperature as i64, 65_535);
        let rh = -6_000 + div_round(125_000 * raw_humidity as i64, 65_535);
        let rh = if rh < 0 {
            0
        } else if rh > 100_000 {
            100_000
        } else {
            rh
        };
        Measurement {
            raw_temperature,
            raw_humidity,
            // -45 000..=130 000 and 0..=100 000: both fit.
            temperature_millicelsius: t as i32,
            humidity_millipercent: rh as u32,
        }
    }

    /// Temperature in tenths of °C, rounded (the wire format's unit).
    pub const fn temperature_tenths(&self) -> i16 {
        div_round(self.temperature_millicelsius as i64, 100) as i16
    }

    /// Relative humidity in tenths of a percent, rounded.
    pub const fn humidity_tenths(&self) -> u16 {
        div_round(self.humidity_millipercent as i64, 100) as u16
    }

    /// The indoor 暑さ指数 (WBGT) estimated from this reading.
    pub fn wbgt(&self) -> Wbgt {
        Wbgt::indoor(self.temperature_millicelsius, self.humidity_millipercent)
    }
}

/// An SHT4x on an I2C bus.
///
/// Non-blocking use, from a loop that passes its monotonic time:
/// [`start_measurement`](Self::start_measurement), then, at or after the
/// instant it returns, [`read_measurement`](Self::read_measurement).
/// Blocking use: [`measure`](Self::measure) with a [`DelayNs`].
#[derive(Debug)]
pub struct Sht4x<I> {
    i2c: I,
    address: u8,
    /// The instant a started measurement can be read.
    pending: Option<u64>,
}

impl<I: I2c> Sht4x<I> {
    /// The address of the SHT40-AD1B, SHT41-AD1B, SHT45-AD1B: 0x44. Other
    /// variants answer at 0x45 (…-BD1B) or 0x46 (…-CD1B).
    pub const DEFAULT_ADDRESS: u8 = 0x44;

    /// A driver for the sensor at [`DEFAULT_ADDRESS`](Self::DEFAULT_ADDRESS).
    pub fn new(i2c: I) -> Self {
        Sht4x::with_address(i2c, Self::DEFAULT_ADDRESS)
    }

    /// A driver for the sensor at a 7-bit `address`.
    pub fn with_address(i2c: I, address: u8) -> Self {
        Sht4x {
            i2c,
            address,
            pending: None,
        }
    }

    /// Sends the measurement command at `now_ms` and returns when the result
    /// can be read. Starting again discards the pending measurement.
    pub fn start_measurement(
        &mut self,
        precision: Precision,
        now_ms: u64,
    ) -> Result<u64, Error<I::Error>> {
        self.pending = None;
        self.i2c.write(self.address, &[precision.command()])?;
        let ready_at_ms = now_ms.saturating_add(u64::from(precision.wait_ms()));
        self.pending = Some(ready_at_ms);
        Ok(ready_at_ms)
    }

    /// Reads the measurement started before, if its time has come.
    ///
    /// [`Error::NotReady`] leaves it pending without touching the bus; any
    /// other outcome ends it (a failed read needs a new start).
    pub fn read_measurement(&mut self, now_ms: u64) -> Result<Measurement, Error<I::Error>> {
        match self.pending {
            None => Err(Error::NotStarted),
            Some(ready_at_ms) if now_ms < ready_at_ms => Err(Error::NotReady { ready_at_ms }),
            Some(_) => {
                self.pending = None;
                let (t, rh) = self.read_words()?;
                Ok(Measurement::from_raw(t, rh))
            }
        }
    }

    /// Whether a measurement is started and not yet read.
    pub fn is_measuring(&self) -> bool {
        self.pending.is_some()
    }

    /// Measures and waits for the result on `delay` (≤ 10 ms).
    pub fn measure(
        &mut self,
        precision: Precision,
        delay: &mut impl DelayNs,
    ) -> Result<Measurement, Error<I::Error>> {
        self.pending = None;
        self.i2c.write(self.address, &[precision.command()])?;
        delay.delay_ms(precision.wait_ms());
        let (t, rh) = self.read_words()?;
        Ok(Measurement::from_raw(t, rh))
    }

    /// Reads the sensor's 32-bit serial number (waits 10 ms on `delay`).
    pub fn serial_number(&mut self, delay: &mut impl DelayNs) -> Result<u32, Error<I::Error>> {
        self.pending = None;
        self.i2c.write(self.address, &[READ_SERIAL])?;
        delay.delay_ms(SERIAL_WAIT_MS);
        let (high, low) = self.read_words()?;
        Ok(u32::from(high) << 16 | u32::from(low))
    }

    /// Resets the sensor (waits 1 ms on `delay`); any pending measurement
    /// is lost.
    pub fn soft_reset(&mut self, delay: &mut impl DelayNs) -> Result<(), Error<I::Error>> {
        self.pending = None;
        self.i2c.write(self.address, &[SOFT_RESET])?;
        delay.delay_ms(RESET_WAIT_MS);
        Ok(())
    }

    fn read_words(&mut self) -> Result<(u16, u16), Error<I::Error>> {
        let mut buf = [0u8; 6];
        self.i2c.read(self.address, &mut buf)?;
        words(&buf).ok_or(Error::Crc)
    }

    /// Gives the bus back.
    pub fn destroy(self) -> I {
        self.i2c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_datasheet_example() {
        assert_eq!(crc8(&[0xBE, 0xEF]), 0x92);
        assert_eq!(crc8(&[0x00, 0x00]), 0x81);
    }

    #[test]
    fn conversion_ends_of_the_range() {
        let low = Measurement::from_raw(0, 0);
        assert_eq!(low.temperature_millicelsius, -45_000);
        assert_eq!(low.humidity_millipercent, 0, "clamped from -6 %");
        let high = Measurement::from_raw(0xFFFF, 0xFFFF);
        assert_eq!(high.temperature_millicelsius, 130_000);
        assert_eq!(high.humidity_millipercent, 100_000, "clamped from 119 %");
    }

    #[test]
    fn conversion_rounds_to_the_nearest() {
        // 175 000 · 0x6666 / 65535 = 70 000.0 exactly: 25.000 °C.
        assert_eq!(
            Measurement::from_raw(0x6666, 0).temperature_millicelsius,
            25_000
        );
        // 175 000 · 1 / 65535 = 2.67 → 3: -44.997 °C.
        assert_eq!(
            Measurement::from_raw(1, 0).temperature_millicelsius,
            -44_997
        );
        // 125 000 · 0x8000 / 65535 = 62 500.95 → 62 501: 56.501 %.
        assert_eq!(
            Measurement::from_raw(0, 0x8000).humidity_millipercent,
            56_501
        );
    }

    #[test]
    fn tenths_round_half_away_from_zero() {
        let m = Measurement {
            raw_temperature: 0,
            raw_humidity: 0,
            temperature_millicelsius: -1_250,
            humidity_millipercent: 45_649,
        };
        assert_eq!(m.temperature_tenths(), -13);
        assert_eq!(m.humidity_tenths(), 456);
    }

    #[test]
    fn division_rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
    }
}
