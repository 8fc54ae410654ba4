//! The virtual TV: a web page on 127.0.0.1 that shows the box's frame and a
//! clickable remote (the keyboard works too), with buttons to insert and
//! remove the residents' trial cards. For development and the demo; the
//! box itself draws to the framebuffer.
//!
//! The page works without JavaScript (each button is a form); with it, keys
//! are sent in the background and the frame refreshes when it changes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mimamori_remote_ui::{Event, Key};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::runtime::Input;

/// What the page shows, updated by the daemon's loop.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TvState {
    /// Increases with every new frame.
    pub version: u64,
    /// The screen's kind, e.g. `Condition`.
    pub screen: String,
    /// The screen's title.
    pub title: String,
    /// Cards that can be inserted: (label, UID in hex).
    pub cards: Vec<(String, String)>,
    #[serde(skip)]
    png: Vec<u8>,
}

/// The daemon's handle on the page.
#[derive(Clone)]
pub struct VirtualTv {
    state: Arc<Mutex<TvState>>,
}

impl VirtualTv {
    /// Shows a new frame.
    pub fn show(&self, png: Vec<u8>, screen: String, title: String) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.version += 1;
        state.png = png;
        state.screen = screen;
        state.title = title;
    }

    /// Sets the cards offered on the page.
    pub fn set_cards(&self, cards: Vec<(String, String)>) {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .cards = cards;
    }
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<TvState>>,
    inputs: mpsc::Sender<Input>,
}

/// Serves the page on `listener` until the daemon stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    inputs: mpsc::Sender<Input>,
) -> std::io::Result<(VirtualTv, SocketAddr)> {
    let state = Arc::new(Mutex::new(TvState::default()));
    let shared = Shared {
        state: state.clone(),
        inputs,
    };
    let app = Router::new()
        .route("/", get(page))
        .route("/frame.png", get(frame))
        .route("/state", get(state_json))
        .route("/key/{name}", post(key))
        .route("/card/insert/{uid}", post(insert))
        .route("/card/remove", post(remove))
        .with_state(shared);
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the virtual TV stopped: {e}");
        }
    });
    Ok((VirtualTv { state }, address))
}

fn key_named(name: &str) -> Option<Event> {
    let key = match name {
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "ok" => Key::Ok,
        "back" => Key::Back,
        "blue" => Key::Blue,
        "red" => Key::Red,
        "green" => Key::Green,
        "yellow" => Key::Yellow,
        "red-hold" => return Some(Event::Held(Key::Red)),
        "call-button" => return Some(Event::CallButton),
        digits => Key::Digit(digits.parse().ok().filter(|d: &u8| *d <= 12)?),
    };
    Some(Event::Key(key))
}

async fn key(State(shared): State<Shared>, Path(name): Path<String>) -> Response {
    let Some(event) = key_named(&name) else {
        return (StatusCode::NOT_FOUND, format!("no key `{name}`")).into_response();
    };
    let _ = shared.inputs.send(Input::Ui(event)).await;
    Redirect::to("/").into_response()
}

async fn insert(State(shared): State<Shared>, Path(uid): Path<String>) -> Response {
    match hex::decode(&uid) {
        Ok(bytes) => {
            let _ = shared.inputs.send(Input::CardInserted(bytes)).await;
            Redirect::to("/").into_response()
        }
        Err(_) => (StatusCode::BAD_REQUEST, "the UID is hex").into_response(),
    }
}

async fn remove(State(shared): State<Shared>) -> Response {
    let _ = shared.inputs.send(Input::CardRemoved).await;
    Redirect::to("/").into_response()
}

async fn frame(State(shared): State<Shared>) -> Response {
    let png = shared
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .png
        .clone();
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response()
}

async fn state_json(State(shared): State<Shared>) -> Response {
    let state = shared
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    axum::Json(state).into_response()
}

async fn page(State(shared): State<Shared>) -> Html<String> {
    let cards = shared
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .cards
        .clone();
    let button = |path: &str, label: &str, class: &str| {
        format!(
            r#"<form method="post" action="{path}"><button class="{class}">{label}</button></form>"#
        )
    };
    let mut remote = String::new();
    for (name, label, class) in [
        ("blue", "青", "blue"),
        ("red", "赤", "red"),
        ("green", "緑", "green"),
        ("yellow", "黄", "yellow"),
    ] {
        remote.push_str(&button(&format!("/key/{name}"), label, class));
    }
    remote.push_str("<br>");
    remote.push_str(&button("/key/up", "▲", "arrow"));
    remote.push_str("<br>");
    for (name, label) in [("left", "◀"), ("ok", "決定"), ("right", "▶")] {
        remote.push_str(&button(&format!("/key/{name}"), label, "arrow"));
    }
    remote.push_str("<br>");
    remote.push_str(&button("/key/down", "▼", "arrow"));
    remote.push_str(&button("/key/back", "戻る", "arrow"));
    remote.push_str("<br>");
    for d in 1..=12 {
        remote.push_str(&button(&format!("/key/{d}"), &d.to_string(), "digit"));
        if d % 3 == 0 {
            remote.push_str("<br>");
        }
    }
    remote.push_str(&button("/key/0", "0", "digit"));
    remote.push_str(&button("/key/red-hold", "赤を長押し（SOS）", "red"));
    remote.push_str(&button("/key/call-button", "呼出ボタン（長押し）", "red"));
    let mut card_buttons = String::new();
    for (label, uid) in &cards {
        card_buttons.push_str(&button(
            &format!("/card/insert/{uid}"),
            &format!("カードを入れる: {label}"),
            "card",
        ));
    }
    card_buttons.push_str(&button(
        "/card/insert/0000000000",
        "登録されていないカード",
        "card",
    ));
    card_buttons.push_str(&button("/card/remove", "カードを抜く", "card"));
    Html(format!(
        r#"<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>見守り 仮想テレビ</title>
<style>body{{font-family:sans-serif;background:#222;color:#eee;display:flex;gap:24px;padding:16px}}
img{{width:960px;border:8px solid #000;border-radius:8px}} form{{display:inline}}
button{{font-size:20px;margin:4px;min-width:64px;padding:8px;border-radius:8px}}
.blue{{background:#1e5bd8;color:#fff}}.red{{background:#c62828;color:#fff}}.green{{background:#2e7d32;color:#fff}}.yellow{{background:#f9c800}}
.card{{display:block;width:100%;text-align:left}}</style></head>
<body><div><img id="tv" src="/frame.png" alt="TV"><p>キーボード: 矢印, Enter=決定, Backspace=戻る, 0–9, b/r/g/y=色ボタン</p></div>
<div><h2>リモコン</h2>{remote}<h2>カード</h2>{card_buttons}</div>
<script>
let version=-1;
async function poll(){{try{{const s=await (await fetch('/state')).json();if(s.version!==version){{version=s.version;document.getElementById('tv').src='/frame.png?v='+version;}}}}catch(e){{}}setTimeout(poll,250);}}
poll();
document.querySelectorAll('form').forEach(f=>f.addEventListener('submit',e=>{{e.preventDefault();fetch(f.action,{{method:'POST',redirect:'manual'}});}}));
const keys={{ArrowUp:'up',ArrowDown:'down',ArrowLeft:'left',ArrowRight:'right',Enter:'ok',Backspace:'back',b:'blue',r:'red',g:'green',y:'yellow'}};
document.addEventListener('keydown',e=>{{let k=keys[e.key]||(/^[0-9]$/.test(e.key)?e.key:null);if(k){{e.preventDefault();fetch('/key/'+k,{{method:'POST',redirect:'manual'}});}}}});
</script></body></html>"#
    ))
}
