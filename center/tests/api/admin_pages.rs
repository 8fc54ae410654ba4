//! The administrators' pages over real HTTP against a SQLite file: a box's
//! token issued on the page syncs and stops at its revocation, residents,
//! cards, family contacts, consent and its withdrawal (in the mail a real
//! SMTP server receives), staff accounts disabled, nurses kept out, forged
//! forms refused.

use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use mail_parser::MessageParser;
use mimamori_center::clock::ManualClock;
use mimamori_center::dashboard::totp;
use mimamori_center::store::Store;
use mimamori_center::store::dashboard::auth;
use mimamori_center::store::people::Role;

use crate::harness::*;
use crate::smtp::Smtp;
use crate::web::*;

/// The TOTP secret of the administrator `sato`.
pub(crate) const SECRET: &[u8] = b"12345678901234567890";

/// Adds the administrator `sato` with the test password and [`SECRET`] enrolled.
pub(crate) fn admin_with_totp(dir: &Path, now: Timestamp) {
    staff(dir, "sato", "佐藤 課長", Role::Admin, &[], now);
    let mut store = Store::open(&config(dir).database_path()).unwrap();
    let id = staff_id(dir, "sato");
    store
        .transaction(|c| auth::enrol_totp(c, id, SECRET, 0))
        .unwrap();
}

/// An administrator with an enrolled TOTP secret, signed in with both factors.
pub(crate) async fn admin_web(dir: &Path, url: &str, now: Timestamp) -> Web {
    admin_with_totp(dir, now);
    let mut web = Web::new(url);
    let page = web.sign_in("sato", PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/login/totp"));
    let form = web.get("/dashboard/login/totp").await;
    let page = web
        .post(
            "/dashboard/login/totp",
            &[
                ("csrf", &form.csrf()),
                ("code", &totp::code_at(SECRET, now)),
            ],
        )
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/dashboard/"),
        "{}",
        page.text()
    );
    web
}

/// The text between `start` and the next `<`.
fn between(text: &str, start: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in\n{text}"));
    let rest = &text[at + start.len()..];
    rest[..rest.find('<').unwrap()].to_owned()
}

pub(crate) fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----mimamori-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"card.der\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) fn one(dir: &Path, sql: &str) -> String {
    let store = Store::open(&config(dir).database_path()).unwrap();
    store
        .connection()
        .query_row(sql, [], |row| {
            Ok(match row.get::<_, rusqlite::types::Value>(0)? {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
        })
        .unwrap()
}

fn actions(dir: &Path) -> Vec<String> {
    audit_rows(dir).into_iter().map(|r| r.1).collect()
}

#[tokio::test]
async fn an_administrator_sets_up_a_household_from_the_pages() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;

    // A box: its token is on the answer page once, and only its hash is kept.
    let boxes = web.get("/dashboard/admin/boxes").await;
    assert_eq!(boxes.status, 200, "{}", boxes.text());
    let page = web
        .post(
            "/dashboard/admin/boxes",
            &[
                ("csrf", &boxes.csrf()),
                ("device_id", "nanbu-0301"),
                ("label", "東町 1-2"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let token = between(&page.text(), "word-break:break-all\">");
    assert!(token.starts_with("mmb_"), "{token}");
    let hex_hash = one(&dir, "SELECT hex(token_hash) FROM boxes");
    assert_eq!(
        hex_hash,
        hex::encode_upper(mimamori_center::store::sync::token_hash(&token))
    );
    let list = web.get("/dashboard/admin/boxes").await.text();
    assert!(
        list.contains("nanbu-0301") && !list.contains(&token),
        "{list}"
    );

    // A resident on that box, with a morning pill and blood pressure.
    let page = web
        .post(
            "/dashboard/admin/residents",
            &[
                ("csrf", &boxes.csrf()),
                ("name", "山田 花子"),
                ("kana", "やまだ はなこ"),
                ("district", "東町"),
                ("box", "nanbu-0301"),
                ("med_morning", "on"),
                ("vital_blood_pressure", "on"),
                ("reminder", "09:00"),
                ("deadline", "12:00"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let location = page.location.unwrap();
    let resident: i64 = location
        .trim_start_matches("/dashboard/admin/residents/")
        .trim_end_matches("?done=added")
        .parse()
        .unwrap();
    let record = web.get(&location).await;
    assert!(record.text().contains("登録しました"), "{}", record.text());

    // A trial card by UID and a JPKI certificate file (DER).
    let csrf = record.csrf();
    let (content_type, body) = multipart(&[("csrf", &csrf), ("uid", "04A1B2C3")], None);
    let page = web
        .post_raw(
            &format!("/dashboard/admin/residents/{resident}/cards"),
            &content_type,
            body,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let (der, _pem) = crate::jpki::certificate((2025, 1), (2030, 1));
    let (content_type, body) = multipart(&[("csrf", &csrf), ("uid", "")], Some(("cert", &der)));
    let page = web
        .post_raw(
            &format!("/dashboard/admin/residents/{resident}/cards"),
            &content_type,
            body,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(
            &dir,
            "SELECT group_concat(kind) FROM (SELECT kind FROM cards ORDER BY id)"
        ),
        "card_uid,jpki"
    );
    // Not a certificate: refused, nothing bound.
    let (content_type, body) = multipart(&[("csrf", &csrf)], Some(("cert", b"not a certificate")));
    let page = web
        .post_raw(
            &format!("/dashboard/admin/residents/{resident}/cards"),
            &content_type,
            body,
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains("証明書として読めません"),
        "{}",
        page.text()
    );

    // The token from the page syncs the resident's check-in.
    let body = request(
        "nanbu-0301",
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            "3b241101-e2bb-4255-8caf-4136c566a901",
            1,
            resident,
            "04A1B2C3",
            "2026-11-29T09:00:00+09:00",
        )],
    );
    let (status, response) = center.sync(&token, &body).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        response["acked"].as_array().map(Vec::len),
        Some(1),
        "{response}"
    );
    let boxes = web.get("/dashboard/admin/boxes").await;
    assert!(
        boxes.text().contains("分前") || boxes.text().contains("たった今"),
        "{}",
        boxes.text()
    );

    // A family contact, then a withdrawal of what they see.
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{resident}/family"),
            &[
                ("csrf", &csrf),
                ("name", "山田 一郎"),
                ("relation", "長男"),
                ("email", "ichiro@example.jp"),
                ("policy", "every_check_in"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let contact = one(&dir, "SELECT id FROM family_contacts");
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{resident}/consent"),
            &[
                ("csrf", &csrf),
                ("audience", &contact),
                ("action", "withdraw"),
                ("item_vitals", "on"),
                ("item_medication", "on"),
                ("agreed_on", "2026-11-29"),
                ("note", "訪問時に口頭で"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(&dir, "SELECT consent FROM family_contacts"),
        r#"{"condition":true,"symptoms":true,"medication":false,"vitals":false,"call_request":true}"#
    );
    let admin_page = web
        .get(&format!("/dashboard/admin/residents/{resident}"))
        .await
        .text();
    assert!(
        admin_page.contains("撤回") && admin_page.contains("訪問時に口頭で"),
        "{admin_page}"
    );
    let nurse_view = web
        .get(&format!("/dashboard/residents/{resident}"))
        .await
        .text();
    assert!(
        nurse_view.contains("同意の記録") && nurse_view.contains("撤回"),
        "{nurse_view}"
    );

    // Revoked on the page: the same token is refused.
    let page = web
        .post(
            "/dashboard/admin/boxes/nanbu-0301/revoke",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    let (status, _) = center.sync(&token, &body).await;
    assert_eq!(status, 401);

    let log = actions(&dir);
    for action in [
        "admin.box.add",
        "admin.resident.add",
        "admin.card.bind",
        "admin.family.add",
        "admin.consent.withdraw",
        "admin.box.revoke",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }
    center.stop().await;
}

#[tokio::test]
async fn a_withdrawn_consent_leaves_those_items_out_of_the_family_mail() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let smtp = Smtp::up();
    let h = household(&dir, "nanbu-0302", "04A1B2C4", now);
    let clock = Arc::new(ManualClock::new(now));
    let center = Center::start_with(crate::mail::mail_config(&dir, smtp.port), clock.clone()).await;
    let mut web = admin_web(&dir, &center.url, now).await;
    let page = web
        .get(&format!("/dashboard/admin/residents/{}", h.resident))
        .await;
    let csrf = page.csrf();
    let added = web
        .post(
            &format!("/dashboard/admin/residents/{}/family", h.resident),
            &[
                ("csrf", &csrf),
                ("name", "山田 一郎"),
                ("email", "ichiro@example.jp"),
                ("policy", "every_check_in"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.text());

    let check_in = |id: &'static str, seq: u64, day: &str| {
        request(
            &h.device,
            &format!("{day}T09:00:05+09:00"),
            vec![check_in_event(
                id,
                seq,
                h.resident,
                &h.uid,
                &format!("{day}T09:00:00+09:00"),
            )],
        )
    };
    let body_of = |n: usize, got: &[crate::smtp::Received]| {
        MessageParser::default()
            .parse(&got[n].data)
            .unwrap()
            .body_text(0)
            .unwrap()
            .into_owned()
    };
    let (status, _) = center
        .sync(
            &h.token,
            &check_in("3b241101-e2bb-4255-8caf-4136c566a911", 1, "2026-11-29"),
        )
        .await;
    assert_eq!(status, 200);
    clock.set(now + SignedDuration::from_secs(2));
    let got = smtp.wait_for(1).await;
    let first = body_of(0, &got);
    assert!(
        first.contains("128/80") && first.contains("体調"),
        "{first}"
    );

    let page = web
        .post(
            &format!("/dashboard/admin/residents/{}/consent", h.resident),
            &[
                ("csrf", &csrf),
                ("audience", &one(&dir, "SELECT id FROM family_contacts")),
                ("action", "withdraw"),
                ("item_vitals", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let later = now + SignedDuration::from_hours(24);
    clock.set(later);
    let (status, _) = center
        .sync(
            &h.token,
            &check_in("3b241101-e2bb-4255-8caf-4136c566a912", 2, "2026-11-30"),
        )
        .await;
    assert_eq!(status, 200);
    clock.set(later + SignedDuration::from_secs(2));
    let got = smtp.wait_for(2).await;
    let second = body_of(1, &got);
    assert!(second.contains("体調"), "{second}");
    assert!(
        !second.contains("128/80") && !second.contains("測定"),
        "vitals withdrawn:\n{second}"
    );
    center.stop().await;
}

#[tokio::test]
async fn a_disabled_account_can_no_longer_sign_in() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let (center, _clock) = start(&dir, now).await;
    let mut admin = admin_web(&dir, &center.url, now).await;
    let page = admin.get("/dashboard/admin/staff").await;
    let csrf = page.csrf();
    let added = admin
        .post(
            "/dashboard/admin/staff",
            &[
                ("csrf", &csrf),
                ("login", "suzuki"),
                ("name", "鈴木 保健師"),
                ("role", "nurse"),
                ("districts", "東町、西町"),
                ("password", "a-long-passphrase"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.text());
    let mut nurse = Web::new(&center.url);
    let page = nurse.sign_in("suzuki", "a-long-passphrase").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/dashboard/"),
        "{}",
        page.text()
    );
    assert_eq!(nurse.get("/dashboard/").await.status, 200);

    let page = admin
        .post(
            "/dashboard/admin/staff/suzuki",
            &[("csrf", &csrf), ("action", "disable")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    // Her session ended, and signing in fails like a wrong password.
    assert_eq!(nurse.get("/dashboard/").await.status, 303);
    let page = nurse.sign_in("suzuki", "a-long-passphrase").await;
    assert_ne!(page.location.as_deref(), Some("/dashboard/"));
    assert_eq!(page.status, 401, "{}", page.text());
    assert!(
        admin
            .get("/dashboard/admin/staff")
            .await
            .text()
            .contains("停止中")
    );

    // Enabled again: she signs in.
    admin
        .post(
            "/dashboard/admin/staff/suzuki",
            &[("csrf", &csrf), ("action", "enable")],
        )
        .await;
    let page = nurse.sign_in("suzuki", "a-long-passphrase").await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/"));
    let log = actions(&dir);
    for action in [
        "admin.staff.add",
        "admin.staff.disable",
        "admin.staff.enable",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }
    center.stop().await;
}

#[tokio::test]
async fn nurses_get_404_on_admin_pages_and_forged_forms_change_nothing() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let resident = resident_in(&dir, "山田 花子", "やまだ はなこ", "東町", now);
    let (center, _clock) = start(&dir, now).await;
    let mut nurse = Web::new(&center.url);
    assert_eq!(nurse.sign_in("tanaka", PASSWORD).await.status, 303);
    let csrf = nurse.get("/dashboard/").await.csrf();
    for path in [
        "/dashboard/admin/residents".to_owned(),
        format!("/dashboard/admin/residents/{resident}"),
        "/dashboard/admin/boxes".into(),
        "/dashboard/admin/staff".into(),
        "/dashboard/admin/notices".into(),
    ] {
        let page = nurse.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.text().contains("見つかりません"));
    }
    let page = nurse
        .post(
            "/dashboard/admin/boxes",
            &[("csrf", &csrf), ("device_id", "nanbu-0999")],
        )
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM boxes"), 0);
    let denied = audit_rows(&dir)
        .into_iter()
        .filter(|r| r.0 == "tanaka" && r.1 == "denied")
        .count();
    assert_eq!(denied, 6);

    // An administrator's form with a wrong token: 403, nothing added.
    let mut admin = admin_web(&dir, &center.url, now).await;
    for token in ["", "forged"] {
        let page = admin
            .post(
                "/dashboard/admin/residents",
                &[
                    ("csrf", token),
                    ("name", "偽 太郎"),
                    ("kana", "にせ たろう"),
                    ("district", "東町"),
                ],
            )
            .await;
        assert_eq!(page.status, 403);
    }
    let (content_type, body) = multipart(&[("csrf", "forged"), ("uid", "04A1B2C9")], None);
    let page = admin
        .post_raw(
            &format!("/dashboard/admin/residents/{resident}/cards"),
            &content_type,
            body,
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM residents"), 1);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM cards"), 0);
    center.stop().await;
}
