//! The family policies and the nurses' mail over simulated days, through
//! the same store functions the server runs (sync and hourly sweeps): what
//! each contact and nurse would be sent, and when.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use mimamori_center::config::Config;
use mimamori_center::store::outbox::{Payload, Pending};
use mimamori_center::store::{Store, outbox, people, sync, watch};
use serde_json::json;

use crate::harness::*;

fn policy_config(dir: &Path) -> Config {
    let mut config = Config::parse(
        "[mail]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"plain\"\n\
         from = \"mimamori@center.example.jp\"\ndesk_name = \"南部町 健康福祉課\"\n\
         desk_phone = \"0859-00-0000\"\ndesk_email = \"kenko@town.example.jp\"\n\
         public_url = \"https://center.example.jp\"\n\
         dashboard_url = \"https://center.example.jp/dashboard\"\n\
         message_id_domain = \"center.example.jp\"\nconcern_repeat_hours = 72\n\
         nurse_summary_at = \"08:30\"\n",
    )
    .unwrap();
    config.data_dir = dir.to_path_buf();
    config
}

struct Sim {
    store: Store,
    config: Config,
}

impl Sim {
    fn sync(&mut self, h: &Household, events: Vec<serde_json::Value>, now: Timestamp) {
        let body = request(&h.device, &now.to_string(), events);
        let request: mimamori_protocol::SyncRequest =
            mimamori_protocol::decode(&serde_json::to_vec(&body).unwrap()).unwrap();
        let config = &self.config;
        self.store
            .transaction(|c| sync::sync(c, config, &sync::token_hash(&h.token), &request, now))
            .unwrap();
    }

    fn check_in(&mut self, h: &Household, seq: u64, now: Timestamp, call: bool) {
        let id = uuid::Uuid::from_u128(u128::from(seq) << 64 | h.resident as u128).to_string();
        let mut event = check_in_event(&id, seq, h.resident, &h.uid, &now.to_string());
        event["body"]["call_requested"] = json!(call);
        self.sync(h, vec![event], now);
    }

    fn sweep(&mut self, now: Timestamp) {
        let config = &self.config;
        self.store
            .transaction(|c| watch::sweep(c, config, now))
            .unwrap();
    }

    /// Every row queued so far, as the sender would read them.
    fn queued(&self) -> Vec<(Option<i64>, Pending)> {
        let far = at("2030-01-01T00:00:00Z");
        let contacts: std::collections::HashMap<i64, Option<i64>> =
            outbox::list(self.store.connection(), false, 10_000)
                .unwrap()
                .into_iter()
                .map(|r| (r.id, r.contact))
                .collect();
        outbox::due(self.store.connection(), far, 10_000)
            .unwrap()
            .into_iter()
            .map(|p| (contacts[&p.id], p))
            .collect()
    }
}

fn kinds_for(queued: &[(Option<i64>, Pending)], contact: i64) -> Vec<&'static str> {
    queued
        .iter()
        .filter(|(c, _)| *c == Some(contact))
        .map(|(_, p)| p.payload.kind())
        .collect()
}

#[test]
fn each_policy_over_a_simulated_week() {
    let (_tmp, dir) = temp();
    let start = at("2026-11-22T00:00:00+09:00"); // a Sunday
    let a = household(&dir, "nanbu-0601", "04A1B2F6", start);
    let silent: Vec<Household> = (0..4)
        .map(|n| {
            household(
                &dir,
                &format!("nanbu-061{n}"),
                &format!("04A1B2E{n}"),
                start,
            )
        })
        .collect();
    let config = policy_config(&dir);
    let mut store = Store::open(&config.database_path()).unwrap();
    let (every, digest, concerns, watcher) = store
        .transaction(|c| {
            let add = |name: &str, email: &str, policy: people::FamilyPolicy, resident: i64| {
                people::add_family(c, resident, name, email, "長男", policy, start)
            };
            let every = add(
                "山田 一郎",
                "ichiro@example.jp",
                people::FamilyPolicy::EveryCheckIn,
                a.resident,
            )?;
            let digest = add(
                "山田 次郎",
                "jiro@example.jp",
                people::FamilyPolicy::DailyDigest,
                a.resident,
            )?;
            let concerns = add(
                "山田 三郎",
                "saburo@example.jp",
                people::FamilyPolicy::ConcernsOnly,
                a.resident,
            )?;
            // The family of one of the silent households hears of concerns.
            let watcher = add(
                "佐藤 花",
                "hana@example.jp",
                people::FamilyPolicy::ConcernsOnly,
                silent[0].resident,
            )?;
            people::add_staff(
                c,
                "sato",
                "佐藤 恵",
                people::Role::Nurse,
                &["東町".into()],
                "sato@town.example.jp",
                start,
            )?;
            Ok((every, digest, concerns, watcher))
        })
        .unwrap();
    let mut sim = Sim { store, config };

    // Six days, swept every hour. Everyone checks in at 09:00 on the first
    // two days; then the four silent boxes stop (unplugged together), and
    // household A goes on, asking for a call on the fifth day.
    let mut seq = 0;
    for hour in 0..(6 * 24) {
        let now = start + SignedDuration::from_hours(hour);
        let day = hour / 24;
        if hour % 24 == 9 {
            seq += 1;
            sim.check_in(&a, seq, now, day == 4);
            if day < 2 {
                for h in &silent {
                    sim.check_in(h, seq, now, false);
                }
            }
        }
        // A silent box comes back for a moment on day 3 and goes again:
        // its offline alert closes and reopens, the family is not told twice.
        if hour == 3 * 24 + 15 {
            let heartbeat = json!({
                "id": uuid::Uuid::from_u128(99).to_string(),
                "recorded_at": now.to_string(),
                "boot_id": "6d1c9e3a-0d7f-4a59-9b3e-2f4f7b0c1a22",
                "seq": 99,
                "body": {"type": "heartbeat", "uptime_s": 3600, "software_version": "0.1.0"}
            });
            sim.sync(&silent[0], vec![heartbeat], now);
        }
        sim.sweep(now);
    }
    let queued = sim.queued();

    // every_check_in: one mail per check-in (6), and the concern of day 5.
    let e = kinds_for(&queued, every);
    assert_eq!(
        e.iter().filter(|k| **k == "family_checkin").count(),
        6,
        "{e:?}"
    );
    assert_eq!(
        e.iter().filter(|k| **k == "family_concern").count(),
        1,
        "{e:?}"
    );
    // daily_digest: a digest each evening at 19:00 after the first sweep
    // scheduled it — six evenings — and nothing else.
    let d = kinds_for(&queued, digest);
    assert_eq!(d, vec!["family_digest"; 6], "{d:?}");
    for (_, p) in queued.iter().filter(|(c, _)| *c == Some(digest)) {
        let local = p.created_at.to_zoned(sim.config.time_zone.clone());
        assert_eq!((local.hour(), local.minute()), (19, 0));
    }
    // concerns_only: only the call request.
    let c = kinds_for(&queued, concerns);
    assert_eq!(c, vec!["family_concern"], "{c:?}");
    // The silent household's family: the box went offline, came back,
    // went offline again (within 72 h): told once about the box, once
    // about the missed check-ins.
    let w: Vec<String> = queued
        .iter()
        .filter(|(c, _)| *c == Some(watcher))
        .map(|(_, p)| match &p.payload {
            Payload::FamilyConcern { kind, .. } => kind.as_str().to_owned(),
            other => other.kind().to_owned(),
        })
        .collect();
    let mut sorted = w.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(w.len(), sorted.len(), "the same concern twice: {w:?}");
    assert!(w.contains(&"box_offline".to_owned()), "{w:?}");

    // The nurse: the four boxes going silent together make one mail per
    // kind of alert, each listing the four, not four mails.
    let nurse: Vec<&Pending> = queued
        .iter()
        .filter(|(c, p)| c.is_none() && p.payload.kind() == "nurse_alert")
        .map(|(_, p)| p)
        .collect();
    let grouped: Vec<usize> = nurse
        .iter()
        .map(|p| match &p.payload {
            Payload::NurseAlert(n) => 1 + n.more.len(),
            _ => unreachable!(),
        })
        .collect();
    assert!(
        grouped.iter().filter(|n| **n == 4).count() >= 2,
        "box_offline and missed for the four, each in one mail: {grouped:?}"
    );
    assert!(nurse.len() < 8, "{grouped:?}");
    // Her morning summary at 08:30 on each of the six days.
    let summaries: Vec<&Pending> = queued
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.payload.kind() == "nurse_summary")
        .collect();
    assert_eq!(
        summaries.len(),
        6,
        "the first sweep (00:00) schedules the first 08:30"
    );
    let last = summaries.last().unwrap();
    let Payload::NurseSummary(s) = &last.payload else {
        unreachable!()
    };
    assert_eq!(s.district, "東町");
    assert!(s.alerts.len() >= 8, "{:?}", s.alerts);

    // Everything composes, and reads as a mail should.
    let settings = &sim.config.mail.as_ref().unwrap().settings;
    for (_, p) in &queued {
        let bytes = p.compose(settings).unwrap().formatted();
        mail_parser::MessageParser::default().parse(&bytes).unwrap();
    }
    let summary = mail_parser::MessageParser::default()
        .parse(&last.compose(settings).unwrap().formatted())
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(summary.contains("端末の通信途絶"), "{summary}");
    assert!(summary.contains("連絡の希望"), "{summary}");
    assert!(
        summary.contains("https://center.example.jp/dashboard/alerts?district="),
        "{summary}"
    );
}
