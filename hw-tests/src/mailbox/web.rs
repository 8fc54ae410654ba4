//! The mailbox's pages: `/` lists the messages newest first (refreshing
//! itself), `/m/{id}` shows one decoded, `/m/{id}/html` its HTML part
//! (sandboxed), `/m/{id}/raw` the message as received, `/messages.json`
//! the list for programs, `/healthz` answers `ok`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::{Mailbox, Summary};

/// The pages' router.
pub fn router(mailbox: Arc<Mailbox>) -> Router {
    Router::new()
        .route("/", get(list))
        .route("/messages.json", get(list_json))
        .route("/m/{id}", get(message))
        .route("/m/{id}/html", get(html_part))
        .route("/m/{id}/raw", get(raw))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(mailbox)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn failed(e: &anyhow::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response()
}

fn not_found(id: u64) -> Response {
    (StatusCode::NOT_FOUND, format!("no message {id}")).into_response()
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:6px;text-align:left;vertical-align:top}pre{white-space:pre-wrap;background:#f6f6f6;padding:12px;font-size:15px}dt{font-weight:bold;float:left;width:6em}dd{margin-left:7em}iframe{width:100%;height:600px;border:1px solid #ccc}";

async fn list(State(mailbox): State<Arc<Mailbox>>) -> Response {
    let list = match mailbox.list() {
        Ok(list) => list,
        Err(e) => return failed(&e),
    };
    let mut rows = String::new();
    for Summary {
        id,
        from,
        to,
        subject,
        date,
    } in &list
    {
        rows.push_str(&format!(
            "<tr><td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/m/{id}\">{}</a></td></tr>",
            escape(date),
            escape(from),
            escape(&to.join(", ")),
            escape(subject)
        ));
    }
    if list.is_empty() {
        rows.push_str("<tr><td colspan=\"5\">No mail yet.</td></tr>");
    }
    Html(format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\"><title>Mailbox ({n})</title><style>{STYLE}</style></head><body><h1>Mailbox</h1><p>{n} messages received by the demo's SMTP server, newest first (this page refreshes itself).</p><table><tr><th>#</th><th>Date</th><th>From</th><th>To</th><th>Subject</th></tr>{rows}</table></body></html>",
        n = list.len()
    ))
    .into_response()
}

async fn list_json(State(mailbox): State<Arc<Mailbox>>) -> Response {
    match mailbox.list() {
        Ok(list) => axum::Json(list).into_response(),
        Err(e) => failed(&e),
    }
}

async fn message(State(mailbox): State<Arc<Mailbox>>, Path(id): Path<u64>) -> Response {
    let decoded = match mailbox.read(id) {
        Ok(Some(decoded)) => decoded,
        Ok(None) => return not_found(id),
        Err(e) => return failed(&e),
    };
    let s = &decoded.summary;
    let html = if decoded.html.is_some() {
        format!(
            "<h2>HTML part</h2><iframe sandbox src=\"/m/{id}/html\" title=\"HTML part\"></iframe>"
        )
    } else {
        String::new()
    };
    Html(format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{subject}</title><style>{STYLE}</style></head><body><p><a href=\"/\">← all messages</a> · <a href=\"/m/{id}/raw\">as received</a></p><h1>{subject}</h1><dl><dt>From</dt><dd>{from}</dd><dt>To</dt><dd>{to}</dd><dt>Date</dt><dd>{date}</dd></dl><h2>Text</h2><pre>{text}</pre>{html}</body></html>",
        subject = escape(&s.subject),
        from = escape(&s.from),
        to = escape(&s.to.join(", ")),
        date = escape(&s.date),
        text = escape(&decoded.text),
    ))
    .into_response()
}

async fn html_part(State(mailbox): State<Arc<Mailbox>>, Path(id): Path<u64>) -> Response {
    match mailbox.read(id) {
        Ok(Some(decoded)) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                // The mail's HTML runs no script and loads nothing.
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                ),
            ],
            decoded.html.unwrap_or_default(),
        )
            .into_response(),
        Ok(None) => not_found(id),
        Err(e) => failed(&e),
    }
}

async fn raw(State(mailbox): State<Arc<Mailbox>>, Path(id): Path<u64>) -> Response {
    match mailbox.raw(id) {
        Ok(Some(bytes)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], bytes).into_response()
        }
        Ok(None) => not_found(id),
        Err(e) => failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
