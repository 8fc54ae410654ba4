//! A small stand-in for a center on 127.0.0.1 that speaks protocol 1.0 or
//! 1.1 as a test sets it, acks every event, records what it received, and
//! sends a station its people and place (1.1 only). A 1.0 center that
//! receives a tap answers 400, as a center that does not know the kind.
#![allow(dead_code)] // not every test binary uses all of it

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use mimamori_protocol::{
    Event, EventBody, Person, ProtocolVersion, Revision, Section, StationInfo, StationKind,
    SyncRequest, SyncResponse, decode, encode,
};

#[derive(Default)]
pub(crate) struct Seen {
    /// Events received, in the order they arrived (repeats included).
    pub(crate) events: Vec<Event>,
    /// How many requests came.
    pub(crate) requests: usize,
    /// Taps that reached the center while it spoke 1.0.
    pub(crate) taps_at_1_0: usize,
}

struct Shared {
    version: ProtocolVersion,
    people: Vec<Person>,
    place: String,
    seen: Seen,
}

/// The stub's handle.
#[derive(Clone)]
pub(crate) struct StubCenter {
    pub(crate) url: String,
    shared: Arc<Mutex<Shared>>,
}

impl StubCenter {
    /// Serves a stub speaking `version` on a free port.
    pub(crate) async fn start(version: ProtocolVersion, people: Vec<Person>) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            version,
            people,
            place: "南部小学校".into(),
            seen: Seen::default(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/api/v1/sync", post(sync))
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, shared }
    }

    /// From now on the stub speaks `version`.
    pub(crate) fn set_version(&self, version: ProtocolVersion) {
        self.shared.lock().unwrap().version = version;
    }

    /// What it received so far.
    pub(crate) fn with_seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.shared.lock().unwrap().seen)
    }

    /// The taps received, in order.
    pub(crate) fn taps(&self) -> Vec<Event> {
        self.with_seen(|s| {
            s.events
                .iter()
                .filter(|e| matches!(e.body, EventBody::Tap(_)))
                .cloned()
                .collect()
        })
    }
}

async fn sync(State(shared): State<Arc<Mutex<Shared>>>, body: Bytes) -> Response {
    let request: SyncRequest = match decode(&body) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("stub center: a request it cannot read: {e}");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    let mut shared = shared.lock().unwrap();
    shared.seen.requests += 1;
    let version = shared.version;
    let taps = request
        .events
        .iter()
        .filter(|e| e.body.since() > version)
        .count();
    if taps > 0 {
        shared.seen.taps_at_1_0 += taps;
        return (StatusCode::BAD_REQUEST, "unknown event type `tap`").into_response();
    }
    shared.seen.events.extend(request.events.iter().cloned());
    let response = SyncResponse {
        protocol: version,
        server_time: request.sent_at,
        acked: request.events.iter().map(|e| e.id).collect(),
        rejected: Vec::new(),
        residents: None,
        notices: None,
        checkups: None,
        standings: Vec::new(),
        next_sync_in_s: None,
        people: (request.known.people != Some(Revision(1))).then(|| Section {
            revision: Revision(1),
            items: shared.people.clone(),
        }),
        station: Some(StationInfo {
            place: shared.place.clone(),
            kind: StationKind::School,
        }),
    }
    .for_peer(request.protocol.min(version));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        encode(&response),
    )
        .into_response()
}
