//! Residents: the list by risk with search and filters, and a resident's
//! record — charts of the last 30 or 90 days, check-ins, alerts and visits,
//! family contacts and their mail, the box, the pause control.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Chrome, ClientAddr, DashboardState, PageError, age, charts, condition_label, local_time,
    render, signed_in,
};
use crate::domain::{AlertKind, PauseReason, VisitOutcome};
use crate::store::dashboard::residents::{self, ResidentFilter, ResidentRecord};

/// The list's search form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: u32,
}

struct Row {
    id: i64,
    name: String,
    kana: String,
    district: String,
    status: String,
    risk: &'static str,
    last_check_in: String,
}

#[derive(Template)]
#[template(path = "dashboard/residents.html")]
struct ListPage {
    chrome: Chrome,
    search: Search,
    districts: Vec<String>,
    rows: Vec<Row>,
    limit: u32,
    more: bool,
}

const LIST_LIMIT: u32 = 300;

/// `GET /dashboard/residents`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let filter = ResidentFilter {
        offset: search.page * LIST_LIMIT,
        query: search.q.clone(),
        district: Some(search.district.clone()).filter(|d| !d.is_empty()),
        status: Some(search.status.clone()).filter(|s| !s.is_empty()),
        only: None,
        limit: LIST_LIMIT + 1,
    };
    let (rows, districts) = state
        .db
        .run(move |conn, _| {
            Ok((
                residents::list(conn, &viewer, &filter)?,
                residents::districts(conn, &viewer)?,
            ))
        })
        .await?;
    let more = rows.len() > LIST_LIMIT as usize;
    let now = state.clock.now();
    let tz = &state.config.time_zone;
    let rows = rows
        .into_iter()
        .take(LIST_LIMIT as usize)
        .map(|r| Row {
            id: r.id,
            status: match (&r.paused_through, r.open_alerts) {
                (_, n) if n > 0 => format!("通知 {n}件"),
                (Some(day), _) => format!("一時停止（{day}まで）"),
                _ => "—".into(),
            },
            risk: if r.escalated {
                "escalated"
            } else if r.severity >= 3 {
                "high"
            } else if r.severity > 0 {
                "medium"
            } else {
                "none"
            },
            last_check_in: r.last_check_in_at.map_or("記録なし".into(), |at| {
                format!("{}（{}）", local_time(at, tz), age(at, now))
            }),
            name: r.name,
            kana: r.kana,
            district: r.district,
        })
        .collect();
    render(&ListPage {
        chrome: me.chrome("利用者"),
        search,
        districts,
        rows,
        limit: LIST_LIMIT,
        more,
    })
}

/// `?days=30|90`.
#[derive(Debug, Deserialize)]
pub(crate) struct Days {
    days: Option<u32>,
}

struct CheckInLine {
    at: String,
    condition: &'static str,
    vitals: String,
    medication: String,
    call: bool,
}

struct AlertLine {
    kind: String,
    state: &'static str,
    reason: String,
    opened_at: String,
    visit: String,
}

struct ContactLine {
    name: String,
    relation: String,
    email: String,
    policy: &'static str,
    mail: String,
    trouble: bool,
}

#[derive(Template)]
#[template(path = "dashboard/resident.html")]
struct ResidentPage {
    chrome: Chrome,
    r: ResidentRecord,
    days: u32,
    condition_svg: String,
    pressure_svg: String,
    weight_svg: String,
    medication_svg: String,
    check_ins: Vec<CheckInLine>,
    alerts: Vec<AlertLine>,
    contacts: Vec<ContactLine>,
    box_line: String,
    box_trouble: bool,
    paused: String,
    cards: String,
    today: String,
    last_check_in: String,
    consent: Vec<super::manage::residents::ConsentLine>,
}

fn kind_label(kind: &str) -> String {
    kind.parse::<AlertKind>()
        .map_or_else(|_| kind.to_owned(), |k| k.label_ja().to_owned())
}

/// `GET /dashboard/residents/{id}`: the record (audited).
pub(crate) async fn page(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(days): Query<Days>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let days = if days.days == Some(90) { 90 } else { 30 };
    let now = state.clock.now();
    let tz = state.config.time_zone.clone();
    let today = now.to_zoned(tz.clone()).date();
    let first = today
        .checked_sub(jiff::Span::new().days(i64::from(days) - 1))
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
    let viewer = me.viewer.clone();
    let record = state
        .db
        .run(move |conn, _| residents::record(conn, &viewer, id, first, now))
        .await?
        .ok_or(PageError::NotFound)?;
    let span = charts::days_between(first, today);
    let check_ins = record
        .days
        .iter()
        .rev()
        .take(60)
        .map(|d| CheckInLine {
            at: local_time(d.at, &tz),
            condition: condition_label(&d.condition),
            vitals: vitals(d),
            medication: if d.medication_asked == 0 {
                "—".into()
            } else {
                format!("{}/{}", d.medication_taken, d.medication_asked)
            },
            call: d.call_requested,
        })
        .collect();
    let alerts = record
        .alerts
        .iter()
        .map(|a| AlertLine {
            kind: kind_label(&a.kind),
            state: match a.state.as_str() {
                "open" => "未対応",
                "acknowledged" => "対応中",
                _ if a.resolved_by.as_deref() == Some("system") => "自動で解決",
                _ => "解決",
            },
            reason: a.reason.clone(),
            opened_at: local_time(a.opened_at, &tz),
            visit: match (&a.visit_at, &a.visit_outcome) {
                (Some(at), Some(outcome)) => format!(
                    "{} {}（{}）{}",
                    local_time(*at, &tz),
                    outcome
                        .parse::<VisitOutcome>()
                        .map_or(outcome.as_str(), |o| o.label_ja()),
                    a.resolved_by.clone().unwrap_or_default(),
                    a.visit_note.clone().unwrap_or_default()
                ),
                _ => String::new(),
            },
        })
        .collect();
    let contacts = record
        .contacts
        .iter()
        .map(|c| ContactLine {
            name: c.name.clone(),
            relation: c.relation.clone(),
            email: c.email.clone(),
            policy: match c.policy.as_str() {
                "every_check_in" => "毎回",
                "daily_digest" => "毎日まとめて",
                _ => "気になる時だけ",
            },
            mail: if c.unsubscribed {
                "配信停止（ご本人の申し出）".into()
            } else if c.failed > 0 {
                format!(
                    "届いていません：失敗 {}通（{}）、送信済み {}通",
                    c.failed,
                    c.last_error.clone().unwrap_or_default(),
                    c.sent
                )
            } else if c.pending > 0 {
                format!("送信待ち {}通、送信済み {}通", c.pending, c.sent)
            } else {
                format!("届いています（送信済み {}通）", c.sent)
            },
            trouble: c.failed > 0 || c.unsubscribed,
        })
        .collect();
    let offline_after = state.config.thresholds.offline_after;
    let (box_line, box_trouble) = match &record.the_box {
        None => ("端末は割り当てられていません".to_owned(), true),
        Some(b) => {
            let heartbeat = b
                .last_heartbeat_at
                .or(b.last_contact_at)
                .map_or("まだ通信がありません".to_owned(), |at| {
                    format!("最後の通信 {}（{}）", local_time(at, &tz), age(at, now))
                });
            let silent = b
                .last_heartbeat_at
                .or(b.last_contact_at)
                .is_none_or(|at| now.duration_since(at) > offline_after);
            let temperature = b
                .room_temperature
                .map(|t| format!("、室温 {:.1}℃", t as f64 / 10.0))
                .unwrap_or_default();
            (
                format!(
                    "{}（{}）{}{}{}",
                    b.device_id,
                    b.label,
                    if b.revoked { " 無効化済み " } else { " " },
                    heartbeat,
                    temperature
                ),
                silent || b.revoked,
            )
        }
    };
    let paused = match (&record.row.paused_through, &record.pause_reason) {
        (Some(day), reason) => format!(
            "{}まで一時停止中（{}）",
            day,
            reason
                .as_deref()
                .and_then(|r| r.parse::<PauseReason>().ok())
                .map_or("", |r| r.label_ja())
        ),
        _ => String::new(),
    };
    let cards = record
        .cards
        .iter()
        .map(|k| {
            if k == "jpki" {
                "マイナンバーカード"
            } else {
                "お試しカード（複製の恐れあり）"
            }
        })
        .collect::<Vec<_>>()
        .join("、");
    let last_check_in = record.row.last_check_in_at.map_or("記録なし".into(), |at| {
        format!("{}（{}）", local_time(at, &tz), age(at, now))
    });
    let page = ResidentPage {
        chrome: me.chrome(&format!("{} さん", record.row.name)),
        days,
        condition_svg: charts::condition_cells(&span, &record.days),
        pressure_svg: charts::blood_pressure(&span, &record.days),
        weight_svg: charts::weight(&span, &record.days),
        medication_svg: charts::medication(&span, &record.days, record.medication_slots),
        check_ins,
        alerts,
        contacts,
        box_line,
        box_trouble,
        paused,
        cards: if cards.is_empty() {
            "未登録".into()
        } else {
            cards
        },
        today: today.to_string(),
        last_check_in,
        consent: super::manage::residents::consent_lines(record.consent.clone(), &tz),
        r: record,
    };
    render(&page)
}

fn vitals(d: &residents::DayRecord) -> String {
    let mut parts = Vec::new();
    if let (Some(s), Some(di)) = (d.systolic, d.diastolic) {
        parts.push(format!("血圧 {s}/{di}"));
    }
    if let Some(t) = d.temperature {
        parts.push(format!("体温 {:.1}℃", t as f64 / 10.0));
    }
    if let Some(w) = d.weight {
        parts.push(format!("体重 {:.1}kg", w as f64 / 10.0));
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("　")
    }
}

/// The pause control.
#[derive(Debug, Deserialize)]
pub(crate) struct PauseForm {
    csrf: String,
    /// `pause` or `end`.
    action: String,
    #[serde(default)]
    through: String,
    #[serde(default)]
    reason: String,
}

/// `POST /dashboard/residents/{id}/pause`.
pub(crate) async fn pause(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<PauseForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let through = if form.action == "end" {
        None
    } else {
        let day: jiff::civil::Date = form.through.trim().parse().map_err(|_| {
            PageError::BadRequest("再開する前日を 2026-12-20 の形で入れてください。".into())
        })?;
        let reason: PauseReason = form
            .reason
            .parse()
            .map_err(|_| PageError::BadRequest("一時停止の理由を選んでください。".into()))?;
        let today = state
            .clock
            .now()
            .to_zoned(state.config.time_zone.clone())
            .date();
        if day < today {
            return Err(PageError::BadRequest(
                "一時停止の終わりが過去の日付です。".into(),
            ));
        }
        Some((day, reason))
    };
    let now = state.clock.now();
    let viewer = me.viewer;
    let found = state
        .db
        .run(move |conn, config| {
            crate::store::dashboard::pause(conn, config, &viewer, id, through, now)
        })
        .await?;
    if !found {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/dashboard/residents/{id}")).into_response())
}
