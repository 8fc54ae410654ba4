//! Heat risk in a closed room: the 暑さ指数 (WBGT) estimated from air
//! temperature and relative humidity, and the Ministry of the
//! Environment's levels.
//!
//! WBGT proper needs a wet-bulb and a black-globe thermometer. Indoors,
//! with no sun on the resident and still air, it is well estimated from the
//! two things the room sensor measures. We use the indoor regression
//!
//! ```text
//! WBGT ≈ 0.725·Ta + 0.0368·RH + 0.00364·Ta·RH − 3.246      (Ta in °C, RH in %)
//! ```
//!
//! a regression of measured indoor WBGT on air temperature and humidity
//! that Japanese heat-illness material gives for rooms without radiant heat
//! (attributed to 小野雅司 and 登内道彦, whose estimates feed the Ministry
//! of the Environment's 熱中症予防情報サイト; the 日本生気象学会's
//! 「日常生活における熱中症予防指針」 publishes the matching indoor chart).
//! We have not checked it against the original paper or that chart: what
//! is checked here (see the tests) is that our integer arithmetic matches
//! the formula to the m°C, and that the formula reads 0.5–3 °C *above*
//! 0.7·(psychrometric wet bulb, Stull 2011) + 0.3·Ta over 22–38 °C and
//! 30–90 %RH — the safe side, since a natural wet bulb in still air is
//! warmer than a ventilated one. The error usually quoted for such
//! estimates against a WBGT meter is about ±1 °C in summer rooms; it does
//! not see radiant heat, so a room with afternoon sun on a window or a
//! heater on is worse than it says.
//!
//! The arithmetic is integer: inputs in m°C and m%, the result in m°C,
//! rounded to the nearest.

use crate::sht4x::div_round;

/// An estimated 暑さ指数 (WBGT), in m°C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wbgt(i32);

impl Wbgt {
    /// The indoor estimate from air temperature (m°C) and relative humidity
    /// (thousandths of a percent, 0–100 000; larger counts as 100 %).
    pub const fn indoor(temperature_millicelsius: i32, humidity_millipercent: u32) -> Wbgt {
        let t = temperature_millicelsius as i64;
        let h = if humidity_millipercent > 100_000 {
            100_000
        } else {
            humidity_millipercent as i64
        };
        // In units of 10⁻⁹ °C: 0.725·t + 0.0368·h + 0.00364·10⁻³·t·h
        // − 3246 m°C, scaled by 10⁶. |t·h| ≤ 2.2·10⁹ · 10⁵: no overflow.
        let num = 725_000 * t + 36_800 * h + 3_640 * t * h / 1_000 - 3_246_000_000;
        // 3 640·t·h / 1 000 drops less than 10⁻⁹ °C: far below the rounding.
        Wbgt(div_round(num, 1_000_000) as i32)
    }

    /// A WBGT given directly, in m°C (for a value from a WBGT meter or the
    /// Ministry's forecast).
    pub const fn from_millicelsius(millicelsius: i32) -> Wbgt {
        Wbgt(millicelsius)
    }

    /// The value in m°C.
    pub const fn millicelsius(self) -> i32 {
        self.0
    }

    /// The value in tenths of °C, rounded (as the Ministry publishes it).
    pub const fn tenths(self) -> i16 {
        div_round(self.0 as i64, 100) as i16
    }

    /// The guidance level for this value.
    pub const fn risk(self) -> HeatRisk {
        HeatRisk::from_wbgt(self)
    }
}

/// The levels of the Ministry of the Environment's 暑さ指数 guidance (from
/// the 日本生気象学会's 「日常生活に関する指針」), lowest first, so levels
/// compare with `<` and `>=`.
///
/// | level | WBGT | for daily life |
/// |---|---|---|
/// | [`Danger`](Self::Danger) 危険 | ≥ 31 | the elderly are at risk even at rest; stay in a cool room |
/// | [`SevereWarning`](Self::SevereWarning) 厳重警戒 | 28 – < 31 | avoid heat; keep rooms cool |
/// | [`Warning`](Self::Warning) 警戒 | 25 – < 28 | rest often during activity |
/// | [`Caution`](Self::Caution) 注意 | 21 – < 25 | drink water during heavy work |
/// | [`AlmostSafe`](Self::AlmostSafe) ほぼ安全 | < 21 | little risk; still drink |
///
/// A boundary belongs to the level above it: exactly 31.000 is 危険.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HeatRisk {
    /// ほぼ安全: WBGT below 21.
    AlmostSafe,
    /// 注意: 21 to below 25.
    Caution,
    /// 警戒: 25 to below 28.
    Warning,
    /// 厳重警戒: 28 to below 31.
    SevereWarning,
    /// 危険: 31 and above.
    Danger,
}

impl HeatRisk {
    /// The level of a WBGT value.
    pub const fn from_wbgt(wbgt: Wbgt) -> HeatRisk {
        match wbgt.0 {
            31_000.. => HeatRisk::Danger,
            28_000.. => HeatRisk::SevereWarning,
            25_000.. => HeatRisk::Warning,
            21_000.. => HeatRisk::Caution,
            _ => HeatRisk::AlmostSafe,
        }
    }

    /// The level's name as the Ministry writes it: 危険, 厳重警戒, 警戒, 注意,
    /// ほぼ安全.
    pub const fn label_ja(self) -> &'static str {
        match self {
            HeatRisk::AlmostSafe => "ほぼ安全",
            HeatRisk::Caution => "注意",
            HeatRisk::Warning => "警戒",
            HeatRisk::SevereWarning => "厳重警戒",
            HeatRisk::Danger => "危険",
        }
    }

    /// The lowest WBGT of the level, m°C; `None` for ほぼ安全.
    pub const fn lower_bound_millicelsius(self) -> Option<i32> {
        match self {
            HeatRisk::AlmostSafe => None,
            HeatRisk::Caution => Some(21_000),
            HeatRisk::Warning => Some(25_000),
            HeatRisk::SevereWarning => Some(28_000),
            HeatRisk::Danger => Some(31_000),
        }
    }
}
