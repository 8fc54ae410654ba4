//! A headless Chromium driven over WebDriver, for the tests that use a page
//! as a person would (the nurses' dashboard, the virtual TV).
//!
//! [`Browser::start`] starts Debian's `chromedriver` on a free port of
//! 127.0.0.1 with one `chromium` session and a throw-away profile; both end
//! when the value is dropped. The client is a few WebDriver calls over
//! reqwest. Failing to start is a panic (the tests that use it fail, never
//! skip): `cargo xtask test` installs `chromium` and `chromium-driver`.
//!
//! ```no_run
//! # async fn example() {
//! use mimamori_hw_tests::browser::Browser;
//!
//! let browser = Browser::start().await;
//! browser.go("http://127.0.0.1:8700/").await;
//! browser.click("#key-ok").await;
//! browser.wait_for("記録しました").await;
//! browser.screenshot(std::path::Path::new("target/shots"), "done").await;
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// A chromedriver process with one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: reqwest::Client,
    _profile: tempfile::TempDir,
}

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long [`Browser::wait_for`] waits.
const WAIT: Duration = Duration::from_secs(10);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (1280×1100 window,
    /// Japanese locale).
    ///
    /// # Panics
    ///
    /// When chromedriver or Chromium cannot start.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start chromedriver (Debian package chromium-driver; `cargo xtask test` installs it): {e}")
            });
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            client,
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = browser
                .client
                .get(format!("{}/status", browser.base))
                .send()
                .await;
            if let Ok(response) = ready {
                let status: Value = response.json().await.unwrap_or_default();
                if status["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1100",
            "--lang=ja",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        )])
        .collect::<Vec<_>>();
        let answer = browser
            .call(
                "POST",
                "/session",
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
                }}}),
            )
            .await;
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("no browser session (is Debian's chromium installed?): {answer}")
            })
            .to_owned();
        browser
    }

    /// One WebDriver command (`path` below the session once there is
    /// one); its `value`.
    ///
    /// # Panics
    ///
    /// When the driver cannot be reached or answers with an error.
    pub async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if self.session.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let request = match method {
            "GET" => self.client.get(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.post(url).json(&body),
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let value: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {status}, not JSON: {e}"));
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {value}"
        );
        value["value"].clone()
    }

    /// Opens `url`.
    pub async fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    /// The element that matches the CSS selector.
    ///
    /// # Panics
    ///
    /// When none does.
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("`{css}`: {found}"))
            .to_owned()
    }

    /// Clicks the element that matches the CSS selector.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Types `text` into the element that matches the CSS selector.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        )
        .await;
    }

    /// The page's current DOM as HTML.
    pub async fn source(&self) -> String {
        self.call("GET", "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's source once it contains `text` (a click's navigation, or
    /// the page's own script, may still be under way when the click
    /// returns).
    ///
    /// # Panics
    ///
    /// When `text` does not appear within 10 s.
    pub async fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |source| source.contains(text)).await
    }

    /// The page's source once `check` passes; `what` names it when it
    /// does not within 10 s.
    ///
    /// # Panics
    ///
    /// When `check` does not pass within 10 s.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let source = self.source().await;
            if check(&source) {
                return source;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {what} in\n{source}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves the viewport as `dir/name.png` (the directory is created);
    /// its path.
    ///
    /// # Panics
    ///
    /// When the screenshot is not a PNG or cannot be written.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        let data = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        assert_eq!(png.get(1..4), Some(&b"PNG"[..]), "a PNG screenshot");
        std::fs::create_dir_all(dir).expect("the screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session closes Chromium; killing chromedriver alone
        // would leave the browser running. Plain HTTP: no runtime in drop.
        if !self.session.is_empty() {
            let _ = end_session(&self.base, &self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}`, waiting (up to 10 s) for the answer.
fn end_session(base: &str, session: &str) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(())
}
