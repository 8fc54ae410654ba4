//! `room_heat`: the room's 暑さ指数 (WBGT, estimated indoors from the box's
//! temperature and humidity readings) has stayed at 危険 (31 and above) for
//! `room_heat_after`. It closes by itself once a reading is below 厳重警戒
//! (under 28), so that a room hovering around 31 does not open and close
//! it at every heartbeat.

use jiff::Timestamp;
use mimamori_firmware::{HeatRisk, Wbgt};
use mimamori_protocol::Tenths;

use super::actions::Actions;
use super::calendar::{duration_ja, local_date, moment_ja};
use super::{Action, Thresholds, WatchState};
use crate::domain::AlertKind;

/// One room reading from a heartbeat of the resident's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomReading {
    /// When it was taken (the center's corrected time of the heartbeat).
    pub at: Timestamp,
    /// Air temperature, °C.
    pub temperature_c: Tenths,
    /// Relative humidity, %.
    pub humidity_pct: Tenths,
}

impl RoomReading {
    /// The indoor 暑さ指数 of this reading.
    pub fn wbgt(&self) -> Wbgt {
        let humidity = u32::try_from(self.humidity_pct.0.clamp(0, 1000)).unwrap_or(0);
        Wbgt::indoor(self.temperature_c.0.saturating_mul(100), humidity * 100)
    }

    /// Whether [`on_room_reading`] reads the readings before this one: only
    /// a reading at 危険 is traced back to the start of its run.
    pub fn needs_history(&self) -> bool {
        self.wbgt().risk() == HeatRisk::Danger
    }
}

/// `33.6`
fn tenths_text(tenths: i32) -> String {
    format!(
        "{}{}.{}",
        if tenths < 0 { "-" } else { "" },
        tenths.unsigned_abs() / 10,
        tenths.unsigned_abs() % 10
    )
}

/// The rule for a room reading just stored, `latest`, taken at
/// `latest.at`. `earlier` holds the box's readings before it, in any order,
/// at least those of the `room_heat_after` before it (none are needed
/// unless [`RoomReading::needs_history`]); readings after
/// `latest` are ignored, so a late heartbeat is judged as of its own time.
///
/// Opens `room_heat` when `latest` is at 危険 and so is every reading back
/// to one taken `room_heat_after` or more before it; closes an open one
/// when `latest` is below 厳重警戒.
pub fn on_room_reading(
    latest: &RoomReading,
    earlier: &[RoomReading],
    state: &WatchState,
    t: &Thresholds,
) -> Vec<Action> {
    let mut actions = Actions::new(state);
    let risk = latest.wbgt().risk();
    let year = local_date(latest.at, &state.tz).year();
    if risk == HeatRisk::Danger {
        let mut before: Vec<&RoomReading> = earlier.iter().filter(|r| r.at < latest.at).collect();
        before.sort_by_key(|r| std::cmp::Reverse(r.at));
        // The start of the run of 危険 that ends with `latest`.
        let since = before
            .iter()
            .take_while(|r| r.wbgt().risk() == HeatRisk::Danger)
            .last()
            .map_or(latest.at, |r| r.at);
        let lasted = latest.at.duration_since(since);
        if lasted >= t.room_heat_after && lasted.is_positive() {
            actions.open(AlertKind::RoomHeat, || {
                format!(
                    "室内の暑さ指数が{}「危険」のままです（{}から。{}に {}、室温 {}℃・湿度 {}%）",
                    duration_ja(lasted),
                    moment_ja(since, &state.tz, year),
                    moment_ja(latest.at, &state.tz, year),
                    tenths_text(i32::from(latest.wbgt().tenths())),
                    tenths_text(latest.temperature_c.0),
                    tenths_text(latest.humidity_pct.0),
                )
            });
        }
    } else if risk < HeatRisk::SevereWarning {
        if let Some(alert) = state.open_alert(AlertKind::RoomHeat) {
            actions.close(
                alert,
                format!(
                    "室内の暑さ指数が下がりました（{} {}「{}」）",
                    moment_ja(latest.at, &state.tz, year),
                    tenths_text(i32::from(latest.wbgt().tenths())),
                    risk.label_ja()
                ),
            );
        }
    }
    actions.into_vec()
}
