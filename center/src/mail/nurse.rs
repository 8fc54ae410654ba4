//! Mail to nurses: a new alert, an escalation, and the morning summary of
//! a district. Only the resident's name, the alert's kind and since when,
//! and a link to the dashboard — never health details.

use askama::Template;
use jiff::Timestamp;
use lettre::Message;

use super::build::{Draft, Footer, Row, assemble, check_url, render};
use super::format::{
    date_ja, date_short_ja, datetime_ja, elapsed_ja, local_date, one_line, time_ja,
};
use super::{MailError, MailSettings, MessageStamp, NamedAddress, alert_url, district_url};
use crate::domain::{AlertId, AlertKind, AlertState};

/// The little a nurse's email says about an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    /// The alert: the dashboard link is [`alert_url`](super::alert_url).
    pub id: AlertId,
    /// The resident's name: 「山田 花子」.
    pub resident_name: String,
    /// What the alert is about (its [`AlertKind::label_ja`] is shown).
    pub kind: AlertKind,
    /// When the alert opened.
    pub since: Timestamp,
}

/// A new alert, or an escalation of one left unacknowledged.
#[derive(Debug, Clone)]
pub struct NurseAlert {
    /// The nurse: 「保健師 佐藤」 `sato@town.example.jp`.
    pub nurse: NamedAddress,
    /// The alert.
    pub alert: AlertFacts,
}

/// An unresolved alert in a morning summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryAlert {
    /// The alert.
    pub alert: AlertFacts,
    /// Open (未対応) or acknowledged (対応中); resolved alerts are skipped.
    pub state: AlertState,
}

/// The morning summary of a district's unresolved alerts.
#[derive(Debug, Clone)]
pub struct NurseSummary {
    /// The nurse.
    pub nurse: NamedAddress,
    /// The district, as the center names it: 「法勝寺」.
    pub district: String,
    /// Its unresolved alerts, in any order: listed most urgent first, then
    /// oldest first.
    pub alerts: Vec<SummaryAlert>,
}

struct AlertView {
    subject: String,
    greeting: String,
    lead: String,
    rows: Vec<Row>,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/nurse_alert.txt")]
struct AlertText<'a> {
    v: &'a AlertView,
}

#[derive(Template)]
#[template(path = "mail/nurse_alert.html")]
struct AlertHtml<'a> {
    v: &'a AlertView,
}

/// Composes 「【見守り】新しいアラート：…」 for a new alert.
pub fn compose_nurse_alert(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &NurseAlert,
) -> Result<Message, MailError> {
    let kind = mail.alert.kind.label_ja();
    compose_alert(
        settings,
        stamp,
        mail,
        format!("【見守り】新しいアラート：{kind}"),
        "新しいアラートがあります。ダッシュボードで確認してください。".to_owned(),
    )
}

/// Composes 「【見守り】対応されていません：…」 for an alert left
/// unacknowledged; says for how long, as of `stamp.date`.
pub fn compose_nurse_escalation(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &NurseAlert,
) -> Result<Message, MailError> {
    let kind = mail.alert.kind.label_ja();
    let elapsed = elapsed_ja(stamp.date.duration_since(mail.alert.since));
    compose_alert(
        settings,
        stamp,
        mail,
        format!("【見守り】対応されていません：{kind}"),
        format!(
            "次のアラートが、発生から{elapsed}たっても対応されていません。ダッシュボードで確認してください。"
        ),
    )
}

fn compose_alert(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &NurseAlert,
    subject: String,
    lead: String,
) -> Result<Message, MailError> {
    check_url("dashboard_url", &settings.dashboard_url)?;
    let tz = &settings.time_zone;
    let alert = &mail.alert;
    let view = AlertView {
        subject,
        greeting: format!("{} 様", one_line(&mail.nurse.name)),
        lead,
        rows: vec![
            Row::new("対象", format!("{}さん", one_line(&alert.resident_name))),
            Row::new("内容", alert.kind.label_ja()),
            Row::new("発生", datetime_ja(alert.since, tz)),
        ],
        link: alert_url(settings, alert.id),
        footer: Footer::new(settings, None),
    };
    let text = render("mail/nurse_alert.txt", &AlertText { v: &view })?;
    let html = render("mail/nurse_alert.html", &AlertHtml { v: &view })?;
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

struct SummaryLine {
    name: String,
    kind: &'static str,
    since: String,
    state: &'static str,
    link: String,
}

struct SummaryView {
    subject: String,
    greeting: String,
    lead: String,
    lines: Vec<SummaryLine>,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/nurse_summary.txt")]
struct SummaryText<'a> {
    v: &'a SummaryView,
}

#[derive(Template)]
#[template(path = "mail/nurse_summary.html")]
struct SummaryHtml<'a> {
    v: &'a SummaryView,
}

/// Composes the morning summary of a district's unresolved alerts, dated
/// `stamp.date`.
pub fn compose_nurse_summary(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &NurseSummary,
) -> Result<Message, MailError> {
    check_url("dashboard_url", &settings.dashboard_url)?;
    let tz = &settings.time_zone;
    let district = &one_line(&mail.district);
    let mut alerts: Vec<&SummaryAlert> = mail
        .alerts
        .iter()
        .filter(|a| a.state != AlertState::Resolved)
        .collect();
    alerts.sort_by(|a, b| {
        b.alert
            .kind
            .severity()
            .cmp(&a.alert.kind.severity())
            .then(a.alert.since.cmp(&b.alert.since))
            .then(a.alert.id.cmp(&b.alert.id))
    });
    let open = alerts
        .iter()
        .filter(|a| a.state == AlertState::Open)
        .count();
    let acknowledged = alerts.len() - open;
    let today = date_ja(local_date(stamp.date, tz));

    let (subject, lead) = if alerts.is_empty() {
        (
            format!("【見守り】{district} 朝のまとめ：未解決のアラートはありません"),
            format!("{today}朝の時点で、{district}の未解決のアラートはありません。"),
        )
    } else {
        (
            format!("【見守り】{district} 朝のまとめ：未対応{open}件・対応中{acknowledged}件"),
            format!(
                "{today}朝の時点で、{district}の未解決のアラートは{}件です（未対応{open}件・対応中{acknowledged}件）。",
                alerts.len()
            ),
        )
    };
    let lines = alerts
        .iter()
        .map(|a| SummaryLine {
            name: format!("{}さん", one_line(&a.alert.resident_name)),
            kind: a.alert.kind.label_ja(),
            since: format!(
                "{} {}",
                date_short_ja(local_date(a.alert.since, tz)),
                time_ja(a.alert.since, tz)
            ),
            state: match a.state {
                AlertState::Open => "未対応",
                AlertState::Acknowledged => "対応中",
                AlertState::Resolved => "解決済み",
            },
            link: alert_url(settings, a.alert.id),
        })
        .collect();
    let view = SummaryView {
        subject,
        greeting: format!("{} 様", one_line(&mail.nurse.name)),
        lead,
        lines,
        link: district_url(settings, district),
        footer: Footer::new(settings, None),
    };
    let text = render("mail/nurse_summary.txt", &SummaryText { v: &view })?;
    let html = render("mail/nurse_summary.html", &SummaryHtml { v: &view })?;
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
