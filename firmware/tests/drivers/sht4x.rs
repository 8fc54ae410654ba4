//! The SHT4x's exact I2C traffic: commands, waits, answers, CRC failures
//! and bus errors.

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as Delay};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction as I2c};
use mimamori_firmware::{Error, HeatRisk, Measurement, Precision, Sht4x};

const ADDR: u8 = 0x44;

/// 31.500 °C, 65.000 %: S_T = 0x6FE8 (CRC 0x35), S_RH = 0x9168 (CRC 0x3A);
/// the CRCs computed independently of the driver.
const SUMMER_ROOM: [u8; 6] = [0x6F, 0xE8, 0x35, 0x91, 0x68, 0x3A];

const NACK: ErrorKind = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);

#[test]
fn blocking_measurement_writes_fd_waits_10_ms_and_reads_6_bytes() {
    let i2c = I2cMock::new(&[
        I2c::write(ADDR, vec![0xFD]),
        I2c::read(ADDR, SUMMER_ROOM.to_vec()),
    ]);
    let mut delay = CheckedDelay::new(&[Delay::delay_ms(10)]);
    let mut sensor = Sht4x::new(i2c);

    let m = sensor.measure(Precision::High, &mut delay).unwrap();

    assert_eq!(
        m,
        Measurement {
            raw_temperature: 0x6FE8,
            raw_humidity: 0x9168,
            temperature_millicelsius: 31_500, // 31 499.58
            humidity_millipercent: 65_000,    // 65 000.23
        }
    );
    assert_eq!((m.temperature_tenths(), m.humidity_tenths()), (315, 650));
    // 0.725·31.5 + 0.0368·65 + 0.00364·31.5·65 − 3.246 = 29.4364
    assert_eq!(m.wbgt().millicelsius(), 29_436);
    assert_eq!(m.wbgt().risk(), HeatRisk::SevereWarning);

    // The bus comes back from `destroy`.
    sensor.destroy().done();
    delay.done();
}

#[test]
fn other_precisions_use_their_commands_and_waits() {
    for (precision, command, wait) in [(Precision::Medium, 0xF6, 5), (Precision::Low, 0xE0, 2)] {
        let mut i2c = I2cMock::new(&[
            I2c::write(ADDR, vec![command]),
            I2c::read(ADDR, vec![0x66, 0x66, 0x93, 0x80, 0x00, 0xA2]),
        ]);
        let mut delay = CheckedDelay::new(&[Delay::delay_ms(wait)]);
        let mut sensor = Sht4x::new(i2c.clone());
        let m = sensor.measure(precision, &mut delay).unwrap();
        assert_eq!(m.temperature_millicelsius, 25_000);
        assert_eq!(m.humidity_millipercent, 56_501);
        i2c.done();
        delay.done();
    }
}

#[test]
fn non_blocking_measurement_reads_only_when_ready() {
    let mut i2c = I2cMock::new(&[I2c::write(ADDR, vec![0xFD])]);
    let mut sensor = Sht4x::new(i2c.clone());

    assert_eq!(sensor.start_measurement(Precision::High, 1_000), Ok(1_010));
    assert!(sensor.is_measuring());
    // Too early: the bus is not touched (the mock has nothing to read).
    assert_eq!(
        sensor.read_measurement(1_009),
        Err(Error::NotReady { ready_at_ms: 1_010 })
    );
    assert!(sensor.is_measuring());

    i2c.update_expectations(&[I2c::read(ADDR, SUMMER_ROOM.to_vec())]);
    let m = sensor.read_measurement(1_010).unwrap();
    assert_eq!(m.temperature_millicelsius, 31_500);
    assert!(!sensor.is_measuring());
    // Read once: a second read needs a new start.
    assert_eq!(sensor.read_measurement(1_020), Err(Error::NotStarted));
    i2c.done();
}

#[test]
fn reading_without_a_start_touches_nothing() {
    let mut i2c = I2cMock::new(&[]);
    let mut sensor = Sht4x::new(i2c.clone());
    let err = sensor.read_measurement(0).unwrap_err();
    assert_eq!(err, Error::NotStarted);
    assert!(!err.is_transient());
    i2c.done();
}

#[test]
fn a_bad_crc_on_either_word_is_an_error() {
    let mut bad_t = SUMMER_ROOM;
    bad_t[2] ^= 0x01;
    let mut bad_rh = SUMMER_ROOM;
    bad_rh[4] ^= 0x40; // a flipped data bit, the CRC left alone
    for answer in [bad_t, bad_rh] {
        let mut i2c = I2cMock::new(&[
            I2c::write(ADDR, vec![0xFD]),
            I2c::read(ADDR, answer.to_vec()),
        ]);
        let mut sensor = Sht4x::new(i2c.clone());
        sensor.start_measurement(Precision::High, 0).unwrap();
        let err = sensor.read_measurement(10).unwrap_err();
        assert_eq!(err, Error::Crc);
        assert!(err.is_transient());
        assert!(!sensor.is_measuring(), "a failed read ends the measurement");
        i2c.done();
    }
}

#[test]
fn a_missing_sensor_is_a_bus_error() {
    let mut i2c = I2cMock::new(&[I2c::write(ADDR, vec![0xFD]).with_error(NACK)]);
    let mut delay = CheckedDelay::new(&[]);
    let mut sensor = Sht4x::new(i2c.clone());
    let err = sensor.measure(Precision::High, &mut delay).unwrap_err();
    assert_eq!(err, Error::I2c(NACK));
    assert!(err.is_transient());
    assert!(!sensor.is_measuring());
    i2c.done();
    delay.done();
}

#[test]
fn a_failed_read_is_a_bus_error() {
    let mut i2c = I2cMock::new(&[
        I2c::write(ADDR, vec![0xFD]),
        I2c::read(ADDR, vec![0; 6]).with_error(ErrorKind::Bus),
    ]);
    let mut sensor = Sht4x::new(i2c.clone());
    sensor.start_measurement(Precision::High, 0).unwrap();
    assert_eq!(sensor.read_measurement(10), Err(Error::I2c(ErrorKind::Bus)));
    i2c.done();
}

#[test]
fn serial_number_is_two_checked_words() {
    let mut i2c = I2cMock::new(&[
        I2c::write(ADDR, vec![0x89]),
        I2c::read(ADDR, vec![0x12, 0x34, 0x37, 0xAB, 0xCD, 0x6F]),
    ]);
    let mut delay = CheckedDelay::new(&[Delay::delay_ms(10)]);
    let mut sensor = Sht4x::new(i2c.clone());
    assert_eq!(sensor.serial_number(&mut delay), Ok(0x1234_ABCD));
    i2c.done();
    delay.done();
}

#[test]
fn serial_number_with_a_bad_crc_is_an_error() {
    let mut i2c = I2cMock::new(&[
        I2c::write(ADDR, vec![0x89]),
        I2c::read(ADDR, vec![0x12, 0x34, 0x37, 0xAB, 0xCD, 0x00]),
    ]);
    let mut delay = CheckedDelay::new(&[Delay::delay_ms(10)]);
    let mut sensor = Sht4x::new(i2c.clone());
    assert_eq!(sensor.serial_number(&mut delay), Err(Error::Crc));
    i2c.done();
    delay.done();
}

#[test]
fn soft_reset_writes_94_and_waits_1_ms() {
    let mut i2c = I2cMock::new(&[I2c::write(ADDR, vec![0xFD]), I2c::write(ADDR, vec![0x94])]);
    let mut delay = CheckedDelay::new(&[Delay::delay_ms(1)]);
    let mut sensor = Sht4x::new(i2c.clone());
    sensor.start_measurement(Precision::High, 0).unwrap();
    sensor.soft_reset(&mut delay).unwrap();
    assert!(!sensor.is_measuring(), "a reset drops the measurement");
    assert_eq!(sensor.read_measurement(100), Err(Error::NotStarted));
    i2c.done();
    delay.done();
}

#[test]
fn another_address_for_the_bd1b_variant() {
    let mut i2c = I2cMock::new(&[
        I2c::write(0x45, vec![0xFD]),
        I2c::read(0x45, SUMMER_ROOM.to_vec()),
    ]);
    let mut delay = CheckedDelay::new(&[Delay::delay_ms(10)]);
    let mut sensor = Sht4x::with_address(i2c.clone(), 0x45);
    sensor.measure(Precision::High, &mut delay).unwrap();
    i2c.done();
    delay.done();
}

#[test]
fn errors_read_well() {
    assert_eq!(
        Error::<ErrorKind>::NotReady { ready_at_ms: 1_010 }.to_string(),
        "SHT4x measurement not ready before 1010 ms"
    );
    assert_eq!(
        Error::I2c(NACK).to_string(),
        "SHT4x I2C error: NoAcknowledge(Address)"
    );
}
