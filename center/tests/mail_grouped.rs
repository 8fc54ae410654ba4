//! Grouped mail, composed and parsed back with `mail-parser`: several
//! check-ins to a family contact in one message, several alerts to a nurse
//! in one message. Writes `target/mail-samples/*.eml` and, decoded for
//! reading, `*.txt` (headers as a reader sees them and the text body).

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use mail_parser::MessageParser;
use mimamori_center::domain::{AlertId, AlertKind};
use mimamori_center::mail::{
    AlertFacts, CheckInFacts, Desk, FamilyCheckIns, FamilyConsent, FamilyContact, MailSettings,
    MessageStamp, NamedAddress, NurseAlerts, compose_family_checkins, compose_nurse_alerts,
};
use mimamori_protocol::{
    BloodPressure, Condition, MedicationEntry, MedicationSlot, MedicationStatus, Symptom, Vitals,
};

fn settings() -> MailSettings {
    MailSettings {
        from: NamedAddress::new("南部町 見守りセンター", "mimamori@center.example.jp"),
        desk: Desk {
            name: "南部町 健康福祉課".into(),
            phone: "0859-66-0000".into(),
            email: "kenko@town.example.jp".into(),
            hours: Some("平日 8:30〜17:15".into()),
        },
        message_id_domain: "center.example.jp".into(),
        public_url: "https://center.example.jp".into(),
        dashboard_url: "https://dash.example.jp/mimamori".into(),
        time_zone: TimeZone::get("Asia/Tokyo").unwrap(),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn stamp(outbox_id: i64) -> MessageStamp {
    MessageStamp {
        outbox_id,
        date: at("2026-11-29T12:00:00+09:00"),
    }
}

fn check_in(day: &str, condition: Condition, call: bool) -> CheckInFacts {
    CheckInFacts {
        recorded_at: at(&format!("2026-11-{day}T09:05:00+09:00")),
        condition,
        symptoms: if condition == Condition::Poor {
            vec![Symptom::Cough]
        } else {
            Vec::new()
        },
        symptom_note: None,
        medication: vec![MedicationEntry {
            slot: MedicationSlot::Morning,
            status: MedicationStatus::Taken,
        }],
        vitals: Vitals {
            blood_pressure: Some(BloodPressure {
                systolic_mmhg: 132,
                diastolic_mmhg: 82,
            }),
            ..Vitals::default()
        },
        call_requested: call,
    }
}

fn backlog(consent: FamilyConsent) -> FamilyCheckIns {
    FamilyCheckIns {
        contact: FamilyContact {
            address: NamedAddress::new("山田 一郎", "ichiro@example.jp"),
            consent,
            unsubscribe_token: "tok-AbC123_x".into(),
        },
        resident_name: "山田 花子".into(),
        // Given out of order: shown oldest first.
        check_ins: vec![
            check_in("29", Condition::Poor, true),
            check_in("27", Condition::Good, false),
            check_in("28", Condition::Fair, false),
        ],
    }
}

fn alerts() -> NurseAlerts {
    let alert = |id: i64, name: &str, kind: AlertKind, since: &str| AlertFacts {
        id: AlertId(id),
        resident_name: name.into(),
        kind,
        since: at(since),
    };
    NurseAlerts {
        nurse: NamedAddress::new("佐藤 恵子", "sato@town.example.jp"),
        alerts: vec![
            alert(
                12,
                "田中 一夫",
                AlertKind::BoxOffline,
                "2026-11-29T11:00:00+09:00",
            ),
            alert(
                11,
                "山田 花子",
                AlertKind::BoxOffline,
                "2026-11-29T11:00:00+09:00",
            ),
            alert(
                13,
                "鈴木 和子",
                AlertKind::BoxOffline,
                "2026-11-29T11:00:00+09:00",
            ),
        ],
        escalation: false,
    }
}

#[test]
fn a_backlog_of_check_ins_is_one_mail_oldest_first() {
    let bytes = compose_family_checkins(&settings(), &stamp(90), &backlog(FamilyConsent::ALL))
        .unwrap()
        .formatted();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("山田 花子さんの記録が3件届きました"));
    assert!(m.header_raw("List-Unsubscribe").is_some());
    let text = m.body_text(0).unwrap();
    assert!(text.contains("通信が途切れていた間の記録"), "{text}");
    let html = m.body_html(0).unwrap();
    for body in [&*text, &*html] {
        let d27 = body.find("11月27日(金) 9:05").unwrap();
        let d28 = body.find("11月28日(土) 9:05").unwrap();
        let d29 = body.find("11月29日(日) 9:05").unwrap();
        assert!(d27 < d28 && d28 < d29, "oldest first:\n{body}");
        assert!(body.contains("わるい") && body.contains("せき"), "{body}");
        assert!(body.contains("保健師からの連絡を希望"), "{body}");
        assert!(body.contains("https://center.example.jp/unsubscribe/tok-AbC123_x"));
    }
}

#[test]
fn a_backlog_shows_only_what_is_consented() {
    let consent = FamilyConsent {
        condition: true,
        ..FamilyConsent::NONE
    };
    let bytes = compose_family_checkins(&settings(), &stamp(91), &backlog(consent))
        .unwrap()
        .formatted();
    let m = MessageParser::default().parse(&bytes).unwrap();
    for body in [m.body_text(0).unwrap(), m.body_html(0).unwrap()] {
        assert!(body.contains("わるい"), "{body}");
        for hidden in ["せき", "132/82", "お薬", "保健師からの連絡を希望"] {
            assert!(
                !body.contains(hidden),
                "`{hidden}` without consent:\n{body}"
            );
        }
    }
}

#[test]
fn alerts_opened_together_are_one_nurse_mail_without_health_details() {
    let bytes = compose_nurse_alerts(&settings(), &stamp(92), &alerts())
        .unwrap()
        .formatted();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("【見守り】新しいアラート：3件"));
    assert!(m.header_raw("List-Unsubscribe").is_none());
    let text = m.body_text(0).unwrap();
    for name in ["山田 花子さん", "田中 一夫さん", "鈴木 和子さん"] {
        assert!(text.contains(name), "{text}");
    }
    assert!(
        text.contains("端末の通信途絶（11/29(日) 11:00から、未対応）"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim() == "https://dash.example.jp/mimamori/alerts"),
        "{text}"
    );
    let html = m.body_html(0).unwrap();
    for id in [11, 12, 13] {
        assert!(html.contains(&format!("https://dash.example.jp/mimamori/alerts/{id}")));
    }
    let mut escalation = alerts();
    escalation.escalation = true;
    let bytes = compose_nurse_alerts(&settings(), &stamp(93), &escalation)
        .unwrap()
        .formatted();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("【見守り】対応されていません：3件"));
}

fn samples_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("mail-samples")
}

/// Writes the grouped samples, and every sample (also those of
/// `mail_compose`) decoded for reading.
#[test]
fn write_grouped_samples_and_decode_all() {
    let dir = samples_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let s = settings();
    let samples = [
        (
            "family_checkins",
            compose_family_checkins(&s, &stamp(90), &backlog(FamilyConsent::ALL)),
        ),
        (
            "nurse_alerts",
            compose_nurse_alerts(&s, &stamp(92), &alerts()),
        ),
    ];
    for (name, message) in samples {
        std::fs::write(
            dir.join(format!("{name}.eml")),
            message.unwrap().formatted(),
        )
        .unwrap();
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let m = MessageParser::default().parse(&bytes).unwrap();
        let who = |a: Option<&mail_parser::Address<'_>>| {
            a.and_then(|a| a.first())
                .map(|a| format!("{} <{}>", a.name().unwrap_or(""), a.address().unwrap_or("")))
                .unwrap_or_default()
        };
        let decoded = format!(
            "From: {}\nTo: {}\nReply-To: {}\nSubject: {}\nDate: {}\nMessage-ID: <{}>\nList-Unsubscribe: {}\n\n{}",
            who(m.from()),
            who(m.to()),
            who(m.reply_to()),
            m.subject().unwrap_or(""),
            m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
            m.message_id().unwrap_or(""),
            m.header_raw("List-Unsubscribe")
                .map(str::trim)
                .unwrap_or("-"),
            m.body_text(0).unwrap_or_default()
        );
        std::fs::write(path.with_extension("txt"), decoded).unwrap();
        std::fs::write(
            path.with_extension("html"),
            m.body_html(0).unwrap_or_default().as_bytes(),
        )
        .unwrap();
    }
}
