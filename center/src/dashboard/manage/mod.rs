//! The administrators' pages under `/dashboard/admin`: residents, their
//! cards, family contacts and consent records ([`residents`], [`people`]),
//! boxes and their tokens ([`boxes`]), tap stations ([`stations`]),
//! children with their cards and guardians ([`children`]), staff
//! ([`staff`]) and notices to boxes ([`notices`]).
//!
//! Every page is for administrators only: a nurse gets 404, as for a
//! resident outside her districts, and the attempt is audited as `denied`.
//! Every form carries the session's CSRF token, and every change calls the
//! same store function as the command line and writes its audit row in
//! the same transaction.

pub mod boxes;
pub mod children;
pub mod notices;
pub mod people;
pub mod residents;
pub mod staff;
pub mod stations;
pub mod upload;

use std::collections::HashMap;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use rusqlite::Connection;

use super::{ClientAddr, DashboardState, PageError, SignedIn, signed_in};
use crate::config::Config;
use crate::store::StoreError;
use crate::store::dashboard::audit;

/// The admin pages' routes.
pub fn router() -> Router<DashboardState> {
    Router::new()
        .route(
            "/dashboard/admin",
            get(|| async { Redirect::to("/dashboard/admin/residents") }),
        )
        .route(
            "/dashboard/admin/residents",
            get(residents::list).post(residents::add),
        )
        .route(
            "/dashboard/admin/residents/{id}",
            get(residents::page).post(residents::edit),
        )
        .route(
            "/dashboard/admin/residents/{id}/pause",
            post(residents::pause),
        )
        .route(
            "/dashboard/admin/residents/{id}/plan",
            post(residents::plan),
        )
        .route(
            "/dashboard/admin/residents/{id}/box",
            post(residents::assign_box),
        )
        .route(
            "/dashboard/admin/residents/{id}/cards",
            post(people::bind_card),
        )
        .route(
            "/dashboard/admin/cards/{id}/unbind",
            post(people::unbind_card),
        )
        .route(
            "/dashboard/admin/residents/{id}/family",
            post(people::add_family),
        )
        .route("/dashboard/admin/family/{id}", post(people::edit_family))
        .route(
            "/dashboard/admin/family/{id}/remove",
            post(people::remove_family),
        )
        .route(
            "/dashboard/admin/residents/{id}/consent",
            post(people::consent),
        )
        .route("/dashboard/admin/boxes", get(boxes::list).post(boxes::add))
        .route(
            "/dashboard/admin/boxes/{device}/token",
            post(boxes::new_token),
        )
        .route(
            "/dashboard/admin/boxes/{device}/revoke",
            post(boxes::revoke),
        )
        .route(
            "/dashboard/admin/stations",
            get(stations::list).post(stations::add),
        )
        .route(
            "/dashboard/admin/stations/{device}/token",
            post(stations::new_token),
        )
        .route(
            "/dashboard/admin/stations/{device}/revoke",
            post(stations::revoke),
        )
        .route(
            "/dashboard/admin/children",
            get(children::list).post(children::add),
        )
        .route("/dashboard/admin/children/import", post(children::import))
        .route("/dashboard/admin/children/{id}", get(children::page))
        .route(
            "/dashboard/admin/children/{id}/cards",
            post(children::bind_card),
        )
        .route(
            "/dashboard/admin/children/{id}/cards/{card}/unbind",
            post(children::unbind_card),
        )
        .route(
            "/dashboard/admin/children/{id}/guardians",
            post(children::add_guardian),
        )
        .route(
            "/dashboard/admin/children/{id}/guardians/{guardian}/remove",
            post(children::remove_guardian),
        )
        .route(
            "/dashboard/admin/children/{id}/guardians/{guardian}/consent",
            post(children::guardian_consent),
        )
        .route(
            "/dashboard/admin/children/{id}/remove",
            post(children::remove),
        )
        .route("/dashboard/admin/staff", get(staff::list).post(staff::add))
        .route("/dashboard/admin/staff/{login}", post(staff::update))
        .route(
            "/dashboard/admin/notices",
            get(notices::list).post(notices::add),
        )
        .route(
            "/dashboard/admin/notices/{id}/retire",
            post(notices::retire),
        )
}

/// The signed-in administrator; anyone else gets 404, audited as `denied`.
pub(crate) async fn admin(
    state: &DashboardState,
    headers: &HeaderMap,
    addr: &ClientAddr,
    page: &str,
) -> Result<SignedIn, PageError> {
    let me = signed_in(state, headers, addr).await?;
    if me.is_admin() {
        return Ok(me);
    }
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    let detail = format!("admin page {page}: not an administrator");
    state
        .db
        .run(move |conn, _| audit::record(conn, &viewer, "denied", None, &detail, now))
        .await?;
    Err(PageError::NotFound)
}

/// Runs a change and its audit row (`action`, about `resident`, with the
/// detail `f` returns) in one transaction. Input the store refuses comes
/// back as 400 with the reason.
pub(crate) async fn change<T, F>(
    state: &DashboardState,
    me: &SignedIn,
    action: &'static str,
    f: F,
) -> Result<T, PageError>
where
    T: Send + 'static,
    F: FnOnce(&Connection, &Config) -> crate::store::Result<(T, Option<i64>, String)>
        + Send
        + 'static,
{
    let viewer = me.viewer.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn, config| {
            let (value, resident, detail) = f(conn, config)?;
            audit::record(conn, &viewer, action, resident, &detail, now)?;
            Ok(value)
        })
        .await
        .map_err(refused)
}

/// A store error as the admin pages show it.
pub(crate) fn refused(error: StoreError) -> PageError {
    match error {
        StoreError::Invalid(message) | StoreError::Conflict(message) => PageError::BadRequest(
            format!("入力を確認してください（{message}）。何も変更していません。"),
        ),
        other => PageError::from(other),
    }
}

/// A form's fields by name (checkboxes as separate names).
pub(crate) type Fields = HashMap<String, String>;

/// A field's trimmed text ("" when missing).
pub(crate) fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields.get(name).map_or("", |v| v.trim())
}

/// Whether a checkbox was ticked.
pub(crate) fn ticked(fields: &Fields, name: &str) -> bool {
    fields.contains_key(name)
}

/// Refuses a form whose CSRF token is not the session's.
pub(crate) fn csrf(me: &SignedIn, fields: &Fields) -> Result<(), PageError> {
    me.check_csrf(field(fields, "csrf"))
}

/// An optional day field, e.g. 生年月日.
pub(crate) fn day_field(
    fields: &Fields,
    name: &str,
    label: &str,
) -> Result<Option<jiff::civil::Date>, PageError> {
    match field(fields, name) {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| {
            PageError::BadRequest(format!("{label}は 2026-11-29 の形で入れてください。"))
        }),
    }
}

/// A required text field.
pub(crate) fn required<'f>(
    fields: &'f Fields,
    name: &str,
    label: &str,
) -> Result<&'f str, PageError> {
    match field(fields, name) {
        "" => Err(PageError::BadRequest(format!("{label}を入れてください。"))),
        text => Ok(text),
    }
}

/// After a change: back to the page, with a message to show.
pub(crate) fn back(to: &str, done: &str) -> Response {
    use axum::response::IntoResponse as _;
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={done}")).into_response()
}

/// The message of a `done=` code.
pub(crate) fn done_message(code: &str) -> &'static str {
    match code {
        "added" => "登録しました。",
        "saved" => "変更を保存しました。",
        "paused" => "見守りを一時停止しました。",
        "resumed" => "見守りを再開しました。",
        "bound" => "カードを登録しました。",
        "unbound" => "カードの登録を解除しました。",
        "family" => "ご家族の連絡先を保存しました。",
        "removed" => "ご家族の連絡先を削除しました。",
        "consent" => "同意の記録を追加しました。",
        "revoked" => "端末の鍵を無効にしました。",
        "retired" => "お知らせを取り下げました。",
        "disabled" => "アカウントを停止しました。",
        "enabled" => "アカウントを再開しました。",
        "password" => "パスワードを設定しました。",
        "totp" => "確認コードの登録を消しました。次のログインで登録し直します。",
        "box" => "端末の割り当てを変えました。",
        "imported" => "名簿を取り込みました。",
        "guardian" => "保護者を追加しました。",
        "guardian_removed" => "保護者を削除しました。メールはもう送られません。",
        "child_removed" => "児童の登録を削除しました。カードの登録も解除しました。",
        _ => "",
    }
}

/// `?done=…&page=…&q=…` on the admin lists.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) done: String,
    #[serde(default)]
    pub(crate) page: u32,
    #[serde(default)]
    pub(crate) q: String,
}
