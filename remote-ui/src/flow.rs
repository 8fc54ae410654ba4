//! The questions of a check-in, in order, and what has been answered.

use std::collections::{BTreeMap, BTreeSet};

use mimamori_protocol::{
    BloodPressure, CarePlan, Condition, MedicationEntry, MedicationSlot, MedicationStatus,
    ResidentId, Symptom, Tenths, VitalKind, Vitals, ranges,
};

use crate::event::CheckInDraft;

/// Symptoms in pages of at most three, so that a page has at most four
/// choices with 「次へ」.
pub(crate) const SYMPTOM_PAGES: [&[Symptom]; 3] = [
    &[Symptom::Fever, Symptom::Cough, Symptom::Pain],
    &[Symptom::PoorAppetite, Symptom::Insomnia, Symptom::Dizziness],
    &[Symptom::Other],
];

/// One number the TV asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum VitalField {
    Systolic,
    Diastolic,
    Pulse,
    Temperature,
    Weight,
    Steps,
}

impl VitalField {
    pub(crate) fn of(kind: VitalKind) -> &'static [VitalField] {
        match kind {
            VitalKind::BloodPressure => &[
                VitalField::Systolic,
                VitalField::Diastolic,
                VitalField::Pulse,
            ],
            VitalKind::Temperature => &[VitalField::Temperature],
            VitalKind::Weight => &[VitalField::Weight],
            VitalKind::Steps => &[VitalField::Steps],
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            VitalField::Systolic => "血圧（上）",
            VitalField::Diastolic => "血圧（下）",
            VitalField::Pulse => "脈拍",
            VitalField::Temperature => "体温",
            VitalField::Weight => "体重",
            VitalField::Steps => "歩数",
        }
    }

    pub(crate) fn unit(self) -> &'static str {
        match self {
            VitalField::Systolic | VitalField::Diastolic => "mmHg",
            VitalField::Pulse => "回/分",
            VitalField::Temperature => "℃",
            VitalField::Weight => "kg",
            VitalField::Steps => "歩",
        }
    }

    /// Digits after the decimal point (typed without the point).
    pub(crate) fn decimals(self) -> u32 {
        match self {
            VitalField::Temperature | VitalField::Weight => 1,
            _ => 0,
        }
    }

    pub(crate) fn max_digits(self) -> usize {
        match self {
            VitalField::Systolic | VitalField::Diastolic | VitalField::Pulse => 3,
            VitalField::Temperature => 3,
            VitalField::Weight => 4,
            VitalField::Steps => 6,
        }
    }

    /// How to type an example value, for the hint line.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            VitalField::Systolic => "れい：130 なら 1 3 0",
            VitalField::Diastolic => "れい：80 なら 8 0",
            VitalField::Pulse => "れい：70 なら 7 0",
            VitalField::Temperature => "れい：36.5℃ なら 3 6 5",
            VitalField::Weight => "れい：52.4kg なら 5 2 4",
            VitalField::Steps => "れい：3000歩 なら 3 0 0 0",
        }
    }

    fn range(self) -> (i64, i64) {
        fn r<T: Copy + Into<i64>>(range: &std::ops::RangeInclusive<T>) -> (i64, i64) {
            ((*range.start()).into(), (*range.end()).into())
        }
        match self {
            VitalField::Systolic => r(&ranges::SYSTOLIC_MMHG),
            VitalField::Diastolic => r(&ranges::DIASTOLIC_MMHG),
            VitalField::Pulse => r(&ranges::PULSE_BPM),
            VitalField::Temperature => (
                ranges::TEMPERATURE_C.start().0.into(),
                ranges::TEMPERATURE_C.end().0.into(),
            ),
            VitalField::Weight => (
                ranges::WEIGHT_KG.start().0.into(),
                ranges::WEIGHT_KG.end().0.into(),
            ),
            VitalField::Steps => r(&ranges::STEPS),
        }
    }

    /// Typed digits as shown: the decimal point before the last digit.
    pub(crate) fn format(self, digits: &str) -> String {
        if self.decimals() == 1 && digits.len() >= 2 {
            let (whole, tenth) = digits.split_at(digits.len() - 1);
            format!("{whole}.{tenth}")
        } else {
            digits.to_owned()
        }
    }

    fn format_value(self, value: i64) -> String {
        self.format(&value.to_string())
    }

    /// Checks typed digits; the error is in plain words.
    pub(crate) fn check(self, digits: &str, systolic: Option<i64>) -> Result<i64, String> {
        let Ok(value) = digits.parse::<i64>() else {
            return Err("数字を入れてから 決定 を押してください。".to_owned());
        };
        let (low, high) = self.range();
        let unit = self.unit();
        if value > high || value < low {
            let way = if value > high {
                "大きすぎます"
            } else {
                "小さすぎます"
            };
            return Err(format!(
                "{}{unit} は{way}。{}〜{}{unit} の数を入れてください。",
                self.format_value(value),
                self.format_value(low),
                self.format_value(high),
            ));
        }
        if let (VitalField::Diastolic, Some(upper)) = (self, systolic) {
            if value >= upper {
                return Err(format!("下の血圧は、上の血圧（{upper}）より小さい数です。"));
            }
        }
        Ok(value)
    }
}

/// A step of the check-in or of the menu, while a card is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Greeting,
    Condition,
    SymptomsAsk,
    Symptoms(usize),
    Medication(MedicationSlot),
    Vital(VitalField),
    Call,
    Confirm,
    SaveFailed,
    Done,
    TakeCard,
    Menu,
    History,
    Notice(usize),
    Checkup(usize),
}

/// The questions for a care plan, from the condition to the confirmation.
pub(crate) fn questions(plan: &CarePlan) -> Vec<Step> {
    let mut steps = vec![Step::Condition, Step::SymptomsAsk];
    steps.extend((0..SYMPTOM_PAGES.len()).map(Step::Symptoms));
    steps.extend(plan.medication_slots.iter().copied().map(Step::Medication));
    let mut kinds = plan.vitals.clone();
    kinds.sort();
    for kind in kinds {
        steps.extend(VitalField::of(kind).iter().copied().map(Step::Vital));
    }
    steps.push(Step::Call);
    steps.push(Step::Confirm);
    steps
}

/// Everything answered so far. Kept when going back; dropped only when the
/// card is pulled before confirming.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answers {
    pub(crate) condition: Option<Condition>,
    pub(crate) has_symptoms: Option<bool>,
    pub(crate) symptoms: BTreeSet<Symptom>,
    pub(crate) medication: BTreeMap<MedicationSlot, MedicationStatus>,
    pub(crate) typed: BTreeMap<VitalField, String>,
    pub(crate) accepted: BTreeMap<VitalField, i64>,
    pub(crate) skipped: BTreeSet<VitalField>,
    pub(crate) call: Option<bool>,
}

impl Answers {
    /// Whether a step is skipped given the answers (symptom pages after
    /// 「ない」).
    pub(crate) fn skips(&self, step: Step) -> bool {
        matches!(step, Step::Symptoms(_)) && self.has_symptoms != Some(true)
    }

    pub(crate) fn draft(&self, resident: ResidentId, plan: &CarePlan) -> Option<CheckInDraft> {
        let condition = self.condition?;
        let get = |f: VitalField| self.accepted.get(&f).copied();
        let blood_pressure = match (get(VitalField::Systolic), get(VitalField::Diastolic)) {
            (Some(s), Some(d)) => Some(BloodPressure {
                systolic_mmhg: u16::try_from(s).ok()?,
                diastolic_mmhg: u16::try_from(d).ok()?,
            }),
            _ => None,
        };
        let tenths = |f| get(f).and_then(|v| i32::try_from(v).ok()).map(Tenths);
        let vitals = Vitals {
            blood_pressure,
            pulse_bpm: get(VitalField::Pulse).and_then(|v| u16::try_from(v).ok()),
            temperature_c: tenths(VitalField::Temperature),
            weight_kg: tenths(VitalField::Weight),
            steps: get(VitalField::Steps).and_then(|v| u32::try_from(v).ok()),
        };
        let symptoms = if self.has_symptoms == Some(true) {
            Symptom::ALL
                .iter()
                .copied()
                .filter(|s| self.symptoms.contains(s))
                .collect()
        } else {
            Vec::new()
        };
        let medication = plan
            .medication_slots
            .iter()
            .filter_map(|slot| {
                self.medication.get(slot).map(|status| MedicationEntry {
                    slot: *slot,
                    status: *status,
                })
            })
            .collect();
        Some(CheckInDraft {
            resident,
            condition,
            symptoms,
            medication,
            vitals,
            call_requested: self.call == Some(true),
        })
    }
}
