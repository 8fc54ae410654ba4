//! The box with its parts (a stand-in board) and a `cec-ctl` stand-in,
//! against a center on loopback: the reminder wakes the TV, blinks the LED
//! and chimes; a hot room shows 「エアコンをつけましょう」 and reaches the
//! center in heartbeats; the call button held twice sends an SOS and the
//! LED blinks fast.

mod common;

use std::time::{Duration, Instant};

use common::tv::{self, key, state};
use mimamori_center::store::{Store, admin};
use mimamori_daemon::cec::Tv;
use mimamori_daemon::devices::Devices;
use mimamori_daemon::hardware::fake::FakeBoard;
use mimamori_firmware::{LedPattern, Melody};

/// Waits up to 15 s for `check`, naming `what` when it does not come.
async fn until(what: &str, mut check: impl AsyncFnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match check().await {
            Ok(()) => return,
            Err(seen) if Instant::now() > deadline => panic!("waited for {what}; {seen}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn screen_is(tv: &str, kind: &str) -> Result<(), String> {
    let s = state(tv).await;
    if s["screen"] == kind {
        Ok(())
    } else {
        Err(format!("the TV shows {s}"))
    }
}

fn fake_cec_ctl(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let log = dir.join("args");
    let script = dir.join("cec-ctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in *--playback*) echo 'Physical Address           : 1.0.0.0';; esac\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_box_reminds_warns_of_heat_and_calls_for_help_with_its_parts() {
    let tmp = tempfile::tempdir().unwrap();
    #[allow(clippy::disallowed_methods)] // the box reads the real clock; so does this center
    let now = jiff::Timestamp::now();
    let (center_config, token, resident) = common::center_with_household(tmp.path(), now);
    // Remind from midnight, so that the reminder is due whenever this runs.
    {
        let mut store = Store::open(&center_config.database_path()).unwrap();
        store
            .transaction(|c| {
                admin::set_care_plan(
                    c,
                    &center_config,
                    resident,
                    &serde_json::from_str(r#"{"reminder_at": "00:00", "deadline": "23:59"}"#)
                        .unwrap(),
                    now,
                )
            })
            .unwrap();
    }
    let center_url = tv::serve_center(&center_config, now).await;
    let (config, tv) = tv::box_with_virtual_tv(
        tmp.path(),
        &center_url,
        &token,
        "[sync]\ninterval_s = 1\nheartbeat_interval_s = 1\n\
             [tv]\ncec_device = \"/dev/cec0\"\n\
             [card]\nreader = \"none\"\n",
    );
    let cec_dir = tmp.path().join("bin");
    std::fs::create_dir(&cec_dir).unwrap();
    let cec_log = fake_cec_ctl(&cec_dir);
    let (board, parts) = FakeBoard::new();
    let devices = Devices {
        board: Some(Box::new(board)),
        tv: Tv::find(Some(cec_dir.as_os_str()), &config.cec_device),
    };
    tokio::spawn(mimamori_daemon::runtime::run_with(
        config,
        devices,
        std::future::pending(),
    ));

    // The residents arrive with the first sync: her check-in is due.
    until("the reminder", async || screen_is(&tv, "Reminder").await).await;
    until("the slow blink and the reminder melody", async || {
        match (parts.led(), parts.melodies()) {
            (LedPattern::SlowBlink, m) if m.contains(&Melody::Reminder) => Ok(()),
            seen => Err(format!("the parts show {seen:?}")),
        }
    })
    .await;
    until("the TV woken over HDMI-CEC", async || {
        let args = std::fs::read_to_string(&cec_log).unwrap_or_default();
        if args.contains("-d /dev/cec0 --to 0 --image-view-on")
            && args.contains("--active-source phys-addr=1.0.0.0")
        {
            Ok(())
        } else {
            Err(format!("cec-ctl was run with {args:?}"))
        }
    })
    .await;

    // OK puts the prompt away. The room gets dangerously hot.
    key(&tv, "ok").await;
    parts.room(35, 70);
    until("the heat warning", async || {
        screen_is(&tv, "HeatWarning").await
    })
    .await;
    assert_eq!(state(&tv).await["title"], "エアコンをつけましょう");
    until("the room in a heartbeat at the center", async || {
        let n = common::count(
            &center_config,
            "SELECT COUNT(*) FROM heartbeats WHERE room_temperature BETWEEN 349 AND 351 \
             AND room_humidity BETWEEN 699 AND 701",
        );
        if n > 0 {
            Ok(())
        } else {
            Err("no heartbeat with the room yet".into())
        }
    })
    .await;

    // The call button held: the question; held again: the call.
    parts.hold_button();
    until("the SOS question", async || {
        screen_is(&tv, "SosConfirm").await
    })
    .await;
    parts.hold_button();
    until("連絡しました", async || {
        screen_is(&tv, "SosSent").await
    })
    .await;
    until("the fast blink", async || match parts.led() {
        LedPattern::FastBlink => Ok(()),
        led => Err(format!("the LED shows {led:?}")),
    })
    .await;
    until("the SOS at the center", async || {
        let n = common::count(
            &center_config,
            "SELECT COUNT(*) FROM events WHERE kind = 'sos' AND body LIKE '%call_button%'",
        );
        if n == 1 {
            Ok(())
        } else {
            Err(format!("{n} SOS events"))
        }
    })
    .await;
}
