//! The nurses' dashboard over real HTTP on 127.0.0.1 against a SQLite file:
//! sign-in, sessions, CSRF, lockout, TOTP, the audit log's triggers.

use std::sync::Arc;

use jiff::SignedDuration;
use mimamori_center::clock::ManualClock;
use mimamori_center::dashboard::totp;
use mimamori_center::store::Store;
use mimamori_center::store::people::Role;

use crate::harness::*;
use crate::web::*;

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_logout_ends_the_session() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let (center, _clock) = start(&dir, now).await;
    let mut web = Web::new(&center.url);

    let page = web.get("/dashboard/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/dashboard/login"));

    let page = web.sign_in("tanaka", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(page.location.as_deref(), Some("/dashboard/"));
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("mm_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/dashboard"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let page = web.get("/dashboard/").await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("通知の一覧") && text.contains("田中 保健師"),
        "{text}"
    );
    assert_eq!(
        page.headers.get("cache-control").unwrap(),
        "no-store",
        "health data is not cached"
    );
    assert!(page.headers.get("content-security-policy").is_some());

    // Logging out needs the session's CSRF token too.
    let csrf = page.csrf();
    let refused = web.post("/dashboard/logout", &[("csrf", "forged")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(web.get("/dashboard/").await.status, 200, "still signed in");
    let token = web.cookies["mm_session"].clone();
    let page = web.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    assert!(!web.cookies.contains_key("mm_session"));
    // The old cookie is dead on the server too.
    web.cookies.insert("mm_session".into(), token);
    assert_eq!(web.get("/dashboard/").await.status, 303);

    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    assert_eq!(actions, ["login", "logout"]);
    center.stop().await;
}

#[tokio::test]
async fn the_secure_flag_follows_the_configuration() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let mut config = config_without_nurse_totp(&dir);
    config.dashboard.secure_cookie = true;
    let center = Center::start_with(config, Arc::new(ManualClock::new(now))).await;
    let mut web = Web::new(&center.url);
    let page = web.sign_in("tanaka", PASSWORD).await;
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("mm_session="))
        .unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    center.stop().await;
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let h = household(&dir, "nanbu-0101", "04A1B2C3", now);
    let later = at("2026-12-02T04:00:00Z");
    sweep(&config(&dir), later);
    let (center, _clock) = start(&dir, later).await;
    let mut web = Web::new(&center.url);

    // The sign-in form pairs its token with a cookie: a token from elsewhere fails.
    let page = web
        .post(
            "/dashboard/login",
            &[("csrf", "abc"), ("login", "tanaka"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page.text().contains("有効期限が切れました"));

    assert_eq!(web.sign_in("tanaka", PASSWORD).await.status, 303);
    let queue = web.get("/dashboard/").await;
    assert!(
        queue.text().contains("記録が途絶えています"),
        "{}",
        queue.text()
    );
    let alert = alert_id(&dir, h.resident);
    for csrf in ["", "0123"] {
        let page = web
            .post(&format!("/dashboard/alerts/{alert}/ack"), &[("csrf", csrf)])
            .await;
        assert_eq!(page.status, 403);
    }
    assert_eq!(alert_state(&dir, alert), "open", "nothing changed");
    let page = web
        .post(
            &format!("/dashboard/alerts/{alert}/ack"),
            &[("csrf", &queue.csrf())],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(alert_state(&dir, alert), "acknowledged");
    center.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_login_until_the_lockout_passes() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let (center, clock) = start(&dir, now).await;
    let mut web = Web::new(&center.url);
    for attempt in 1..=5 {
        let page = web.sign_in("tanaka", "wrong password!").await;
        assert_eq!(page.status, 401, "attempt {attempt}");
        if attempt < 5 {
            assert!(page.text().contains("パスワードが違います"));
        }
    }
    // Locked: even the right password is refused, and says until when.
    let page = web.sign_in("tanaka", PASSWORD).await;
    assert_eq!(page.status, 429);
    assert!(
        page.text().contains("2026-11-29 09:15 まで"),
        "{}",
        page.text()
    );
    assert!(!web.cookies.contains_key("mm_session"));

    clock.set(now + SignedDuration::from_mins(14));
    assert_eq!(web.sign_in("tanaka", PASSWORD).await.status, 429);
    clock.set(now + SignedDuration::from_mins(16));
    assert_eq!(web.sign_in("tanaka", PASSWORD).await.status, 303);

    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    assert_eq!(actions.iter().filter(|a| *a == "login.failed").count(), 5);
    assert_eq!(actions.iter().filter(|a| *a == "login.locked").count(), 2);
    assert_eq!(actions.last().unwrap(), "login");
    // An unknown login counts against the address as well, and is not told apart.
    let page = web.sign_in("nobody", PASSWORD).await;
    assert_eq!(page.status, 401);
    assert!(page.text().contains("ログイン名またはパスワードが違います"));
    center.stop().await;
}

#[tokio::test]
async fn administrators_enrol_totp_then_need_a_fresh_code_each_time() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "sato", "佐藤 課長", Role::Admin, &[], now);
    let (center, clock) = start(&dir, now).await;
    let mut web = Web::new(&center.url);

    // Password right: the enrolment comes next, nothing else opens yet.
    let page = web.sign_in("sato", PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/totp"));
    assert_eq!(
        web.get("/dashboard/").await.location.as_deref(),
        Some("/dashboard/totp")
    );
    let enrol = web.get("/dashboard/totp").await;
    assert_eq!(enrol.status, 200);
    let text = enrol.text();
    assert!(text.contains("<svg"), "the QR code is inline SVG");
    let key_at = text.find("<code style=\"font-size:20px\">").unwrap();
    let key = &text[key_at + "<code style=\"font-size:20px\">".len()..];
    let key = &key[..key.find('<').unwrap()];
    let secret = base32_decode(key);
    assert_eq!(secret.len(), 20);

    let page = web
        .post(
            "/dashboard/totp",
            &[("csrf", &enrol.csrf()), ("code", "000000")],
        )
        .await;
    assert_eq!(page.status, 401);
    let code = totp::code_at(&secret, now);
    let page = web
        .post(
            "/dashboard/totp",
            &[("csrf", &enrol.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/dashboard/"),
        "{}",
        page.text()
    );
    let queue = web.get("/dashboard/").await;
    assert_eq!(queue.status, 200);
    web.post("/dashboard/logout", &[("csrf", &queue.csrf())])
        .await;

    // Next time: password, then the code. The enrolment's code does not work twice.
    let page = web.sign_in("sato", PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/login/totp"));
    let form = web.get("/dashboard/login/totp").await;
    let page = web
        .post(
            "/dashboard/login/totp",
            &[("csrf", &form.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(page.status, 401, "a used code is refused");
    clock.set(now + SignedDuration::from_secs(30));
    let code = totp::code_at(&secret, now + SignedDuration::from_secs(30));
    let page = web
        .post(
            "/dashboard/login/totp",
            &[("csrf", &form.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/dashboard/"));
    // The audit page, filtered by action.
    let audit = web.get("/dashboard/audit?action=login.totp").await;
    assert_eq!(audit.status, 200);
    let text = audit.text();
    assert!(text.contains("login.totp_failed"), "{text}");
    assert!(!text.contains("totp.enrol"), "{text}");

    let actions: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    assert_eq!(
        actions,
        [
            "login.password",
            "totp.enrol",
            "logout",
            "login.password",
            "login.totp_failed",
            "login"
        ]
    );
    center.stop().await;
}

#[tokio::test]
async fn sessions_end_when_idle_and_after_their_lifetime() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let (center, clock) = start(&dir, now).await;
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;

    // Idle for 59 minutes: still signed in; the request counts as use.
    clock.set(now + SignedDuration::from_mins(59));
    assert_eq!(web.get("/dashboard/").await.status, 200);
    // Idle for 61 minutes after that: ended.
    clock.set(now + SignedDuration::from_mins(59 + 61));
    assert_eq!(
        web.get("/dashboard/").await.location.as_deref(),
        Some("/dashboard/login")
    );

    // In use all day: ended 10 hours after signing in all the same.
    let start_at = now + SignedDuration::from_hours(3);
    clock.set(start_at);
    web.sign_in("tanaka", PASSWORD).await;
    for minutes in (50..600).step_by(50) {
        clock.set(start_at + SignedDuration::from_mins(minutes));
        assert_eq!(
            web.get("/dashboard/visits").await.status,
            200,
            "{minutes} min"
        );
    }
    clock.set(start_at + SignedDuration::from_mins(600));
    assert_eq!(web.get("/dashboard/visits").await.status, 303);
    center.stop().await;
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let config = config_without_nurse_totp(&dir);
    let (center, _clock) = start(&dir, now).await;
    let mut web = Web::new(&center.url);
    web.sign_in("tanaka", PASSWORD).await;
    center.stop().await;

    let store = Store::open(&config.database_path()).unwrap();
    let conn = store.connection();
    let before: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, 1);
    for sql in [
        "UPDATE audit_log SET login = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let error = conn.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    let login: String = conn
        .query_row("SELECT login FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(login, "tanaka");
}
