//! Notices shown on every TV: publish one, retire one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{
    Fields, ListQuery, admin, back, change, csrf, day_field, done_message, required, ticked,
};
use crate::dashboard::{Chrome, ClientAddr, DashboardState, PageError, local_time, render};
use crate::store::{admin as ops, manage};

struct NoticeLine {
    id: i64,
    title: String,
    body: String,
    shown: String,
    important: bool,
    retired: String,
}

#[derive(Template)]
#[template(path = "dashboard/admin_notices.html")]
struct NoticesPage {
    chrome: Chrome,
    done: &'static str,
    today: String,
    rows: Vec<NoticeLine>,
}

/// `GET /dashboard/admin/notices`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "notices").await?;
    let rows = state.db.run(|conn, _| manage::notices(conn)).await?;
    let tz = &state.config.time_zone;
    render(&NoticesPage {
        chrome: me.chrome("お知らせの管理"),
        done: done_message(&query.done),
        today: state.clock.now().to_zoned(tz.clone()).date().to_string(),
        rows: rows
            .into_iter()
            .map(|n| NoticeLine {
                id: n.id,
                shown: format!("{} 〜 {}", n.published_on, n.expires_on.unwrap_or_default()),
                retired: n
                    .withdrawn_at
                    .map(|t| local_time(t, tz))
                    .unwrap_or_default(),
                title: n.title,
                body: n.body,
                important: n.important,
            })
            .collect(),
    })
}

/// `POST /dashboard/admin/notices`: publishes a notice to every box.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "notices").await?;
    csrf(&me, &fields)?;
    let title = required(&fields, "title", "見出し")?.to_owned();
    let body = required(&fields, "body", "本文")?.to_owned();
    let now = state.clock.now();
    let today = now.to_zoned(state.config.time_zone.clone()).date();
    let published = day_field(&fields, "published_on", "表示を始める日")?.unwrap_or(today);
    let expires = day_field(&fields, "expires_on", "表示を終える日")?;
    if expires.is_some_and(|e| e < published) {
        return Err(PageError::BadRequest(
            "表示を終える日が始める日より前です。".into(),
        ));
    }
    let important = ticked(&fields, "important");
    change(&state, &me, "admin.notice.add", move |conn, _| {
        let id = ops::add_notice(conn, &title, &body, published, expires, important, now)?;
        Ok(((), None, format!("notice {id}: {title}")))
    })
    .await?;
    Ok(back("/dashboard/admin/notices", "added"))
}

/// `POST /dashboard/admin/notices/{id}/retire`.
pub(crate) async fn retire(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "notices").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    change(&state, &me, "admin.notice.retire", move |conn, _| {
        manage::retire_notice(conn, id, now)?;
        Ok(((), None, format!("notice {id}")))
    })
    .await?;
    Ok(back("/dashboard/admin/notices", "retired"))
}
