//! A plain HTTP/1.1 client for the benches' load generators: the request
//! written in one go, the answer read by its Content-Length, so that the
//! generator's own cost stays small next to the center's.

use std::time::Duration;

use tokio::io::AsyncReadExt as _;

/// Reads one HTTP/1.1 response with a Content-Length body; returns the
/// status and the body.
pub(crate) async fn read_response<'a>(
    stream: &mut tokio::net::TcpStream,
    buffer: &'a mut Vec<u8>,
) -> (u16, &'a [u8]) {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let (head, length) = loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the center closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())
                        .flatten()
                })
                .expect("a Content-Length header");
            break (end + 4, length);
        }
    };
    while buffer.len() < head + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the center closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
    let status = std::str::from_utf8(&buffer[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (status, &buffer[head..head + length])
}

pub(crate) async fn wait_ready(url: &str) {
    for _ in 0..400 {
        if reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the center did not start");
}
