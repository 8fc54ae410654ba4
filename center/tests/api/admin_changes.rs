//! More of the admin pages over real HTTP: a new token for a box replaces
//! the old one, a card unbound, the care plan, a family contact changed and
//! removed, a nurse's districts changed (her session ends), a password and a
//! TOTP reset; notices published and retired, particulars edited, a pause.

use mimamori_center::store::people::Role;

use crate::admin_pages::{admin_web, multipart, one};
use crate::harness::*;
use crate::web::*;

#[tokio::test]
async fn tokens_cards_contacts_and_staff_change_from_the_pages() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0501", "04A1B2C5", now);
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;
    let csrf = web.get("/dashboard/admin/boxes").await.csrf();

    // A new token: the old one is refused, the new one syncs.
    let page = web
        .post(
            "/dashboard/admin/boxes/nanbu-0501/token",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    let at = text.find("word-break:break-all\">").unwrap() + "word-break:break-all\">".len();
    let token = &text[at..at + text[at..].find('<').unwrap()];
    let body = request(
        "nanbu-0501",
        "2026-11-29T09:00:05+09:00",
        vec![check_in_event(
            "3b241101-e2bb-4255-8caf-4136c566a951",
            1,
            h.resident,
            &h.uid,
            "2026-11-29T09:00:00+09:00",
        )],
    );
    assert_eq!(center.sync(&h.token, &body).await.0, 401);
    assert_eq!(center.sync(token, &body).await.0, 200);

    // The card unbound: gone from the page and the table.
    let card = one(&dir, "SELECT id FROM cards");
    let page = web
        .post(
            &format!("/dashboard/admin/cards/{card}/unbind"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM cards"), 0);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/dashboard/admin/residents/{}?done=unbound", h.resident).as_str())
    );
    let resident_page = web.get(page.location.as_deref().unwrap()).await;
    assert!(resident_page.text().contains("カードの登録を解除しました"));
    assert!(resident_page.text().contains("カードが登録されていません"));
    // A UID bound again through the multipart form.
    let (content_type, body) = multipart(&[("csrf", &csrf), ("uid", "04A1B2C5")], None);
    let page = web
        .post_raw(
            &format!("/dashboard/admin/residents/{}/cards", h.resident),
            &content_type,
            body,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());

    // The care plan: evening pills and weight, a deadline at 11:00.
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{}/plan", h.resident),
            &[
                ("csrf", &csrf),
                ("med_evening", "on"),
                ("vital_weight", "on"),
                ("reminder", "08:30"),
                ("deadline", "11:00"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let plan = one(&dir, "SELECT care_plan FROM residents");
    assert!(
        plan.contains("evening")
            && !plan.contains("morning")
            && plan.contains("weight")
            && plan.contains("11:00"),
        "{plan}"
    );
    let edit = web
        .get(&format!("/dashboard/admin/residents/{}", h.resident))
        .await
        .text();
    assert!(
        edit.contains("name=\"med_evening\" checked") && edit.contains("value=\"11:00\""),
        "{edit}"
    );
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{}/plan", h.resident),
            &[("csrf", &csrf), ("deadline", "noon")],
        )
        .await;
    assert_eq!(page.status, 400);

    // A contact changed, then removed: gone from the lists, records kept.
    web.post(
        &format!("/dashboard/admin/residents/{}/family", h.resident),
        &[
            ("csrf", &csrf),
            ("name", "山田 一郎"),
            ("email", "ichiro@example.jp"),
            ("policy", "daily_digest"),
        ],
    )
    .await;
    let contact = one(&dir, "SELECT id FROM family_contacts");
    let page = web
        .post(
            &format!("/dashboard/admin/family/{contact}"),
            &[
                ("csrf", &csrf),
                ("name", "山田 一郎"),
                ("email", "ichiro@mail.example.jp"),
                ("policy", "concerns_only"),
                ("relation", "長男"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(&dir, "SELECT email || ' ' || policy FROM family_contacts"),
        "ichiro@mail.example.jp concerns_only"
    );
    let page = web
        .post(
            &format!("/dashboard/admin/family/{contact}/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    let resident_page = web
        .get(&format!("/dashboard/admin/residents/{}", h.resident))
        .await
        .text();
    assert!(
        !resident_page.contains("ichiro@mail.example.jp"),
        "{resident_page}"
    );
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM consent_records"),
        1,
        "history stays"
    );
    // A bad address is refused with the reason, nothing changes.
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{}/family", h.resident),
            &[
                ("csrf", &csrf),
                ("name", "誰か"),
                ("email", "not-an-address"),
                ("policy", "daily_digest"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.text().contains("not-an-address"), "{}", page.text());

    // A nurse's districts change: her session ends, she sees the new one.
    let mut nurse = Web::new(&center.url);
    assert_eq!(nurse.sign_in("tanaka", PASSWORD).await.status, 303);
    let page = web
        .post(
            "/dashboard/admin/staff/tanaka",
            &[
                ("csrf", &csrf),
                ("action", "role"),
                ("role", "nurse"),
                ("districts", "西町"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(nurse.get("/dashboard/").await.status, 303, "signed out");
    assert_eq!(
        one(&dir, "SELECT districts FROM staff WHERE login = 'tanaka'"),
        r#"["西町"]"#
    );
    // A new password, then a TOTP reset.
    let page = web
        .post(
            "/dashboard/admin/staff/tanaka",
            &[
                ("csrf", &csrf),
                ("action", "password"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    web.post(
        "/dashboard/admin/staff/tanaka",
        &[
            ("csrf", &csrf),
            ("action", "password"),
            ("password", "another-long-one"),
        ],
    )
    .await;
    assert_eq!(nurse.sign_in("tanaka", PASSWORD).await.status, 401);
    assert_eq!(
        nurse.sign_in("tanaka", "another-long-one").await.status,
        303
    );
    let page = web
        .post(
            "/dashboard/admin/staff/tanaka",
            &[("csrf", &csrf), ("action", "reset_totp")],
        )
        .await;
    assert_eq!(page.status, 303);
    // An administrator cannot disable themself.
    let page = web
        .post(
            "/dashboard/admin/staff/sato",
            &[("csrf", &csrf), ("action", "disable")],
        )
        .await;
    assert_eq!(page.status, 400);

    let log: Vec<String> = audit_rows(&dir).into_iter().map(|r| r.1).collect();
    for action in [
        "admin.box.token",
        "admin.card.unbind",
        "admin.resident.plan",
        "admin.family.edit",
        "admin.family.remove",
        "admin.staff.role",
        "admin.staff.password",
        "admin.staff.reset_totp",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }
    center.stop().await;
}

#[tokio::test]
async fn notices_are_published_and_retired_and_residents_edited_and_paused() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let resident = resident_in(&dir, "山田 花子", "やまだ はなこ", "東町", now);
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;
    let csrf = web.get("/dashboard/admin/notices").await.csrf();
    let page = web
        .post(
            "/dashboard/admin/notices",
            &[
                ("csrf", &csrf),
                ("title", "健康まつりのお知らせ"),
                ("body", "12月5日に公民館で開きます。"),
                ("important", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let notice = one(&dir, "SELECT id FROM notices");
    let page = web
        .post(
            &format!("/dashboard/admin/notices/{notice}/retire"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(
        web.get("/dashboard/admin/notices")
            .await
            .text()
            .contains("取り下げ済み")
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM notices WHERE withdrawn_at IS NOT NULL"
        ),
        1
    );

    let page = web
        .post(
            &format!("/dashboard/admin/residents/{resident}"),
            &[
                ("csrf", &csrf),
                ("name", "山田 花子"),
                ("kana", "やまだ はなこ"),
                ("district", "西町"),
                ("phone", "0859-11-2222"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(&dir, "SELECT district || ' ' || phone FROM residents"),
        "西町 0859-11-2222"
    );
    let page = web
        .post(
            &format!("/dashboard/admin/residents/{resident}/pause"),
            &[
                ("csrf", &csrf),
                ("action", "pause"),
                ("through", "2026-12-10"),
                ("reason", "hospital"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(&dir, "SELECT paused_through FROM residents"),
        "2026-12-10"
    );
    web.post(
        &format!("/dashboard/admin/residents/{resident}/pause"),
        &[("csrf", &csrf), ("action", "end")],
    )
    .await;
    // Ended early, a pause ends yesterday (the silence count restarts there).
    assert_eq!(
        one(&dir, "SELECT paused_through FROM residents"),
        "2026-11-28"
    );
    let page = web
        .get(&format!("/dashboard/admin/residents/{resident}"))
        .await
        .text();
    assert!(
        page.contains("一時停止する") && !page.contains("一時停止中"),
        "{page}"
    );
    // Paging: the list of residents says which page it is on.
    let list = web.get("/dashboard/admin/residents?page=0").await.text();
    assert!(
        list.contains("1ページ目") && !list.contains("次の50人"),
        "{list}"
    );
    center.stop().await;
}
