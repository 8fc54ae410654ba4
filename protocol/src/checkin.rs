//! A resident's daily check-in: how they feel, symptoms, medication, vitals,
//! whether they want a call, and how they proved who they are.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::ids::{CardUid, CertFingerprint, ResidentId, Signature};
use crate::tagged::tagged_enum;
use crate::validate::{self, Path, Problem, TextRule, Validate, ValidationError};

/// Longest free-text symptom note, in characters.
pub const MAX_SYMPTOM_NOTE_CHARS: usize = 200;

/// One check-in: the answer to 「今日の体調は？」.
///
/// ```json
/// {
///   "resident": 1042,
///   "condition": "fair",
///   "symptoms": ["cough", "other"],
///   "symptom_note": "のどが痛い",
///   "medication": [
///     {"slot": "morning", "status": "taken"},
///     {"slot": "evening", "status": "not_taken"}
///   ],
///   "vitals": {
///     "blood_pressure": {"systolic_mmhg": 138, "diastolic_mmhg": 84},
///     "pulse_bpm": 72,
///     "temperature_c": 36.8
///   },
///   "call_requested": false,
///   "auth": {
///     "method": "jpki",
///     "cert_fingerprint": "3b0c…(64 hex digits)",
///     "signature": "base64 of 256 bytes"
///   }
/// }
/// ```
///
/// Lists default to empty, `vitals` to none and `call_requested` to false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// Who answered.
    pub resident: ResidentId,
    /// よい / ふつう / わるい.
    pub condition: Condition,
    /// Symptoms from the closed list, each at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<Symptom>,
    /// Free text for その他, at most [`MAX_SYMPTOM_NOTE_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symptom_note: Option<String>,
    /// One entry per medication slot of the resident's care plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medication: Vec<MedicationEntry>,
    /// Measurements the resident entered, if any.
    #[serde(default, skip_serializing_if = "Vitals::is_empty")]
    pub vitals: Vitals,
    /// 「保健師さんに連絡してほしい」.
    #[serde(default)]
    pub call_requested: bool,
    /// How the resident was authenticated at the box.
    pub auth: Authentication,
}

impl Validate for CheckIn {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        let symptoms = path.field("symptoms");
        validate::unique(&symptoms, &self.symptoms, |s| s.as_str().to_owned())?;
        let note = path.field("symptom_note");
        if let Some(text) = &self.symptom_note {
            TextRule::line(MAX_SYMPTOM_NOTE_CHARS).check(&note, text)?;
        }
        let medication = path.field("medication");
        let slots: Vec<MedicationSlot> = self.medication.iter().map(|m| m.slot).collect();
        validate::unique(&medication, &slots, |s| s.as_str().to_owned())?;
        self.vitals.validate_at(&path.field("vitals"))
    }
}

/// How the resident feels today.
///
/// `"good"` (よい), `"fair"` (ふつう), `"poor"` (わるい).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// よい
    Good,
    /// ふつう
    Fair,
    /// わるい
    Poor,
}

/// A symptom from the closed list shown on the TV; anything else is
/// [`Symptom::Other`] with a note.
///
/// `"fever"` 熱, `"cough"` せき, `"pain"` 痛み, `"poor_appetite"` 食欲がない,
/// `"insomnia"` 眠れない, `"dizziness"` めまい, `"other"` その他.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// 熱
    Fever,
    /// せき
    Cough,
    /// 痛み
    Pain,
    /// 食欲がない
    PoorAppetite,
    /// 眠れない
    Insomnia,
    /// めまい
    Dizziness,
    /// その他
    Other,
}

/// A time of day at which the care plan schedules medication.
///
/// `"morning"` 朝, `"noon"` 昼, `"evening"` 夕, `"bedtime"` 寝る前.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MedicationSlot {
    /// 朝
    Morning,
    /// 昼
    Noon,
    /// 夕
    Evening,
    /// 寝る前
    Bedtime,
}

/// Whether the medication of a slot was taken. `"taken"`, `"not_taken"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MedicationStatus {
    /// 飲んだ
    Taken,
    /// 飲んでいない
    NotTaken,
}

/// The answer for one medication slot.
///
/// ```json
/// {"slot": "morning", "status": "taken"}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MedicationEntry {
    /// Which slot.
    pub slot: MedicationSlot,
    /// Taken or not.
    pub status: MedicationStatus,
}

macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $wire:literal, $ja:literal, $code:literal;)* }) => {
        impl $ty {
            /// Every value, in display order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),*];

            /// The value's name on the wire.
            pub fn as_str(&self) -> &'static str {
                match self { $(<$ty>::$variant => $wire,)* }
            }

            /// The value's label on the TV and in mail.
            pub fn label_ja(&self) -> &'static str {
                match self { $(<$ty>::$variant => $ja,)* }
            }

            /// The value's byte in the canonical encoding. Never reused.
            pub fn code(&self) -> u8 {
                match self { $(<$ty>::$variant => $code,)* }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_names!(Condition {
    Good => "good", "よい", 1;
    Fair => "fair", "ふつう", 2;
    Poor => "poor", "わるい", 3;
});

wire_names!(Symptom {
    Fever => "fever", "熱", 1;
    Cough => "cough", "せき", 2;
    Pain => "pain", "痛み", 3;
    PoorAppetite => "poor_appetite", "食欲がない", 4;
    Insomnia => "insomnia", "眠れない", 5;
    Dizziness => "dizziness", "めまい", 6;
    Other => "other", "その他", 7;
});

wire_names!(MedicationSlot {
    Morning => "morning", "朝", 1;
    Noon => "noon", "昼", 2;
    Evening => "evening", "夕", 3;
    Bedtime => "bedtime", "寝る前", 4;
});

wire_names!(MedicationStatus {
    Taken => "taken", "飲んだ", 1;
    NotTaken => "not_taken", "飲んでいない", 2;
});

/// A decimal with one digit after the point, kept as an integer number of
/// tenths so that it compares, hashes and signs exactly. On the wire a JSON
/// number: `36.8` (body temperature), `52.4` (weight). More digits after the
/// point are refused rather than rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tenths(pub i32);

impl Tenths {
    /// `whole.tenth`, e.g. `Tenths::new(36, 8)` is 36.8; negative values
    /// through [`Tenths`] directly.
    pub const fn new(whole: i32, tenth: i32) -> Self {
        Self(whole * 10 + tenth)
    }

    /// The value as a float, for display and arithmetic.
    pub fn as_f64(&self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", abs / 10, abs % 10)
    }
}

impl Serialize for Tenths {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Tenths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TenthsVisitor;

        impl de::Visitor<'_> for TenthsVisitor {
            type Value = Tenths;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number with at most one digit after the decimal point")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tenths, E> {
                v.checked_mul(10)
                    .and_then(|t| i32::try_from(t).ok())
                    .map(Tenths)
                    .ok_or_else(|| E::custom(format_args!("{v} is far too large")))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tenths, E> {
                let v = i64::try_from(v)
                    .map_err(|_| E::custom(format_args!("{v} is far too large")))?;
                self.visit_i64(v)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tenths, E> {
                let scaled = v * 10.0;
                let rounded = scaled.round();
                if !rounded.is_finite() || rounded.abs() > f64::from(i32::MAX) {
                    return Err(E::custom(format_args!("{v} is far too large")));
                }
                if (scaled - rounded).abs() > 1e-6 * rounded.abs().max(1.0) {
                    return Err(E::custom(format_args!(
                        "{v} has more than one digit after the decimal point"
                    )));
                }
                // In range and integral: checked above.
                #[allow(clippy::cast_possible_truncation)]
                Ok(Tenths(rounded as i32))
            }
        }

        deserializer.deserialize_any(TenthsVisitor)
    }
}

/// Measurements the resident entered. Each is optional; the care plan says
/// which the TV asks for.
///
/// ```json
/// {
///   "blood_pressure": {"systolic_mmhg": 138, "diastolic_mmhg": 84},
///   "pulse_bpm": 72,
///   "temperature_c": 36.8,
///   "weight_kg": 52.4,
///   "steps": 3200
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vitals {
    /// Blood pressure, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_pressure: Option<BloodPressure>,
    /// Pulse, beats per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_bpm: Option<u16>,
    /// Body temperature, °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<Tenths>,
    /// Body weight, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<Tenths>,
    /// Steps walked since midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
}

/// Blood pressure. `{"systolic_mmhg": 138, "diastolic_mmhg": 84}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BloodPressure {
    /// Systolic (upper) pressure, mmHg.
    pub systolic_mmhg: u16,
    /// Diastolic (lower) pressure, mmHg.
    pub diastolic_mmhg: u16,
}

/// The physiologically possible ranges that every side enforces: the TV's
/// number entry, the box before it stores a check-in, and the center.
/// Values outside are typing mistakes, not emergencies.
pub mod ranges {
    use super::Tenths;
    use std::ops::RangeInclusive;

    /// Systolic blood pressure, mmHg.
    pub const SYSTOLIC_MMHG: RangeInclusive<u16> = 60..=260;
    /// Diastolic blood pressure, mmHg.
    pub const DIASTOLIC_MMHG: RangeInclusive<u16> = 30..=160;
    /// Pulse, beats per minute.
    pub const PULSE_BPM: RangeInclusive<u16> = 25..=220;
    /// Body temperature, °C.
    pub const TEMPERATURE_C: RangeInclusive<Tenths> = Tenths::new(32, 0)..=Tenths::new(43, 0);
    /// Body weight, kg.
    pub const WEIGHT_KG: RangeInclusive<Tenths> = Tenths::new(20, 0)..=Tenths::new(250, 0);
    /// Steps in a day.
    pub const STEPS: RangeInclusive<u32> = 0..=100_000;
}

impl Vitals {
    /// Whether no measurement was entered.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn in_range<T: PartialOrd + fmt::Display + Copy>(
    path: &Path<'_>,
    value: Option<T>,
    range: &std::ops::RangeInclusive<T>,
) -> Result<(), ValidationError> {
    match value {
        Some(v) => validate::range(path, v, *range.start(), *range.end()),
        None => Ok(()),
    }
}

impl Validate for Vitals {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        if let Some(bp) = self.blood_pressure {
            let at = path.field("blood_pressure");
            in_range(
                &at.field("systolic_mmhg"),
                Some(bp.systolic_mmhg),
                &ranges::SYSTOLIC_MMHG,
            )?;
            in_range(
                &at.field("diastolic_mmhg"),
                Some(bp.diastolic_mmhg),
                &ranges::DIASTOLIC_MMHG,
            )?;
            if bp.diastolic_mmhg >= bp.systolic_mmhg {
                return Err(ValidationError::new(
                    &at,
                    Problem::Inconsistent("diastolic pressure must be lower than systolic"),
                ));
            }
        }
        in_range(&path.field("pulse_bpm"), self.pulse_bpm, &ranges::PULSE_BPM)?;
        in_range(
            &path.field("temperature_c"),
            self.temperature_c,
            &ranges::TEMPERATURE_C,
        )?;
        in_range(&path.field("weight_kg"), self.weight_kg, &ranges::WEIGHT_KG)?;
        in_range(&path.field("steps"), self.steps, &ranges::STEPS)
    }
}

/// How the resident proved who they are at the box.
///
/// My Number card (strong):
///
/// ```json
/// {"method": "jpki", "cert_fingerprint": "<64 hex digits>", "signature": "<base64>"}
/// ```
///
/// Trial card (weak, clonable):
///
/// ```json
/// {"method": "card_uid", "uid": "04A1B2C3D4E5F6"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Authentication {
    /// The JPKI user-authentication certificate signed the check-in.
    Jpki(JpkiProof),
    /// A registered trial card's UID was read.
    CardUid(UidProof),
}

tagged_enum!(Authentication, tag = "method", {
    "jpki" => Authentication::Jpki, JpkiProof;
    "card_uid" => Authentication::CardUid, UidProof;
});

impl Authentication {
    /// Whether this is the weak, clonable kind that the dashboard labels.
    pub fn is_weak(&self) -> bool {
        matches!(self, Authentication::CardUid(_))
    }
}

/// A JPKI signature: the card's PKCS#1 v1.5 RSA signature over the SHA-256 of
/// the check-in's canonical bytes ([`crate::canonical`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JpkiProof {
    /// SHA-256 of the user-authentication certificate.
    pub cert_fingerprint: CertFingerprint,
    /// The card's signature.
    pub signature: Signature,
}

/// A trial card's UID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidProof {
    /// The UID or IDm.
    pub uid: CardUid,
}
