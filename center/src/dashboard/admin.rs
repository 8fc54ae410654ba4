//! The audit log (administrators) and the CSV exports (administrators for
//! every district, nurses for theirs). Every export is audited.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Chrome, ClientAddr, DashboardState, PageError, csv, local_time, render, signed_in};
use crate::domain::{AlertKind, VisitOutcome};
use crate::store::dashboard::audit::{self, AuditFilter};
use crate::store::dashboard::export::{self, ExportRange};
use crate::store::dashboard::residents;

/// The audit page's filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    login: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    resident: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

struct AuditLine {
    id: i64,
    at: String,
    login: String,
    action: String,
    resident: String,
    detail: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    chrome: Chrome,
    query: AuditQuery,
    rows: Vec<AuditLine>,
    limit: u32,
    older: Option<i64>,
}

const AUDIT_LIMIT: u32 = 500;

fn day(text: &str, key: &str) -> Result<Option<jiff::civil::Date>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| PageError::BadRequest(format!("{key}は 2026-11-29 の形で入れてください。")))
}

/// `GET /dashboard/audit`: administrators only.
pub(crate) async fn audit(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    if !me.is_admin() {
        return Err(PageError::Forbidden);
    }
    let tz = state.config.time_zone.clone();
    let start = |d: jiff::civil::Date| d.to_zoned(tz.clone()).map(|z| z.timestamp());
    let from = day(&query.from, "開始日")?
        .map(start)
        .transpose()
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
    let to = day(&query.to, "終了日")?
        .map(|d| d.tomorrow().and_then(start))
        .transpose()
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
    let resident = match query.resident.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| PageError::BadRequest("利用者IDは数字で入れてください。".into()))?,
        ),
    };
    let filter = AuditFilter {
        login: Some(query.login.trim().to_owned()).filter(|s| !s.is_empty()),
        action: Some(query.action.trim().to_owned()).filter(|s| !s.is_empty()),
        resident,
        from,
        to,
        before_id: query.before,
        limit: AUDIT_LIMIT,
    };
    let rows = state
        .db
        .run(move |conn, _| audit::list(conn, &filter))
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| AuditLine {
            id: r.id,
            at: local_time(r.at, &state.config.time_zone),
            login: r.login,
            action: r.action,
            resident: r.resident.map(|r| r.to_string()).unwrap_or_default(),
            detail: r.detail,
            ip: r.ip,
        })
        .collect();
    let rows: Vec<AuditLine> = rows;
    let older = (rows.len() as u32 >= AUDIT_LIMIT)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    render(&AuditPage {
        chrome: me.chrome("監査記録"),
        query,
        rows,
        limit: AUDIT_LIMIT,
        older,
    })
}

#[derive(Template)]
#[template(path = "dashboard/export.html")]
struct ExportPage {
    chrome: Chrome,
    districts: Vec<String>,
    from: String,
    to: String,
}

/// `GET /dashboard/export`: the export form.
pub(crate) async fn export_form(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let viewer = me.viewer.clone();
    let districts = state
        .db
        .run(move |conn, _| residents::districts(conn, &viewer))
        .await?;
    let today = state
        .clock
        .now()
        .to_zoned(state.config.time_zone.clone())
        .date();
    let first = today.first_of_month();
    render(&ExportPage {
        chrome: me.chrome("CSV出力"),
        districts,
        from: first.to_string(),
        to: today.to_string(),
    })
}

/// An export's range.
#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    from: String,
    to: String,
    #[serde(default)]
    district: String,
}

fn range(query: &ExportQuery) -> Result<ExportRange, PageError> {
    let from = day(&query.from, "開始日")?
        .ok_or_else(|| PageError::BadRequest("開始日を入れてください。".into()))?;
    let to = day(&query.to, "終了日")?
        .ok_or_else(|| PageError::BadRequest("終了日を入れてください。".into()))?;
    if to < from {
        return Err(PageError::BadRequest("終了日が開始日より前です。".into()));
    }
    if (to - from).get_days() > 366 {
        return Err(PageError::BadRequest(
            "一度に出力できるのは1年分までです。".into(),
        ));
    }
    Ok(ExportRange {
        from,
        to,
        district: Some(query.district.trim().to_owned()).filter(|d| !d.is_empty()),
    })
}

pub(crate) fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = format!("attachment; filename=\"{name}\"").parse() {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn tenths(value: Option<i64>) -> String {
    value
        .map(|v| format!("{:.1}", v as f64 / 10.0))
        .unwrap_or_default()
}

/// `GET /dashboard/export/check-ins.csv?from=…&to=…&district=…`.
pub(crate) async fn export_check_ins(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let range = range(&query)?;
    let name = format!("check-ins_{}_{}.csv", range.from, range.to);
    let now = state.clock.now();
    let viewer = me.viewer;
    if range
        .district
        .as_deref()
        .is_some_and(|d| !viewer.may_see(d))
    {
        return Err(PageError::NotFound);
    }
    let rows = state
        .db
        .run(move |conn, _| export::check_ins(conn, &viewer, &range, now))
        .await?;
    let tz = &state.config.time_zone;
    let bytes = csv::to_csv(
        &[
            "利用者ID",
            "氏名",
            "地区",
            "日時",
            "体調",
            "最高血圧",
            "最低血圧",
            "脈拍",
            "体温",
            "体重",
            "歩数",
            "連絡希望",
            "認証",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.resident.to_string(),
                r.name,
                r.district,
                local_time(r.at, tz),
                super::condition_label(&r.condition).to_owned(),
                opt(r.systolic),
                opt(r.diastolic),
                opt(r.pulse),
                tenths(r.temperature),
                tenths(r.weight),
                opt(r.steps),
                if r.call_requested { "あり" } else { "" }.to_owned(),
                if r.weak_auth {
                    "お試しカード"
                } else {
                    "マイナンバーカード"
                }
                .to_owned(),
            ]
        }),
    )
    .map_err(|e| PageError::BadRequest(e.to_string()))?;
    Ok(csv_response(&name, bytes))
}

/// `GET /dashboard/export/alerts.csv?from=…&to=…&district=…`.
pub(crate) async fn export_alerts(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    let range = range(&query)?;
    let name = format!("alerts_{}_{}.csv", range.from, range.to);
    let now = state.clock.now();
    let viewer = me.viewer;
    if range
        .district
        .as_deref()
        .is_some_and(|d| !viewer.may_see(d))
    {
        return Err(PageError::NotFound);
    }
    let tz = state.config.time_zone.clone();
    let tz_ = tz.clone();
    let rows = state
        .db
        .run(move |conn, _| export::alerts(conn, &tz_, &viewer, &range, now))
        .await?;
    let time = |t: Option<jiff::Timestamp>| t.map(|t| local_time(t, &tz)).unwrap_or_default();
    let bytes = csv::to_csv(
        &[
            "通知ID",
            "利用者ID",
            "氏名",
            "地区",
            "種類",
            "状態",
            "内容",
            "発生",
            "段階上げ",
            "確認",
            "確認者",
            "解決",
            "解決者",
            "訪問日時",
            "訪問結果",
            "訪問記録",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.id.to_string(),
                r.resident.to_string(),
                r.name,
                r.district,
                r.kind
                    .parse::<AlertKind>()
                    .map_or(r.kind.clone(), |k| k.label_ja().to_owned()),
                match r.state.as_str() {
                    "open" => "未対応",
                    "acknowledged" => "対応中",
                    _ => "解決",
                }
                .to_owned(),
                r.reason,
                time(Some(r.opened_at)),
                time(r.escalated_at),
                time(r.acknowledged_at),
                r.acknowledged_by.unwrap_or_default(),
                time(r.resolved_at),
                r.resolved_by.unwrap_or_default(),
                time(r.visit_at),
                r.visit_outcome
                    .map(|o| {
                        o.parse::<VisitOutcome>()
                            .map_or(o.clone(), |o| o.label_ja().to_owned())
                    })
                    .unwrap_or_default(),
                r.visit_note.unwrap_or_default(),
            ]
        }),
    )
    .map_err(|e| PageError::BadRequest(e.to_string()))?;
    Ok(csv_response(&name, bytes))
}
