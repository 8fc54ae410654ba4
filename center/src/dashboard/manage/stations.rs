//! Tap stations: the list with their last contact, registering one (its
//! token shown once, only its hash kept), a new token, revoking a token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mimamori_protocol::StationKind;

use super::boxes::TokenPage;
use super::{Fields, ListQuery, admin, back, change, csrf, done_message, required};
use crate::dashboard::{Chrome, ClientAddr, DashboardState, PageError, age, local_time, render};
use crate::store::{StoreError, manage, stations};

const LIST: &str = "/dashboard/admin/stations";

/// The kinds a station may be, as the form offers them.
const KINDS: [StationKind; 4] = [
    StationKind::School,
    StationKind::Library,
    StationKind::CommunityCenter,
    StationKind::Shelter,
];

struct StationLine {
    device_id: String,
    place: String,
    kind: &'static str,
    district: String,
    revoked: bool,
    last_contact: String,
    silent: bool,
    taps: i64,
}

#[derive(Template)]
#[template(path = "dashboard/admin_stations.html")]
struct StationsPage {
    chrome: Chrome,
    done: &'static str,
    rows: Vec<StationLine>,
    kinds: Vec<(&'static str, &'static str)>,
}

/// `GET /dashboard/admin/stations`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "stations").await?;
    let (list, heard) = state
        .db
        .run(|conn, _| Ok((stations::list_stations(conn)?, manage::last_heard(conn)?)))
        .await?;
    let now = state.clock.now();
    let tz = &state.config.time_zone;
    let offline_after = state.config.thresholds.offline_after;
    render(&StationsPage {
        chrome: me.chrome("タップ端末の管理"),
        done: done_message(&query.done),
        rows: list
            .into_iter()
            .map(|s| {
                let heard = heard.get(&s.device_id).copied();
                StationLine {
                    last_contact: heard.map_or("まだ通信がありません".into(), |at| {
                        format!("{}（{}）", local_time(at, tz), age(at, now))
                    }),
                    silent: !s.revoked
                        && heard.is_none_or(|at| now.duration_since(at) > offline_after),
                    kind: StationKind::parse(&s.kind).map_or("", |k| k.label_ja()),
                    device_id: s.device_id,
                    place: s.place,
                    district: s.district,
                    revoked: s.revoked,
                    taps: s.taps,
                }
            })
            .collect(),
        kinds: KINDS.iter().map(|k| (k.as_str(), k.label_ja())).collect(),
    })
}

/// `POST /dashboard/admin/stations`: registers a station and shows its
/// token once.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "stations").await?;
    csrf(&me, &fields)?;
    let kind = StationKind::parse(required(&fields, "kind", "種類")?)
        .filter(|k| *k != StationKind::Unknown)
        .ok_or_else(|| PageError::BadRequest("種類を選んでください。".into()))?;
    let device_id: mimamori_protocol::DeviceId = required(&fields, "device_id", "端末ID")?
        .parse()
        .map_err(|_| {
            PageError::BadRequest(
                "端末IDには英数字と . _ - が使えます（1〜64文字、先頭は英数字）。".into(),
            )
        })?;
    let new = stations::NewStation {
        device_id: device_id.to_string(),
        place: required(&fields, "place", "設置場所")?.to_owned(),
        kind,
        district: required(&fields, "district", "地区")?.to_owned(),
    };
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    let device = new.device_id.clone();
    let token = change(&state, &me, "admin.station.add", move |conn, _| {
        let token = stations::add_station(conn, &new, &who, now).map_err(|e| match e {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("端末ID {} は既に登録されています", new.device_id))
            }
            other => other,
        })?;
        Ok((
            token,
            None,
            format!("station {} {}", new.device_id, new.place),
        ))
    })
    .await?;
    render(&TokenPage {
        chrome: me.chrome("タップ端末の鍵"),
        what: "タップ端末",
        list: LIST,
        device_id: device,
        token,
        new_box: true,
    })
}

/// `POST /dashboard/admin/stations/{device}/token`: a new token (the old
/// one stops working, a revoked station is active again), shown once.
pub(crate) async fn new_token(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "stations").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    let d = device.clone();
    let token = change(&state, &me, "admin.station.token", move |conn, _| {
        let token = stations::new_station_token(conn, &d, &who, now)?;
        Ok((token, None, format!("station {d}")))
    })
    .await?;
    render(&TokenPage {
        chrome: me.chrome("タップ端末の鍵"),
        what: "タップ端末",
        list: LIST,
        device_id: device,
        token,
        new_box: false,
    })
}

/// `POST /dashboard/admin/stations/{device}/revoke`: the station's syncs
/// are refused from now on.
pub(crate) async fn revoke(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "stations").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let who = me.viewer.login.clone();
    change(&state, &me, "admin.station.revoke", move |conn, _| {
        stations::revoke_station(conn, &device, &who, now)?;
        Ok(((), None, format!("station {device}")))
    })
    .await?;
    Ok(back(LIST, "revoked"))
}
