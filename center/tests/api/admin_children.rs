//! The administrators' pages for tap stations and children over real
//! HTTP: a station's token shown once, children with cards and guardians,
//! the children list uploaded as CSV (all rows or none), nurses kept out,
//! forms without the session's CSRF token refused.

use std::path::PathBuf;

use crate::admin_pages::{admin_web, multipart, one};
use crate::harness::*;
use crate::web::*;
use mimamori_center::store::people::Role;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "import", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The token on a token page.
fn token_on(text: &str) -> String {
    let start = "word-break:break-all\">";
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no token in\n{text}"));
    let rest = &text[at + start.len()..];
    rest[..rest.find('<').unwrap()].to_owned()
}

fn people_rev(dir: &std::path::Path) -> String {
    one(dir, "SELECT value FROM counters WHERE name = 'people_rev'")
}

#[tokio::test]
async fn an_administrator_adds_a_station_and_sees_its_token_once() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;

    let list = web.get("/dashboard/admin/stations").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains("タップ端末はまだ登録されていません"));
    let csrf = list.csrf();
    let page = web
        .post(
            "/dashboard/admin/stations",
            &[
                ("csrf", &csrf),
                ("place", "南部小学校"),
                ("kind", "school"),
                ("district", "東町"),
                ("device_id", "nanbu-st-0001"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains("タップ端末を登録しました"),
        "{}",
        page.text()
    );
    let token = token_on(&page.text());
    assert!(token.starts_with("mmb_"), "{token}");
    assert_eq!(
        one(
            &dir,
            "SELECT hex(b.token_hash) FROM boxes b JOIN stations s ON s.box_id = b.id"
        ),
        hex::encode_upper(mimamori_center::store::sync::token_hash(&token))
    );

    // The same device id again, or one that cannot be: refused in Japanese.
    for (device, message) in [
        (
            "nanbu-st-0001",
            "端末ID nanbu-st-0001 は既に登録されています",
        ),
        ("南部 1", "端末IDには英数字と"),
    ] {
        let page = web
            .post(
                "/dashboard/admin/stations",
                &[
                    ("csrf", &csrf),
                    ("place", "南部公民館"),
                    ("kind", "community_center"),
                    ("district", "東町"),
                    ("device_id", device),
                ],
            )
            .await;
        assert_eq!(page.status, 400);
        assert!(page.text().contains(message), "{}", page.text());
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM stations"), 1);

    // The list: the place, its kind in Japanese, never heard from (red),
    // and no token.
    let list = web.get("/dashboard/admin/stations").await.text();
    assert!(
        list.contains("南部小学校") && list.contains("学校") && list.contains("nanbu-st-0001"),
        "{list}"
    );
    assert!(
        list.contains("class=\"trouble\">まだ通信がありません"),
        "{list}"
    );
    assert!(!list.contains(&token));

    // The token works; a new one replaces it; revoking stops the new one.
    let (status, _) = center
        .sync(
            &token,
            &station_request("nanbu-st-0001", "2026-12-01T00:00:10Z", vec![]),
        )
        .await;
    assert_eq!(status, 200);
    let page = web
        .post(
            "/dashboard/admin/stations/nanbu-st-0001/token",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("前の鍵はもう使えません"));
    let second = token_on(&page.text());
    assert_ne!(second, token);
    let (status, _) = center
        .sync(
            &token,
            &station_request("nanbu-st-0001", "2026-12-01T00:00:20Z", vec![]),
        )
        .await;
    assert_eq!(status, 401);
    let page = web
        .post(
            "/dashboard/admin/stations/nanbu-st-0001/revoke",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let (status, _) = center
        .sync(
            &second,
            &station_request("nanbu-st-0001", "2026-12-01T00:00:30Z", vec![]),
        )
        .await;
    assert_eq!(status, 401);
    let list = web
        .get("/dashboard/admin/stations?done=revoked")
        .await
        .text();
    assert!(
        list.contains("無効") && list.contains("端末の鍵を無効にしました"),
        "{list}"
    );

    let rows: Vec<(String, String)> = audit_rows(&dir)
        .into_iter()
        .filter(|r| r.1.contains("station"))
        .map(|r| (r.0, r.1))
        .collect();
    let sato = |a: &str| ("sato".to_owned(), a.to_owned());
    assert_eq!(
        rows,
        [
            sato("station.add"),
            sato("admin.station.add"),
            sato("station.token"),
            sato("admin.station.token"),
            sato("station.revoke"),
            sato("admin.station.revoke"),
        ]
    );
    center.stop().await;
}

#[tokio::test]
async fn an_administrator_adds_a_child_a_card_and_a_guardian() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    household(&dir, "nanbu-0001", "04DEAD01", now);
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;

    let list = web.get("/dashboard/admin/children").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let csrf = list.csrf();
    let rev = people_rev(&dir);
    let page = web
        .post(
            "/dashboard/admin/children",
            &[
                ("csrf", &csrf),
                ("name", "山田 太郎"),
                ("kana", "やまだ たろう"),
                ("district", "東町"),
                ("school", "南部小学校"),
                ("birth_date", "2017-05-01"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let location = page.location.unwrap();
    let child: i64 = location
        .trim_start_matches("/dashboard/admin/children/")
        .trim_end_matches("?done=added")
        .parse()
        .unwrap();
    let record = web.get(&location).await;
    assert!(
        record.text().contains("登録しました")
            && record.text().contains("カードが登録されていません"),
        "{}",
        record.text()
    );
    let cards = format!("/dashboard/admin/children/{child}/cards");

    // A card bound to a resident is refused with a clear message.
    let page = web
        .post(&cards, &[("csrf", &csrf), ("uid", "04DEAD01")])
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text()
            .contains("カード 04DEAD01 は既に利用者（利用者ID 1）に登録されています"),
        "{}",
        page.text()
    );
    let page = web
        .post(&cards, &[("csrf", &csrf), ("uid", "04c0ffee112233")])
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM child_cards WHERE hex(uid) = '04C0FFEE112233'"
        ),
        1
    );

    // A guardian with her policy and the day she consented.
    let page = web
        .post(
            &format!("/dashboard/admin/children/{child}/guardians"),
            &[
                ("csrf", &csrf),
                ("name", "山田 良子"),
                ("relation", "母"),
                ("email", "yoshiko@example.jp"),
                ("policy", "every_tap"),
                ("consent_on", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let text = web
        .get(&format!("/dashboard/admin/children/{child}"))
        .await
        .text();
    assert!(
        text.contains("04C0FFEE112233")
            && text.contains("yoshiko@example.jp")
            && text.contains("2026-11-30")
            && text.contains("毎回"),
        "{text}"
    );
    assert_eq!(
        one(
            &dir,
            "SELECT policy || ' ' || consent_on || ' ' || consent_by FROM guardians"
        ),
        "every_tap 2026-11-30 sato"
    );
    assert_ne!(people_rev(&dir), rev, "stations must get the new roster");

    // A second child is the same card's holder: refused, naming the child.
    let other = child_without_card(&mut web, &csrf).await;
    let page = web
        .post(
            &format!("/dashboard/admin/children/{other}/cards"),
            &[("csrf", &csrf), ("uid", "04C0FFEE112233")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text()
            .contains(&format!("既に児童（児童ID {child}）に登録されています")),
        "{}",
        page.text()
    );

    // A mistyped card is unbound; then it may be someone else's.
    let card = one(&dir, "SELECT id FROM child_cards");
    let page = web
        .post(
            &format!("/dashboard/admin/children/{child}/cards/{card}/unbind"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    let page = web
        .post(
            &format!("/dashboard/admin/children/{other}/cards"),
            &[("csrf", &csrf), ("uid", "04C0FFEE112233")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(&dir, "SELECT child_id FROM child_cards"),
        other.to_string()
    );

    // An address that is not one is refused in Japanese.
    let page = web
        .post(
            &format!("/dashboard/admin/children/{other}/guardians"),
            &[
                ("csrf", &csrf),
                ("name", "鈴木 恵子"),
                ("email", "keiko-at-example.jp"),
                ("policy", "first_of_day"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains("メールアドレスとして読めません"),
        "{}",
        page.text()
    );

    // The search finds by reading (hiragana or katakana) or district.
    for q in ["やまだ", "ヤマダ"] {
        let found = web
            .get(&format!("/dashboard/admin/children?q={q}"))
            .await
            .text();
        assert!(
            found.contains("山田 太郎") && !found.contains("鈴木 花"),
            "{q}: {found}"
        );
    }
    let found = web.get("/dashboard/admin/children?q=北部").await.text();
    assert!(
        !found.contains("山田 太郎") && found.contains("鈴木 花"),
        "{found}"
    );

    // Removing the guardian, then the child.
    let guardian = one(&dir, "SELECT id FROM guardians");
    let page = web
        .post(
            &format!("/dashboard/admin/children/{child}/guardians/{guardian}/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM guardians WHERE removed_at IS NULL"
        ),
        0
    );
    let page = web
        .post(
            &format!("/dashboard/admin/children/{child}/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        count(
            &dir,
            &format!("SELECT COUNT(*) FROM children WHERE id = {child} AND removed_at IS NOT NULL")
        ),
        1
    );
    assert_eq!(
        web.get(&format!("/dashboard/admin/children/{child}"))
            .await
            .status,
        404
    );

    let actions: Vec<String> = audit_rows(&dir)
        .into_iter()
        .filter(|r| r.0 == "sato" && !r.1.starts_with("login") && !r.1.contains("view"))
        .map(|r| r.1)
        .collect();
    for action in [
        "child.add",
        "admin.child.add",
        "child.card",
        "admin.child.card",
        "child.card.unbind",
        "admin.child.card.unbind",
        "guardian.add",
        "admin.guardian.add",
        "guardian.remove",
        "admin.guardian.remove",
        "child.remove",
        "admin.child.remove",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    center.stop().await;
}

/// Adds 鈴木 花 (北部) from the form; her id.
async fn child_without_card(web: &mut Web, csrf: &str) -> i64 {
    let page = web
        .post(
            "/dashboard/admin/children",
            &[
                ("csrf", csrf),
                ("name", "鈴木 花"),
                ("kana", "すずき はな"),
                ("district", "北部"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    page.location
        .unwrap()
        .trim_start_matches("/dashboard/admin/children/")
        .trim_end_matches("?done=added")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_children_list_uploaded_stores_every_row_or_none() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    household(&dir, "nanbu-0001", "04DEAD01", now);
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;
    let csrf = web.get("/dashboard/admin/children").await.csrf();
    let rev = people_rev(&dir);
    let upload =
        |bytes: Vec<u8>, csrf: String| multipart(&[("csrf", &csrf)], Some(("file", &bytes)));

    // Problems in the file: every one listed by line and column, nothing stored.
    let (content_type, body) = upload(fixture("children_bad.csv"), csrf.clone());
    let page = web
        .post_raw("/dashboard/admin/children/import", &content_type, body)
        .await;
    assert_eq!(page.status, 400);
    let text = page.text();
    assert!(
        text.contains("何も登録していません")
            && text.contains("3行目「保護者メール」: メールアドレスとして読めません")
            && text.contains("4行目「保護者氏名」"),
        "{text}"
    );

    // A right file whose third row holds a resident's card: nothing stored.
    let clash = "氏名,ふりがな,地区,カードUID,保護者氏名,保護者メール,通知,同意日\n\
                 山田 太郎,やまだ たろう,南部,04A1B2C3,山田 花子,hanako@example.jp,毎回,2026-04-01\n\
                 鈴木 花,すずき はな,北部,04DEAD01,鈴木 恵子,keiko@example.jp,,\n";
    let (content_type, body) = upload(clash.as_bytes().to_vec(), csrf.clone());
    let page = web
        .post_raw("/dashboard/admin/children/import", &content_type, body)
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains(
            "3行目「カードUID」: カード 04DEAD01 は既に利用者（利用者ID 1）に登録されています"
        ),
        "{}",
        page.text()
    );
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM children"), 0);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM guardians"), 0);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM child_cards"), 0);
    assert_eq!(people_rev(&dir), rev);

    // Without the session's token: refused.
    let (content_type, body) = upload(fixture("children_sjis.csv"), "forged".into());
    let page = web
        .post_raw("/dashboard/admin/children/import", &content_type, body)
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM children"), 0);

    // The Shift_JIS list: every row.
    let (content_type, body) = upload(fixture("children_sjis.csv"), csrf.clone());
    let page = web
        .post_raw("/dashboard/admin/children/import", &content_type, body)
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM children"), 3);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM guardians"), 3);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM child_cards"), 2);
    assert_ne!(people_rev(&dir), rev);
    let list = web.get(page.location.as_deref().unwrap()).await.text();
    assert!(
        list.contains("名簿を取り込みました")
            && list.contains("山田 太郎")
            && list.contains("佐藤 健"),
        "{list}"
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM audit_log WHERE login = 'sato' AND action = 'admin.child.import'"
        ),
        1
    );

    // The grandmother's consent arrives on paper later: recorded on the page.
    let (child, guardian) = (
        one(
            &dir,
            "SELECT child_id FROM guardians WHERE consent_on IS NULL",
        ),
        one(&dir, "SELECT id FROM guardians WHERE consent_on IS NULL"),
    );
    let page = web.get(&format!("/dashboard/admin/children/{child}")).await;
    assert!(page.text().contains("未記録（メールを送りません）"));
    let page = web
        .post(
            &format!("/dashboard/admin/children/{child}/guardians/{guardian}/consent"),
            &[("csrf", &csrf), ("consent_on", "2026-11-30")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(
        one(
            &dir,
            &format!("SELECT consent_on || ' ' || consent_by FROM guardians WHERE id = {guardian}")
        ),
        "2026-11-30 sato"
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM audit_log WHERE login = 'sato' AND action = 'guardian.add'"
        ),
        3
    );
    center.stop().await;
}

#[tokio::test]
async fn nurses_get_404_and_forms_without_the_token_are_refused() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    staff(&dir, "tanaka", "田中 保健師", Role::Nurse, &["東町"], now);
    station(
        &dir,
        "nanbu-st-0001",
        "南部小学校",
        mimamori_protocol::StationKind::School,
        now,
    );
    let child = child(&dir, "山田 太郎", "やまだ たろう", "04C0FFEE", now);
    let (center, _clock) = start(&dir, now).await;
    let mut nurse = Web::new(&center.url);
    assert_eq!(nurse.sign_in("tanaka", PASSWORD).await.status, 303);
    let csrf = nurse.get("/dashboard/").await.csrf();
    for path in [
        "/dashboard/admin/stations".to_owned(),
        "/dashboard/admin/children".into(),
        format!("/dashboard/admin/children/{child}"),
    ] {
        let page = nurse.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
    }
    let page = nurse
        .post(
            "/dashboard/admin/stations/nanbu-st-0001/revoke",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 404);
    let page = nurse
        .post(
            &format!("/dashboard/admin/children/{child}/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 404);
    let denied = audit_rows(&dir)
        .into_iter()
        .filter(|r| r.0 == "tanaka" && r.1 == "denied")
        .count();
    assert_eq!(denied, 5);
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM boxes WHERE revoked_at IS NULL"),
        1
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM children WHERE removed_at IS NULL"
        ),
        1
    );

    // An administrator's forms without the session's token change nothing.
    let mut admin = admin_web(&dir, &center.url, now).await;
    for token in ["", "forged"] {
        let page = admin
            .post(
                "/dashboard/admin/stations",
                &[
                    ("csrf", token),
                    ("place", "北部図書館"),
                    ("kind", "library"),
                    ("district", "北部"),
                    ("device_id", "hokubu-st-0001"),
                ],
            )
            .await;
        assert_eq!(page.status, 403);
        let page = admin
            .post(
                &format!("/dashboard/admin/children/{child}/guardians"),
                &[
                    ("csrf", token),
                    ("name", "偽 花子"),
                    ("email", "nise@example.jp"),
                    ("policy", "every_tap"),
                ],
            )
            .await;
        assert_eq!(page.status, 403);
        let page = admin
            .post(
                &format!("/dashboard/admin/children/{child}/remove"),
                &[("csrf", token)],
            )
            .await;
        assert_eq!(page.status, 403);
    }
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM stations"), 1);
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM guardians"), 0);
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM children WHERE removed_at IS NULL"
        ),
        1
    );
    center.stop().await;
}

#[tokio::test]
async fn the_children_list_comes_50_a_page() {
    let (_tmp, dir) = temp();
    let now = at("2026-12-01T00:00:00Z");
    for i in 0..51 {
        child(
            &dir,
            &format!("児童 {i:02}"),
            &format!("じどう {i:02}"),
            &format!("04{i:06X}"),
            now,
        );
    }
    let (center, _clock) = start(&dir, now).await;
    let mut web = admin_web(&dir, &center.url, now).await;
    let first = web.get("/dashboard/admin/children").await.text();
    assert!(
        first.contains("児童 00") && first.contains("児童 49") && !first.contains("児童 50"),
        "{first}"
    );
    assert!(first.contains("page=1\">次の50人"), "{first}");
    let second = web.get("/dashboard/admin/children?page=1").await.text();
    assert!(
        second.contains("児童 50") && !second.contains("児童 49") && !second.contains("次の50人"),
        "{second}"
    );
    center.stop().await;
}
