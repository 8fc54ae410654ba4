//! The center's vocabulary: alerts, pauses, staff, contacts. Plain data,
//! shared by the watch engine, the store, the API and the CLI.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An alert's number at the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(pub i64);

impl fmt::Display for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A box's number at the center (its device id is its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoxId(pub i64);

/// Why an alert was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// No check-in for N days, counted against the daily deadline.
    Missed,
    /// わるい on several check-in days in a row.
    Declining,
    /// A measurement out of the safe range.
    Vitals,
    /// The resident asked for a call from a nurse.
    CallRequested,
    /// Someone pressed for help at the box.
    Sos,
    /// The box has not been heard from.
    BoxOffline,
    /// The room has stayed at heat-stroke danger.
    RoomHeat,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: &'static [AlertKind] = &[
        AlertKind::Missed,
        AlertKind::Declining,
        AlertKind::Vitals,
        AlertKind::CallRequested,
        AlertKind::Sos,
        AlertKind::BoxOffline,
        AlertKind::RoomHeat,
    ];

    /// The name in the database, the API and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertKind::Missed => "missed",
            AlertKind::Declining => "declining",
            AlertKind::Vitals => "vitals",
            AlertKind::CallRequested => "call_requested",
            AlertKind::Sos => "sos",
            AlertKind::BoxOffline => "box_offline",
            AlertKind::RoomHeat => "room_heat",
        }
    }

    /// The label nurses read.
    pub fn label_ja(&self) -> &'static str {
        match self {
            AlertKind::Missed => "記録が途絶えています",
            AlertKind::Declining => "体調の悪化",
            AlertKind::Vitals => "測定値の異常",
            AlertKind::CallRequested => "連絡の希望",
            AlertKind::Sos => "緊急通報",
            AlertKind::BoxOffline => "端末の通信途絶",
            AlertKind::RoomHeat => "室内の熱中症危険",
        }
    }

    /// Higher is more urgent; the dashboard sorts by it.
    pub fn severity(&self) -> u8 {
        match self {
            AlertKind::Sos => 5,
            AlertKind::RoomHeat => 4,
            AlertKind::CallRequested | AlertKind::Vitals => 3,
            AlertKind::Missed | AlertKind::Declining => 2,
            AlertKind::BoxOffline => 1,
        }
    }

    /// Whether a pause (hospital stay, trip) holds this kind back.
    pub fn suppressed_by_pause(&self) -> bool {
        matches!(self, AlertKind::Missed | AlertKind::Declining)
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AlertKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = AlertKind::ALL.iter().map(AlertKind::as_str).collect();
                format!("`{text}` is not an alert kind; one of {}", names.join(", "))
            })
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Nobody has taken it yet.
    Open,
    /// A nurse has taken it.
    Acknowledged,
    /// Closed, with a visit record or because the cause went away.
    Resolved,
}

impl AlertState {
    /// The name in the database, the API and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }
}

impl FromStr for AlertState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "open" => Ok(AlertState::Open),
            "acknowledged" => Ok(AlertState::Acknowledged),
            "resolved" => Ok(AlertState::Resolved),
            _ => Err(format!(
                "`{text}` is not an alert state; one of open, acknowledged, resolved"
            )),
        }
    }
}

/// Why a resident's watch is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// 入院中
    Hospital,
    /// 旅行中
    Travel,
    /// その他
    Other,
}

impl PauseReason {
    /// The name in the database, the API and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            PauseReason::Hospital => "hospital",
            PauseReason::Travel => "travel",
            PauseReason::Other => "other",
        }
    }

    /// The label nurses read.
    pub fn label_ja(&self) -> &'static str {
        match self {
            PauseReason::Hospital => "入院中",
            PauseReason::Travel => "旅行中",
            PauseReason::Other => "その他",
        }
    }
}

impl FromStr for PauseReason {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "hospital" | "入院中" => Ok(PauseReason::Hospital),
            "travel" | "旅行中" => Ok(PauseReason::Travel),
            "other" | "その他" => Ok(PauseReason::Other),
            _ => Err(format!(
                "`{text}` is not a pause reason; one of hospital (入院中), travel (旅行中), other (その他)"
            )),
        }
    }
}

/// The outcome of a nurse's visit (訪問記録).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    /// 本人確認: the resident was seen and is all right.
    SeenWell,
    /// 不在: nobody was home.
    NotHome,
    /// 救急搬送: taken to hospital by ambulance.
    Ambulance,
    /// その他
    Other,
}

impl VisitOutcome {
    /// The name in the database, the API and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            VisitOutcome::SeenWell => "seen_well",
            VisitOutcome::NotHome => "not_home",
            VisitOutcome::Ambulance => "ambulance",
            VisitOutcome::Other => "other",
        }
    }

    /// The label nurses read.
    pub fn label_ja(&self) -> &'static str {
        match self {
            VisitOutcome::SeenWell => "本人確認",
            VisitOutcome::NotHome => "不在",
            VisitOutcome::Ambulance => "救急搬送",
            VisitOutcome::Other => "その他",
        }
    }
}

impl FromStr for VisitOutcome {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "seen_well" | "本人確認" => Ok(VisitOutcome::SeenWell),
            "not_home" | "不在" => Ok(VisitOutcome::NotHome),
            "ambulance" | "救急搬送" => Ok(VisitOutcome::Ambulance),
            "other" | "その他" => Ok(VisitOutcome::Other),
            _ => Err(format!(
                "`{text}` is not a visit outcome; one of seen_well (本人確認), not_home (不在), ambulance (救急搬送), other (その他)"
            )),
        }
    }
}
