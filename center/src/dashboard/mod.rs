//! The nurses' dashboard: server-rendered Japanese pages under
//! `/dashboard`, working without JavaScript on an old municipal PC.
//!
//! * sign-in with password (Argon2id) and a TOTP code ([`login`]); sessions
//!   in the database, an `HttpOnly`, `SameSite=Strict` cookie (`Secure`
//!   over TLS), a CSRF token in every form, lockout after repeated failures;
//! * the alert queue, acknowledge / assign / resolve with a visit record,
//!   and a print-friendly visit list ([`alerts`]);
//! * residents by risk and a resident's record with SVG charts
//!   ([`residents`], [`charts`]);
//! * the audit log and CSV exports for administrators and nurses ([`admin`]);
//! * the administrators' pages: residents, cards, family contacts, consent
//!   records, boxes, staff, notices ([`manage`]);
//! * 安否確認: incidents, shelter rosters and the safety list
//!   ([`incidents`]).
//!
//! A nurse sees only her districts: anything else answers 404 and is
//! audited. Storage is in [`crate::store::dashboard`].

pub mod admin;
pub mod alerts;
pub mod charts;
pub mod config;
pub mod csv;
pub mod incidents;
pub mod login;
pub mod manage;
pub mod password;
pub mod residents;
pub mod totp;

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;

pub use config::DashboardConfig;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::StoreError;
use crate::store::dashboard::auth::{self, Session, Stage};
use crate::store::dashboard::{Dashboard, Viewer};
use crate::store::people::Role;

/// What the dashboard's handlers share.
#[derive(Clone)]
pub struct DashboardState {
    /// The database.
    pub db: Dashboard,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mm_session";
/// The cookie that pairs with the sign-in form's CSRF token.
pub const LOGIN_COOKIE: &str = "mm_login";

/// The dashboard's routes, under `/dashboard`.
pub fn router(state: DashboardState) -> Router {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/") }))
        .route("/dashboard/", get(alerts::queue))
        .route("/dashboard/login", get(login::form).post(login::submit))
        .route(
            "/dashboard/login/totp",
            get(login::totp_form).post(login::totp_submit),
        )
        .route(
            "/dashboard/totp",
            get(login::enrol_form).post(login::enrol_submit),
        )
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/alerts/{id}", get(alerts::detail))
        .route("/dashboard/alerts/{id}/ack", post(alerts::acknowledge))
        .route("/dashboard/alerts/{id}/assign", post(alerts::assign))
        .route("/dashboard/alerts/{id}/resolve", post(alerts::resolve))
        .route("/dashboard/visits", get(alerts::visits))
        .route("/dashboard/residents", get(residents::list))
        .route("/dashboard/residents/{id}", get(residents::page))
        .route("/dashboard/residents/{id}/pause", post(residents::pause))
        .route("/dashboard/audit", get(admin::audit))
        .route("/dashboard/export", get(admin::export_form))
        .route(
            "/dashboard/export/check-ins.csv",
            get(admin::export_check_ins),
        )
        .route("/dashboard/export/alerts.csv", get(admin::export_alerts))
        .route(
            "/dashboard/incidents",
            get(incidents::list).post(incidents::open),
        )
        .route("/dashboard/incidents/{id}", get(incidents::page))
        .route("/dashboard/incidents/{id}/close", post(incidents::close))
        .route("/dashboard/incidents/{id}/check", post(incidents::check))
        .route(
            "/dashboard/incidents/{id}/safety.csv",
            get(incidents::export),
        )
        .merge(manage::router())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every dashboard answer: nothing cached (health data), no
/// framing, no script, forms only to ourselves.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The address a request came from (the reverse proxy's, behind one).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string()),
        ))
    }
}

/// A cookie's value from the request.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the dashboard's path.
pub(crate) fn set_cookie(
    config: &DashboardConfig,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> String {
    let mut text = format!("{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if config.secure_cookie {
        text.push_str("; Secure");
    }
    text
}

/// Whether two tokens are equal, in constant time.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A staff member signed in (both factors), with the session's hash.
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// Its hash (to end or change it).
    pub hash: [u8; 32],
    /// Who is asking, for the store's functions.
    pub viewer: Viewer,
}

impl SignedIn {
    /// Whether the staff member is an administrator.
    pub fn is_admin(&self) -> bool {
        self.session.role == Role::Admin
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if same_token(token, &self.session.csrf) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// What every page's frame shows.
    pub fn chrome(&self, title: &str) -> Chrome {
        Chrome {
            title: title.into(),
            user: self.session.name.clone(),
            admin: self.is_admin(),
            csrf: self.session.csrf.clone(),
            signed_in: true,
        }
    }
}

/// The page frame's facts: title, who is signed in, the logout form's token.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's title.
    pub title: String,
    /// The staff member's name.
    pub user: String,
    /// Whether they are an administrator (audit link).
    pub admin: bool,
    /// The session's CSRF token.
    pub csrf: String,
    /// Whether the navigation shows.
    pub signed_in: bool,
}

impl Chrome {
    /// The frame of pages before signing in.
    pub fn anonymous(title: &str) -> Chrome {
        Chrome {
            title: title.into(),
            user: String::new(),
            admin: false,
            csrf: String::new(),
            signed_in: false,
        }
    }
}

/// The session of a request, at any stage.
pub(crate) async fn current_session(
    state: &DashboardState,
    headers: &HeaderMap,
) -> Result<Option<(Session, [u8; 32])>, PageError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::session_hash(token);
    let policy = state.config.dashboard.sessions;
    let now = state.clock.now();
    let session = state
        .db
        .run(move |conn, _| auth::session(conn, &policy, &hash, now))
        .await?;
    Ok(session.map(|s| (s, hash)))
}

/// The signed-in staff member, or the way to the sign-in step still due.
pub(crate) async fn signed_in(
    state: &DashboardState,
    headers: &HeaderMap,
    addr: &ClientAddr,
) -> Result<SignedIn, PageError> {
    let Some((session, hash)) = current_session(state, headers).await? else {
        return Err(PageError::Redirect("/dashboard/login"));
    };
    match session.stage {
        Stage::Full => {}
        Stage::Totp => return Err(PageError::Redirect("/dashboard/login/totp")),
        Stage::Enrol => return Err(PageError::Redirect("/dashboard/totp")),
    }
    let viewer = Viewer {
        staff_id: session.staff_id,
        login: session.login.clone(),
        name: session.name.clone(),
        districts: (session.role == Role::Nurse).then(|| session.districts.clone()),
        ip: addr.0.clone(),
    };
    Ok(SignedIn {
        session,
        hash,
        viewer,
    })
}

/// A page's failure, shown in Japanese.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or a step missing): go there.
    Redirect(&'static str),
    /// Nothing here for this viewer.
    NotFound,
    /// For administrators only.
    Forbidden,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// Input that cannot be used, with what to fix.
    BadRequest(String),
    /// Storage trouble.
    Store(StoreError),
    /// A template failed to render.
    Render(askama::Error),
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(_) => PageError::NotFound,
            StoreError::Invalid(message) => PageError::BadRequest(message),
            other => PageError::Store(other),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        PageError::Render(error)
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage {
    chrome: Chrome,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::Redirect(to) => return Redirect::to(to).into_response(),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "お探しのページは見つかりません。".to_owned(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "このページは管理者だけが開けます。".to_owned(),
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "画面の有効期限が切れました。前の画面を開き直してから、もう一度操作してください。"
                    .to_owned(),
            ),
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            PageError::Store(error) => {
                tracing::error!("dashboard: {error}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ただいま記録を読み書きできません。しばらくしてからもう一度お試しください。"
                        .to_owned(),
                )
            }
            PageError::Render(error) => {
                tracing::error!("dashboard template: {error}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "画面を表示できませんでした。".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            chrome: Chrome::anonymous("エラー"),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Renders a template as a page.
pub(crate) fn render(page: &impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

/// An instant as the nurses read it: `2026-11-29 09:12` in the center's
/// time zone.
pub fn local_time(at: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    at.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// How long ago, in Japanese: `3分前`, `5時間前`, `2日前`.
pub fn age(at: Timestamp, now: Timestamp) -> String {
    let minutes = now.duration_since(at).as_secs() / 60;
    if minutes < 1 {
        "たった今".into()
    } else if minutes < 60 {
        format!("{minutes}分前")
    } else if minutes < 48 * 60 {
        format!("{}時間前", minutes / 60)
    } else {
        format!("{}日前", minutes / (24 * 60))
    }
}

/// The Japanese label of a stored condition.
pub fn condition_label(condition: &str) -> &'static str {
    match condition {
        "good" => "よい",
        "fair" => "ふつう",
        "poor" => "わるい",
        _ => "—",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_japanese() {
        let now: Timestamp = "2026-11-29T12:00:00Z".parse().unwrap();
        let ago = |s: i64| age(now - jiff::SignedDuration::from_secs(s), now);
        assert_eq!(ago(10), "たった今");
        assert_eq!(ago(300), "5分前");
        assert_eq!(ago(5 * 3600), "5時間前");
        assert_eq!(ago(3 * 86400), "3日前");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; mm_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "mm_login"), None);
        let config = DashboardConfig::default();
        assert_eq!(
            set_cookie(&config, "x", "y", None),
            "x=y; Path=/dashboard; HttpOnly; SameSite=Strict"
        );
        let secure = DashboardConfig {
            secure_cookie: true,
            ..DashboardConfig::default()
        };
        assert!(set_cookie(&secure, "x", "y", Some(0)).ends_with("Max-Age=0; Secure"));
    }
}
