//! Signing in and out: password, then a TOTP code (or its enrolment).
//!
//! Every failure — unknown login, wrong password, wrong code — counts
//! towards the lockout of the login name and of the address; while locked,
//! even the right password is refused. Each step is audited.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Chrome, ClientAddr, DashboardState, LOGIN_COOKIE, PageError, SESSION_COOKIE, cookie,
    current_session, local_time, password, render, same_token, set_cookie, signed_in, totp,
};
use crate::store::dashboard::audit;
use crate::store::dashboard::auth::{self, Stage};
use crate::store::people::Role;

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    login: String,
    error: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

fn login_page(
    state: &DashboardState,
    status: StatusCode,
    login: &str,
    error: &str,
) -> Result<Response, PageError> {
    let csrf = random_token();
    let page = LoginPage {
        chrome: Chrome::anonymous("ログイン"),
        csrf: csrf.clone(),
        login: login.into(),
        error: error.into(),
    };
    let mut response = (status, render(&page)?).into_response();
    let cookie = set_cookie(&state.config.dashboard, LOGIN_COOKIE, &csrf, None);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// `GET /dashboard/login`.
pub(crate) async fn form(State(state): State<DashboardState>) -> Result<Response, PageError> {
    login_page(&state, StatusCode::OK, "", "")
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    csrf: String,
    login: String,
    password: String,
}

fn locked_message(until: jiff::Timestamp, state: &DashboardState) -> String {
    format!(
        "ログインの失敗が続いたため、{} まで受け付けを止めています。お急ぎの場合は管理者に連絡してください。",
        local_time(until, &state.config.time_zone)
    )
}

/// `POST /dashboard/login`: the password step.
pub(crate) async fn submit(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let paired = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same_token(c, &form.csrf));
    if !paired {
        return Err(PageError::Csrf);
    }
    let login = form.login.trim().to_owned();
    let now = state.clock.now();
    let policy = state.config.dashboard.lockout;
    let ip = addr.0.clone();
    let (who, ip_) = (login.clone(), ip.clone());
    let (locked, credentials) = state
        .db
        .run(move |conn, _| {
            let locked = auth::locked_until(conn, &policy, &who, &ip_, now)?;
            if locked.is_some() {
                audit::record_sign_in(conn, &who, "login.locked", &ip_, now)?;
            }
            Ok((locked, auth::credentials(conn, &who)?))
        })
        .await?;
    if let Some(until) = locked {
        return login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &login,
            &locked_message(until, &state),
        );
    }
    let stored = credentials
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let typed = form.password;
    let matches = tokio::task::spawn_blocking(move || password::verify(&typed, &stored))
        .await
        .unwrap_or(false);
    let credentials = credentials.filter(|c| matches && c.password_hash.is_some());
    let Some(credentials) = credentials else {
        let (who, ip_) = (login.clone(), ip.clone());
        let locked = state
            .db
            .run(move |conn, _| {
                auth::record_failure(conn, &who, &ip_, now)?;
                audit::record_sign_in(conn, &who, "login.failed", &ip_, now)?;
                auth::locked_until(conn, &policy, &who, &ip_, now)
            })
            .await?;
        let message = match locked {
            Some(until) => locked_message(until, &state),
            None => "ログイン名またはパスワードが違います。".into(),
        };
        return login_page(&state, StatusCode::UNAUTHORIZED, &login, &message);
    };
    let stage = if credentials.totp_secret.is_some() {
        Stage::Totp
    } else if credentials.role == Role::Admin || state.config.dashboard.totp_for_nurses {
        Stage::Enrol
    } else {
        Stage::Full
    };
    let sessions = state.config.dashboard.sessions;
    let who = login.clone();
    let token = state
        .db
        .run(move |conn, _| {
            auth::clear_failures(conn, &who)?;
            let action = if stage == Stage::Full {
                "login"
            } else {
                "login.password"
            };
            audit::record_sign_in(conn, &who, action, &ip, now)?;
            auth::start_session(conn, &sessions, credentials.staff_id, stage, &ip, now)
        })
        .await?;
    let to = match stage {
        Stage::Full => "/dashboard/",
        Stage::Totp => "/dashboard/login/totp",
        Stage::Enrol => "/dashboard/totp",
    };
    let mut response = Redirect::to(to).into_response();
    let config = &state.config.dashboard;
    for value in [
        set_cookie(config, SESSION_COOKIE, &token, None),
        set_cookie(config, LOGIN_COOKIE, "", Some(0)),
    ] {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "dashboard/totp.html")]
struct TotpPage {
    chrome: Chrome,
    csrf: String,
    error: String,
}

/// `GET /dashboard/login/totp`: asks for the code.
pub(crate) async fn totp_form(
    State(state): State<DashboardState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some((session, _)) = current_session(&state, &headers).await? else {
        return Err(PageError::Redirect("/dashboard/login"));
    };
    if session.stage != Stage::Totp {
        return Err(PageError::Redirect("/dashboard/"));
    }
    render(&TotpPage {
        chrome: Chrome::anonymous("確認コード"),
        csrf: session.csrf,
        error: String::new(),
    })
}

/// A TOTP code.
#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    csrf: String,
    code: String,
}

/// `POST /dashboard/login/totp`: the second factor.
pub(crate) async fn totp_submit(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let Some((session, hash)) = current_session(&state, &headers).await? else {
        return Err(PageError::Redirect("/dashboard/login"));
    };
    if session.stage != Stage::Totp {
        return Err(PageError::Redirect("/dashboard/"));
    }
    if !same_token(&form.csrf, &session.csrf) {
        return Err(PageError::Csrf);
    }
    let now = state.clock.now();
    let policy = state.config.dashboard.lockout;
    let (login, ip, staff, code) = (session.login.clone(), addr.0, session.staff_id, form.code);
    let result = state
        .db
        .run(move |conn, _| {
            if let Some(until) = auth::locked_until(conn, &policy, &login, &ip, now)? {
                audit::record_sign_in(conn, &login, "login.locked", &ip, now)?;
                auth::end_session(conn, &hash)?;
                return Ok(Err(Some(until)));
            }
            let secret = auth::credentials(conn, &login)?.and_then(|c| c.totp_secret);
            let step = secret.and_then(|s| totp::verify(&s, &code, now));
            if let Some(step) = step {
                if auth::use_totp_step(conn, staff, step)? {
                    auth::set_stage(conn, &hash, Stage::Full)?;
                    auth::clear_failures(conn, &login)?;
                    audit::record_sign_in(conn, &login, "login", &ip, now)?;
                    return Ok(Ok(()));
                }
            }
            auth::record_failure(conn, &login, &ip, now)?;
            audit::record_sign_in(conn, &login, "login.totp_failed", &ip, now)?;
            Ok(Err(auth::locked_until(conn, &policy, &login, &ip, now)?))
        })
        .await?;
    match result {
        Ok(()) => Ok(Redirect::to("/dashboard/").into_response()),
        Err(Some(until)) => login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &session.login,
            &locked_message(until, &state),
        ),
        Err(None) => Ok((
            StatusCode::UNAUTHORIZED,
            render(&TotpPage {
                chrome: Chrome::anonymous("確認コード"),
                csrf: session.csrf,
                error:
                    "確認コードが違います。アプリに表示されている新しい6桁の数字を入れてください。"
                        .into(),
            })?,
        )
            .into_response()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    csrf: String,
    qr: String,
    secret: String,
    enrolled: bool,
    error: String,
}

async fn enrol_page(
    state: &DashboardState,
    headers: &HeaderMap,
    error: &str,
) -> Result<Response, PageError> {
    let Some((session, hash)) = current_session(state, headers).await? else {
        return Err(PageError::Redirect("/dashboard/login"));
    };
    if session.stage == Stage::Totp {
        return Err(PageError::Redirect("/dashboard/login/totp"));
    }
    let secret = match session.pending_secret.clone() {
        Some(secret) => secret,
        None => {
            let secret = totp::new_secret();
            let stored = secret.clone();
            state
                .db
                .run(move |conn, _| auth::set_pending_secret(conn, &hash, &stored))
                .await?;
            secret
        }
    };
    let uri = totp::uri(&state.config.dashboard.totp_issuer, &session.login, &secret);
    let qr = totp::qr_svg(&uri).map_err(|e| PageError::BadRequest(e.to_string()))?;
    let chrome = if session.stage == Stage::Full {
        Chrome {
            title: "確認コードの登録".into(),
            user: session.name.clone(),
            admin: session.role == Role::Admin,
            csrf: session.csrf.clone(),
            signed_in: true,
        }
    } else {
        Chrome::anonymous("確認コードの登録")
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    Ok((
        status,
        render(&EnrolPage {
            chrome,
            csrf: session.csrf,
            qr,
            secret: totp::base32(&secret),
            enrolled: session.has_totp,
            error: error.into(),
        })?,
    )
        .into_response())
}

/// `GET /dashboard/totp`: the enrolment page with the QR code.
pub(crate) async fn enrol_form(
    State(state): State<DashboardState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    enrol_page(&state, &headers, "").await
}

/// `POST /dashboard/totp`: confirms the enrolment with a first code.
pub(crate) async fn enrol_submit(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let Some((session, hash)) = current_session(&state, &headers).await? else {
        return Err(PageError::Redirect("/dashboard/login"));
    };
    if !same_token(&form.csrf, &session.csrf) {
        return Err(PageError::Csrf);
    }
    let Some(secret) = session.pending_secret.clone() else {
        return Err(PageError::Redirect("/dashboard/totp"));
    };
    let now = state.clock.now();
    let Some(step) = totp::verify(&secret, &form.code, now) else {
        return enrol_page(
            &state,
            &headers,
            "確認コードが違います。アプリに表示されている6桁の数字を入れてください。",
        )
        .await;
    };
    let (login, ip, staff) = (session.login.clone(), addr.0, session.staff_id);
    state
        .db
        .run(move |conn, _| {
            auth::enrol_totp(conn, staff, &secret, step)?;
            auth::set_stage(conn, &hash, Stage::Full)?;
            audit::record_sign_in(conn, &login, "totp.enrol", &ip, now)
        })
        .await?;
    Ok(Redirect::to("/dashboard/").into_response())
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub(crate) struct LogoutForm {
    csrf: String,
}

/// `POST /dashboard/logout`.
pub(crate) async fn logout(
    State(state): State<DashboardState>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let me = signed_in(&state, &headers, &addr).await?;
    me.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    let (hash, viewer) = (me.hash, me.viewer.clone());
    state
        .db
        .run(move |conn, _| {
            auth::end_session(conn, &hash)?;
            audit::record(conn, &viewer, "logout", None, "", now)
        })
        .await?;
    let mut response = Redirect::to("/dashboard/login").into_response();
    if let Ok(value) = set_cookie(&state.config.dashboard, SESSION_COOKIE, "", Some(0)).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}
