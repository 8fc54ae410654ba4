//! Mail that carries several things of one kind to one person, gathered
//! over the outbox's group window: the check-ins a box delivers at once
//! after it was offline, and the alerts of a nurse's districts opened (or
//! escalated) together. One calm mail instead of a storm.

use askama::Template;
use lettre::Message;

use super::build::{Draft, Footer, Row, assemble, check_url, render};
use super::family::{check_in_rows, contact_unsubscribe_url, greeting};
use super::format::{date_short_ja, datetime_ja, local_date, one_line, time_ja};
use super::{
    AlertFacts, CheckInFacts, FamilyContact, MailError, MailSettings, MessageStamp, NamedAddress,
    alert_url,
};

/// Several check-ins of one resident for one contact.
#[derive(Debug, Clone)]
pub struct FamilyCheckIns {
    /// Who gets it.
    pub contact: FamilyContact,
    /// The resident's name.
    pub resident_name: String,
    /// The check-ins, in any order: shown oldest first.
    pub check_ins: Vec<CheckInFacts>,
}

struct Section {
    heading: String,
    rows: Vec<Row>,
    call_note: Option<String>,
}

struct CheckInsView {
    subject: String,
    greeting: String,
    lead: String,
    sections: Vec<Section>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/family_checkins.txt")]
struct CheckInsText<'a> {
    v: &'a CheckInsView,
}

#[derive(Template)]
#[template(path = "mail/family_checkins.html")]
struct CheckInsHtml<'a> {
    v: &'a CheckInsView,
}

/// Composes 「山田 花子さんの記録が3件届きました」: each check-in under its
/// date, oldest first, showing what the contact's consent allows.
pub fn compose_family_checkins(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &FamilyCheckIns,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let resident = &one_line(&mail.resident_name);
    let mut check_ins: Vec<&CheckInFacts> = mail.check_ins.iter().collect();
    check_ins.sort_by_key(|c| c.recorded_at);
    let count = check_ins.len();
    let sections = check_ins
        .iter()
        .map(|facts| {
            let (mut rows, call_note) = check_in_rows(facts, mail.contact.consent, resident, tz);
            // The heading already says when.
            rows.retain(|row| row.label != "記録時刻");
            Section {
                heading: datetime_ja(facts.recorded_at, tz),
                rows,
                call_note,
            }
        })
        .collect();
    let unsubscribe = contact_unsubscribe_url(settings, &mail.contact)?;
    let view = CheckInsView {
        subject: format!("{resident}さんの記録が{count}件届きました"),
        greeting: greeting(&mail.contact),
        lead: if check_ins
            .first()
            .is_some_and(|c| local_date(c.recorded_at, tz) < local_date(stamp.date, tz))
        {
            format!(
                "{resident}さんの記録が{count}件届きましたので、まとめてお送りします。見守り端末の通信が途切れていた間の記録も含まれます。"
            )
        } else {
            format!("{resident}さんの記録が{count}件届きましたので、まとめてお送りします。")
        },
        sections,
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/family_checkins.txt", &CheckInsText { v: &view })?;
    let html = render("mail/family_checkins.html", &CheckInsHtml { v: &view })?;
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

/// Several alerts for one nurse, new or left unacknowledged.
#[derive(Debug, Clone)]
pub struct NurseAlerts {
    /// The nurse.
    pub nurse: NamedAddress,
    /// The alerts, in any order: listed oldest first.
    pub alerts: Vec<AlertFacts>,
    /// Whether these are escalations (left unacknowledged).
    pub escalation: bool,
}

struct AlertLine {
    name: String,
    kind: &'static str,
    since: String,
    state: &'static str,
    link: String,
}

struct AlertsView {
    subject: String,
    greeting: String,
    lead: String,
    lines: Vec<AlertLine>,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/nurse_summary.txt")]
struct AlertsText<'a> {
    v: &'a AlertsView,
}

#[derive(Template)]
#[template(path = "mail/nurse_summary.html")]
struct AlertsHtml<'a> {
    v: &'a AlertsView,
}

/// Composes 「【見守り】新しいアラート：5件」 (or 「対応されていません：5件」):
/// the residents' names, the kinds and since when, each with its
/// dashboard link — nothing more.
pub fn compose_nurse_alerts(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &NurseAlerts,
) -> Result<Message, MailError> {
    check_url("dashboard_url", &settings.dashboard_url)?;
    let tz = &settings.time_zone;
    let mut alerts: Vec<&AlertFacts> = mail.alerts.iter().collect();
    alerts.sort_by(|a, b| a.since.cmp(&b.since).then(a.id.cmp(&b.id)));
    let count = alerts.len();
    let (subject, lead) = if mail.escalation {
        (
            format!("【見守り】対応されていません：{count}件"),
            format!(
                "次の{count}件のアラートが、対応されないまま時間がたっています。ダッシュボードで確認してください。"
            ),
        )
    } else {
        (
            format!("【見守り】新しいアラート：{count}件"),
            format!("新しいアラートが{count}件あります。ダッシュボードで確認してください。"),
        )
    };
    let lines = alerts
        .iter()
        .map(|a| AlertLine {
            name: format!("{}さん", one_line(&a.resident_name)),
            kind: a.kind.label_ja(),
            since: format!(
                "{} {}",
                date_short_ja(local_date(a.since, tz)),
                time_ja(a.since, tz)
            ),
            state: "未対応",
            link: alert_url(settings, a.id),
        })
        .collect();
    let view = AlertsView {
        subject,
        greeting: format!("{} 様", one_line(&mail.nurse.name)),
        lead,
        lines,
        link: format!("{}/alerts", settings.dashboard_url.trim_end_matches('/')),
        footer: Footer::new(settings, None),
    };
    let text = render("mail/nurse_summary.txt", &AlertsText { v: &view })?;
    let html = render("mail/nurse_summary.html", &AlertsHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.nurse,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: None,
        },
    )
}
