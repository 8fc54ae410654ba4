//! A school's tap station against the real center: `mimamori-center serve`
//! as a process on 127.0.0.1 with its mail going to a real SMTP server in
//! this process (the demo's mailbox), the station registered and a child
//! with a trial card and a guardian added with `mimamori-center admin`, and
//! the station (`mimamorid run` with `[station]`, in this process) reading
//! the child's card through the real pcscd + vpcd. The roster and the
//! place come from the center; a tap is confirmed on the page, stored once
//! at the center and mailed to the guardian; an unknown card is refused at
//! the station and nothing of it reaches the center.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mimamori_daemon::devices::Devices;
use mimamori_hw_tests::mailbox::{Mailbox, smtp};
use mimamori_hw_tests::pcscd;
use mimamori_hw_tests::simcard::{Inserted, SLOT_0, UidCard};
use serde_json::Value;

use crate::common::tv::wait_for;
use crate::processes::{center_admin, free_port, start_center_with, wait_until};
use crate::readers;

const CHILD_UID: [u8; 7] = [0x04, 0xC0, 0xFF, 0xEE, 0x11, 0x22, 0x33];

fn center_count(dir: &Path, sql: &str) -> i64 {
    let mut config = mimamori_center::config::Config::parse("").unwrap();
    config.data_dir = dir.join("center");
    crate::common::count(&config, sql)
}

fn screen_is(kind: &'static str, text: &'static str) -> impl Fn(&Value) -> bool {
    move |s| {
        s["screen"] == kind
            && (s["title"].as_str().unwrap_or_default().contains(text)
                || s["text"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|l| l.as_str().unwrap_or("").contains(text))))
    }
}

/// The center's `[mail]`: plain SMTP to the mailbox on `smtp_port`, sent
/// within half a second.
fn mail_section(smtp_port: u16, center_port: u16) -> String {
    format!(
        "[mail]\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nport = {smtp_port}\n\
         from = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\n\
         desk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\n\
         public_url = \"http://127.0.0.1:{center_port}\"\n\
         dashboard_url = \"http://127.0.0.1:{center_port}/dashboard/\"\n\
         message_id_domain = \"test.center.example.jp\"\npoll_interval_ms = 200\n"
    )
}

/// The last line of `admin station add`: the station's token.
fn token(output: &str) -> String {
    output
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock)] // the guard keeps the machine's one pcscd for the whole test
async fn a_childs_tap_at_a_school_reaches_the_center_once_and_her_guardian_by_mail() {
    let _readers = readers();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // The mailbox: a real SMTP server on 127.0.0.1.
    let mailbox = Arc::new(Mailbox::open(&dir.join("mail")).unwrap());
    let smtp_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = smtp_listener.local_addr().unwrap().port();
    smtp::serve(smtp_listener, Arc::clone(&mailbox));

    let center_port = free_port();
    let _center = start_center_with(dir, center_port, &mail_section(smtp_port, center_port)).await;
    let station_token = token(&center_admin(
        dir,
        &[
            "station",
            "add",
            "nanbu-st-01",
            "--place",
            "南部小学校",
            "--kind",
            "school",
            "--district",
            "東町",
        ],
    ));
    center_admin(
        dir,
        &[
            "child",
            "add",
            "--name",
            "田中 ゆい",
            "--kana",
            "たなか ゆい",
            "--district",
            "東町",
            "--school",
            "南部小学校",
        ],
    );
    center_admin(dir, &["child", "card", "1", "--uid", "04C0FFEE112233"]);
    #[allow(clippy::disallowed_methods)] // the consent is recorded on the real day
    let today = jiff::Zoned::now().date().to_string();
    center_admin(
        dir,
        &[
            "child",
            "guardian",
            "add",
            "1",
            "--name",
            "田中 良子",
            "--email",
            "yoshiko@example.jp",
            "--relation",
            "母",
            "--policy",
            "every_tap",
            "--consent-on",
            &today,
        ],
    );

    // The station: its place and roster come from the center.
    let tv_port = free_port();
    let config = mimamori_daemon::config::Config::parse(
        &format!(
            "device_id = \"nanbu-st-01\"\ncenter_url = \"http://127.0.0.1:{center_port}\"\n\
             token = \"{station_token}\"\ndata_dir = \"station\"\n\
             [display]\nbackend = \"virtual\"\nlisten = \"127.0.0.1:{tv_port}\"\nsize = \"640x360\"\n\
             [sync]\ninterval_s = 1\nretry_first_s = 0.2\nretry_max_s = 1\n\
             [card]\nreader = \"pcsc\"\n[station]\nrepeat_window_s = 300\nshow_s = 1\n"
        ),
        dir,
    )
    .unwrap();
    let page = format!("http://127.0.0.1:{tv_port}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let station = tokio::spawn(mimamori_daemon::runtime::run_with(
        config,
        Devices::none(),
        async {
            let _ = stopped.await;
        },
    ));
    wait_for(
        &page,
        "the idle screen with the place from the center",
        screen_is("StationIdle", "南部小学校"),
    )
    .await;
    // The roster arrives in the same answer as the place; a sync later it
    // is certainly there.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // The child's card: confirmed on the page, stored once at the center.
    let card = Inserted::insert(SLOT_0, Box::new(UidCard::new(&CHILD_UID))).unwrap();
    wait_for(
        &page,
        "田中 ゆい confirmed",
        screen_is("StationConfirmed", "田中 ゆいさん"),
    )
    .await;
    card.remove();
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();
    wait_until("the tap at the center", Duration::from_secs(20), || async {
        center_count(dir, "SELECT COUNT(*) FROM taps") == 1
    })
    .await;
    assert_eq!(
        center_count(
            dir,
            "SELECT COUNT(*) FROM taps t JOIN children c ON c.id = t.child_id \
             WHERE c.name = '田中 ゆい'"
        ),
        1,
        "the tap is hers"
    );

    // Her guardian's mail arrives at the SMTP server.
    wait_until(
        "the guardian's mail in the mailbox",
        Duration::from_secs(20),
        || async { !mailbox.list().unwrap().is_empty() },
    )
    .await;
    let list = mailbox.list().unwrap();
    assert_eq!(list.len(), 1, "one mail: {list:#?}");
    assert!(
        list[0].to.iter().any(|t| t.contains("yoshiko@example.jp")),
        "{:?}",
        list[0].to
    );
    let text = mailbox.read(list[0].id).unwrap().unwrap().text;
    assert!(
        text.contains("田中 ゆいさんが 南部小学校 に") && text.contains("にタッチしました"),
        "{text}"
    );

    // An unknown card: refused at the station, nothing reaches the center.
    let stranger = Inserted::insert(SLOT_0, Box::new(UidCard::new(&[1, 2, 3, 4]))).unwrap();
    wait_for(
        &page,
        "an unknown card refused",
        screen_is("StationUnknown", "受付"),
    )
    .await;
    stranger.remove();
    pcscd::wait_empty(Duration::from_secs(5)).unwrap();

    // Several syncs later: still one tap, nothing rejected, one mail.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(center_count(dir, "SELECT COUNT(*) FROM taps"), 1);
    assert_eq!(center_count(dir, "SELECT COUNT(*) FROM rejected_events"), 0);
    assert_eq!(mailbox.list().unwrap().len(), 1);
    let outbox = mimamori_daemon::outbox::Outbox::open(&dir.join("station/box.sqlite3")).unwrap();
    assert!(
        outbox.pending(100).unwrap().is_empty(),
        "nothing left to send"
    );

    let _ = stop.send(());
    station.await.unwrap().unwrap();
}
