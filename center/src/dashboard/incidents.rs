//! 安否確認: incidents and their safety list. Administrators open and close
//! an incident; during it every signed-in nurse sees, for her districts,
//! the watch-over residents with their latest sign of life since it began
//! — unconfirmed and frail first — records what she found by phone or
//! visit, and sees each shelter's roster and counts. The disaster
//! headquarters gets the list as CSV. Every look, record and export is
//! audited.
//!
//! Names at shelters: a nurse sees the residents of her districts by name
//! and everyone else only as counts; children are named to administrators
//! only.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::manage::admin;
use super::{ClientAddr, DashboardState, PageError, local_time, render, signed_in};
use crate::safety::{self, NurseOutcome, Status};
use crate::store::StoreError;
use crate::store::dashboard::audit;
use crate::store::incidents::{self, Incident};

/// Most rows of the safety list on the page (the CSV has them all).
const LIST_LIMIT: usize = 500;

struct IncidentRow {
    id: i64,
    name: String,
    opened: String,
    closed: String,
    open: bool,
}

#[derive(Template)]
#[template(path = "dashboard/incidents.html")]
struct ListPage {
    chrome: super::Chrome,
    incidents: Vec<IncidentRow>,
    any_open: bool,
    error: String,
}

fn incident_row(i: &Incident, tz: &jiff::tz::TimeZone) -> IncidentRow {
    IncidentRow {
        id: i.id,
        name: i.name.clone(),
        opened: format!("{}（{}）", local_time(i.opened_at, tz), i.opened_by),
        closed: match (i.closed_at, &i.closed_by) {
            (Some(at), by) => format!("{}（{}）", local_time(at, tz), by.as_deref().unwrap_or("")),
            (None, _) => String::new(),
        },
        open: i.is_open(),
    }
}

/// `GET /dashboard/incidents`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    list_page(&state, &me, String::new()).await
}

async fn list_page(
    state: &DashboardState,
    me: &super::SignedIn,
    error: String,
) -> Result<Response, PageError> {
    let all = state.db.run(|conn, _| incidents::list(conn)).await?;
    let tz = &state.config.time_zone;
    render(&ListPage {
        chrome: me.chrome("安否確認"),
        any_open: all.iter().any(Incident::is_open),
        incidents: all.iter().map(|i| incident_row(i, tz)).collect(),
        error,
    })
}

/// The open and close forms.
#[derive(Debug, Deserialize)]
pub(crate) struct OpenForm {
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /dashboard/incidents` (administrators): opens an incident.
pub(crate) async fn open(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<OpenForm>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "incident open").await?;
    me.check_csrf(&form.csrf)?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let result = state
        .db
        .run(move |conn, _| {
            let incident = incidents::open(conn, &form.name, &viewer.name, now)?;
            let detail = format!("{} {}", incident.id, incident.name);
            audit::record(conn, &viewer, "incident.open", None, &detail, now)?;
            Ok(incident)
        })
        .await;
    match result {
        Ok(incident) => {
            Ok(Redirect::to(&format!("/dashboard/incidents/{}", incident.id)).into_response())
        }
        Err(StoreError::Invalid(_)) => {
            list_page(&state, &me, "名前を入れてください（例：台風10号）。".into()).await
        }
        Err(StoreError::Conflict(_)) => {
            list_page(
                &state,
                &me,
                "開いている災害があります。先に終了してください。".into(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /dashboard/incidents/{id}/close` (administrators).
pub(crate) async fn close(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "incident close").await?;
    me.check_csrf(&form.csrf)?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let result = state
        .db
        .run(move |conn, _| {
            let incident = incidents::close(conn, id, &viewer.name, now)?;
            let detail = format!("{} {}", incident.id, incident.name);
            audit::record(conn, &viewer, "incident.close", None, &detail, now)?;
            Ok(incident)
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/incidents/{id}")).into_response()),
        Err(StoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(StoreError::Conflict(_)) => {
            Ok(Redirect::to(&format!("/dashboard/incidents/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct PersonRow {
    name: String,
    district: String,
    since: String,
    kind: &'static str,
}

struct ShelterRow {
    place: String,
    district: String,
    total: usize,
    residents: usize,
    children: usize,
    people: Vec<PersonRow>,
    hidden: usize,
}

struct SafetyLine {
    id: i64,
    name: String,
    district: String,
    address: String,
    phone: String,
    status: &'static str,
    class: &'static str,
    sign: String,
    sign_at: String,
}

#[derive(Template)]
#[template(path = "dashboard/incident.html")]
struct IncidentPage {
    chrome: super::Chrome,
    incident: IncidentRow,
    shelters: Vec<ShelterRow>,
    at_shelters: usize,
    lines: Vec<SafetyLine>,
    unconfirmed: usize,
    confirmed: usize,
    total: usize,
    shown_limit: usize,
    more: bool,
    outcomes: Vec<(&'static str, &'static str)>,
    notice: String,
}

/// After a record: which resident, to say so.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    recorded: String,
}

/// `GET /dashboard/incidents/{id}`: shelters and the safety list.
pub(crate) async fn page(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let found = state
        .db
        .run(move |conn, _| {
            let Some(incident) = incidents::get(conn, id)? else {
                return Ok(None);
            };
            let page = incidents::safety_page(
                conn,
                &incident,
                viewer.districts.as_deref(),
                now,
                LIST_LIMIT,
            )?;
            let shelters = incidents::shelters(conn, &incident, now)?;
            let detail = format!(
                "{} {}: {} residents",
                incident.id, incident.name, page.total
            );
            audit::record(conn, &viewer, "incident.view", None, &detail, now)?;
            Ok(Some((incident, page, shelters)))
        })
        .await?;
    let Some((incident, page, shelters)) = found else {
        return Err(PageError::NotFound);
    };
    let tz = &state.config.time_zone;
    let admin = me.is_admin();
    let shelters: Vec<ShelterRow> = shelters
        .into_iter()
        .map(|s| {
            let residents = s.people.iter().filter(|p| p.resident.is_some()).count();
            let mut hidden = 0;
            let people = s
                .people
                .iter()
                .filter(|p| {
                    let visible = match p.resident {
                        Some(_) => me.viewer.may_see(&p.district),
                        None => admin,
                    };
                    hidden += usize::from(!visible);
                    visible
                })
                .map(|p| PersonRow {
                    name: p.name.clone(),
                    district: p.district.clone(),
                    since: local_time(p.since, tz),
                    kind: if p.resident.is_some() {
                        "見守り対象"
                    } else {
                        "子ども"
                    },
                })
                .collect();
            ShelterRow {
                total: s.people.len(),
                children: s.people.len() - residents,
                residents,
                place: s.place,
                district: s.district,
                people,
                hidden,
            }
        })
        .collect();
    let (total, confirmed) = (page.total, page.confirmed);
    let mut judged = judged(page.rows, &incident);
    safety::first(&mut judged, LIST_LIMIT, |(a, r)| (a.status, &r.risk));
    let ids: Vec<i64> = judged.iter().map(|(_, r)| r.id).collect();
    let mut contacts = state
        .db
        .run(move |conn, _| incidents::contacts(conn, &ids))
        .await?;
    let lines = judged
        .into_iter()
        .map(|(a, r)| (contacts.remove(&r.id).unwrap_or_default(), a, r))
        .map(|(c, a, r)| SafetyLine {
            id: r.id,
            status: a.status.label_ja(),
            class: match a.status {
                Status::NoSign => "risk-escalated",
                Status::Absent => "risk-high",
                Status::ActivityOnly => "risk-medium",
                Status::Confirmed => "risk-none",
            },
            sign: a
                .latest
                .as_ref()
                .map(safety::Sign::label_ja)
                .unwrap_or_else(|| "なし".into()),
            sign_at: a
                .latest
                .as_ref()
                .map(|s| local_time(s.at(), tz))
                .unwrap_or_default(),
            name: c.name,
            district: c.district,
            address: c.address,
            phone: c.phone,
        })
        .collect();
    render(&IncidentPage {
        chrome: me.chrome(&format!("安否確認 {}", incident.name)),
        incident: incident_row(&incident, tz),
        at_shelters: shelters.iter().map(|s| s.total).sum(),
        shelters,
        lines,
        unconfirmed: total - confirmed,
        confirmed,
        total,
        shown_limit: LIST_LIMIT,
        more: total > LIST_LIMIT,
        outcomes: NurseOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.label_ja()))
            .collect(),
        notice: if done.recorded.is_empty() {
            String::new()
        } else {
            format!("{} さんの確認を記録しました。", done.recorded)
        },
    })
}

/// A nurse's record of one resident.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckForm {
    csrf: String,
    resident: i64,
    outcome: String,
    #[serde(default)]
    note: String,
}

/// `POST /dashboard/incidents/{id}/check`: what a nurse found.
pub(crate) async fn check(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CheckForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let outcome = NurseOutcome::parse(&form.outcome)
        .ok_or_else(|| PageError::BadRequest("確認の結果を選んでください。".into()))?;
    if form.note.chars().count() > incidents::MAX_NOTE_CHARS {
        return Err(PageError::BadRequest(format!(
            "メモは{}文字までです。",
            incidents::MAX_NOTE_CHARS
        )));
    }
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let result = state
        .db
        .run(move |conn, _| {
            let Some(incident) = incidents::get(conn, id)? else {
                return Ok(None);
            };
            let district: Option<(String, String)> =
                rusqlite::OptionalExtension::optional(conn.query_row(
                    "SELECT district, name FROM residents WHERE id = ?1",
                    [form.resident],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                ))?;
            let Some((district, name)) = district.filter(|(d, _)| viewer.may_see(d)) else {
                audit::record(
                    conn,
                    &viewer,
                    "denied",
                    Some(form.resident),
                    "incident check: outside the viewer's districts",
                    now,
                )?;
                return Ok(None);
            };
            incidents::record_check(
                conn,
                &incident,
                form.resident,
                outcome,
                &form.note,
                Some(viewer.staff_id),
                &viewer.login,
                now,
            )?;
            let detail = format!(
                "{} {}: {} ({district})",
                incident.id,
                incident.name,
                outcome.as_str()
            );
            audit::record(
                conn,
                &viewer,
                "incident.check",
                Some(form.resident),
                &detail,
                now,
            )?;
            Ok(Some(name))
        })
        .await;
    match result {
        Ok(Some(name)) => Ok(Redirect::to(&format!(
            "/dashboard/incidents/{id}?recorded={}",
            urlencoding(&name)
        ))
        .into_response()),
        Ok(None) => Err(PageError::NotFound),
        Err(StoreError::Conflict(_)) => Err(PageError::BadRequest(
            "この災害は終了しています。記録できません。".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The safety list judged and in the order nurses work through it.
fn judged(
    rows: Vec<incidents::SafetyRow>,
    incident: &Incident,
) -> Vec<(safety::Assessment, incidents::SafetyRow)> {
    let mut judged: Vec<_> = rows
        .into_iter()
        .map(|r| (safety::assess(&r.facts, incident.opened_at), r))
        .collect();
    safety::rank(&mut judged, |(a, r)| (a.status, &r.risk));
    judged
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /dashboard/incidents/{id}/safety.csv`: the whole list, for the
/// disaster headquarters.
pub(crate) async fn export(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let found = state
        .db
        .run(move |conn, _| {
            let Some(incident) = incidents::get(conn, id)? else {
                return Ok(None);
            };
            let rows = incidents::safety_rows(conn, &incident, viewer.districts.as_deref(), now)?;
            let detail = format!("{} {}: {} rows", incident.id, incident.name, rows.len());
            audit::record(conn, &viewer, "incident.export", None, &detail, now)?;
            Ok(Some((incident, rows)))
        })
        .await?;
    let Some((incident, rows)) = found else {
        return Err(PageError::NotFound);
    };
    let tz = &state.config.time_zone;
    let mut judged = judged(rows, &incident);
    safety::rank(&mut judged, |(a, r)| (a.status, &r.risk));
    let ids: Vec<i64> = judged.iter().map(|(_, r)| r.id).collect();
    let mut contacts = state
        .db
        .run(move |conn, _| incidents::contacts(conn, &ids))
        .await?;
    let bytes = super::csv::to_csv(
        &[
            "利用者ID",
            "状態",
            "氏名",
            "ふりがな",
            "地区",
            "住所",
            "電話",
            "最新の確認",
            "確認の日時",
        ],
        judged.into_iter().map(|(a, r)| {
            let c = contacts.remove(&r.id).unwrap_or_default();
            vec![
                r.id.to_string(),
                a.status.label_ja().to_owned(),
                c.name,
                r.risk.kana,
                c.district,
                c.address,
                c.phone,
                a.latest
                    .as_ref()
                    .map(safety::Sign::label_ja)
                    .unwrap_or_default(),
                a.latest
                    .as_ref()
                    .map(|s| local_time(s.at(), tz))
                    .unwrap_or_default(),
            ]
        }),
    )
    .map_err(|e| PageError::BadRequest(e.to_string()))?;
    Ok(super::admin::csv_response(
        &format!("safety_{}.csv", incident.id),
        bytes,
    ))
}
