//! Mail to a child's guardians when the child taps a card at a station:
//! who gets one (a pure decision over the guardians' policy, consent and
//! subscription, and the child's taps of the day), and the message
//! 「山田 太郎さんが 南部小学校 に 15:32 にタッチしました」.

use askama::Template;
use jiff::Timestamp;
use lettre::Message;

use super::build::{Draft, Footer, Row, assemble, check_token, check_url, render};
use super::format::{datetime_ja, local_date, one_line, time_ja};
use super::{MailError, MailSettings, MessageStamp, NamedAddress, unsubscribe_url};

/// What a guardian wants to hear of a child's taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardianPolicy {
    /// A mail for every tap.
    EveryTap,
    /// The first tap of the (local) day at each station.
    FirstOfDay,
    /// No mail.
    None,
}

impl GuardianPolicy {
    /// The name in the database and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            GuardianPolicy::EveryTap => "every_tap",
            GuardianPolicy::FirstOfDay => "first_of_day",
            GuardianPolicy::None => "none",
        }
    }
}

impl std::str::FromStr for GuardianPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "every_tap" | "毎回" => Ok(GuardianPolicy::EveryTap),
            "first_of_day" | "その日最初" => Ok(GuardianPolicy::FirstOfDay),
            "none" | "なし" => Ok(GuardianPolicy::None),
            _ => Err(format!(
                "`{text}` is not a policy; one of every_tap (毎回), first_of_day (その日最初), none (なし)"
            )),
        }
    }
}

/// A guardian as the decision sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianState {
    /// The guardian's id.
    pub id: i64,
    /// What they asked for.
    pub policy: GuardianPolicy,
    /// Whether their consent is recorded (`consent_on`).
    pub consented: bool,
    /// Whether they stopped their mail (the unsubscribe link).
    pub unsubscribed: bool,
    /// Whether they were removed.
    pub removed: bool,
}

/// The guardians (by id, in the order given) who get a mail for a tap.
/// `tapped_here_today`: the child already has a tap stored at this station
/// on the tap's local day. Only guardians with consent recorded, not
/// unsubscribed and not removed ever get one.
pub fn guardians_to_mail(guardians: &[GuardianState], tapped_here_today: bool) -> Vec<i64> {
    guardians
        .iter()
        .filter(|g| g.consented && !g.unsubscribed && !g.removed)
        .filter(|g| match g.policy {
            GuardianPolicy::EveryTap => true,
            GuardianPolicy::FirstOfDay => !tapped_here_today,
            GuardianPolicy::None => false,
        })
        .map(|g| g.id)
        .collect()
}

/// 「山田 太郎さんが 南部小学校 に 15:32 にタッチしました」.
#[derive(Debug, Clone)]
pub struct GuardianTap {
    /// Who gets it: 「山田 良子」 `yoshiko@example.jp`.
    pub guardian: NamedAddress,
    /// The guardian's unsubscribe token (URL-safe).
    pub unsubscribe_token: String,
    /// The child's name.
    pub child_name: String,
    /// The station's place: 「南部小学校」.
    pub place: String,
    /// When the card was tapped (corrected for the station's clock).
    pub at: Timestamp,
}

struct TapView {
    subject: String,
    greeting: String,
    lead: String,
    rows: Vec<Row>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/guardian_tap.txt")]
struct TapText<'a> {
    v: &'a TapView,
}

#[derive(Template)]
#[template(path = "mail/guardian_tap.html")]
struct TapHtml<'a> {
    v: &'a TapView,
}

/// Composes the tap mail. A tap of the message's own day says only the
/// time (「15:32」); one of an earlier day (a station that was offline)
/// says the date too (「12月6日 15:32」).
pub fn compose_guardian_tap(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &GuardianTap,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let child = one_line(&mail.child_name);
    let place = one_line(&mail.place);
    let day = local_date(mail.at, tz);
    let when = if day == local_date(stamp.date, tz) {
        time_ja(mail.at, tz)
    } else {
        format!("{}月{}日 {}", day.month(), day.day(), time_ja(mail.at, tz))
    };
    let subject = format!("{child}さんが {place} に {when} にタッチしました");
    check_url("public_url", &settings.public_url)?;
    check_token(&mail.unsubscribe_token)?;
    let unsubscribe = unsubscribe_url(settings, &mail.unsubscribe_token);
    let view = TapView {
        greeting: format!("{} 様", one_line(&mail.guardian.name)),
        lead: format!("{subject}。"),
        rows: vec![
            Row::new("お名前", child),
            Row::new("場所", place),
            Row::new("時刻", datetime_ja(mail.at, tz)),
        ],
        subject,
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/guardian_tap.txt", &TapText { v: &view })?;
    let html = render("mail/guardian_tap.html", &TapHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.guardian,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: Some(unsubscribe),
        },
    )
}

/// Someone who hears of a shelter arrival: a child's guardian, or a
/// resident's family contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalRecipient {
    /// Their id (a guardian's or a family contact's).
    pub id: i64,
    /// A guardian's tap policy; `None` for a family contact.
    pub policy: Option<GuardianPolicy>,
    /// For a guardian: consent to mail recorded. Family contacts: true.
    pub consented: bool,
    /// Unsubscribed.
    pub unsubscribed: bool,
    /// Removed.
    pub removed: bool,
}

/// Who is told of a person's arrival at a shelter during an incident:
/// everyone who may get mail about them, except a guardian who chose no
/// tap mail at all. Arrivals are news whatever the guardian's daily
/// policy (every tap or the first of the day): they are mailed once per
/// shelter per incident.
pub fn arrival_recipients(recipients: &[ArrivalRecipient]) -> Vec<i64> {
    recipients
        .iter()
        .filter(|r| r.consented && !r.unsubscribed && !r.removed)
        .filter(|r| r.policy != Some(GuardianPolicy::None))
        .map(|r| r.id)
        .collect()
}

/// A person confirmed at a shelter, for one recipient.
#[derive(Debug, Clone)]
pub struct ShelterArrival {
    /// Who gets it.
    pub to: NamedAddress,
    /// Their unsubscribe token.
    pub unsubscribe_token: String,
    /// Who arrived.
    pub person_name: String,
    /// The shelter.
    pub place: String,
    /// The incident, e.g. 台風10号.
    pub incident: String,
    /// When the card was tapped there.
    pub at: Timestamp,
}

/// 「山田 花子さんが 南部中学校体育館 で確認されました」.
pub fn compose_shelter_arrival(
    settings: &MailSettings,
    stamp: &MessageStamp,
    mail: &ShelterArrival,
) -> Result<Message, MailError> {
    let tz = &settings.time_zone;
    let person = one_line(&mail.person_name);
    let place = one_line(&mail.place);
    let subject = format!("{person}さんが {place} で確認されました");
    check_url("public_url", &settings.public_url)?;
    check_token(&mail.unsubscribe_token)?;
    let unsubscribe = unsubscribe_url(settings, &mail.unsubscribe_token);
    let view = TapView {
        greeting: format!("{} 様", one_line(&mail.to.name)),
        lead: format!(
            "{subject}。{}の避難所で、ご本人のカードがタッチされました。",
            one_line(&mail.incident)
        ),
        rows: vec![
            Row::new("お名前", person),
            Row::new("避難所", place),
            Row::new("確認の時刻", datetime_ja(mail.at, tz)),
        ],
        subject,
        footer: Footer::new(settings, Some(unsubscribe.clone())),
    };
    let text = render("mail/guardian_tap.txt", &TapText { v: &view })?;
    let html = render("mail/guardian_tap.html", &TapHtml { v: &view })?;
    assemble(
        settings,
        stamp,
        Draft {
            to: &mail.to,
            subject: view.subject,
            text,
            html,
            unsubscribe_url: Some(unsubscribe),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guardian(id: i64, policy: GuardianPolicy) -> GuardianState {
        GuardianState {
            id,
            policy,
            consented: true,
            unsubscribed: false,
            removed: false,
        }
    }

    #[test]
    fn policies_decide_who_hears_of_a_tap() {
        let all = [
            guardian(1, GuardianPolicy::EveryTap),
            guardian(2, GuardianPolicy::FirstOfDay),
            guardian(3, GuardianPolicy::None),
        ];
        assert_eq!(guardians_to_mail(&all, false), vec![1, 2]);
        assert_eq!(guardians_to_mail(&all, true), vec![1]);
    }

    #[test]
    fn no_consent_unsubscribed_or_removed_hear_nothing() {
        let mut no_consent = guardian(1, GuardianPolicy::EveryTap);
        no_consent.consented = false;
        let mut stopped = guardian(2, GuardianPolicy::EveryTap);
        stopped.unsubscribed = true;
        let mut removed = guardian(3, GuardianPolicy::FirstOfDay);
        removed.removed = true;
        assert!(guardians_to_mail(&[no_consent, stopped, removed], false).is_empty());
    }

    #[test]
    fn arrivals_go_to_all_who_may_hear_but_those_who_chose_none() {
        let r = |id, policy, consented, unsubscribed| ArrivalRecipient {
            id,
            policy,
            consented,
            unsubscribed,
            removed: false,
        };
        let all = [
            r(1, Some(GuardianPolicy::EveryTap), true, false),
            r(2, Some(GuardianPolicy::FirstOfDay), true, false),
            r(3, Some(GuardianPolicy::None), true, false),
            r(4, Some(GuardianPolicy::EveryTap), false, false),
            r(5, None, true, false),
            r(6, None, true, true),
        ];
        assert_eq!(arrival_recipients(&all), [1, 2, 5]);
    }
}
