//! The alert queue (the landing page), one alert with its assign and
//! resolve forms, and the print-friendly list of visits to make.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Chrome, ClientAddr, DashboardState, PageError, age, condition_label, local_time, render,
    signed_in,
};
use crate::domain::VisitOutcome;
use crate::store::admin::Visit;
use crate::store::dashboard::queue::{self, Outcome, QueueRow};

/// An alert as the queue shows it.
pub(crate) struct AlertView {
    id: i64,
    resident: i64,
    name: String,
    district: String,
    address: String,
    phone: String,
    kind: &'static str,
    severity: u8,
    open: bool,
    state: &'static str,
    reason: String,
    opened_at: String,
    age: String,
    escalated: bool,
    acknowledged_by: String,
    assigned_to: String,
    last_check_in: String,
}

fn view(row: QueueRow, state: &DashboardState, now: jiff::Timestamp) -> AlertView {
    let tz = &state.config.time_zone;
    AlertView {
        id: row.id,
        resident: row.resident,
        name: row.name,
        district: row.district,
        address: row.address,
        phone: row.phone,
        kind: row.kind.label_ja(),
        severity: row.kind.severity(),
        open: row.state == "open",
        state: if row.state == "open" {
            "未対応"
        } else {
            "対応中"
        },
        reason: row.reason,
        opened_at: local_time(row.opened_at, tz),
        age: age(row.opened_at, now),
        escalated: row.escalated && row.state == "open",
        acknowledged_by: row.acknowledged_by.unwrap_or_default(),
        assigned_to: row.assigned_to.unwrap_or_default(),
        last_check_in: match (row.last_check_in_at, row.last_condition) {
            (Some(at), Some(condition)) => {
                format!("{}（{}）", local_time(at, tz), condition_label(&condition))
            }
            (Some(at), None) => local_time(at, tz),
            _ => "記録なし".into(),
        },
    }
}

#[derive(Template)]
#[template(path = "dashboard/queue.html")]
struct QueuePage {
    chrome: Chrome,
    alerts: Vec<AlertView>,
    escalated: usize,
    notice: &'static str,
}

/// `?done=…` after a change: what the page confirms.
#[derive(Debug, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> &'static str {
    match done {
        Some("ack") => "対応中にしました。",
        Some("assign") => "担当者を割り当てました。",
        Some("resolve") => "訪問記録を保存し、通知を解決済みにしました。",
        Some("pause") => "見守りの一時停止を変更しました。",
        _ => "",
    }
}

/// `GET /dashboard/`: open alerts, escalated first, then by severity and age.
pub(crate) async fn queue(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let rows = state
        .db
        .run(move |conn, _| queue::queue(conn, &viewer))
        .await?;
    let now = state.clock.now();
    let alerts: Vec<AlertView> = rows.into_iter().map(|r| view(r, &state, now)).collect();
    render(&QueuePage {
        chrome: me.chrome("通知の一覧"),
        escalated: alerts.iter().filter(|a| a.escalated).count(),
        alerts,
        notice: notice(done.done.as_deref()),
    })
}

#[derive(Template)]
#[template(path = "dashboard/alert.html")]
struct AlertPage {
    chrome: Chrome,
    alert: AlertView,
    staff: Vec<(i64, String)>,
    today: String,
    time: String,
    error: String,
}

async fn alert_page(
    state: &DashboardState,
    headers: &HeaderMap,
    addr: &ClientAddr,
    id: i64,
    status: StatusCode,
    error: String,
) -> Result<Response, PageError> {
    let me = signed_in(state, headers, addr).await?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let detail = state
        .db
        .run(move |conn, _| queue::detail(conn, &viewer, id, now))
        .await?
        .ok_or(PageError::NotFound)?;
    let local = now.to_zoned(state.config.time_zone.clone());
    Ok((
        status,
        render(&AlertPage {
            chrome: me.chrome("通知への対応"),
            alert: view(detail.row, state, now),
            staff: detail.assignable,
            today: local.date().to_string(),
            time: local.strftime("%H:%M").to_string(),
            error,
        })?,
    )
        .into_response())
}

/// `GET /dashboard/alerts/{id}`: the alert, assign and resolve forms.
pub(crate) async fn detail(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    alert_page(&state, &headers, &addr, id, StatusCode::OK, String::new()).await
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

fn outcome(result: Outcome, done: &str) -> Result<Response, PageError> {
    match result {
        Outcome::Done => Ok(Redirect::to(&format!("/dashboard/?done={done}")).into_response()),
        Outcome::NotFound => Err(PageError::NotFound),
        Outcome::Refused(message) => Err(PageError::BadRequest(message)),
    }
}

/// `POST /dashboard/alerts/{id}/ack`.
pub(crate) async fn acknowledge(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    let viewer = me.viewer;
    let result = state
        .db
        .run(move |conn, _| queue::acknowledge(conn, &viewer, id, now))
        .await?;
    outcome(result, "ack")
}

/// The assign form.
#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    csrf: String,
    staff: i64,
}

/// `POST /dashboard/alerts/{id}/assign`.
pub(crate) async fn assign(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    let viewer = me.viewer;
    let result = state
        .db
        .run(move |conn, _| queue::assign(conn, &viewer, id, form.staff, now))
        .await?;
    outcome(result, "assign")
}

/// The visit record (訪問記録).
#[derive(Debug, Deserialize)]
pub(crate) struct ResolveForm {
    csrf: String,
    date: String,
    time: String,
    visitor: String,
    outcome: String,
    note: String,
}

/// `POST /dashboard/alerts/{id}/resolve`: resolves with a visit record.
pub(crate) async fn resolve(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let visit = match parse_visit(&form, &state, &me.viewer.name) {
        Ok(visit) => visit,
        Err(message) => {
            return alert_page(
                &state,
                &headers,
                &addr,
                id,
                StatusCode::BAD_REQUEST,
                message,
            )
            .await;
        }
    };
    let now = state.clock.now();
    let viewer = me.viewer;
    let result = state
        .db
        .run(move |conn, config| queue::resolve(conn, config, &viewer, id, &visit, now))
        .await?;
    match result {
        Outcome::Refused(message) => {
            alert_page(
                &state,
                &headers,
                &addr,
                id,
                StatusCode::BAD_REQUEST,
                message,
            )
            .await
        }
        other => outcome(other, "resolve"),
    }
}

fn parse_visit(form: &ResolveForm, state: &DashboardState, me: &str) -> Result<Visit, String> {
    let date: jiff::civil::Date = form
        .date
        .trim()
        .parse()
        .map_err(|_| "訪問日を 2026-11-29 の形で入れてください。".to_owned())?;
    let time: jiff::civil::Time = form
        .time
        .trim()
        .parse()
        .map_err(|_| "訪問時刻を 14:30 の形で入れてください。".to_owned())?;
    let at = date
        .to_datetime(time)
        .to_zoned(state.config.time_zone.clone())
        .map_err(|_| "訪問日時を読み取れません。".to_owned())?
        .timestamp();
    let outcome: VisitOutcome = form
        .outcome
        .parse()
        .map_err(|_| "訪問の結果を選んでください。".to_owned())?;
    let visitor = form.visitor.trim();
    Ok(Visit {
        at,
        by: if visitor.is_empty() {
            me.to_owned()
        } else {
            visitor.to_owned()
        },
        outcome,
        note: form.note.trim().to_owned(),
    })
}

#[derive(Template)]
#[template(path = "dashboard/visits.html")]
struct VisitsPage {
    chrome: Chrome,
    alerts: Vec<AlertView>,
    printed_at: String,
}

/// `GET /dashboard/visits`: the visits to make, for printing.
pub(crate) async fn visits(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let rows = state
        .db
        .run(move |conn, _| {
            crate::store::dashboard::audit::record(conn, &viewer, "visits.view", None, "", now)?;
            queue::queue(conn, &viewer)
        })
        .await?;
    let mut alerts: Vec<AlertView> = rows.into_iter().map(|r| view(r, &state, now)).collect();
    alerts.sort_by(|a, b| {
        a.district
            .cmp(&b.district)
            .then(b.severity.cmp(&a.severity))
    });
    render(&VisitsPage {
        chrome: me.chrome("訪問予定"),
        alerts,
        printed_at: local_time(now, &state.config.time_zone),
    })
}
