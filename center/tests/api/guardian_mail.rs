//! Guardians' mail about a child's taps, read back from a real SMTP
//! server: each policy over simulated days, consent, the unsubscribe link
//! over HTTP, and a tap synced a day late.

use std::sync::Arc;
use std::time::Duration;

use mail_parser::MessageParser;
use mimamori_center::clock::ManualClock;
use mimamori_protocol::StationKind;

use crate::harness::*;
use crate::mail::{mail_config, parse};
use crate::smtp::Smtp;

/// How many messages each address received.
fn per_recipient(smtp: &Smtp, address: &str) -> usize {
    smtp.received()
        .iter()
        .filter(|r| r.to.iter().any(|t| t.contains(address)))
        .count()
}

/// Waits until `n` messages arrived in all, then a little more to see
/// that no other comes.
async fn settle(smtp: &Smtp, n: usize) {
    smtp.wait_for(n).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(smtp.received().len(), n, "exactly {n} messages");
}

#[tokio::test]
async fn guardians_hear_of_taps_as_their_policy_says() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-07T06:32:05Z"); // 15:32:05 in Tokyo
    let smtp = Smtp::up();
    let school = station(&dir, "nanbu-st-11", "南部小学校", StationKind::School, now);
    let library = station(&dir, "nanbu-st-12", "南部図書館", StationKind::Library, now);
    let taro = child(&dir, "山田 太郎", "やまだ たろう", "04AA0011", now);
    let consent = Some("2026-12-01");
    guardian(&dir, taro, "every@example.jp", "every_tap", consent, now);
    guardian(&dir, taro, "first@example.jp", "first_of_day", consent, now);
    guardian(&dir, taro, "none@example.jp", "none", consent, now);
    guardian(&dir, taro, "noconsent@example.jp", "every_tap", None, now);
    guardian(&dir, taro, "stops@example.jp", "every_tap", consent, now);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = mail_config(&dir, smtp.port);
    config.mail.as_mut().unwrap().settings.public_url = url.clone();
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_on(listener, config, clock.clone());

    let tap = |token: &str, device: &str, id: &str, seq: u64, recorded: &str, sent: &str| {
        let body = station_request(device, sent, vec![tap_event(id, seq, "04AA0011", recorded)]);
        let token = token.to_owned();
        let center = &center;
        async move {
            let (status, response) = center.sync(&token, &body).await;
            assert_eq!(status, 200, "{response}");
            assert_eq!(response["acked"].as_array().unwrap().len(), 1, "{response}");
        }
    };

    // Day 1, 15:32 at the school: every_tap, first_of_day and the guardian
    // who will stop hear of it; none, and the one without consent, do not.
    tap(
        &school,
        "nanbu-st-11",
        "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7e01",
        1,
        "2026-12-07T15:32:00+09:00",
        "2026-12-07T15:32:05+09:00",
    )
    .await;
    settle(&smtp, 3).await;
    let stops = smtp
        .received()
        .into_iter()
        .find(|r| r.to.iter().any(|t| t.contains("stops@")))
        .unwrap();
    let m = parse(&stops);
    assert_eq!(
        m.subject(),
        Some("山田 太郎さんが 南部小学校 に 15:32 にタッチしました")
    );
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("山田 太郎さんが 南部小学校 に 15:32 にタッチしました"),
        "{text}"
    );
    assert!(text.contains("南部町 健康福祉課"), "{text}");
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("南部小学校") && html.contains("<table"),
        "{html}"
    );
    let link = m
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(link.starts_with(&format!("{url}/unsubscribe/")), "{link}");
    assert!(text.contains(&link), "the text part stands alone:\n{text}");

    // The link asks first, then one click stops the mail.
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("停止しますか"));
    let done = reqwest::Client::new()
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await.unwrap().contains("配信を停止しました"));

    // Day 1, 15:40 at the school again: only every_tap.
    clock.set(at("2026-12-07T06:40:05Z"));
    tap(
        &school,
        "nanbu-st-11",
        "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7e02",
        2,
        "2026-12-07T15:40:00+09:00",
        "2026-12-07T15:40:05+09:00",
    )
    .await;
    settle(&smtp, 4).await;

    // Day 1, 16:10 at the library: another place, a first of the day there.
    clock.set(at("2026-12-07T07:10:05Z"));
    tap(
        &library,
        "nanbu-st-12",
        "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7e03",
        1,
        "2026-12-07T16:10:00+09:00",
        "2026-12-07T16:10:05+09:00",
    )
    .await;
    settle(&smtp, 6).await;

    // Day 2, 8:00 at the school, synced a day late (the station was
    // offline): a first of its own day, mailed with its date and time.
    clock.set(at("2026-12-09T00:00:05Z"));
    tap(
        &school,
        "nanbu-st-11",
        "019af8a0-6c3e-7b1a-9d2e-3f4a5b6c7e04",
        3,
        "2026-12-08T08:00:00+09:00",
        "2026-12-09T09:00:05+09:00",
    )
    .await;
    settle(&smtp, 8).await;

    assert_eq!(per_recipient(&smtp, "every@"), 4);
    assert_eq!(per_recipient(&smtp, "first@"), 3);
    assert_eq!(per_recipient(&smtp, "stops@"), 1);
    assert_eq!(per_recipient(&smtp, "none@"), 0);
    assert_eq!(per_recipient(&smtp, "noconsent@"), 0);
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .filter(|r| r.to.iter().any(|t| t.contains("first@")))
        .map(|r| {
            MessageParser::default()
                .parse(&r.data)
                .unwrap()
                .subject()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "山田 太郎さんが 南部小学校 に 15:32 にタッチしました",
            "山田 太郎さんが 南部図書館 に 16:10 にタッチしました",
            "山田 太郎さんが 南部小学校 に 12月8日 8:00 にタッチしました",
        ]
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'guardian_tap' AND guardian_id IS NOT NULL"
        ),
        8
    );
    center.stop().await;
}
