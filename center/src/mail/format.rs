//! Japanese wording of times, measurements and answers, shared by the
//! family and nurse bodies.

use std::fmt::Write as _;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use mimamori_protocol::{MedicationEntry, MedicationStatus, Symptom, Vitals};

/// 日 月 火 … for a weekday.
fn weekday_ja(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Sunday => "日",
        Weekday::Monday => "月",
        Weekday::Tuesday => "火",
        Weekday::Wednesday => "水",
        Weekday::Thursday => "木",
        Weekday::Friday => "金",
        Weekday::Saturday => "土",
    }
}

/// 「11月29日(日)」.
pub(super) fn date_ja(date: Date) -> String {
    format!(
        "{}月{}日({})",
        date.month(),
        date.day(),
        weekday_ja(date.weekday())
    )
}

/// 「11/29(日)」, for table rows.
pub(super) fn date_short_ja(date: Date) -> String {
    format!(
        "{}/{}({})",
        date.month(),
        date.day(),
        weekday_ja(date.weekday())
    )
}

/// 「9:05」 in the time zone.
pub(super) fn time_ja(at: Timestamp, tz: &TimeZone) -> String {
    let local = at.to_zoned(tz.clone());
    format!("{}:{:02}", local.hour(), local.minute())
}

/// 「11月29日(日) 9:05」 in the time zone.
pub(super) fn datetime_ja(at: Timestamp, tz: &TimeZone) -> String {
    let local = at.to_zoned(tz.clone());
    format!("{} {}", date_ja(local.date()), time_ja(at, tz))
}

/// The calendar day of an instant in the time zone.
pub(super) fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned(tz.clone()).date()
}

/// 「35分」, 「4時間」, 「2日」: how long, rounded down, for nurses.
pub(super) fn elapsed_ja(elapsed: SignedDuration) -> String {
    let minutes = elapsed.as_secs().max(0) / 60;
    if minutes < 60 {
        format!("{minutes}分")
    } else if minutes < 24 * 60 {
        format!("{}時間", minutes / 60)
    } else {
        format!("{}日", minutes / (24 * 60))
    }
}

/// 「3,200」.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Each measurement entered, in words: 「血圧 138/84」, 「体温 36.8℃」.
pub(super) fn vitals_parts(vitals: &Vitals) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(bp) = vitals.blood_pressure {
        parts.push(format!("血圧 {}/{}", bp.systolic_mmhg, bp.diastolic_mmhg));
    }
    if let Some(pulse) = vitals.pulse_bpm {
        parts.push(format!("脈拍 {pulse}"));
    }
    if let Some(t) = vitals.temperature_c {
        parts.push(format!("体温 {t}℃"));
    }
    if let Some(w) = vitals.weight_kg {
        parts.push(format!("体重 {w}kg"));
    }
    if let Some(steps) = vitals.steps {
        parts.push(format!("歩数 {}歩", grouped(steps)));
    }
    parts
}

/// 「朝 飲んだ、夕 飲んでいない」.
pub(super) fn medication_long(entries: &[MedicationEntry]) -> String {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.slot);
    sorted
        .iter()
        .map(|e| format!("{} {}", e.slot.label_ja(), e.status.label_ja()))
        .collect::<Vec<_>>()
        .join("、")
}

/// 「朝○ 夕×」, for table cells.
pub(super) fn medication_short(entries: &[MedicationEntry]) -> String {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.slot);
    sorted
        .iter()
        .map(|e| {
            let mark = match e.status {
                MedicationStatus::Taken => "○",
                MedicationStatus::NotTaken => "×",
            };
            format!("{}{mark}", e.slot.label_ja())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// 「せき、その他（のどが痛い）」, or 「なし」.
pub(super) fn symptoms_ja(symptoms: &[Symptom], note: Option<&str>) -> String {
    let mut sorted = symptoms.to_vec();
    sorted.sort();
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let mut words: Vec<String> = sorted
        .iter()
        .map(|s| match (s, note) {
            (Symptom::Other, Some(note)) => format!("{}（{note}）", s.label_ja()),
            _ => s.label_ja().to_owned(),
        })
        .collect();
    if !sorted.contains(&Symptom::Other) {
        if let Some(note) = note {
            words.push(format!("（{note}）"));
        }
    }
    if words.is_empty() {
        "なし".to_owned()
    } else {
        words.join("、")
    }
}

/// A name or a setting on one line: runs of whitespace and control
/// characters (line breaks included) become one space, ends trimmed.
pub(super) fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a
/// query value.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mimamori_protocol::{BloodPressure, MedicationSlot, Tenths};

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    #[test]
    fn times_are_local_and_short() {
        let at: Timestamp = "2026-11-29T00:05:00Z".parse().unwrap();
        assert_eq!(datetime_ja(at, &tokyo()), "11月29日(日) 9:05");
        assert_eq!(date_short_ja(local_date(at, &tokyo())), "11/29(日)");
        let late: Timestamp = "2026-11-29T14:59:00Z".parse().unwrap();
        assert_eq!(datetime_ja(late, &tokyo()), "11月29日(日) 23:59");
    }

    #[test]
    fn elapsed_rounds_down() {
        assert_eq!(elapsed_ja(SignedDuration::from_mins(35)), "35分");
        assert_eq!(elapsed_ja(SignedDuration::from_mins(4 * 60 + 59)), "4時間");
        assert_eq!(elapsed_ja(SignedDuration::from_hours(49)), "2日");
        assert_eq!(elapsed_ja(SignedDuration::from_mins(-5)), "0分");
    }

    #[test]
    fn vitals_in_words() {
        let vitals = Vitals {
            blood_pressure: Some(BloodPressure {
                systolic_mmhg: 138,
                diastolic_mmhg: 84,
            }),
            pulse_bpm: Some(72),
            temperature_c: Some(Tenths::new(36, 8)),
            weight_kg: Some(Tenths::new(52, 4)),
            steps: Some(12_345),
        };
        assert_eq!(
            vitals_parts(&vitals).join("、"),
            "血圧 138/84、脈拍 72、体温 36.8℃、体重 52.4kg、歩数 12,345歩"
        );
        assert!(vitals_parts(&Vitals::default()).is_empty());
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(100_000), "100,000");
    }

    #[test]
    fn medication_and_symptoms_in_words() {
        let entries = [
            MedicationEntry {
                slot: MedicationSlot::Evening,
                status: MedicationStatus::NotTaken,
            },
            MedicationEntry {
                slot: MedicationSlot::Morning,
                status: MedicationStatus::Taken,
            },
        ];
        assert_eq!(medication_long(&entries), "朝 飲んだ、夕 飲んでいない");
        assert_eq!(medication_short(&entries), "朝○ 夕×");
        assert_eq!(
            symptoms_ja(&[Symptom::Other, Symptom::Cough], Some("のどが痛い")),
            "せき、その他（のどが痛い）"
        );
        assert_eq!(symptoms_ja(&[], None), "なし");
        assert_eq!(symptoms_ja(&[], Some("  ")), "なし");
    }

    #[test]
    fn names_are_kept_on_one_line() {
        assert_eq!(
            one_line("  山田　花子\r\nBcc: x@y\t "),
            "山田 花子 Bcc: x@y"
        );
        assert_eq!(one_line("山田 花子"), "山田 花子");
    }

    #[test]
    fn percent_encoding_of_a_district() {
        assert_eq!(percent_encode("法勝寺"), "%E6%B3%95%E5%8B%9D%E5%AF%BA");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }
}
