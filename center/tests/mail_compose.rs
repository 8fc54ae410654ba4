//! The center's email, composed and parsed back with an independent MIME
//! parser (`mail-parser`): headers, encodings, both bodies, consent, and no
//! health details in nurse mail. One message of each kind is written to
//! `target/mail-samples/*.eml` for reading.

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use lettre::Message;
use mail_parser::{MessageParser, MimeHeaders};
use mimamori_center::domain::{AlertId, AlertKind, AlertState};
use mimamori_center::mail::{
    AddressRole, AlertFacts, CheckInFacts, Desk, FamilyCheckIn, FamilyConcern, FamilyConsent,
    FamilyContact, FamilyDigest, MailError, MailSettings, MessageStamp, NamedAddress, NurseAlert,
    NurseSummary, SummaryAlert, compose_family_checkin, compose_family_concern,
    compose_family_digest, compose_nurse_alert, compose_nurse_escalation, compose_nurse_summary,
};
use mimamori_protocol::{
    BloodPressure, Condition, MedicationEntry, MedicationSlot, MedicationStatus, Symptom, Tenths,
    Vitals,
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
        public_url: "https://center.example.jp/".into(),
        dashboard_url: "https://dash.example.jp/mimamori".into(),
        time_zone: TimeZone::get("Asia/Tokyo").unwrap(),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Sunday 29 November 2026, 9:10 in Tokyo.
fn now() -> Timestamp {
    at("2026-11-29T09:10:00+09:00")
}

fn stamp(outbox_id: i64) -> MessageStamp {
    MessageStamp {
        outbox_id,
        date: now(),
    }
}

fn contact(consent: FamilyConsent) -> FamilyContact {
    FamilyContact {
        address: NamedAddress::new("山田 一郎", "ichiro@example.jp"),
        consent,
        unsubscribe_token: "tok-AbC123_x".into(),
    }
}

fn nurse() -> NamedAddress {
    NamedAddress::new("佐藤 恵子", "sato@town.example.jp")
}

fn full_check_in(recorded_at: Timestamp) -> CheckInFacts {
    CheckInFacts {
        recorded_at,
        condition: Condition::Fair,
        symptoms: vec![Symptom::Other, Symptom::Cough],
        symptom_note: Some("のどが痛い".into()),
        medication: vec![
            MedicationEntry {
                slot: MedicationSlot::Morning,
                status: MedicationStatus::Taken,
            },
            MedicationEntry {
                slot: MedicationSlot::Evening,
                status: MedicationStatus::NotTaken,
            },
        ],
        vitals: Vitals {
            blood_pressure: Some(BloodPressure {
                systolic_mmhg: 138,
                diastolic_mmhg: 84,
            }),
            pulse_bpm: Some(72),
            temperature_c: Some(Tenths::new(36, 8)),
            weight_kg: None,
            steps: Some(3200),
        },
        call_requested: true,
    }
}

fn check_in_mail(consent: FamilyConsent) -> FamilyCheckIn {
    FamilyCheckIn {
        contact: contact(consent),
        resident_name: "山田 花子".into(),
        check_in: full_check_in(at("2026-11-29T09:05:00+09:00")),
    }
}

fn digest_mail(consent: FamilyConsent) -> FamilyDigest {
    let mut check_ins = Vec::new();
    // Mon 23 … Sun 29 November; nothing on Wed 25 and Fri 27.
    for (day, condition) in [
        (23, Condition::Good),
        (24, Condition::Good),
        (26, Condition::Fair),
        (28, Condition::Poor),
        (29, Condition::Fair),
    ] {
        let mut c = full_check_in(at(&format!("2026-11-{day}T08:30:00+09:00")));
        c.condition = condition;
        check_ins.push(c);
    }
    // A second, later check-in on the 24th: the later one is shown.
    let mut later = full_check_in(at("2026-11-24T19:45:00+09:00"));
    later.condition = Condition::Poor;
    later.vitals = Vitals::default();
    check_ins.push(later);
    // Outside the week: ignored.
    check_ins.push(full_check_in(at("2026-11-22T23:59:00+09:00")));
    FamilyDigest {
        contact: contact(consent),
        resident_name: "山田 花子".into(),
        last_day: date(2026, 11, 29),
        check_ins,
    }
}

fn concern_mail(kind: AlertKind, consent: FamilyConsent) -> FamilyConcern {
    FamilyConcern {
        contact: contact(consent),
        resident_name: "山田 花子".into(),
        kind,
        since: at("2026-11-29T12:00:00+09:00"),
        last_check_in: Some(at("2026-11-27T08:40:00+09:00")),
    }
}

fn alert(id: i64, name: &str, kind: AlertKind, since: &str) -> AlertFacts {
    AlertFacts {
        id: AlertId(id),
        resident_name: name.into(),
        kind,
        since: at(since),
    }
}

fn nurse_alert() -> NurseAlert {
    NurseAlert {
        nurse: nurse(),
        alert: alert(
            7,
            "山田 花子",
            AlertKind::Missed,
            "2026-11-29T05:00:00+09:00",
        ),
    }
}

fn summary_mail() -> NurseSummary {
    NurseSummary {
        nurse: nurse(),
        district: "法勝寺".into(),
        alerts: vec![
            SummaryAlert {
                alert: alert(
                    3,
                    "田中 正",
                    AlertKind::BoxOffline,
                    "2026-11-27T10:00:00+09:00",
                ),
                state: AlertState::Acknowledged,
            },
            SummaryAlert {
                alert: alert(
                    7,
                    "山田 花子",
                    AlertKind::Missed,
                    "2026-11-28T12:00:00+09:00",
                ),
                state: AlertState::Open,
            },
            SummaryAlert {
                alert: alert(9, "鈴木 ハル", AlertKind::Sos, "2026-11-29T06:30:00+09:00"),
                state: AlertState::Open,
            },
            SummaryAlert {
                alert: alert(
                    2,
                    "解決 済子",
                    AlertKind::Missed,
                    "2026-11-20T12:00:00+09:00",
                ),
                state: AlertState::Resolved,
            },
        ],
    }
}

/// A composed message, as bytes and parsed back.
struct Parsed {
    raw: String,
    text: String,
    html: String,
}

fn parse(message: &Message) -> (Vec<u8>, mail_parser::Message<'static>) {
    let bytes = message.formatted();
    let parsed = MessageParser::default()
        .parse(&bytes)
        .expect("mail-parser reads the message")
        .into_owned();
    (bytes, parsed)
}

/// Checks what every message of the center has; returns its bodies.
fn check_common(
    message: &Message,
    outbox_id: i64,
    subject: &str,
    to: (&str, &str),
    family: bool,
) -> Parsed {
    let (bytes, m) = parse(message);
    let raw = String::from_utf8(bytes).unwrap();
    assert!(raw.is_ascii(), "the wire form is 7-bit:\n{raw}");
    assert!(!raw.contains("\r\n\r\n\r\n\r\n"), "no runs of blank lines");

    // Subject: encoded on the wire, decoded by the parser.
    assert_eq!(m.subject(), Some(subject));
    let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(
        subject_line.to_ascii_lowercase().contains("=?utf-8?b?"),
        "{subject_line}"
    );

    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("南部町 見守りセンター"));
    assert_eq!(from.address(), Some("mimamori@center.example.jp"));
    let reply_to = m.reply_to().unwrap().first().unwrap();
    assert_eq!(reply_to.name(), Some("南部町 健康福祉課"));
    assert_eq!(reply_to.address(), Some("kenko@town.example.jp"));
    let rcpt = m.to().unwrap().first().unwrap();
    assert_eq!(rcpt.name(), Some(to.0));
    assert_eq!(rcpt.address(), Some(to.1));

    let expected_id = format!("outbox-{outbox_id}@center.example.jp");
    assert_eq!(m.message_id(), Some(expected_id.as_str()));
    assert!(raw.contains(&format!("\r\nMessage-ID: <{expected_id}>\r\n")));
    assert_eq!(m.date().unwrap().to_timestamp(), now().as_second());
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );

    let ct = m.content_type().unwrap();
    assert_eq!(ct.ctype(), "multipart");
    assert_eq!(ct.subtype(), Some("alternative"));
    assert_eq!(m.text_body_count(), 1);
    assert_eq!(m.html_body_count(), 1);
    for part in [m.text_part(0).unwrap(), m.html_part(0).unwrap()] {
        assert_eq!(
            part.content_type().unwrap().attribute("charset"),
            Some("utf-8")
        );
        assert_eq!(part.content_transfer_encoding(), Some("base64"));
    }
    assert_eq!(
        m.text_part(0).unwrap().content_type().unwrap().subtype(),
        Some("plain")
    );
    assert_eq!(
        m.html_part(0).unwrap().content_type().unwrap().subtype(),
        Some("html")
    );
    // Bodies travel with CRLF line ends; compare with LF.
    let text = m.body_text(0).unwrap().replace("\r\n", "\n");
    let html = m.body_html(0).unwrap().replace("\r\n", "\n");
    assert!(!text.contains('\r') && !html.contains('\r'));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(r#"<html lang="ja">"#));

    // Signed by the desk, in both bodies.
    for body in [&text, &html] {
        assert!(body.contains("南部町 健康福祉課"), "{body}");
        assert!(body.contains("0859-66-0000"), "{body}");
        assert!(body.contains("平日 8:30〜17:15"), "{body}");
    }

    let unsubscribe = "https://center.example.jp/unsubscribe/tok-AbC123_x";
    if family {
        assert_eq!(
            m.header_raw("List-Unsubscribe").map(str::trim),
            Some(format!("<{unsubscribe}>").as_str())
        );
        assert_eq!(
            m.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(text.contains(unsubscribe), "{text}");
        assert!(html.contains(&format!(r#"href="{unsubscribe}""#)), "{html}");
        assert!(text.contains("配信停止"));
    } else {
        assert_eq!(m.header_raw("List-Unsubscribe"), None);
        assert_eq!(m.header_raw("List-Unsubscribe-Post"), None);
        assert!(!text.contains("配信停止"));
        assert!(!html.contains("配信停止"));
    }
    Parsed { raw, text, html }
}

fn family_to() -> (&'static str, &'static str) {
    ("山田 一郎", "ichiro@example.jp")
}

fn nurse_to() -> (&'static str, &'static str) {
    ("佐藤 恵子", "sato@town.example.jp")
}

#[test]
fn family_check_in_with_full_consent() {
    let message =
        compose_family_checkin(&settings(), &stamp(42), &check_in_mail(FamilyConsent::ALL))
            .unwrap();
    let p = check_common(&message, 42, "山田 花子さんの今日の記録", family_to(), true);
    for body in [&p.text, &p.html] {
        assert!(body.contains("山田 一郎 様"), "{body}");
        assert!(body.contains("山田 花子さんから、今日の記録が届きました。"));
        assert!(body.contains("11月29日(日) 9:05"), "{body}");
        assert!(body.contains("ふつう"));
        assert!(body.contains("せき、その他（のどが痛い）"));
        assert!(body.contains("朝 飲んだ、夕 飲んでいない"));
        assert!(body.contains("血圧 138/84、脈拍 72、体温 36.8℃、歩数 3,200歩"));
        assert!(body.contains("山田 花子さんは、保健師からの連絡を希望されています。"));
    }
    assert!(p.text.contains("・体調：ふつう\n"), "{}", p.text);
}

#[test]
fn family_check_in_shows_only_what_is_consented() {
    let condition_only = FamilyConsent {
        condition: true,
        ..FamilyConsent::NONE
    };
    let message =
        compose_family_checkin(&settings(), &stamp(43), &check_in_mail(condition_only)).unwrap();
    let p = check_common(&message, 43, "山田 花子さんの今日の記録", family_to(), true);
    for body in [&p.text, &p.html] {
        assert!(body.contains("ふつう"));
        assert!(body.contains("9:05"));
        for hidden in [
            "血圧",
            "138",
            "体温",
            "36.8",
            "歩数",
            "測定",
            "お薬",
            "飲んだ",
            "症状",
            "せき",
            "のどが痛い",
            "保健師からの連絡",
        ] {
            assert!(
                !body.contains(hidden),
                "`{hidden}` shown without consent:\n{body}"
            );
        }
    }

    let vitals_only = FamilyConsent {
        vitals: true,
        ..FamilyConsent::NONE
    };
    let message =
        compose_family_checkin(&settings(), &stamp(44), &check_in_mail(vitals_only)).unwrap();
    let p = check_common(&message, 44, "山田 花子さんの今日の記録", family_to(), true);
    assert!(p.text.contains("血圧 138/84"));
    assert!(!p.text.contains("ふつう"));
    assert!(!p.text.contains("体調"));

    let nothing =
        compose_family_checkin(&settings(), &stamp(45), &check_in_mail(FamilyConsent::NONE))
            .unwrap();
    let p = check_common(&nothing, 45, "山田 花子さんの今日の記録", family_to(), true);
    assert!(
        p.text.contains("・記録時刻：11月29日(日) 9:05"),
        "{}",
        p.text
    );
    for hidden in ["体調", "ふつう", "血圧", "お薬", "症状", "保健師からの連絡"]
    {
        assert!(!p.text.contains(hidden), "{hidden}");
        assert!(!p.html.contains(hidden), "{hidden}");
    }
}

#[test]
fn a_late_check_in_is_named_by_its_day_and_vitals_not_entered_say_so() {
    let mut mail = check_in_mail(FamilyConsent::ALL);
    mail.check_in.recorded_at = at("2026-11-28T20:15:00+09:00");
    mail.check_in.vitals = Vitals::default();
    mail.check_in.call_requested = false;
    let message = compose_family_checkin(&settings(), &stamp(46), &mail).unwrap();
    let p = check_common(
        &message,
        46,
        "山田 花子さんの11月28日(土)の記録",
        family_to(),
        true,
    );
    assert!(p.text.contains("11月28日(土) 20:15"));
    assert!(p.text.contains("・測定：入力なし"));
    assert!(!p.text.contains("保健師からの連絡"));
}

#[test]
fn resident_text_is_escaped_in_html_and_cannot_inject_headers() {
    let mut mail = check_in_mail(FamilyConsent::ALL);
    mail.check_in.symptom_note = Some("<b>頭痛</b> & \"めまい\"".into());
    mail.resident_name = "山田 花子\r\nBcc: evil@example.com".into();
    let message = compose_family_checkin(&settings(), &stamp(47), &mail).unwrap();
    let (bytes, m) = parse(&message);
    let raw = String::from_utf8(bytes).unwrap();
    assert!(!raw.contains("\r\nBcc:"), "{raw}");
    assert!(m.bcc().is_none());
    assert_eq!(message.envelope().to().len(), 1);
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("&#60;b&#62;頭痛&#60;/b&#62; &#38; &#34;めまい&#34;"),
        "{html}"
    );
    // Line breaks in a name become a space.
    assert_eq!(
        m.subject(),
        Some("山田 花子 Bcc: evil@example.comさんの今日の記録")
    );
    assert!(!html.contains("<b>頭痛"));
    let text = m.body_text(0).unwrap();
    assert!(text.contains("<b>頭痛</b> & \"めまい\""));
}

#[test]
fn family_digest_is_the_week_with_missing_days() {
    let message =
        compose_family_digest(&settings(), &stamp(50), &digest_mail(FamilyConsent::ALL)).unwrap();
    let p = check_common(
        &message,
        50,
        "山田 花子さんの1週間の記録（11/23(月)〜11/29(日)）",
        family_to(),
        true,
    );
    assert!(
        p.text.contains("7日のうち5日、記録がありました。"),
        "{}",
        p.text
    );
    for day in [
        "11/23(月)",
        "11/24(火)",
        "11/25(水)",
        "11/26(木)",
        "11/27(金)",
        "11/28(土)",
        "11/29(日)",
    ] {
        assert!(p.text.contains(&format!("■{day}\n")), "{day}:\n{}", p.text);
        assert!(p.html.contains(day), "{day}");
    }
    assert!(!p.text.contains("11/22"));
    assert_eq!(p.text.matches("記録なし").count(), 2, "{}", p.text);
    assert_eq!(p.html.matches("記録なし").count(), 2);
    // The later check-in of the 24th: わるい, nothing measured.
    assert!(
        p.text
            .contains("■11/24(火)\n　体調：わるい\n　お薬：朝○ 夕×\n　測定：—\n"),
        "{}",
        p.text
    );
    assert!(p.text.contains("お薬：○ 飲んだ　× 飲んでいない"));
    assert!(p.html.contains(r#"<td colspan="3""#), "{}", p.html);
    for column in ["日付", "体調", "お薬", "測定"] {
        assert!(p.html.contains(&format!(">{column}</th>")), "{column}");
    }
    // Symptoms are not part of the digest.
    assert!(!p.text.contains("せき"));
}

#[test]
fn family_digest_without_vitals_consent_has_no_vitals_column() {
    let consent = FamilyConsent {
        condition: true,
        medication: true,
        ..FamilyConsent::NONE
    };
    let message = compose_family_digest(&settings(), &stamp(51), &digest_mail(consent)).unwrap();
    let p = check_common(
        &message,
        51,
        "山田 花子さんの1週間の記録（11/23(月)〜11/29(日)）",
        family_to(),
        true,
    );
    for body in [&p.text, &p.html] {
        for hidden in ["測定", "血圧", "138", "体温"] {
            assert!(!body.contains(hidden), "{hidden}:\n{body}");
        }
    }
    assert!(p.html.contains(r#"<td colspan="2""#));

    // Nothing consented: the table says when a record came in.
    let message =
        compose_family_digest(&settings(), &stamp(52), &digest_mail(FamilyConsent::NONE)).unwrap();
    let p = check_common(
        &message,
        52,
        "山田 花子さんの1週間の記録（11/23(月)〜11/29(日)）",
        family_to(),
        true,
    );
    assert!(p.text.contains("■11/24(火)\n　記録：19:45\n"), "{}", p.text);
    for hidden in ["体調", "よい", "わるい", "お薬", "血圧"] {
        assert!(!p.text.contains(hidden), "{hidden}");
        assert!(!p.html.contains(hidden), "{hidden}");
    }
}

#[test]
fn an_empty_week_says_so() {
    let mut mail = digest_mail(FamilyConsent::ALL);
    mail.check_ins.clear();
    let message = compose_family_digest(&settings(), &stamp(53), &mail).unwrap();
    let p = check_common(
        &message,
        53,
        "山田 花子さんの1週間の記録（11/23(月)〜11/29(日)）",
        family_to(),
        true,
    );
    assert!(p.text.contains("この1週間は、記録がありませんでした。"));
    assert_eq!(p.text.matches("記録なし").count(), 7);
    assert!(!p.text.contains("○ 飲んだ"), "no legend without medication");
}

#[test]
fn family_concern_is_calm_and_says_what_happens_next() {
    let message = compose_family_concern(
        &settings(),
        &stamp(60),
        &concern_mail(AlertKind::Missed, FamilyConsent::ALL),
    )
    .unwrap();
    let p = check_common(
        &message,
        60,
        "山田 花子さんの見守りについてのお知らせ",
        family_to(),
        true,
    );
    for body in [&p.text, &p.html] {
        assert!(body.contains("11月27日(金)の記録を最後に、毎日の記録が届いていません。"));
        assert!(body.contains("11月29日(日) 12:00 時点"), "{body}");
        assert!(body.contains("保健師が状況を確認し"));
    }
    for kind in AlertKind::ALL {
        for consent in [FamilyConsent::ALL, FamilyConsent::NONE] {
            let message =
                compose_family_concern(&settings(), &stamp(61), &concern_mail(*kind, consent))
                    .unwrap();
            let (_, m) = parse(&message);
            let text = m.body_text(0).unwrap();
            for alarming in ["緊急", "異常", "危険", "至急", "！"] {
                assert!(!text.contains(alarming), "{kind}: `{alarming}` in\n{text}");
            }
        }
    }
}

#[test]
fn family_concern_follows_consent() {
    let message = compose_family_concern(
        &settings(),
        &stamp(62),
        &concern_mail(AlertKind::Declining, FamilyConsent::ALL),
    )
    .unwrap();
    let text = parse(&message).1.body_text(0).unwrap().into_owned();
    assert!(
        text.contains("体調が「わるい」という記録が続いています"),
        "{text}"
    );

    for (kind, revealing) in [
        (AlertKind::Declining, "わるい"),
        (AlertKind::Vitals, "血圧"),
        (AlertKind::CallRequested, "連絡してほしい"),
    ] {
        let message = compose_family_concern(
            &settings(),
            &stamp(63),
            &concern_mail(kind, FamilyConsent::NONE),
        )
        .unwrap();
        let (_, m) = parse(&message);
        for body in [m.body_text(0).unwrap(), m.body_html(0).unwrap()] {
            assert!(!body.contains(revealing), "{kind}:\n{body}");
            assert!(
                body.contains("保健師が確認したほうがよいこと"),
                "{kind}:\n{body}"
            );
        }
    }
}

/// Words that only health details would bring into a nurse's mail.
const HEALTH_WORDS: &[&str] = &[
    "体調",
    "よい",
    "ふつう",
    "わるい",
    "症状",
    "せき",
    "熱",
    "お薬",
    "飲ん",
    "血圧",
    "脈拍",
    "体温",
    "体重",
    "歩数",
    "138",
];

fn assert_no_health_details(p: &Parsed) {
    for body in [&p.text, &p.html] {
        for word in HEALTH_WORDS {
            assert!(!body.contains(word), "`{word}` in nurse mail:\n{body}");
        }
    }
}

#[test]
fn nurse_alert_is_minimal_with_a_dashboard_link() {
    let message = compose_nurse_alert(&settings(), &stamp(70), &nurse_alert()).unwrap();
    let p = check_common(
        &message,
        70,
        "【見守り】新しいアラート：記録が途絶えています",
        nurse_to(),
        false,
    );
    for body in [&p.text, &p.html] {
        assert!(body.contains("佐藤 恵子 様"));
        assert!(body.contains("山田 花子さん"));
        assert!(body.contains("記録が途絶えています"));
        assert!(body.contains("11月29日(日) 5:00"), "{body}");
    }
    assert!(
        p.text
            .contains("https://dash.example.jp/mimamori/alerts/7\n")
    );
    assert!(
        p.html
            .contains(r#"href="https://dash.example.jp/mimamori/alerts/7""#)
    );
    assert_no_health_details(&p);
    // The name stays out of the subject (lock screens, relay logs).
    assert!(!p.raw.contains("Subject: 山田"));
}

#[test]
fn nurse_escalation_says_how_long() {
    let message = compose_nurse_escalation(&settings(), &stamp(71), &nurse_alert()).unwrap();
    let p = check_common(
        &message,
        71,
        "【見守り】対応されていません：記録が途絶えています",
        nurse_to(),
        false,
    );
    assert!(
        p.text.contains("発生から4時間たっても対応されていません"),
        "{}",
        p.text
    );
    assert!(p.text.contains("https://dash.example.jp/mimamori/alerts/7"));
    assert_no_health_details(&p);
}

#[test]
fn nurse_summary_lists_unresolved_alerts_most_urgent_first() {
    let message = compose_nurse_summary(&settings(), &stamp(80), &summary_mail()).unwrap();
    let p = check_common(
        &message,
        80,
        "【見守り】法勝寺 朝のまとめ：未対応2件・対応中1件",
        nurse_to(),
        false,
    );
    assert!(p.text.contains("未解決のアラートは3件です"), "{}", p.text);
    let sos = p.text.find("鈴木 ハルさん").unwrap();
    let missed = p.text.find("山田 花子さん").unwrap();
    let offline = p.text.find("田中 正さん").unwrap();
    assert!(sos < missed && missed < offline, "{}", p.text);
    assert!(!p.text.contains("解決 済子"));
    assert!(p.text.contains("緊急通報（11/29(日) 6:30から、未対応）"));
    assert!(
        p.text
            .contains("端末の通信途絶（11/27(金) 10:00から、対応中）")
    );
    let district = "https://dash.example.jp/mimamori/alerts?district=%E6%B3%95%E5%8B%9D%E5%AF%BA";
    assert!(p.text.contains(district), "{}", p.text);
    assert!(p.html.contains(&format!(r#"href="{district}""#)));
    assert!(
        p.html
            .contains(r#"href="https://dash.example.jp/mimamori/alerts/9""#)
    );
    assert_no_health_details(&p);

    let mut quiet = summary_mail();
    quiet.alerts.clear();
    let message = compose_nurse_summary(&settings(), &stamp(81), &quiet).unwrap();
    let p = check_common(
        &message,
        81,
        "【見守り】法勝寺 朝のまとめ：未解決のアラートはありません",
        nurse_to(),
        false,
    );
    assert!(!p.html.contains("<table"));
}

#[test]
fn bad_addresses_and_values_are_named() {
    let mut mail = check_in_mail(FamilyConsent::ALL);
    mail.contact.address.email = "ichiro.example.jp".into();
    let err = compose_family_checkin(&settings(), &stamp(90), &mail).unwrap_err();
    assert!(
        matches!(&err, MailError::InvalidAddress { role: AddressRole::To, address, .. } if address == "ichiro.example.jp")
    );
    assert!(err.is_bad_recipient());
    assert!(err.to_string().contains("`ichiro.example.jp`"), "{err}");

    let mut s = settings();
    s.from.email = "mimamori@".into();
    let err = compose_nurse_alert(&s, &stamp(91), &nurse_alert()).unwrap_err();
    assert!(matches!(
        &err,
        MailError::InvalidAddress {
            role: AddressRole::From,
            ..
        }
    ));
    assert!(!err.is_bad_recipient());
    assert_eq!(
        err.to_string(),
        "the From address `mimamori@` is not a valid email address"
    );

    let mut s = settings();
    s.desk.email = "desk at town".into();
    let err = compose_nurse_alert(&s, &stamp(92), &nurse_alert()).unwrap_err();
    assert!(
        err.to_string().contains("Reply-To address `desk at town`"),
        "{err}"
    );

    let mut mail = check_in_mail(FamilyConsent::ALL);
    mail.contact.unsubscribe_token = "a b>".into();
    let err = compose_family_checkin(&settings(), &stamp(93), &mail).unwrap_err();
    assert!(
        err.to_string().starts_with("unsubscribe token `a b>`"),
        "{err}"
    );

    let mut s = settings();
    s.dashboard_url = "dash.example.jp".into();
    let err = compose_nurse_alert(&s, &stamp(94), &nurse_alert()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dashboard_url `dash.example.jp`"),
        "{err}"
    );

    let mut s = settings();
    s.message_id_domain = "center example".into();
    let err = compose_nurse_alert(&s, &stamp(95), &nurse_alert()).unwrap_err();
    assert!(err.to_string().starts_with("message_id_domain"), "{err}");
}

#[test]
fn a_row_always_composes_to_the_same_bytes() {
    let a = compose_family_digest(&settings(), &stamp(54), &digest_mail(FamilyConsent::ALL))
        .unwrap()
        .formatted();
    let b = compose_family_digest(&settings(), &stamp(54), &digest_mail(FamilyConsent::ALL))
        .unwrap()
        .formatted();
    assert_eq!(a, b);
}

fn samples_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("mail-samples")
}

#[test]
fn write_samples() {
    let s = settings();
    let samples = [
        (
            "family_checkin",
            compose_family_checkin(&s, &stamp(42), &check_in_mail(FamilyConsent::ALL)),
        ),
        (
            "family_digest",
            compose_family_digest(&s, &stamp(50), &digest_mail(FamilyConsent::ALL)),
        ),
        (
            "family_concern",
            compose_family_concern(
                &s,
                &stamp(60),
                &concern_mail(AlertKind::Missed, FamilyConsent::ALL),
            ),
        ),
        (
            "nurse_alert",
            compose_nurse_alert(&s, &stamp(70), &nurse_alert()),
        ),
        (
            "nurse_escalation",
            compose_nurse_escalation(&s, &stamp(71), &nurse_alert()),
        ),
        (
            "nurse_summary",
            compose_nurse_summary(&s, &stamp(80), &summary_mail()),
        ),
    ];
    let dir = samples_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, message) in samples {
        let bytes = message.unwrap().formatted();
        std::fs::write(dir.join(format!("{name}.eml")), bytes).unwrap();
    }
}
