//! Protocol 1.1: tap stations. A station is a device with a card reader and
//! a display at a fixed place (a school, a library, a community center, an
//! evacuation shelter); a card tapped there becomes a [`Tap`] event, and the
//! center tells the station whom it will recognise ([`Person`]) and where
//! it stands ([`StationInfo`]).

use serde::{Deserialize, Serialize};

use crate::sync::{CardBinding, MAX_NAME_CHARS};
use crate::validate::{Path, Problem, TextRule, Validate, ValidationError};

/// Most people a station's roster holds: a town's children and, at a
/// shelter, its watch-over residents.
pub const MAX_PEOPLE_PER_STATION: usize = 100_000;

/// A card tapped at a station. Which station is the device that sends it;
/// when is the event's `recorded_at`.
///
/// ```json
/// {"type": "tap", "card": {"method": "card_uid", "uid": "04A1B2C3D4E5F6"}}
/// ```
///
/// A My Number card is named by the fingerprint of its user-authentication
/// certificate, read without a PIN; nothing is signed at a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tap {
    /// The card that was tapped.
    pub card: CardBinding,
}

/// Someone a station recognises by card: a registered child, or at a
/// shelter a watch-over resident. Only what the screen needs: the name.
///
/// ```json
/// {"name": "山田 花子", "name_kana": "やまだ はなこ",
///  "cards": [{"method": "card_uid", "uid": "04A1B2C3D4E5F6"}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The name shown on the station's screen.
    pub name: String,
    /// Its reading in hiragana.
    #[serde(default)]
    pub name_kana: String,
    /// The cards that identify this person.
    pub cards: Vec<CardBinding>,
}

impl Validate for Person {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NAME_CHARS).check(&path.field("name"), &self.name)?;
        TextRule::line(MAX_NAME_CHARS).check(&path.field("name_kana"), &self.name_kana)?;
        if self.cards.len() > 4 {
            return Err(ValidationError::new(
                &path.field("cards"),
                Problem::TooMany {
                    len: self.cards.len(),
                    max: 4,
                },
            ));
        }
        Ok(())
    }
}

/// Where a station stands, as registered at the center.
///
/// ```json
/// {"place": "南部小学校", "kind": "school"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationInfo {
    /// The place's name, shown on the station's screen.
    pub place: String,
    /// What kind of place.
    pub kind: StationKind,
}

impl Validate for StationInfo {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        TextRule::line(MAX_NAME_CHARS).check(&path.field("place"), &self.place)
    }
}

/// What kind of place a station is at. `"school"`, `"library"`,
/// `"community_center"`, `"shelter"`. Newer centers may add kinds; a
/// station reads those as [`StationKind::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 学校
    School,
    /// 図書館
    Library,
    /// 公民館・児童館
    CommunityCenter,
    /// 避難所
    Shelter,
    /// A kind this version does not know.
    #[serde(other)]
    Unknown,
}

impl StationKind {
    /// Every kind a center registers.
    pub const ALL: [StationKind; 4] = [
        StationKind::School,
        StationKind::Library,
        StationKind::CommunityCenter,
        StationKind::Shelter,
    ];

    /// The name on the wire and in the center's database.
    pub fn as_str(&self) -> &'static str {
        match self {
            StationKind::School => "school",
            StationKind::Library => "library",
            StationKind::CommunityCenter => "community_center",
            StationKind::Shelter => "shelter",
            StationKind::Unknown => "unknown",
        }
    }

    /// The kind named `text` (as [`Self::as_str`] writes it).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The label on screens and pages.
    pub fn label_ja(&self) -> &'static str {
        match self {
            StationKind::School => "学校",
            StationKind::Library => "図書館",
            StationKind::CommunityCenter => "公民館",
            StationKind::Shelter => "避難所",
            StationKind::Unknown => "その他",
        }
    }
}
