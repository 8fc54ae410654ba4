//! Mail to a resident's family: each check-in, a daily digest of the week,
//! and a concern when an alert opens. Only what the contact's consent
//! allows; a one-click unsubscribe in every message.

use askama::Template;
use jiff::Timestamp;
use jiff::civil::Date;
use lettre::Message;
use mimamori_protocol::{CheckIn, Condition, MedicationEntry, Symptom, Vitals};

use super::build::{Draft, Footer, Row, assemble, check_token, check_url, render};
use super::format::{
    date_ja, date_short_ja, datetime_ja, local_date, medication_long, medication_short, one_line,
    symptoms_ja, time_ja, vitals_parts,
};
use super::{MailError, MailSettings, MessageStamp, NamedAddress, unsubscribe_url};
use crate::domain::AlertKind;

/// What the resident agreed that this contact may see. The fact that a
/// check-in was made (and when) is always shared: it is the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FamilyConsent {
    /// よい / ふつう / わるい.
    pub condition: bool,
    /// Symptoms and the symptom note.
    pub symptoms: bool,
    /// Medication taken or not.
    pub medication: bool,
    /// Blood pressure, pulse, temperature, weight, steps.
    pub vitals: bool,
    /// That the resident asked a nurse to call.
    pub call_request: bool,
}

impl FamilyConsent {
    /// Everything.
    pub const ALL: FamilyConsent = FamilyConsent {
        condition: true,
        symptoms: true,
        medication: true,
        vitals: true,
        call_request: true,
    };

    /// Only that a check-in was made.
    pub const NONE: FamilyConsent = FamilyConsent {
        condition: false,
        symptoms: false,
        medication: false,
        vitals: false,
        call_request: false,
    };
}

/// A family contact of one resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyContact {
    /// Name and address: 「山田 一郎」 `ichiro@example.jp`.
    pub address: NamedAddress,
    /// What this contact may see.
    pub consent: FamilyConsent,
    /// The contact's unsubscribe token (URL-safe); the link is
    /// [`unsubscribe_url`](super::unsubscribe_url).
    pub unsubscribe_token: String,
}

/// The facts of one check-in, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInFacts {
    /// When the resident answered.
    pub recorded_at: Timestamp,
    /// よい / ふつう / わるい.
    pub condition: Condition,
    /// Symptoms from the closed list.
    pub symptoms: Vec<Symptom>,
    /// The free-text note for その他.
    pub symptom_note: Option<String>,
    /// One entry per medication slot of the care plan.
    pub medication: Vec<MedicationEntry>,
    /// Measurements entered.
    pub vitals: Vitals,
    /// 「保健師さんに連絡してほしい」.
    pub call_requested: bool,
}

impl CheckInFacts {
    /// The facts of a check-in from the wire, recorded at `recorded_at`.
    pub fn from_check_in(check_in: &CheckIn, recorded_at: Timestamp) -> Self {
        Self {
            recorded_at,
            condition: check_in.condition,
            symptoms: check_in.symptoms.clone(),
            symptom_note: check_in.symptom_note.clone(),
            medication: check_in.medication.clone(),
            vitals: check_in.vitals,
            call_requested: check_in.call_requested,
        }
    }
}

/// 「山田 花子さんの今日の記録」: one check-in, sent as it arrives.
#[derive(Debug, Clone)]
pub struct FamilyCheckIn {
    /// Who gets it.
    pub contact: FamilyContact,
    /// The resident's name: 「山田 花子」.
    pub resident_name: String,
    /// The check-in.
    pub check_in: CheckInFacts,
}

/// The week as a small table (day, condition, medication, vitals), sent
/// at the contact's chosen time.
#[derive(Debug, Clone)]
pub struct FamilyDigest {
    /// Who gets it.
    pub contact: FamilyContact,
    /// The resident's name.
    pub resident_name: String,
    /// The last day of the seven shown (local calendar day).
    pub last_day: Date,
    /// The check-ins of those days, in any order; others are ignored. Of
    /// several on one day the latest is shown.
    pub check_ins: Vec<CheckInFacts>,
}

/// An alert opened for the resident, in plain words.
#[derive(Debug, Clone)]
pub struct FamilyConcern {
    /// Who gets it.
    pub contact: FamilyContact,
    /// The resident's name.
    pub resident_name: String,
    /// What the alert is about.
    pub kind: AlertKind,
    /// When the alert opened.
    pub since: Timestamp,
    /// The resident's last check-in, if any (said for `missed`).
    pub last_check_in: Option<Timestamp>,
}

struct CheckInView {
    subject: String,
    greeting: String,
    lead: String,
    rows: Vec<Row>,
    call_note: Option<String>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/family_checkin.txt")]
struct CheckInText<'a> {
    v: &'a CheckInView,
}

#[derive(Template)]
#[template(path = "mail/family_checkin.html")]
struct CheckInHtml<'a> {
    v: &'a CheckInView,
}

/// Composes 「山田 花子さんの今日の記録」 for one check-in. "Today" is the
/// day of `stamp.date`; a check-in of an earlier day is named by its date.
pub fn compose_family_checkin(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &FamilyCheckIn,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let facts = &mail.check_in;
    let consent = mail.contact.consent;
    let resident = &one_line(&mail.resident_name);
    let day = local_date(facts.recorded_at, tz);
    let (subject, lead) = if day == local_date(stamp.date, tz) {
        (
            format!("{resident}さんの今日の記録"),
            format!("{resident}さんから、今日の記録が届きました。"),
        )
    } else {
        let day = date_ja(day);
        (
            format!("{resident}さんの{day}の記録"),
            format!("{resident}さんの、{day}の記録が届きました。"),
        )
    };

    let (rows, call_note) = check_in_rows(facts, consent, resident, tz);
    let unsubscribe = contact_unsubscribe_url(settings, &mail.contact)?;
    let view = CheckInView {
        subject,
        greeting: greeting(&mail.contact),
        lead,
        rows,
        call_note,
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/family_checkin.txt", &CheckInText { v: &view })?;
    let html = render("mail/family_checkin.html", &CheckInHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.contact.address,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: Some(unsubscribe),
        },
    )
}

/// The rows of one check-in that `consent` allows, and the note that a
/// call was requested.
pub(super) fn check_in_rows(
    facts: &CheckInFacts,
    consent: FamilyConsent,
    resident: &str,
    tz: &jiff::tz::TimeZone,
) -> (Vec<Row>, Option<String>) {
    let mut rows = vec![Row::new("記録時刻", datetime_ja(facts.recorded_at, tz))];
    if consent.condition {
        rows.push(Row::new("体調", facts.condition.label_ja()));
    }
    if consent.symptoms {
        rows.push(Row::new(
            "症状",
            symptoms_ja(&facts.symptoms, facts.symptom_note.as_deref()),
        ));
    }
    if consent.medication && !facts.medication.is_empty() {
        rows.push(Row::new("お薬", medication_long(&facts.medication)));
    }
    if consent.vitals {
        let parts = vitals_parts(&facts.vitals);
        let value = if parts.is_empty() {
            "入力なし".to_owned()
        } else {
            parts.join("、")
        };
        rows.push(Row::new("測定", value));
    }
    let call_note = (consent.call_request && facts.call_requested).then(|| {
        format!("{resident}さんは、保健師からの連絡を希望されています。担当の保健師からご本人に連絡します。")
    });
    (rows, call_note)
}

struct DigestCell {
    label: &'static str,
    value: String,
    /// Short values stay on one line in the HTML table.
    nowrap: bool,
}

struct DigestRow {
    day: String,
    /// `None`: no check-in that day (記録なし).
    cells: Option<Vec<DigestCell>>,
}

struct DigestView {
    subject: String,
    greeting: String,
    lead: String,
    columns: Vec<&'static str>,
    rows: Vec<DigestRow>,
    count_line: String,
    legend: Option<&'static str>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/family_digest.txt")]
struct DigestText<'a> {
    v: &'a DigestView,
}

#[derive(Template)]
#[template(path = "mail/family_digest.html")]
struct DigestHtml<'a> {
    v: &'a DigestView,
}

/// Days in a digest.
const DIGEST_DAYS: i16 = 7;

/// Composes the daily digest: the seven days ending at `last_day`, days
/// without a check-in shown as 「記録なし」.
pub fn compose_family_digest(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &FamilyDigest,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let consent = mail.contact.consent;
    let resident = &one_line(&mail.resident_name);
    let first_day = mail
        .last_day
        .checked_sub(jiff::Span::new().days(DIGEST_DAYS - 1))
        .unwrap_or(mail.last_day);

    let mut columns = vec!["日付"];
    if consent.condition {
        columns.push("体調");
    }
    if consent.medication {
        columns.push("お薬");
    }
    if consent.vitals {
        columns.push("測定");
    }
    let nothing_but_time = columns.len() == 1;
    if nothing_but_time {
        columns.push("記録");
    }

    let mut rows = Vec::new();
    let mut recorded_days = 0;
    let mut any_medication = false;
    for day in first_day.series(jiff::Span::new().days(1)).take(7) {
        let latest = mail
            .check_ins
            .iter()
            .filter(|c| local_date(c.recorded_at, tz) == day)
            .max_by_key(|c| c.recorded_at);
        let cells = latest.map(|c| {
            recorded_days += 1;
            let mut cells = Vec::new();
            if nothing_but_time {
                cells.push(DigestCell {
                    label: "記録",
                    value: time_ja(c.recorded_at, tz),
                    nowrap: true,
                });
            }
            if consent.condition {
                cells.push(DigestCell {
                    label: "体調",
                    value: c.condition.label_ja().to_owned(),
                    nowrap: true,
                });
            }
            if consent.medication {
                any_medication |= !c.medication.is_empty();
                cells.push(DigestCell {
                    label: "お薬",
                    value: dash_if_empty(medication_short(&c.medication)),
                    nowrap: true,
                });
            }
            if consent.vitals {
                cells.push(DigestCell {
                    label: "測定",
                    value: dash_if_empty(vitals_parts(&c.vitals).join("、")),
                    nowrap: false,
                });
            }
            cells
        });
        rows.push(DigestRow {
            day: date_short_ja(day),
            cells,
        });
    }

    let unsubscribe = contact_unsubscribe_url(settings, &mail.contact)?;
    let view = DigestView {
        subject: format!(
            "{resident}さんの1週間の記録（{}〜{}）",
            date_short_ja(first_day),
            date_short_ja(mail.last_day)
        ),
        greeting: greeting(&mail.contact),
        lead: format!(
            "{resident}さんの、{}から{}までの記録です。",
            date_ja(first_day),
            date_ja(mail.last_day)
        ),
        columns,
        rows,
        count_line: if recorded_days == 0 {
            "この1週間は、記録がありませんでした。".to_owned()
        } else {
            format!("7日のうち{recorded_days}日、記録がありました。")
        },
        legend: (consent.medication && any_medication).then_some("お薬：○ 飲んだ　× 飲んでいない"),
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/family_digest.txt", &DigestText { v: &view })?;
    let html = render("mail/family_digest.html", &DigestHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.contact.address,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: Some(unsubscribe),
        },
    )
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() {
        "—".to_owned()
    } else {
        text
    }
}

struct ConcernView {
    subject: String,
    greeting: String,
    lead: String,
    what: String,
    when: String,
    next: Vec<&'static str>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/family_concern.txt")]
struct ConcernText<'a> {
    v: &'a ConcernView,
}

#[derive(Template)]
#[template(path = "mail/family_concern.html")]
struct ConcernHtml<'a> {
    v: &'a ConcernView,
}

/// Composes the concern: what the center noticed, in plain words within
/// the contact's consent, and what happens next.
pub fn compose_family_concern(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &FamilyConcern,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let resident = &one_line(&mail.resident_name);
    let unsubscribe = contact_unsubscribe_url(settings, &mail.contact)?;
    let view = ConcernView {
        subject: format!("{resident}さんの見守りについてのお知らせ"),
        greeting: greeting(&mail.contact),
        lead: format!("{resident}さんの見守りについて、お知らせします。"),
        what: concern_words(mail, tz),
        when: format!("（{} 時点）", datetime_ja(mail.since, tz)),
        next: vec![
            "担当の保健師が状況を確認し、必要に応じてご本人に連絡・訪問します。",
            "ご家族がご本人と連絡を取れたときは、下記の窓口へお知らせいただけると助かります。",
        ],
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/family_concern.txt", &ConcernText { v: &view })?;
    let html = render("mail/family_concern.html", &ConcernHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.contact.address,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: Some(unsubscribe),
        },
    )
}

/// What was noticed, in words a family reads calmly. Kinds that reveal
/// health data fall back to general words without the matching consent.
fn concern_words(mail: &FamilyConcern, tz: &jiff::tz::TimeZone) -> String {
    const GENERAL: &str = "毎日の記録から、保健師が確認したほうがよいことがありました。";
    let consent = mail.contact.consent;
    match mail.kind {
        AlertKind::Missed => match mail.last_check_in {
            Some(last) => format!(
                "{}の記録を最後に、毎日の記録が届いていません。",
                date_ja(local_date(last, tz))
            ),
            None => "毎日の記録が届いていません。".to_owned(),
        },
        AlertKind::Declining if consent.condition => {
            "ここ数日、体調が「わるい」という記録が続いています。".to_owned()
        }
        AlertKind::Vitals if consent.vitals => {
            "血圧などの測定値に、いつもと違うところがありました。".to_owned()
        }
        AlertKind::CallRequested if consent.call_request => {
            "ご本人から、保健師に連絡してほしいという希望がありました。".to_owned()
        }
        AlertKind::Declining | AlertKind::Vitals | AlertKind::CallRequested => GENERAL.to_owned(),
        AlertKind::Sos => "ご自宅の見守り端末で、呼び出しボタンが押されました。".to_owned(),
        AlertKind::BoxOffline => "ご自宅の見守り端末と、しばらく通信ができていません。\
             電源が抜けているなど、機器の都合であることも多くあります。"
            .to_owned(),
        AlertKind::RoomHeat => {
            "お部屋の温度が高く、熱中症に気をつけたい状態が続いています。".to_owned()
        }
    }
}

pub(super) fn greeting(contact: &FamilyContact) -> String {
    format!("{} 様", one_line(&contact.address.name))
}

pub(super) fn contact_unsubscribe_url(
    settings: &MailSettings,
    contact: &FamilyContact,
) -> Result<String, MailError> {
    check_url("public_url", &settings.public_url)?;
    check_token(&contact.unsubscribe_token)?;
    Ok(unsubscribe_url(settings, &contact.unsubscribe_token))
}
