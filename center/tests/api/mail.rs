//! The mail outbox and sender against a real SMTP server on 127.0.0.1:
//! delivery, the server down, 4xx then success, 5xx, restarts.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mail_parser::{MessageParser, MimeHeaders as _};
use mimamori_center::clock::ManualClock;
use mimamori_center::config::Config;
use mimamori_center::store::{Store, outbox, people};

use crate::harness::*;
use crate::smtp::{Received, Smtp};

const EV1: &str = "3b241101-e2bb-4255-8caf-4136c566a962";

pub(crate) fn mail_config(dir: &Path, port: u16) -> Config {
    let mut config = Config::parse(&format!(
        "[http]\nmax_body_bytes = 65536\n\
         [mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n\
         from = \"mimamori@center.example.jp\"\nfrom_name = \"南部町 見守りセンター\"\n\
         desk_name = \"南部町 健康福祉課\"\ndesk_phone = \"0859-00-0000\"\n\
         desk_email = \"kenko@town.example.jp\"\npublic_url = \"https://center.example.jp\"\n\
         dashboard_url = \"https://center.example.jp/dashboard\"\n\
         message_id_domain = \"center.example.jp\"\npoll_interval_ms = 50\nconcurrency = 2\ngroup_window_s = 1\n"
    ))
    .unwrap();
    config.data_dir = dir.to_path_buf();
    config
}

fn add_family(dir: &Path, resident: i64, name: &str, email: &str, policy: &str, now: Timestamp) {
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    store
        .transaction(|c| {
            people::add_family(
                c,
                resident,
                name,
                email,
                "長男",
                policy.parse().unwrap(),
                now,
            )
        })
        .unwrap();
}

fn outbox_rows(dir: &Path, failed_only: bool) -> Vec<outbox::OutboxRow> {
    let store = Store::open(&config(dir).database_path()).unwrap();
    outbox::list(store.connection(), failed_only, 100).unwrap()
}

async fn check_in(center: &Center, h: &Household) {
    let body = request(
        &h.device,
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            EV1,
            1,
            h.resident,
            &h.uid,
            "2026-11-29T09:00:00+09:00",
        )],
    );
    let (status, response) = center.sync(&h.token, &body).await;
    assert_eq!(status, 200, "{response}");
}

/// Waits until `pred` holds for the outbox (10 s at most).
async fn wait_outbox(dir: &Path, what: &str, pred: impl Fn(&[outbox::OutboxRow]) -> bool) {
    for _ in 0..200 {
        if pred(&outbox_rows(dir, false)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: outbox is {:#?}", outbox_rows(dir, false));
}

pub(crate) fn parse(received: &Received) -> mail_parser::Message<'_> {
    MessageParser::default().parse(&received.data).unwrap()
}

#[tokio::test]
async fn a_check_in_mails_every_check_in_contacts_once() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    let h = household(&dir, "nanbu-0101", "04A1B2D1", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "every_check_in",
        now,
    );
    add_family(
        &dir,
        h.resident,
        "山田 次郎",
        "jiro@example.jp",
        "concerns_only",
        now,
    );
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(mail_config(&dir, smtp.port), clock.clone()).await;

    check_in(&center, &h).await;
    check_in(&center, &h).await; // the box resends: stored once, mailed once
    clock.set(now + SignedDuration::from_secs(2)); // past the group window
    let got = smtp.wait_for(1).await;
    wait_outbox(&dir, "sent", |rows| rows.iter().all(|r| r.state == "sent")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "one mail, to the every_check_in contact"
    );
    assert_eq!(got[0].to, vec!["ichiro@example.jp".to_owned()]);

    let rows = outbox_rows(&dir, false);
    assert_eq!(rows.len(), 1);
    let message = parse(&got[0]);
    assert_eq!(message.subject(), Some("山田 花子さんの今日の記録"));
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(to.address(), Some("ichiro@example.jp"));
    assert_eq!(to.name(), Some("山田 一郎"));
    assert_eq!(
        message.message_id(),
        Some(format!("outbox-{}@center.example.jp", rows[0].id).as_str())
    );
    assert_eq!(rows[0].attempts, 1);
    center.stop().await;
}

#[tokio::test]
async fn mail_waits_while_the_server_is_down_and_goes_once_it_is_up() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::down();
    let h = household(&dir, "nanbu-0102", "04A1B2D2", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "every_check_in",
        now,
    );
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(mail_config(&dir, smtp.port), clock.clone()).await;

    check_in(&center, &h).await;
    clock.set(now + SignedDuration::from_secs(2));
    wait_outbox(&dir, "a failed attempt", |rows| {
        rows.len() == 1 && rows[0].attempts >= 1
    })
    .await;
    let row = &outbox_rows(&dir, false)[0];
    assert_eq!(row.state, "pending", "{row:?}");
    assert!(row.last_error.is_some(), "{row:?}");
    // Not due again before the backoff has passed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(outbox_rows(&dir, false)[0].attempts, 1);

    smtp.start();
    clock.set(now + SignedDuration::from_mins(2));
    let got = smtp.wait_for(1).await;
    wait_outbox(&dir, "sent", |rows| rows[0].state == "sent").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(parse(&got[0]).subject(), Some("山田 花子さんの今日の記録"));
    assert_eq!(outbox_rows(&dir, false)[0].attempts, 2);
    center.stop().await;
}

#[tokio::test]
async fn a_4xx_is_retried_and_then_delivered() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    smtp.temp_fail(true);
    let h = household(&dir, "nanbu-0103", "04A1B2D3", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "every_check_in",
        now,
    );
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(mail_config(&dir, smtp.port), clock.clone()).await;

    check_in(&center, &h).await;
    clock.set(now + SignedDuration::from_secs(2));
    wait_outbox(&dir, "a 451", |rows| {
        rows.len() == 1 && rows[0].attempts >= 1
    })
    .await;
    let row = &outbox_rows(&dir, false)[0];
    assert_eq!(row.state, "pending");
    assert!(
        row.last_error.as_deref().unwrap().contains("451"),
        "{row:?}"
    );

    smtp.temp_fail(false);
    clock.set(now + SignedDuration::from_mins(2));
    smtp.wait_for(1).await;
    wait_outbox(&dir, "sent", |rows| rows[0].state == "sent").await;
    center.stop().await;
}

#[tokio::test]
async fn a_5xx_fails_at_once_and_shows_per_contact() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    let h = household(&dir, "nanbu-0104", "04A1B2D4", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "bounce@example.jp",
        "every_check_in",
        now,
    );
    add_family(
        &dir,
        h.resident,
        "山田 桜",
        "sakura@example.jp",
        "every_check_in",
        now,
    );
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(mail_config(&dir, smtp.port), clock.clone()).await;

    check_in(&center, &h).await;
    clock.set(now + SignedDuration::from_secs(2));
    wait_outbox(&dir, "settled", |rows| {
        rows.len() == 2 && rows.iter().all(|r| r.state != "pending")
    })
    .await;
    let failed = outbox_rows(&dir, true);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].recipient, "bounce@example.jp");
    assert_eq!(failed[0].attempts, 1, "a 5xx is not retried");
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("550"),
        "{failed:?}"
    );
    assert_eq!(
        smtp.received().len(),
        1,
        "the other contact still gets hers"
    );

    let store = Store::open(&config(&dir).database_path()).unwrap();
    let bouncing = outbox::failing_contacts(store.connection()).unwrap();
    assert_eq!(bouncing.len(), 1);
    assert_eq!(bouncing[0].email, "bounce@example.jp");
    assert_eq!(bouncing[0].failed, 1);
    center.stop().await;

    // What the operator sees.
    let config = dir.join("center.toml");
    std::fs::write(&config, "data_dir = \".\"\n").unwrap();
    let admin = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimamori-center"))
            .arg("--config")
            .arg(&config)
            .args(["admin", "mail", "list"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let listed: serde_json::Value = serde_json::from_str(&admin(&["--failed", "--json"])).unwrap();
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["messages"][0]["recipient"], "bounce@example.jp");
    assert_eq!(listed["failing_contacts"][0]["email"], "bounce@example.jp");
    let text = admin(&[]);
    assert!(text.contains("family addresses that bounce"), "{text}");
    assert!(text.contains("bounce@example.jp"), "{text}");
    assert!(text.contains("550"), "{text}");
    assert!(text.contains("sakura@example.jp"), "{text}");

    // Per contact, as the dashboard and `admin family list` show it.
    let family = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimamori-center"))
            .arg("--config")
            .arg(&config)
            .args(["admin"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let listed: serde_json::Value =
        serde_json::from_str(&family(&["family", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["email"], "bounce@example.jp");
    assert_eq!(listed[0]["bounce"]["failed"], 1, "{listed}");
    assert!(
        listed[0]["bounce"]["last_error"]
            .as_str()
            .unwrap()
            .contains("550")
    );
    assert_eq!(listed[1]["bounce"], serde_json::Value::Null, "{listed}");
    let text = family(&["family", "list"]);
    assert!(text.contains("this address bounces: 1 failed"), "{text}");

    // The desk corrects the address: it no longer bounces, and the failed
    // message goes out again once queued again.
    let id = listed[0]["id"].to_string();
    family(&["family", "edit", &id, "--email", "ichiro@example.jp"]);
    let listed: serde_json::Value =
        serde_json::from_str(&family(&["family", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["bounce"], serde_json::Value::Null, "{listed}");
    assert!(family(&["mail", "retry", "--all"]).contains("1 messages queued again"));
    let rows = outbox_rows(&dir, false);
    assert!(rows.iter().all(|r| r.state != "failed"), "{rows:?}");
}

#[tokio::test]
async fn mail_enqueued_before_a_restart_is_delivered_after_it_once() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::down();
    let h = household(&dir, "nanbu-0105", "04A1B2D5", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "every_check_in",
        now,
    );
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(mail_config(&dir, smtp.port), clock).await;
    check_in(&center, &h).await;
    center.stop().await;
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"),
        1
    );

    smtp.start();
    let later = Arc::new(ManualClock::new(now + SignedDuration::from_mins(5)));
    let center = Center::start_with(mail_config(&dir, smtp.port), later).await;
    smtp.wait_for(1).await;
    wait_outbox(&dir, "sent", |rows| rows[0].state == "sent").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "delivered once");
    center.stop().await;
}

#[tokio::test]
async fn an_alert_mails_the_family_and_the_district_nurses() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    let h = household(&dir, "nanbu-0106", "04A1B2D6", now);
    add_family(
        &dir,
        h.resident,
        "山田 次郎",
        "jiro@example.jp",
        "concerns_only",
        now,
    );
    add_family(
        &dir,
        h.resident,
        "山田 三郎",
        "saburo@example.jp",
        "daily_digest",
        now,
    );
    {
        let mut store = Store::open(&config(&dir).database_path()).unwrap();
        store
            .transaction(|c| {
                people::add_staff(
                    c,
                    "sato",
                    "佐藤 恵",
                    people::Role::Nurse,
                    &["東町".into()],
                    "sato@town.example.jp",
                    now,
                )?;
                people::add_staff(
                    c,
                    "kato",
                    "加藤 守",
                    people::Role::Nurse,
                    &["西町".into()],
                    "kato@town.example.jp",
                    now,
                )
            })
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(now));
    let mut config = mail_config(&dir, smtp.port);
    config.sweep_interval = Duration::from_millis(100);
    let center = Center::start_with(config, clock.clone()).await;
    // A call requested opens an alert at once.
    let mut event = check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00");
    event["body"]["call_requested"] = serde_json::Value::Bool(true);
    let (status, response) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    clock.set(now + SignedDuration::from_secs(2)); // the nurse's group window
    let got = smtp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut to: Vec<String> = smtp.received().iter().flat_map(|r| r.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["jiro@example.jp", "sato@town.example.jp"], "{got:?}");
    let nurse = got
        .iter()
        .find(|r| r.to[0] == "sato@town.example.jp")
        .unwrap();
    assert!(
        parse(nurse)
            .subject()
            .unwrap()
            .starts_with("【見守り】新しいアラート")
    );

    // Unacknowledged for longer than escalate_after_hours (4): the sweep
    // escalates, and the district's nurse is told again.
    clock.set(now + SignedDuration::from_hours(5));
    wait_outbox(&dir, "the escalation queued", |rows| {
        rows.iter().any(|r| r.kind == "nurse_escalation")
    })
    .await;
    clock.set(now + SignedDuration::from_hours(5) + SignedDuration::from_secs(2));
    let got = smtp.wait_for(3).await;
    let escalation = parse(&got[2]);
    assert_eq!(got[2].to, ["sato@town.example.jp"]);
    assert!(
        escalation
            .subject()
            .unwrap()
            .starts_with("【見守り】対応されていません"),
        "{:?}",
        escalation.subject()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 3, "escalated once");
    center.stop().await;
}

#[test]
fn a_daily_digest_goes_out_at_its_time_with_the_week_as_a_table() {
    use mimamori_center::store::{sync, watch};
    let (_tmp, dir) = temp();
    let registered = at("2026-11-26T00:00:00Z");
    let h = household(&dir, "nanbu-0501", "04A1B2F1", registered);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "daily_digest",
        registered,
    );
    let cfg = mail_config(&dir, 2525);
    let mut store = Store::open(&cfg.database_path()).unwrap();

    // Check-ins on the 27th and the 29th (none on the 28th).
    for (id, day) in [
        ("3b241101-e2bb-4255-8caf-4136c566a963", 27),
        ("3b241101-e2bb-4255-8caf-4136c566a964", 29),
    ] {
        let sent = format!("2026-11-{day}T09:00:05+09:00");
        let body = request(
            &h.device,
            &sent,
            vec![check_in_event(
                id,
                day,
                h.resident,
                &h.uid,
                &format!("2026-11-{day}T09:00:00+09:00"),
            )],
        );
        let request: mimamori_protocol::SyncRequest =
            mimamori_protocol::decode(&serde_json::to_vec(&body).unwrap()).unwrap();
        let now = at(&format!("2026-11-{day}T00:00:05Z"));
        store
            .transaction(|c| sync::sync(c, &cfg, &sync::token_hash(&h.token), &request, now))
            .unwrap();
    }
    let sweep = |store: &mut Store, at_: &str| {
        store
            .transaction(|c| watch::sweep(c, &cfg, at(at_)))
            .unwrap()
            .digests
    };
    // The first sweep schedules the contact's 19:00; nothing before it.
    assert_eq!(sweep(&mut store, "2026-11-29T09:00:00Z"), 0);
    assert_eq!(sweep(&mut store, "2026-11-29T09:59:59Z"), 0);
    assert_eq!(
        sweep(&mut store, "2026-11-29T10:00:00Z"),
        1,
        "19:00 in Tokyo"
    );
    assert_eq!(sweep(&mut store, "2026-11-29T10:30:00Z"), 0, "once a day");

    let due = outbox::due(store.connection(), at("2026-11-29T10:00:00Z"), 10).unwrap();
    let digests: Vec<_> = due
        .iter()
        .filter(|p| p.payload.kind() == "family_digest")
        .collect();
    assert_eq!(digests.len(), 1);
    let message = digests[0]
        .compose(&cfg.mail.as_ref().unwrap().settings)
        .unwrap()
        .formatted();
    let parsed = MessageParser::default().parse(&message).unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(
        parsed.subject().unwrap().contains("山田 花子"),
        "{:?}",
        parsed.subject()
    );
    assert!(
        text.contains("記録なし"),
        "the 28th had no check-in:\n{text}"
    );
    assert!(text.contains("よい"), "{text}");
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address().unwrap(),
        "ichiro@example.jp"
    );
    assert!(parsed.header("List-Unsubscribe").is_some());
}

/// A family mail as it arrives, read back with an independent MIME parser:
/// the headers, their RFC 2047 encoding, both bodies, and the unsubscribe
/// link working end to end against the same center.
#[tokio::test]
async fn a_family_mail_reads_right_and_its_unsubscribe_link_works() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    let h = household(&dir, "nanbu-0107", "04A1B2D7", now);
    add_family(
        &dir,
        h.resident,
        "山田 一郎",
        "ichiro@example.jp",
        "every_check_in",
        now,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = mail_config(&dir, smtp.port);
    let mail = config.mail.as_mut().unwrap();
    mail.settings.public_url = url.clone();
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_on(listener, config, clock.clone());

    let mut event = check_in_event(EV1, 1, h.resident, &h.uid, "2026-11-29T09:00:00+09:00");
    event["body"]["symptoms"] = serde_json::json!(["cough"]);
    let (status, response) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-29T09:00:05+09:00", vec![event]),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    clock.set(now + SignedDuration::from_secs(2));
    let got = smtp.wait_for(1).await;
    let raw = String::from_utf8(got[0].data.clone()).unwrap();
    let m = parse(&got[0]);

    // Headers: encoded on the wire, Japanese once decoded.
    let raw_headers = &raw[..raw.find("\r\n\r\n").unwrap()];
    assert!(
        raw_headers.is_ascii(),
        "headers must be 7-bit:\n{raw_headers}"
    );
    assert!(raw_headers.contains("Subject: =?utf-8?b?"), "{raw_headers}");
    assert_eq!(m.subject(), Some("山田 花子さんの今日の記録"));
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("南部町 見守りセンター"));
    assert_eq!(from.address(), Some("mimamori@center.example.jp"));
    let reply_to = m.reply_to().unwrap().first().unwrap();
    assert_eq!(reply_to.name(), Some("南部町 健康福祉課"));
    assert_eq!(reply_to.address(), Some("kenko@town.example.jp"));
    assert_eq!(m.to().unwrap().first().unwrap().name(), Some("山田 一郎"));
    let rows = outbox_rows(&dir, false);
    assert_eq!(
        m.message_id(),
        Some(format!("outbox-{}@center.example.jp", rows[0].id).as_str())
    );
    // The Date is the row's creation, which is the check-in's arrival.
    assert_eq!(m.date().unwrap().to_timestamp(), now.as_second());
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );

    // Both bodies, UTF-8.
    let ct = m.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );
    let text = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    for body in [&*text, &*html] {
        assert!(body.contains("山田 一郎 様"), "{body}");
        assert!(body.contains("よい"), "{body}");
        assert!(body.contains("せき"), "{body}");
        assert!(body.contains("128/80"), "{body}");
        assert!(body.contains("南部町 健康福祉課"), "{body}");
    }
    assert!(html.contains("<table"), "{html}");

    // The unsubscribe link: the header a mail client uses, and the footer.
    let link = m
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(link.starts_with(&format!("{url}/unsubscribe/")), "{link}");
    assert!(text.contains(&link), "{text}");
    assert_eq!(
        m.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let done = reqwest::Client::new()
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);

    // The next check-in mails nobody.
    let next = check_in_event(
        "3b241101-e2bb-4255-8caf-4136c566a970",
        2,
        h.resident,
        &h.uid,
        "2026-11-30T09:00:00+09:00",
    );
    let (status, _) = center
        .sync(
            &h.token,
            &request(&h.device, "2026-11-30T09:00:05+09:00", vec![next]),
        )
        .await;
    assert_eq!(status, 200);
    clock.set(now + SignedDuration::from_hours(25));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(outbox_rows(&dir, false).len(), 1, "nothing new queued");
    assert_eq!(smtp.received().len(), 1);
    center.stop().await;
}
