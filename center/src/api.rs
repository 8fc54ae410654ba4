//! The box API, `/api/v1`, and the health endpoint.
//!
//! * `POST /api/v1/sync` — `Authorization: Bearer <box token>`, a
//!   [`mimamori_protocol::SyncRequest`] in, a
//!   [`mimamori_protocol::SyncResponse`] out. The answer comes after the
//!   events are committed to disk.
//! * `POST /api/v1/login/challenge` — box token; answers
//!   `{"challenge": "<64 hex>", "expires_at": "..."}`: 32 random bytes, to be
//!   answered once within a minute.
//! * `POST /api/v1/login` — box token; `{"challenge": "<hex>",
//!   "cert_fingerprint": "<64 hex>", "signature": "<hex>"}`, the My Number
//!   card's signature over the challenge bytes; answers `{"resident": N,
//!   "weak": false}`, or 401 (unknown, used or expired challenge, unbound
//!   certificate, bad signature). The challenge is spent either way.
//! * `GET /healthz` — 200 when the database takes a transaction, for load
//!   balancers.
//!
//! Errors are JSON, `{"error": "...", "field": "...", "message": "..."}`:
//! 400 malformed JSON, 422 an invalid field, 401 a missing, unknown or
//! revoked token, 403 another box's resident, 413 a body over the limit,
//! 503 storage trouble (try again later; nothing was stored).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mimamori_protocol::{DecodeError, SyncRequest, decode, encode};
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{self, CenterStore, StoreError};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn CenterStore>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// The center's HTTP routes.
pub fn router(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    Router::new()
        .route("/api/v1/sync", post(sync))
        .route("/api/v1/login/challenge", post(login_challenge))
        .route("/api/v1/login", post(login))
        .route("/healthz", get(health))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe_now),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// An error answer.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    message: String,
}

/// An error with its HTTP status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn new(
        status: StatusCode,
        error: &'static str,
        field: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            body: ErrorBody {
                error,
                field,
                message: message.into(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mimamori\""),
            );
        }
        response
    }
}

impl From<DecodeError> for ApiError {
    fn from(error: DecodeError) -> Self {
        let field = error.field().map(str::to_owned);
        match error {
            DecodeError::Syntax(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "malformed",
                None,
                error.to_string(),
            ),
            DecodeError::UnsupportedVersion { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_version",
                field,
                error.to_string(),
            ),
            DecodeError::Field { .. } | DecodeError::Invalid(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                field,
                error.to_string(),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unauthorized(message) => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthorized", None, message)
            }
            StoreError::Forbidden { field, message } => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", field, message)
            }
            StoreError::NotFound(message) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", None, message)
            }
            StoreError::Conflict(message) => {
                Self::new(StatusCode::CONFLICT, "conflict", None, message)
            }
            StoreError::Invalid(message) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", None, message)
            }
            transient => {
                tracing::error!("storage failure answering a sync: {transient}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    None,
                    "the center cannot store data right now; nothing was stored, try again later",
                )
            }
        }
    }
}

fn bearer_token(headers: &HeaderMap) -> Result<String, ApiError> {
    let unauthorized =
        |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", None, message);
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("an `Authorization: Bearer <box token>` header is required"))?;
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <box token>`"))?;
    Ok(token.to_owned())
}

async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = bearer_token(&headers)?;
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the body is larger than {} bytes; send fewer events per sync",
                state.config.http.max_body_bytes
            )
        } else {
            rejection.body_text()
        };
        ApiError::new(status, "body", None, message)
    })?;
    let request: SyncRequest = decode(&body)?;
    let hash = store::sync::token_hash(&token);
    let now = state.clock.now();
    let (response, applied) = state.store.sync(hash, request, now).await?;
    for a in &applied {
        tracing::info!(resident = a.resident, alert = a.alert, kind = %a.kind, action = a.action, "{}", a.reason);
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        encode(&response),
    )
        .into_response())
}

async fn login_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = store::sync::token_hash(&bearer_token(&headers)?);
    let challenge = state
        .store
        .login_challenge(hash, rand::random(), state.clock.now())
        .await?;
    Ok(axum::Json(challenge).into_response())
}

/// A box's answer to a challenge, as sent.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    challenge: String,
    cert_fingerprint: String,
    signature: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let hash = store::sync::token_hash(&bearer_token(&headers)?);
    let invalid = |field: &str, message: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Some(field.to_owned()),
            message,
        )
    };
    let request: LoginRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", None, e.to_string()))?;
    let challenge = hex::decode(&request.challenge)
        .map_err(|_| invalid("challenge", "expected hex digits".into()))?;
    let fingerprint = request
        .cert_fingerprint
        .parse()
        .map_err(|e: String| invalid("cert_fingerprint", e))?;
    let signature = hex::decode(&request.signature)
        .map_err(|_| invalid("signature", "expected hex digits".into()))
        .and_then(|b| {
            mimamori_protocol::Signature::from_bytes(&b).map_err(|e| invalid("signature", e))
        })?;
    let answer = store::LoginAnswer {
        challenge,
        fingerprint,
        signature,
    };
    let logged_in = state.store.login(hash, answer, state.clock.now()).await?;
    Ok(axum::Json(logged_in).into_response())
}

/// The page behind a family mail's unsubscribe link: it asks before it
/// stops anything, because mail scanners open links on their own.
async fn unsubscribe_page(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let found = state.store.unsubscribe(token.clone(), false, now).await?;
    Ok(unsubscribe_html(&token, found.as_ref()))
}

/// RFC 8058 one-click unsubscribe (`List-Unsubscribe-Post`), and the
/// page's button.
async fn unsubscribe_now(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let found = state.store.unsubscribe(token.clone(), true, now).await?;
    if let Some(s) = &found {
        tracing::info!(contact = %s.contact, "family mail stopped by its unsubscribe link");
    }
    Ok(unsubscribe_html(&token, found.as_ref()))
}

fn unsubscribe_html(token: &str, found: Option<&store::people::Subscription>) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (status, body) = match found {
        None => (
            StatusCode::NOT_FOUND,
            "<h1>このリンクは使えません</h1><p>配信停止のリンクが見つかりませんでした。お手数ですが、メールに書かれた窓口へお問い合わせください。</p>".to_owned(),
        ),
        Some(s) if s.stopped => (
            StatusCode::OK,
            format!(
                "<h1>配信を停止しました</h1><p>{} 様あての、{}さんの見守りメールはお送りしません。再開をご希望のときは、町の窓口へご連絡ください。</p>",
                escape(&s.contact),
                escape(&s.resident)
            ),
        ),
        Some(s) => (
            StatusCode::OK,
            format!(
                "<h1>見守りメールの配信停止</h1><p>{} 様あての、{}さんの見守りメールを停止しますか？</p>\
                 <form method=\"post\" action=\"/unsubscribe/{}\"><button style=\"font-size:1.2em\">配信を停止する</button></form>",
                escape(&s.contact),
                escape(&s.resident),
                escape(token)
            ),
        ),
    };
    let page = format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>見守りメール</title></head><body style=\"font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.7\">{body}</body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

async fn health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.health().await?;
    Ok("ok\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::watch::Applied;
    use crate::store::{BoxFuture, SweepReport};
    use axum::body::Body;
    use axum::http::Request;
    use mimamori_protocol::SyncResponse;
    use tower::ServiceExt as _;

    /// A store whose disk is full: every write fails to commit.
    struct FullDisk;

    impl CenterStore for FullDisk {
        fn sync(
            &self,
            _: [u8; 32],
            _: SyncRequest,
            _: jiff::Timestamp,
        ) -> BoxFuture<'_, store::Result<(SyncResponse, Vec<Applied>)>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }

        fn sweep(&self, _: jiff::Timestamp) -> BoxFuture<'_, store::Result<SweepReport>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }

        fn health(&self) -> BoxFuture<'_, store::Result<()>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }

        fn unsubscribe(
            &self,
            _: String,
            _: bool,
            _: jiff::Timestamp,
        ) -> BoxFuture<'_, store::Result<Option<store::people::Subscription>>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }

        fn login_challenge(
            &self,
            _: [u8; 32],
            _: [u8; 32],
            _: jiff::Timestamp,
        ) -> BoxFuture<'_, store::Result<store::login::Challenge>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }

        fn login(
            &self,
            _: [u8; 32],
            _: store::LoginAnswer,
            _: jiff::Timestamp,
        ) -> BoxFuture<'_, store::Result<store::login::LoggedIn>> {
            Box::pin(async { Err(StoreError::Commit("database or disk is full".into())) })
        }
    }

    fn app() -> Router {
        router(AppState {
            store: Arc::new(FullDisk),
            config: Arc::new(Config::parse("").unwrap()),
            clock: Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
        })
    }

    #[tokio::test]
    async fn storage_trouble_is_a_503_that_says_nothing_was_stored() {
        let body = include_bytes!("../../protocol/testdata/examples/sync_request.json");
        let response = app()
            .oneshot(
                Request::post("/api/v1/sync")
                    .header("authorization", "Bearer mmb_x")
                    .body(Body::from(&body[..]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let error: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(error["error"], "unavailable");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("nothing was stored")
        );
    }

    #[tokio::test]
    async fn the_health_endpoint_fails_when_storage_does() {
        let response = app()
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
