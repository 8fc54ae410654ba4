//! The virtual TV: a web page on 127.0.0.1 that shows the box's frame and a
//! clickable remote (the keyboard works too), with buttons to insert and
//! remove cards. For development and the demo; the box itself draws to the
//! framebuffer.
//!
//! The card buttons work one of two ways:
//!
//! * with a **card dock** (`[display] card_dock`, a `simcard dock` process
//!   holding simulated cards next to a vpcd reader), the page lists the
//!   dock's cards and forwards insert/remove to it; the box then reads the
//!   card through pcscd like any real card (PIN, signature and all);
//! * without one, the buttons hand the residents' trial-card UIDs straight
//!   to the loop (`[card] reader = "none"`: the screen tests and a demo
//!   without pcscd).
//!
//! The page works without JavaScript (each button is a form); with it, key
//! presses are sent in the background one after another, in order, and the
//! frame refreshes when it changes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mimamori_remote_ui::{Event, Key};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::runtime::Input;

mod dock;
mod page;

use dock::Dock;
use page::page;

/// What the page shows, updated by the daemon's loop.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TvState {
    /// Increases with every new frame.
    pub version: u64,
    /// The screen's kind, e.g. `Condition`.
    pub screen: String,
    /// The screen's title.
    pub title: String,
    /// The screen's other text: its large line (記録しました, the clock)
    /// and the lines under the title.
    pub text: Vec<String>,
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
    /// Shows a new frame: its PNG, the screen's kind, title and other
    /// text.
    pub fn show(&self, png: Vec<u8>, screen: String, title: String, text: Vec<String>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.version += 1;
        state.png = png;
        state.screen = screen;
        state.title = title;
        state.text = text;
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
    dock: Option<Dock>,
}

/// Serves the page on `listener` until the daemon stops. With `card_dock`
/// (a dock's base URL), the card buttons are the dock's.
pub async fn serve(
    listener: tokio::net::TcpListener,
    inputs: mpsc::Sender<Input>,
    card_dock: Option<String>,
) -> std::io::Result<(VirtualTv, SocketAddr)> {
    let state = Arc::new(Mutex::new(TvState::default()));
    let dock = card_dock
        .map(Dock::new)
        .transpose()
        .map_err(std::io::Error::other)?;
    let routes = Router::new()
        .route("/", get(page))
        .route("/frame.png", get(frame))
        .route("/state", get(state_json))
        .route("/key/{name}", post(key));
    let routes = if dock.is_some() {
        routes
            .route("/dock/insert/{id}", post(dock_insert))
            .route("/dock/remove", post(dock_remove))
    } else {
        routes
            .route("/card/insert/{uid}", post(insert))
            .route("/card/remove", post(remove))
    };
    let app = routes.with_state(Shared {
        state: state.clone(),
        inputs,
        dock,
    });
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

async fn dock_insert(State(shared): State<Shared>, Path(id): Path<usize>) -> Response {
    let Some(dock) = &shared.dock else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match dock.insert(id).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn dock_remove(State(shared): State<Shared>) -> Response {
    let Some(dock) = &shared.dock else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match dock.remove().await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
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
