//! A small HTTP/1.0 client over a loopback socket, for waiting on the
//! demo's parts and for the scripted walk: GET and form POSTs, cookies kept
//! by name, redirects not followed.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// An answer.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Page {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first `name="csrf"` field.
    pub(crate) fn csrf(&self) -> anyhow::Result<String> {
        let text = self.text();
        let marker = "name=\"csrf\" value=\"";
        let at = text.find(marker).context("no CSRF field on the page")?;
        let rest = &text[at + marker.len()..];
        Ok(rest[..rest.find('"').context("an unterminated CSRF field")?].to_owned())
    }
}

/// A client for one host (`127.0.0.1:PORT`), keeping cookies.
#[derive(Debug)]
pub(crate) struct Client {
    port: u16,
    cookies: BTreeMap<String, String>,
}

impl Client {
    pub(crate) fn new(port: u16) -> Self {
        Self {
            port,
            cookies: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        self.send("GET", path, None)
    }

    /// POSTs a form (`application/x-www-form-urlencoded`).
    pub(crate) fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Page> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", path, Some(body))
    }

    fn send(&mut self, method: &str, path: &str, body: Option<String>) -> anyhow::Result<Page> {
        let what = format!("{method} http://127.0.0.1:{}{path}", self.port);
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .with_context(|| format!("{what}: nothing answers"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut request = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n",
            self.port
        );
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream
            .write_all(request.as_bytes())
            .with_context(|| format!("{what}: sending"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .with_context(|| format!("{what}: reading the answer"))?;
        let page = parse(&answer).with_context(|| format!("{what}: a malformed answer"))?;
        for (name, value) in &page.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        Ok(page)
    }
}

fn parse(answer: &[u8]) -> anyhow::Result<Page> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Page {
        status,
        headers,
        body: answer[end + 4..].to_vec(),
    })
}

/// Percent-encodes a form value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Waits until `GET path` on `port` answers 200 (30 s at most).
pub(crate) fn wait_ok(port: u16, path: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if Client::new(port).get(path).is_ok_and(|p| p.status == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing answered 200 on http://127.0.0.1:{port}{path} within 30 s")
}

#[cfg(test)]
mod tests {
    use super::{encode, parse};

    #[test]
    fn answers_and_forms() {
        let page = parse(b"HTTP/1.1 303 See Other\r\nLocation: /dashboard/\r\nSet-Cookie: a=b; Path=/\r\n\r\nbody").unwrap();
        assert_eq!(page.status, 303);
        assert_eq!(page.header("location"), Some("/dashboard/"));
        assert_eq!(page.body, b"body");
        assert_eq!(encode("a b&c=見"), "a+b%26c%3D%E8%A6%8B");
    }
}
