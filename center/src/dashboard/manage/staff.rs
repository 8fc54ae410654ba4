//! Staff: add a nurse or an administrator, change role and districts,
//! disable an account (it can no longer sign in) or enable it again, set a
//! password, forget a TOTP enrolment (a lost phone).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Fields, ListQuery, admin, back, change, csrf, done_message, field, required};
use crate::dashboard::{
    Chrome, ClientAddr, DashboardState, PageError, local_time, password, render,
};
use crate::store::dashboard::auth;
use crate::store::manage;
use crate::store::people::{self, Role};

struct StaffLine {
    login: String,
    name: String,
    admin: bool,
    districts: String,
    email: String,
    has_password: bool,
    has_totp: bool,
    disabled: String,
}

#[derive(Template)]
#[template(path = "dashboard/admin_staff.html")]
struct StaffPage {
    chrome: Chrome,
    done: &'static str,
    me: String,
    rows: Vec<StaffLine>,
}

/// `GET /dashboard/admin/staff`.
pub(crate) async fn list(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "staff").await?;
    let rows = state.db.run(|conn, _| manage::staff(conn)).await?;
    let tz = &state.config.time_zone;
    render(&StaffPage {
        chrome: me.chrome("職員の管理"),
        done: done_message(&query.done),
        me: me.viewer.login.clone(),
        rows: rows
            .into_iter()
            .map(|s| StaffLine {
                admin: s.role == "admin",
                districts: s.districts.join("、"),
                disabled: s.disabled_at.map(|t| local_time(t, tz)).unwrap_or_default(),
                login: s.login,
                name: s.name,
                email: s.email,
                has_password: s.has_password,
                has_totp: s.has_totp,
            })
            .collect(),
    })
}

fn role(fields: &Fields) -> Result<Role, PageError> {
    field(fields, "role")
        .parse()
        .map_err(|_| PageError::BadRequest("役割を選んでください。".into()))
}

fn districts(fields: &Fields) -> Vec<String> {
    field(fields, "districts")
        .split([',', '、', ' ', '　'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The Argon2id hash of a new password from the form (`None`: left
/// empty), computed off the async threads as at sign-in.
async fn new_password(fields: &Fields) -> Result<Option<String>, PageError> {
    let typed = fields.get("password").cloned().unwrap_or_default();
    if typed.is_empty() {
        return Ok(None);
    }
    if typed.chars().count() < password::MIN_LENGTH {
        return Err(PageError::BadRequest(format!(
            "パスワードは{}文字以上にしてください。",
            password::MIN_LENGTH
        )));
    }
    tokio::task::spawn_blocking(move || password::hash(&typed))
        .await
        .map_err(|e| PageError::BadRequest(format!("パスワードを設定できません（{e}）。")))?
        .map(Some)
        .map_err(|e| PageError::BadRequest(format!("パスワードを設定できません（{e}）。")))
}

/// `POST /dashboard/admin/staff`: adds a staff member, with a first
/// password when given.
pub(crate) async fn add(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "staff").await?;
    csrf(&me, &fields)?;
    let login = required(&fields, "login", "ログイン名")?.to_owned();
    let name = required(&fields, "name", "氏名")?.to_owned();
    let role = role(&fields)?;
    let districts = districts(&fields);
    let email = field(&fields, "email").to_owned();
    let hash = new_password(&fields).await?;
    let now = state.clock.now();
    change(&state, &me, "admin.staff.add", move |conn, _| {
        people::add_staff(conn, &login, &name, role, &districts, &email, now)?;
        if let Some(hash) = &hash {
            auth::set_password(conn, &login, hash)?;
        }
        Ok((
            (),
            None,
            format!("{login} ({role:?}) {}", districts.join(",")),
        ))
    })
    .await?;
    Ok(back("/dashboard/admin/staff", "added"))
}

/// `POST /dashboard/admin/staff/{login}` with `action` = `role` (role and
/// districts), `disable`, `enable`, `password` or `reset_totp`.
pub(crate) async fn update(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Path(login): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    let me = admin(&state, &headers, &addr, "staff").await?;
    csrf(&me, &fields)?;
    let now = state.clock.now();
    let action = field(&fields, "action").to_owned();
    if login == me.viewer.login && matches!(action.as_str(), "disable" | "role") {
        return Err(PageError::BadRequest(
            "ご自身のアカウントの停止や役割の変更は、別の管理者が行ってください。".into(),
        ));
    }
    let done = match action.as_str() {
        "role" => {
            let role = role(&fields)?;
            let districts = districts(&fields);
            change(&state, &me, "admin.staff.role", move |conn, _| {
                manage::set_role(conn, &login, role, &districts)?;
                Ok((
                    (),
                    None,
                    format!("{login}: {role:?} {}", districts.join(",")),
                ))
            })
            .await?;
            "saved"
        }
        "disable" | "enable" => {
            let disable = action == "disable";
            change(
                &state,
                &me,
                if disable {
                    "admin.staff.disable"
                } else {
                    "admin.staff.enable"
                },
                move |conn, _| {
                    manage::set_disabled(conn, &login, disable, now)?;
                    Ok(((), None, login))
                },
            )
            .await?;
            if disable { "disabled" } else { "enabled" }
        }
        "password" => {
            let hash = new_password(&fields).await?.ok_or_else(|| {
                PageError::BadRequest("新しいパスワードを入れてください。".into())
            })?;
            change(&state, &me, "admin.staff.password", move |conn, _| {
                auth::set_password(conn, &login, &hash)?;
                Ok(((), None, login))
            })
            .await?;
            "password"
        }
        "reset_totp" => {
            change(&state, &me, "admin.staff.reset_totp", move |conn, _| {
                auth::reset_totp(conn, &login)?;
                Ok(((), None, login))
            })
            .await?;
            "totp"
        }
        _ => return Err(PageError::BadRequest("操作を選んでください。".into())),
    };
    Ok(back("/dashboard/admin/staff", done))
}
