//! The 暑さ指数 estimate and its levels, at and around each boundary.

use mimamori_firmware::{HeatRisk, Measurement, Wbgt};

use HeatRisk::*;

#[test]
fn levels_at_their_boundaries() {
    // (WBGT m°C, level): a boundary belongs to the level above it.
    let table = [
        (-5_000, AlmostSafe),
        (20_999, AlmostSafe),
        (21_000, Caution),
        (24_999, Caution),
        (25_000, Warning),
        (27_999, Warning),
        (28_000, SevereWarning),
        (30_999, SevereWarning),
        (31_000, Danger),
        (40_000, Danger),
    ];
    for (millicelsius, level) in table {
        assert_eq!(
            Wbgt::from_millicelsius(millicelsius).risk(),
            level,
            "{millicelsius} m°C"
        );
    }
}

#[test]
fn labels_as_the_ministry_writes_them() {
    let labels: Vec<_> = [AlmostSafe, Caution, Warning, SevereWarning, Danger]
        .iter()
        .map(|level| level.label_ja())
        .collect();
    assert_eq!(labels, ["ほぼ安全", "注意", "警戒", "厳重警戒", "危険"]);
    assert!(AlmostSafe < Caution && SevereWarning < Danger);
    assert_eq!(Danger.lower_bound_millicelsius(), Some(31_000));
    assert_eq!(AlmostSafe.lower_bound_millicelsius(), None);
}

/// The formula in floating point, as a second opinion on the integer one.
fn formula(t_c: f64, rh_pct: f64) -> f64 {
    0.725 * t_c + 0.0368 * rh_pct + 0.00364 * t_c * rh_pct - 3.246
}

#[test]
fn room_readings_and_their_levels() {
    // (m°C, m%, expected WBGT m°C, level), worked out in exact rational
    // arithmetic from 0.725·Ta + 0.0368·RH + 0.00364·Ta·RH − 3.246; the
    // comment is the unrounded value. Pairs of readings straddle each
    // boundary. The level is that of the value rounded to the m°C.
    let table = [
        (22_000, 40_000, 17_379, AlmostSafe), // 17 379.200, a spring day
        (22_600, 66_000, 20_997, AlmostSafe), // 20 997.224
        (21_300, 77_000, 21_000, Caution),    // 21 000.064, rainy season
        (25_000, 60_000, 22_547, Caution),    // 22 547.000
        (27_600, 60_000, 25_000, Warning),    // 24 999.840, rounds up
        (26_200, 70_000, 25_001, Warning),    // 25 000.760
        (30_000, 65_000, 27_994, Warning),    // 27 994.000
        (34_200, 40_000, 28_001, SevereWarning), // 28 000.520, dry heat
        (32_000, 60_000, 29_151, SevereWarning), // 29 150.800
        (32_800, 67_000, 30_999, SevereWarning), // 30 998.864
        (36_100, 48_000, 31_000, Danger),     // 31 000.292
        (38_000, 40_000, 31_309, Danger),     // 31 308.800
        (33_000, 70_000, 31_663, Danger),     // 31 663.400, closed room, no air conditioner
    ];
    for (t, rh, wbgt, level) in table {
        let estimate = Wbgt::indoor(t, rh);
        assert_eq!(estimate.millicelsius(), wbgt, "{t} m°C, {rh} m%");
        assert_eq!(estimate.risk(), level, "{t} m°C, {rh} m%");
        let float = formula(t as f64 / 1000.0, rh as f64 / 1000.0) * 1000.0;
        assert!((float - wbgt as f64).abs() <= 0.5, "{float} vs {wbgt}");
    }
}

#[test]
fn integer_arithmetic_matches_the_formula_everywhere() {
    for t in (-20_000..=50_000).step_by(1_237) {
        for rh in (0..=100_000).step_by(2_113) {
            let exact = formula(t as f64 / 1000.0, rh as f64 / 1000.0) * 1000.0;
            let ours = Wbgt::indoor(t, rh as u32).millicelsius() as f64;
            assert!(
                (exact - ours).abs() <= 0.5 + 1e-6,
                "{t}, {rh}: {exact} vs {ours}"
            );
        }
    }
}

#[test]
fn humidity_above_100_percent_counts_as_100() {
    assert_eq!(Wbgt::indoor(30_000, 250_000), Wbgt::indoor(30_000, 100_000));
}

#[test]
fn tenths_as_the_ministry_publishes() {
    assert_eq!(Wbgt::from_millicelsius(29_151).tenths(), 292);
    assert_eq!(Wbgt::from_millicelsius(29_149).tenths(), 291);
    assert_eq!(Wbgt::from_millicelsius(-1_250).tenths(), -13);
}

/// Stull (2011) wet-bulb temperature from air temperature and humidity,
/// ±0.3 °C for RH 5–99 %, Ta −20–50 °C.
fn stull_wet_bulb(t: f64, rh: f64) -> f64 {
    t * (0.151_977 * (rh + 8.313_659).sqrt()).atan() + (t + rh).atan() - (rh - 1.676_331).atan()
        + 0.003_918_38 * rh.powf(1.5) * (0.023_101 * rh).atan()
        - 4.686_035
}

#[test]
fn the_estimate_reads_on_the_safe_side_of_a_psychrometric_wbgt() {
    // Indoors with the globe at air temperature, WBGT = 0.7·Tnw + 0.3·Ta.
    // The natural (unventilated) wet bulb is warmer than the psychrometric
    // one, so the estimate should read above 0.7·Tw + 0.3·Ta — by up to
    // about 2.5 °C in humid summer rooms, as the module docs say.
    for t in [22.0, 25.0, 28.0, 30.0, 32.0, 35.0, 38.0] {
        for rh in [30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0] {
            let psychrometric = 0.7 * stull_wet_bulb(t, rh) + 0.3 * t;
            let ours = Wbgt::indoor((t * 1000.0) as i32, (rh * 1000.0) as u32).millicelsius()
                as f64
                / 1000.0;
            let above = ours - psychrometric;
            assert!((0.5..=3.2).contains(&above), "{t} °C {rh} %: +{above:.2}");
        }
    }
}

#[test]
fn a_sensor_reading_gives_its_risk() {
    // 0x7F5A, 0x6B4E: 42.058 °C, 46.396 % — a dangerous room.
    let m = Measurement::from_raw(0x7F5A, 0x6B4E);
    assert_eq!(m.temperature_millicelsius, 42_058);
    assert_eq!(m.humidity_millipercent, 46_396);
    assert_eq!(m.wbgt().risk(), Danger);
}
