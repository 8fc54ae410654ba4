//! Boxes: the list with their last contact, registering one, a new token
//! (shown once on the answer page, only its hash kept), revoking a token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Fields, ListQuery, admin, back, change, csrf, done_message, field, required};
use crate::dashboard::{Chrome, ClientAddr, DashboardState, PageError, age, local_time, render};
use crate::store::{admin as ops, manage};

struct BoxLine {
    device_id: String,
    label: String,
    revoked: bool,
    last_contact: String,
    silent: bool,
    version: String,
    residents: i64,
}

#[derive(Template)]
#[template(path = "dashboard/admin_boxes.html")]
struct BoxesPage {
    chrome: Chrome,
    done: &'static str,
    rows: Vec<BoxLine>,
}

/// `GET /dashboard/admin/boxes`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "boxes").await?;
    let boxes = state
        .db
        .run(|conn, _| {
            let heard = manage::last_heard(conn)?;
            Ok(ops::list_boxes(conn)?
                .into_iter()
                .map(|b| {
                    let at = heard.get(&b.device_id).copied();
                    (b, at)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let now = state.clock.now();
    let tz = &state.config.time_zone;
    let offline_after = state.config.thresholds.offline_after;
    render(&BoxesPage {
        chrome: me.chrome("端末の管理"),
        done: done_message(&query.done),
        rows: boxes
            .into_iter()
            .map(|(b, heard)| BoxLine {
                last_contact: heard.map_or("まだ通信がありません".into(), |at| {
                    format!("{}（{}）", local_time(at, tz), age(at, now))
                }),
                silent: !b.revoked && heard.is_none_or(|at| now.duration_since(at) > offline_after),
                device_id: b.device_id,
                label: b.label,
                revoked: b.revoked,
                version: b.software_version.unwrap_or_default(),
                residents: b.residents,
            })
            .collect(),
    })
}

/// A device's token, shown once: a box's or a station's.
#[derive(Template)]
#[template(path = "dashboard/admin_token.html")]
pub(crate) struct TokenPage {
    pub(crate) chrome: Chrome,
    /// 端末 or タップ端末.
    pub(crate) what: &'static str,
    /// The list to go back to.
    pub(crate) list: &'static str,
    pub(crate) device_id: String,
    pub(crate) token: String,
    pub(crate) new_box: bool,
}

/// `POST /dashboard/admin/boxes`: registers a box and shows its token once.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "boxes").await?;
    csrf(&me, &fields)?;
    let device = required(&fields, "device_id", "端末ID")?.to_owned();
    let label = field(&fields, "label").to_owned();
    let now = state.clock.now();
    let d = device.clone();
    let token = change(&state, &me, "admin.box.add", move |conn, _| {
        let token = ops::add_box(conn, &d, &label, now)?;
        Ok((token, None, format!("box {d}")))
    })
    .await?;
    render(&TokenPage {
        chrome: me.chrome("端末の鍵"),
        what: "端末",
        list: "/dashboard/admin/boxes",
        device_id: device,
        token,
        new_box: true,
    })
}

/// `POST /dashboard/admin/boxes/{device}/token`: a new token (the old one
/// stops working, a revoked box is active again), shown once.
pub(crate) async fn new_token(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "boxes").await?;
    csrf(&me, &fields)?;
    let d = device.clone();
    let token = change(&state, &me, "admin.box.token", move |conn, _| {
        let token = manage::new_box_token(conn, &d)?;
        Ok((token, None, format!("box {d}")))
    })
    .await?;
    render(&TokenPage {
        chrome: me.chrome("端末の鍵"),
        what: "端末",
        list: "/dashboard/admin/boxes",
        device_id: device,
        token,
        new_box: false,
    })
}

/// `POST /dashboard/admin/boxes/{device}/revoke`: the box's syncs are
/// refused from now on.
pub(crate) async fn revoke(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "boxes").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    change(&state, &me, "admin.box.revoke", move |conn, config| {
        ops::revoke_box(conn, config, &device, now)?;
        Ok(((), None, format!("box {device}")))
    })
    .await?;
    Ok(back("/dashboard/admin/boxes", "revoked"))
}
