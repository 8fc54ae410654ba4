//! The virtual TV's side of a card dock (`simcard dock`): the dock's list of
//! simulated cards, and insert/remove forwarded to it over HTTP on
//! 127.0.0.1. The box never talks to the cards here: it reads them through
//! pcscd like real cards.

use std::time::Duration;

use serde::Deserialize;

/// A dock at a base URL (checked by the configuration: loopback only).
#[derive(Clone)]
pub(crate) struct Dock {
    base: String,
    http: reqwest::Client,
}

/// The dock's answer to `GET /cards`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Listing {
    /// The PC/SC reader the dock's cards go into.
    pub(crate) reader: String,
    /// The cards.
    pub(crate) cards: Vec<DockCard>,
}

/// One of the dock's cards.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DockCard {
    pub(crate) id: usize,
    /// `jpki`, `uid` or `stranger`.
    pub(crate) kind: String,
    pub(crate) label: String,
    /// A My Number card's PIN (a simulated card: shown on the page).
    #[serde(default)]
    pub(crate) pin: Option<String>,
}

/// Why the dock did not do what the page asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DockError {
    /// No answer (the dock is not running, or too slow).
    #[error("the card dock at {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// An answer other than success.
    #[error("the card dock at {url} answered {status}: {body}")]
    Refused {
        url: String,
        status: reqwest::StatusCode,
        body: String,
    },
}

impl Dock {
    pub(crate) fn new(base: String) -> Result<Self, reqwest::Error> {
        // Putting a card in waits until pcscd has seen the last one go.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self { base, http })
    }

    /// The dock's base URL.
    pub(crate) fn url(&self) -> &str {
        &self.base
    }

    pub(crate) async fn cards(&self) -> Result<Listing, DockError> {
        let url = format!("{}/cards", self.base);
        let response = self.send(self.http.get(&url), &url).await?;
        response
            .json()
            .await
            .map_err(|source| DockError::Unreachable { url, source })
    }

    pub(crate) async fn insert(&self, id: usize) -> Result<(), DockError> {
        let url = format!("{}/cards/{id}/insert", self.base);
        self.send(self.http.post(&url), &url).await.map(drop)
    }

    pub(crate) async fn remove(&self) -> Result<(), DockError> {
        let url = format!("{}/remove", self.base);
        self.send(self.http.post(&url), &url).await.map(drop)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, DockError> {
        let response = request
            .send()
            .await
            .map_err(|source| DockError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        tracing::warn!("the card dock at {url} answered {status}: {body}");
        Err(DockError::Refused {
            url: url.to_owned(),
            status,
            body,
        })
    }
}
