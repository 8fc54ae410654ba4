//! The unsubscribe link of family mail: a page that asks first (mail
//! scanners open links), and RFC 8058 one-click POST.

use mimamori_center::store::{Store, people};

use crate::harness::*;

#[tokio::test]
async fn a_family_contact_stops_their_mail_with_the_link() {
    let (_tmp, dir) = temp();
    let now = at("2026-11-29T00:00:00Z");
    let h = household(&dir, "nanbu-0401", "04A1B2E1", now);
    let config = config(&dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    let contact = store
        .transaction(|c| {
            people::add_family(
                c,
                h.resident,
                "山田 良子",
                "yoshiko@example.jp",
                "長女",
                people::FamilyPolicy::EveryCheckIn,
                now,
            )
        })
        .unwrap();
    let token: String = store
        .connection()
        .query_row(
            "SELECT unsubscribe_token FROM family_contacts WHERE id = ?1",
            [contact],
            |r| r.get(0),
        )
        .unwrap();
    let center = Center::start(&dir, now).await;
    let url = format!("{}/unsubscribe/{token}", center.url);

    // Opening the link changes nothing; it asks.
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("山田 良子 様") && text.contains("停止しますか") && text.contains("<form"),
        "{text}"
    );
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM family_contacts WHERE unsubscribed_at IS NOT NULL"
        ),
        0
    );

    // One click, as a mail client does it (RFC 8058).
    let done = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await.unwrap().contains("配信を停止しました"));
    assert_eq!(
        count(
            &dir,
            "SELECT COUNT(*) FROM family_contacts WHERE unsubscribed_at IS NOT NULL"
        ),
        1
    );

    // Again: still stopped, nothing else changes.
    let again = reqwest::Client::new().post(&url).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert!(
        reqwest::get(&url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("配信を停止しました")
    );

    let unknown = reqwest::get(format!("{}/unsubscribe/not-a-token", center.url))
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("このリンクは使えません")
    );
    center.stop().await;
}
