//! The safety list (安否確認) of an incident, as policy: from what is known
//! of each watch-over resident since the incident began — a tap at a
//! shelter, a check-in on the TV, a key press reported by the box, what a
//! nurse recorded — decide whether they are confirmed safe, and in which
//! order the nurses should phone or visit the others. Pure: the store
//! loads the facts, this module decides.
//!
//! ```
//! use jiff::Timestamp;
//! use mimamori_center::safety::{Facts, Status, assess};
//!
//! let since: Timestamp = "2026-12-07T00:00:00Z".parse().unwrap();
//! let facts = Facts {
//!     last_check_in_at: Some("2026-12-07T01:00:00Z".parse().unwrap()),
//!     ..Facts::default()
//! };
//! assert_eq!(assess(&facts, since).status, Status::Confirmed);
//! assert_eq!(assess(&Facts::default(), since).status, Status::NoSign);
//! ```

use jiff::Timestamp;

/// What a nurse recorded about a resident during an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NurseOutcome {
    /// 電話で無事を確認
    PhoneSafe,
    /// 訪問で確認
    VisitSafe,
    /// 不在 (visited or phoned, nobody there)
    Absent,
}

impl NurseOutcome {
    /// Every outcome, in the order of the form.
    pub const ALL: [NurseOutcome; 3] = [
        NurseOutcome::PhoneSafe,
        NurseOutcome::VisitSafe,
        NurseOutcome::Absent,
    ];

    /// The name in the database and in forms.
    pub fn as_str(&self) -> &'static str {
        match self {
            NurseOutcome::PhoneSafe => "phone_safe",
            NurseOutcome::VisitSafe => "visit_safe",
            NurseOutcome::Absent => "absent",
        }
    }

    /// The outcome named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The words on the page.
    pub fn label_ja(&self) -> &'static str {
        match self {
            NurseOutcome::PhoneSafe => "電話で無事を確認",
            NurseOutcome::VisitSafe => "訪問で確認",
            NurseOutcome::Absent => "不在",
        }
    }

    /// Whether the resident was found safe.
    pub fn is_safe(&self) -> bool {
        !matches!(self, NurseOutcome::Absent)
    }
}

/// A nurse's record: what, when, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NurseCheck {
    /// What she found.
    pub outcome: NurseOutcome,
    /// When she recorded it.
    pub at: Timestamp,
    /// Her name.
    pub by: String,
}

/// What is known of one resident, each the latest of its kind (the store
/// gives only those since the incident began, except the check-in and the
/// key press, which this module compares with the incident's start).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The latest tap at a shelter station during the incident, and where.
    pub shelter: Option<(Timestamp, String)>,
    /// The resident's latest check-in on the TV.
    pub last_check_in_at: Option<Timestamp>,
    /// The latest remote key press her box reported.
    pub last_key_at: Option<Timestamp>,
    /// The latest thing a nurse recorded during the incident.
    pub nurse: Option<NurseCheck>,
}

/// A sign of life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sign {
    /// Tapped her card at a shelter.
    Shelter {
        /// When.
        at: Timestamp,
        /// Which shelter.
        place: String,
    },
    /// Checked in on the TV.
    CheckIn {
        /// When.
        at: Timestamp,
    },
    /// A nurse recorded an outcome.
    Nurse(NurseCheck),
    /// The TV's remote was used (someone is home, perhaps not her).
    KeyPress {
        /// When.
        at: Timestamp,
    },
}

impl Sign {
    /// When.
    pub fn at(&self) -> Timestamp {
        match self {
            Sign::Shelter { at, .. } | Sign::CheckIn { at } | Sign::KeyPress { at } => *at,
            Sign::Nurse(check) => check.at,
        }
    }

    /// How, in the page's words.
    pub fn label_ja(&self) -> String {
        match self {
            Sign::Shelter { place, .. } => format!("避難所でタッチ（{place}）"),
            Sign::CheckIn { .. } => "テレビで記録".into(),
            Sign::Nurse(check) => format!("{}（{}）", check.outcome.label_ja(), check.by),
            Sign::KeyPress { .. } => "リモコンの操作".into(),
        }
    }
}

/// Where a resident stands on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Nothing at all since the incident began: phone or visit first.
    NoSign,
    /// A nurse found nobody there.
    Absent,
    /// Only the remote was used: someone is home, she is not confirmed.
    ActivityOnly,
    /// Confirmed: a shelter tap, a check-in, or a nurse found her safe.
    Confirmed,
}

impl Status {
    /// Whether she is confirmed safe.
    pub fn is_confirmed(&self) -> bool {
        *self == Status::Confirmed
    }

    /// The words on the page.
    pub fn label_ja(&self) -> &'static str {
        match self {
            Status::NoSign => "未確認",
            Status::Absent => "未確認（不在）",
            Status::ActivityOnly => "未確認（操作あり）",
            Status::Confirmed => "確認済み",
        }
    }
}

/// The verdict on one resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Where she stands.
    pub status: Status,
    /// The latest sign of life since the incident began, of any kind.
    pub latest: Option<Sign>,
}

/// Judges `facts` for an incident that began at `since`.
pub fn assess(facts: &Facts, since: Timestamp) -> Assessment {
    let recent = |at: Option<Timestamp>| at.filter(|&t| t >= since);
    let mut signs = Vec::new();
    if let Some((at, place)) = &facts.shelter {
        if *at >= since {
            signs.push(Sign::Shelter {
                at: *at,
                place: place.clone(),
            });
        }
    }
    if let Some(at) = recent(facts.last_check_in_at) {
        signs.push(Sign::CheckIn { at });
    }
    if let Some(check) = facts.nurse.as_ref().filter(|c| c.at >= since) {
        signs.push(Sign::Nurse(check.clone()));
    }
    if let Some(at) = recent(facts.last_key_at) {
        signs.push(Sign::KeyPress { at });
    }
    let confirmed = signs.iter().any(|s| match s {
        Sign::Shelter { .. } | Sign::CheckIn { .. } => true,
        Sign::Nurse(check) => check.outcome.is_safe(),
        Sign::KeyPress { .. } => false,
    });
    let status = if confirmed {
        Status::Confirmed
    } else if signs
        .iter()
        .any(|s| matches!(s, Sign::Nurse(c) if c.outcome == NurseOutcome::Absent))
    {
        Status::Absent
    } else if signs.iter().any(|s| matches!(s, Sign::KeyPress { .. })) {
        Status::ActivityOnly
    } else {
        Status::NoSign
    };
    let latest = signs.into_iter().max_by_key(Sign::at);
    Assessment { status, latest }
}

/// What orders residents of the same status: the more at risk first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Risk {
    /// An alert of hers was escalated.
    pub escalated: bool,
    /// Her unresolved alerts.
    pub open_alerts: i64,
    /// Her birth date (older first; unknown last).
    pub birth_date: Option<jiff::civil::Date>,
    /// Her name's reading, to break ties.
    pub kana: String,
    /// Her number, the last tie-break: the order is total, the same
    /// whichever way it was reached.
    pub id: i64,
}

/// Sorts a safety list: unconfirmed first (nothing known, then absent,
/// then only the remote used), then confirmed; within each, escalated
/// alerts, more open alerts, older, then by reading.
pub fn rank<T>(rows: &mut [T], key: impl Fn(&T) -> (Status, &Risk)) {
    rows.sort_by(|a, b| order(key(a), key(b)));
}

/// The first `n` of a safety list in [`rank`]'s order, the rest dropped:
/// a page's worth without sorting the whole town.
pub fn first<T>(rows: &mut Vec<T>, n: usize, key: impl Fn(&T) -> (Status, &Risk)) {
    if rows.len() > n && n > 0 {
        rows.select_nth_unstable_by(n - 1, |a, b| order(key(a), key(b)));
        rows.truncate(n);
    }
    rank(rows, key);
}

fn order((sa, ra): (Status, &Risk), (sb, rb): (Status, &Risk)) -> std::cmp::Ordering {
    sa.cmp(&sb)
        .then(rb.escalated.cmp(&ra.escalated))
        .then(rb.open_alerts.cmp(&ra.open_alerts))
        .then(match (ra.birth_date, rb.birth_date) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| ra.kana.cmp(&rb.kana))
        .then(ra.id.cmp(&rb.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const SINCE: &str = "2026-12-07T00:00:00Z";

    #[test]
    fn signs_before_the_incident_do_not_count() {
        let facts = Facts {
            last_check_in_at: Some(t("2026-12-06T23:59:00Z")),
            last_key_at: Some(t("2026-12-06T23:00:00Z")),
            ..Facts::default()
        };
        let a = assess(&facts, t(SINCE));
        assert_eq!(a.status, Status::NoSign);
        assert_eq!(a.latest, None);
    }

    #[test]
    fn a_shelter_tap_a_check_in_or_a_nurse_confirms_a_key_press_does_not() {
        let since = t(SINCE);
        let shelter = Facts {
            shelter: Some((t("2026-12-07T02:00:00Z"), "南部中学校体育館".into())),
            ..Facts::default()
        };
        assert_eq!(assess(&shelter, since).status, Status::Confirmed);
        let keys = Facts {
            last_key_at: Some(t("2026-12-07T02:00:00Z")),
            ..Facts::default()
        };
        let a = assess(&keys, since);
        assert_eq!(a.status, Status::ActivityOnly);
        assert_eq!(a.latest.unwrap().label_ja(), "リモコンの操作");
        let phoned = Facts {
            nurse: Some(NurseCheck {
                outcome: NurseOutcome::PhoneSafe,
                at: t("2026-12-07T03:00:00Z"),
                by: "佐藤 恵".into(),
            }),
            ..keys.clone()
        };
        let a = assess(&phoned, since);
        assert_eq!(a.status, Status::Confirmed);
        assert_eq!(a.latest.unwrap().label_ja(), "電話で無事を確認（佐藤 恵）");
        let absent = Facts {
            nurse: Some(NurseCheck {
                outcome: NurseOutcome::Absent,
                at: t("2026-12-07T03:00:00Z"),
                by: "佐藤 恵".into(),
            }),
            ..keys
        };
        assert_eq!(assess(&absent, since).status, Status::Absent);
    }

    #[test]
    fn the_latest_sign_is_shown_whatever_its_kind() {
        let facts = Facts {
            shelter: Some((t("2026-12-07T02:00:00Z"), "南部小学校".into())),
            last_key_at: Some(t("2026-12-07T05:00:00Z")),
            ..Facts::default()
        };
        let a = assess(&facts, t(SINCE));
        assert_eq!(a.status, Status::Confirmed);
        assert_eq!(a.latest.unwrap().at(), t("2026-12-07T05:00:00Z"));
    }

    #[test]
    fn unconfirmed_and_frail_come_first() {
        let d = |s: &str| Some(s.parse::<jiff::civil::Date>().unwrap());
        let risk = |escalated, open_alerts, birth: Option<jiff::civil::Date>, kana: &str| Risk {
            escalated,
            open_alerts,
            birth_date: birth,
            kana: kana.into(),
            id: 0,
        };
        let mut rows = vec![
            (
                "confirmed, escalated",
                Status::Confirmed,
                risk(true, 3, d("1930-01-01"), "あ"),
            ),
            (
                "keys only",
                Status::ActivityOnly,
                risk(false, 0, None, "い"),
            ),
            (
                "nothing, young",
                Status::NoSign,
                risk(false, 0, d("1950-01-01"), "う"),
            ),
            (
                "nothing, old",
                Status::NoSign,
                risk(false, 0, d("1935-01-01"), "え"),
            ),
            ("nothing, alert", Status::NoSign, risk(false, 1, None, "お")),
            (
                "nothing, escalated",
                Status::NoSign,
                risk(true, 1, None, "か"),
            ),
            ("absent", Status::Absent, risk(false, 0, None, "き")),
        ];
        let mut top = rows.clone();
        first(&mut top, 3, |r| (r.1, &r.2));
        rank(&mut rows, |r| (r.1, &r.2));
        assert_eq!(
            top[..],
            rows[..3],
            "the first three, as the whole sort has them"
        );
        let order: Vec<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(
            order,
            [
                "nothing, escalated",
                "nothing, alert",
                "nothing, old",
                "nothing, young",
                "absent",
                "keys only",
                "confirmed, escalated"
            ]
        );
    }
}
