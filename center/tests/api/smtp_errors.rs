//! How the sender classifies what a real SMTP server on 127.0.0.1 answers:
//! lettre's own error kinds decide transient or permanent, whatever the
//! server's wording.

use mimamori_center::mail::relay::{Relay, RelayError};
use mimamori_center::mail::sender::{Failure, classify};
use mimamori_center::mail::{MailSettings, MessageStamp, NamedAddress, NurseAlert, Security, Smtp};

use crate::harness::at;
use crate::smtp;

fn settings() -> MailSettings {
    mimamori_center::config::Config::parse(
        "[mail]\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nport = 2525\n\
         from = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\n\
         desk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\n\
         public_url = \"https://center.example.jp\"\n\
         dashboard_url = \"https://center.example.jp/dashboard\"\n\
         message_id_domain = \"center.example.jp\"\n",
    )
    .unwrap()
    .mail
    .unwrap()
    .settings
}

fn message(to: &str) -> lettre::Message {
    let mail = NurseAlert {
        nurse: NamedAddress::new("佐藤 恵", to),
        alert: mimamori_center::mail::AlertFacts {
            id: mimamori_center::domain::AlertId(1),
            resident_name: "山田 花子".into(),
            kind: mimamori_center::domain::AlertKind::Missed,
            since: at("2026-11-29T03:00:00Z"),
        },
    };
    mimamori_center::mail::compose_nurse_alert(
        &settings(),
        &MessageStamp {
            outbox_id: 1,
            date: at("2026-11-29T03:00:00Z"),
        },
        &mail,
    )
    .unwrap()
}

async fn attempt(port: u16, security: Security, to: &str) -> Result<(), RelayError> {
    let relay = Smtp {
        host: "127.0.0.1".into(),
        port,
        security,
        credentials: None,
    };
    Relay::new(&relay, 1)?.send(&message(to)).await
}

/// The SMTP error inside, for lettre's own classification.
fn smtp(e: RelayError) -> lettre::transport::smtp::Error {
    match e {
        RelayError::Smtp(e) => e,
        other => panic!("expected an SMTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn smtp_failures_are_classified_by_kind() {
    let up = smtp::Smtp::up();
    // Accepted.
    attempt(up.port, Security::Plain, "sato@town.example.jp")
        .await
        .unwrap();

    // Nothing listening: transient.
    let down = smtp::Smtp::down();
    let e = attempt(down.port, Security::Plain, "sato@town.example.jp")
        .await
        .unwrap_err();
    assert!(matches!(e, RelayError::Connect(_)), "{e:?}");
    assert_eq!(e.failure(), Failure::Transient, "{e:?}");

    // 550 no such mailbox: permanent.
    let e = smtp(
        attempt(up.port, Security::Plain, "bounce@town.example.jp")
            .await
            .unwrap_err(),
    );
    assert!(e.is_permanent(), "{e:?}");
    assert_eq!(classify(&e), Failure::Permanent);

    // 451 try again later: transient.
    let busy = smtp::Smtp::up();
    busy.temp_fail(true);
    let e = smtp(
        attempt(busy.port, Security::Plain, "sato@town.example.jp")
            .await
            .unwrap_err(),
    );
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(classify(&e), Failure::Transient);

    // STARTTLS required, the server does not offer it: permanent (the
    // configuration or the relay must change, not the time).
    let e = smtp(
        attempt(up.port, Security::Starttls, "sato@town.example.jp")
            .await
            .unwrap_err(),
    );
    assert_eq!(classify(&e), Failure::Permanent, "{e:?}");

    // Implicit TLS to a server that speaks plain SMTP: the handshake fails,
    // permanent.
    let e = attempt(up.port, Security::Tls, "sato@town.example.jp")
        .await
        .unwrap_err();
    assert_eq!(e.failure(), Failure::Permanent, "{e:?}");
}

#[tokio::test]
async fn one_connection_carries_message_after_message() {
    let up = smtp::Smtp::up();
    let relay = Relay::new(
        &Smtp {
            host: "127.0.0.1".into(),
            port: up.port,
            security: Security::Plain,
            credentials: None,
        },
        1,
    )
    .unwrap();
    for _ in 0..5 {
        relay.send(&message("sato@town.example.jp")).await.unwrap();
    }
    // A refused message leaves no broken connection behind.
    relay
        .send(&message("bounce@town.example.jp"))
        .await
        .unwrap_err();
    relay.send(&message("sato@town.example.jp")).await.unwrap();
    relay.close().await;
    assert_eq!(up.received().len(), 6);
}
