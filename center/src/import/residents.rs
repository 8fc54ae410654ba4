//! The residents list (利用者一覧): one row per resident.

use std::collections::HashMap;

use jiff::civil::Date;
use mimamori_protocol::{
    CardUid, CarePlan, DeviceId, MAX_NAME_CHARS, MedicationSlot, TimeOfDay, VitalKind,
};

use super::date::parse_date;
use super::error::{ErrorKind, ImportErrors};
use super::table::{Cells, Column, read_table};
use super::text::{
    fold_width, is_space, kana_key, one_line, paragraph, phone, time_of_day, to_hiragana,
};

/// Longest address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// The reminder time when the file gives none: 09:00.
pub const DEFAULT_REMINDER_AT: TimeOfDay = match TimeOfDay::new(9, 0) {
    Some(t) => t,
    None => unreachable!(),
};
/// The deadline when the file gives none: 12:00.
pub const DEFAULT_DEADLINE: TimeOfDay = match TimeOfDay::new(12, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// A resident read from a residents list, validated, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResident {
    /// The line of the file the resident came from, for messages when
    /// storing fails (e.g. the resident already exists).
    pub line: u64,
    /// 氏名, e.g. 山田 花子, as written (trimmed).
    pub name: String,
    /// ふりがな in hiragana, spaces collapsed to one ASCII space, e.g.
    /// やまだ はなこ (written ヤマダ　ハナコ or ﾔﾏﾀﾞ ﾊﾅｺ in the file).
    pub name_kana: String,
    /// 地区, as written.
    pub district: String,
    /// 住所, as written; may span lines.
    pub address: Option<String>,
    /// 電話番号 as ASCII digits and hyphens, e.g. `03-1234-5678`.
    pub phone: Option<String>,
    /// 生年月日.
    pub birth_date: Option<Date>,
    /// 服薬, 測定, 声かけ時刻 (default 09:00) and 締切 (default 12:00).
    /// Medication slots in the order of the day, measurements in
    /// [`VitalKind`] order.
    pub care_plan: CarePlan,
    /// カードUID of a trial card.
    pub card_uid: Option<CardUid>,
    /// 端末: the box that serves the resident.
    pub device_id: Option<DeviceId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Kana,
    District,
    Address,
    Phone,
    BirthDate,
    Medication,
    Vitals,
    ReminderAt,
    Deadline,
    CardUid,
    Device,
}

impl Column for Col {
    const ALL: &'static [Self] = &[
        Col::Name,
        Col::Kana,
        Col::District,
        Col::Address,
        Col::Phone,
        Col::BirthDate,
        Col::Medication,
        Col::Vitals,
        Col::ReminderAt,
        Col::Deadline,
        Col::CardUid,
        Col::Device,
    ];
    const LABELS: &'static [&'static str] = &[
        "氏名",
        "ふりがな",
        "地区",
        "住所",
        "電話番号",
        "生年月日",
        "服薬",
        "測定",
        "声かけ時刻",
        "締切",
        "カードUID",
        "端末",
    ];

    fn names(self) -> &'static [&'static str] {
        match self {
            Col::Name => &["氏名", "name"],
            Col::Kana => &["ふりがな", "フリガナ", "kana", "name_kana"],
            Col::District => &["地区", "district"],
            Col::Address => &["住所", "address"],
            Col::Phone => &["電話番号", "phone"],
            Col::BirthDate => &["生年月日", "birth_date"],
            Col::Medication => &["服薬", "medication"],
            Col::Vitals => &["測定", "vitals"],
            Col::ReminderAt => &["声かけ時刻", "reminder_at"],
            Col::Deadline => &["締切", "deadline"],
            Col::CardUid => &["カードUID", "card_uid"],
            Col::Device => &["端末", "box", "device_id"],
        }
    }
}

/// Reads a residents list (利用者一覧) exported from a spreadsheet.
///
/// The first row names the columns, in Japanese or English, in any order:
///
/// | column | English | required | example |
/// |---|---|---|---|
/// | 氏名 | name | yes | 山田 花子 |
/// | ふりがな / フリガナ | kana | yes | ヤマダ ハナコ (→ やまだ はなこ) |
/// | 地区 | district | yes | 南部 |
/// | 住所 | address | | 南部町1-2-3 |
/// | 電話番号 | phone | | ０３－１２３４－５６７８ (→ 03-1234-5678) |
/// | 生年月日 | birth_date | | 1941-04-01, 1941/4/1, 昭和16年4月1日, S16.4.1 |
/// | 服薬 | medication | | 朝,夕 / 朝・昼・夕・寝る前 / なし |
/// | 測定 | vitals | | 血圧,体温,体重,歩数 |
/// | 声かけ時刻 | reminder_at | | 09:00 (default) |
/// | 締切 | deadline | | 12:00 (default) |
/// | カードUID | card_uid | | 04A1B2C3D4E5F6 |
/// | 端末 | box | | nanbu-0042 |
///
/// Any other column is a problem (a misspelt header must not make a column
/// vanish). Blank rows are skipped. Every row is checked and every problem
/// returned, with its line; so is a resident listed twice (same ふりがな and
/// 生年月日, spaces in the reading ignored). Nothing is returned unless the
/// whole file is right.
pub fn parse_residents(bytes: &[u8]) -> Result<Vec<NewResident>, ImportErrors> {
    let mut errors = Vec::new();
    let table = read_table::<Col>(bytes, &mut errors)?;
    let header = &table.header;
    header.require(&[Col::Name, Col::Kana, Col::District], &mut errors);

    let mut residents = Vec::with_capacity(table.rows.len());
    // (reading without spaces, birth date) → first line.
    let mut seen: HashMap<(String, Option<Date>), u64> = HashMap::new();
    for row in &table.rows {
        let mut cells = Cells::new(header, row, &mut errors);
        let name = cells.required(Col::Name, |t| one_line(t, MAX_NAME_CHARS));
        let name_kana = cells.required(Col::Kana, |t| one_line(&to_hiragana(t)?, MAX_NAME_CHARS));
        let district = cells.required(Col::District, |t| one_line(t, MAX_NAME_CHARS));
        let address = cells.optional(Col::Address, |t| paragraph(t, MAX_ADDRESS_CHARS));
        let phone = cells.optional(Col::Phone, phone);
        let before = cells.failures();
        let birth_date = cells.optional(Col::BirthDate, |t| Ok(parse_date(t)?));
        let birth_date_ok = cells.failures() == before;
        let medication_slots = cells.optional(Col::Medication, medication);
        let vitals = cells.optional(Col::Vitals, vitals);
        let before = cells.failures();
        let reminder_at = cells
            .optional(Col::ReminderAt, time_of_day)
            .unwrap_or(DEFAULT_REMINDER_AT);
        let deadline = cells
            .optional(Col::Deadline, time_of_day)
            .unwrap_or(DEFAULT_DEADLINE);
        if cells.failures() == before && reminder_at > deadline {
            let column = if cells.text(Col::ReminderAt).is_some() {
                Col::ReminderAt
            } else {
                Col::Deadline
            };
            cells.fail(
                column,
                ErrorKind::ReminderAfterDeadline {
                    reminder: reminder_at,
                    deadline,
                },
            );
        }
        let card_uid = cells.optional(Col::CardUid, card_uid);
        let device_id = cells.optional(Col::Device, device_id);

        if let (Some(kana), true) = (&name_kana, birth_date_ok) {
            let key = (kana_key(kana), birth_date);
            if let Some(&first_line) = seen.get(&key) {
                let kind = if birth_date.is_some() {
                    ErrorKind::DuplicateResident { first_line }
                } else {
                    ErrorKind::AmbiguousResident { first_line }
                };
                cells.fail(Col::Kana, kind);
            } else {
                seen.insert(key, row.line);
            }
        }

        if cells.failures() > 0 {
            continue;
        }
        let (Some(name), Some(name_kana), Some(district)) = (name, name_kana, district) else {
            continue;
        };
        residents.push(NewResident {
            line: row.line,
            name,
            name_kana,
            district,
            address,
            phone,
            birth_date,
            care_plan: CarePlan {
                medication_slots: medication_slots.unwrap_or_default(),
                vitals: vitals.unwrap_or_default(),
                reminder_at,
                deadline,
            },
            card_uid,
            device_id,
        });
    }
    if errors.is_empty() {
        Ok(residents)
    } else {
        Err(ImportErrors::new(errors))
    }
}

/// The words of a list cell: `朝,夕`, `朝・夕・寝る前`, `朝、夕`, `朝 夕`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        matches!(c, ',' | '、' | '・' | '，' | '､' | '/' | '／' | '･') || is_space(c)
    })
    .filter(|w| !w.is_empty())
}

/// 服薬: a list of 朝, 昼, 夕, 寝る前 (or 朝食後, 就寝前, morning…), sorted
/// into the order of the day; なし for none.
fn medication(text: &str) -> Result<Vec<MedicationSlot>, ErrorKind> {
    if matches!(text, "なし" | "無し" | "無") {
        return Ok(Vec::new());
    }
    let mut slots = Vec::new();
    for word in words(text) {
        let slot = match fold_width(word).to_ascii_lowercase().as_str() {
            "朝" | "朝食前" | "朝食後" | "morning" => MedicationSlot::Morning,
            "昼" | "昼食前" | "昼食後" | "noon" => MedicationSlot::Noon,
            "夕" | "夕食前" | "夕食後" | "evening" => MedicationSlot::Evening,
            "寝る前" | "就寝前" | "眠前" | "bedtime" => MedicationSlot::Bedtime,
            _ => {
                return Err(ErrorKind::UnknownMedication {
                    text: word.to_owned(),
                });
            }
        };
        if slots.contains(&slot) {
            return Err(ErrorKind::Repeated {
                text: word.to_owned(),
            });
        }
        slots.push(slot);
    }
    slots.sort();
    Ok(slots)
}

/// 測定: a list of 血圧, 体温, 体重, 歩数 (or blood_pressure…); なし for none.
fn vitals(text: &str) -> Result<Vec<VitalKind>, ErrorKind> {
    if matches!(text, "なし" | "無し" | "無") {
        return Ok(Vec::new());
    }
    let mut kinds = Vec::new();
    for word in words(text) {
        let kind = match fold_width(word).to_ascii_lowercase().as_str() {
            "血圧" | "blood_pressure" => VitalKind::BloodPressure,
            "体温" | "temperature" => VitalKind::Temperature,
            "体重" | "weight" => VitalKind::Weight,
            "歩数" | "steps" => VitalKind::Steps,
            _ => {
                return Err(ErrorKind::UnknownVital {
                    text: word.to_owned(),
                });
            }
        };
        if kinds.contains(&kind) {
            return Err(ErrorKind::Repeated {
                text: word.to_owned(),
            });
        }
        kinds.push(kind);
    }
    kinds.sort();
    Ok(kinds)
}

/// カードUID: hex, upper or lower case, full-width or not, spaces, colons
/// and hyphens between bytes ignored.
pub(super) fn card_uid(text: &str) -> Result<CardUid, ErrorKind> {
    let hex: String = fold_width(text)
        .chars()
        .filter(|&c| !is_space(c) && !matches!(c, ':' | '-'))
        .collect();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ErrorKind::BadCardUid);
    }
    let digits = hex.len();
    if digits % 2 != 0 || !(CardUid::MIN_LEN * 2..=CardUid::MAX_LEN * 2).contains(&digits) {
        return Err(ErrorKind::CardUidLength { digits });
    }
    hex.parse().map_err(|_| ErrorKind::BadCardUid)
}

/// 端末: a device id, full-width letters folded.
fn device_id(text: &str) -> Result<DeviceId, ErrorKind> {
    fold_width(text).parse().map_err(|_| ErrorKind::BadDeviceId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medication_lists() {
        use MedicationSlot::*;
        assert_eq!(medication("朝,夕").unwrap(), [Morning, Evening]);
        assert_eq!(
            medication("寝る前・朝・夕").unwrap(),
            [Morning, Evening, Bedtime]
        );
        assert_eq!(
            medication("朝食後、昼食後 就寝前").unwrap(),
            [Morning, Noon, Bedtime]
        );
        assert_eq!(medication("Morning,noon").unwrap(), [Morning, Noon]);
        assert_eq!(medication("なし").unwrap(), []);
        assert_eq!(
            medication("朝,夜"),
            Err(ErrorKind::UnknownMedication { text: "夜".into() })
        );
        assert_eq!(
            medication("朝,朝食後"),
            Err(ErrorKind::Repeated {
                text: "朝食後".into()
            })
        );
    }

    #[test]
    fn vital_lists() {
        use VitalKind::*;
        assert_eq!(
            vitals("歩数,血圧，体温・体重").unwrap(),
            [BloodPressure, Temperature, Weight, Steps]
        );
        assert_eq!(
            vitals("脈拍"),
            Err(ErrorKind::UnknownVital {
                text: "脈拍".into()
            })
        );
    }

    #[test]
    fn card_uids() {
        assert_eq!(card_uid("04a1b2c3").unwrap().to_string(), "04A1B2C3");
        assert_eq!(
            card_uid("04:A1:B2:C3:D4:E5:F6").unwrap().to_string(),
            "04A1B2C3D4E5F6"
        );
        assert_eq!(
            card_uid("０４Ａ１Ｂ２Ｃ３").unwrap().to_string(),
            "04A1B2C3"
        );
        assert_eq!(
            card_uid("04A1B2"),
            Err(ErrorKind::CardUidLength { digits: 6 })
        );
        assert_eq!(
            card_uid("04A1B2C3D"),
            Err(ErrorKind::CardUidLength { digits: 9 })
        );
        assert_eq!(card_uid("04A1B2CZ"), Err(ErrorKind::BadCardUid));
    }

    #[test]
    fn defaults_are_nine_and_noon() {
        assert_eq!(DEFAULT_REMINDER_AT.to_string(), "09:00");
        assert_eq!(DEFAULT_DEADLINE.to_string(), "12:00");
    }
}
