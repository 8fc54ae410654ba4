//! Every rule of the station, with simulated time.

use std::time::Duration;

use mimamori_protocol::{CertFingerprint, StationKind};

use super::*;
use crate::card::{CardType, PinStatus};

const READER: &str = "vpcd 0";

fn at(text: &str) -> Timestamp {
    format!("2026-12-07T{text}+09:00").parse().unwrap()
}

fn uid(bytes: &[u8]) -> Identity {
    Identity::Uid {
        uid: bytes.to_vec(),
    }
}

fn jpki(fingerprint: u8) -> Identity {
    Identity::Jpki {
        card_type: CardType::MyNumberCard,
        certificate: vec![0x30],
        fingerprint: CertFingerprint([fingerprint; 32]),
        pin: PinStatus::TriesLeft(3),
    }
}

fn station() -> Station {
    let mut station = Station::new(Settings {
        repeat_window: Duration::from_secs(300),
        show: Duration::from_secs(5),
    });
    let people = vec![
        Person {
            name: "田中 ゆい".into(),
            name_kana: "たなか ゆい".into(),
            cards: vec![binding(&uid(&[4, 0xC0, 0xFF, 0xEE])).unwrap()],
        },
        Person {
            name: "山田 花子".into(),
            name_kana: "やまだ はなこ".into(),
            cards: vec![binding(&jpki(7)).unwrap()],
        },
    ];
    station.set_roster(
        &people,
        Some(&StationInfo {
            place: "南部小学校".into(),
            kind: StationKind::School,
        }),
    );
    for report in [
        CardReport::ServiceUp,
        CardReport::ReaderAttached {
            reader: READER.into(),
        },
    ] {
        assert!(station.card(report, &at("15:00:00")).is_empty());
    }
    station
}

/// Inserts and identifies a card at `now`; the effects.
fn tap(station: &mut Station, identity: Identity, now: &Timestamp) -> Vec<Effect> {
    let mut effects = station.card(
        CardReport::Inserted {
            reader: READER.into(),
        },
        now,
    );
    effects.extend(station.card(
        CardReport::Identified {
            reader: READER.into(),
            identity,
            took: Duration::from_millis(40),
        },
        now,
    ));
    effects
}

fn remove(station: &mut Station, now: &Timestamp) -> Vec<Effect> {
    station.card(
        CardReport::Removed {
            reader: READER.into(),
        },
        now,
    )
}

/// Carries out a tap as the loop does, stored or not.
fn record(
    station: &mut Station,
    effects: Vec<Effect>,
    stored: bool,
    now: &Timestamp,
) -> Vec<Effect> {
    let mut out = Vec::new();
    for effect in effects {
        match effect {
            Effect::RecordTap { card, name } => {
                out.extend(station.tap_recorded(card, name, stored, now));
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn idle_shows_the_place_and_the_time() {
    let station = station();
    assert_eq!(
        station.view(&at("15:31:10")),
        StationView::Idle {
            place: "南部小学校".into(),
            clock: "12月7日（月） 15:31".into(),
        }
    );
}

#[test]
fn a_known_trial_card_is_recorded_first_then_confirmed_with_a_chime() {
    let mut station = station();
    let now = at("15:32:04");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &now);
    let card = binding(&uid(&[4, 0xC0, 0xFF, 0xEE])).unwrap();
    assert_eq!(
        effects,
        vec![Effect::RecordTap {
            card: card.clone(),
            name: "田中 ゆい".into()
        }]
    );
    // Nothing is confirmed before the tap is stored.
    assert!(matches!(station.view(&now), StationView::Idle { .. }));
    let after = station.tap_recorded(card, "田中 ゆい".into(), true, &now);
    assert_eq!(after, vec![Effect::Chime(Chime::Saved)]);
    assert_eq!(
        station.view(&now),
        StationView::Confirmed {
            name: "田中 ゆい".into(),
            time: "15:32".into()
        }
    );
    let screen = station.view(&now).screen();
    assert!(screen.text().contains("田中 ゆいさん"));
    assert!(screen.text().contains("確認しました"));
    // The confirmation stays `show_s`, then idle again.
    assert!(matches!(
        station.view(&at("15:32:08")),
        StationView::Confirmed { .. }
    ));
    assert!(matches!(
        station.view(&at("15:32:09")),
        StationView::Idle { .. }
    ));
}

#[test]
fn a_my_number_card_is_known_by_its_certificate_fingerprint() {
    let mut station = station();
    let now = at("15:40:00");
    let effects = tap(&mut station, jpki(7), &now);
    assert_eq!(
        effects,
        vec![Effect::RecordTap {
            card: CardBinding::Jpki(JpkiBinding {
                cert_fingerprint: CertFingerprint([7; 32])
            }),
            name: "山田 花子".into()
        }]
    );
    let other = tap(&mut station, jpki(8), &at("15:41:00"));
    assert!(other.is_empty() || !other.iter().any(|e| matches!(e, Effect::RecordTap { .. })));
}

#[test]
fn a_card_left_on_the_reader_counts_once() {
    let mut station = station();
    let now = at("15:32:04");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &now);
    record(&mut station, effects, true, &now);
    // The same insertion reported identified again: nothing.
    let again = station.card(
        CardReport::Identified {
            reader: READER.into(),
            identity: uid(&[4, 0xC0, 0xFF, 0xEE]),
            took: Duration::ZERO,
        },
        &at("15:50:00"),
    );
    assert!(again.is_empty());
    // Long after, still on the reader: idle, no second tap.
    assert!(matches!(
        station.view(&at("15:50:00")),
        StationView::Idle { .. }
    ));
    assert!(remove(&mut station, &at("15:51:00")).is_empty());
}

#[test]
fn the_same_card_within_the_window_is_already_confirmed_without_a_tap() {
    let mut station = station();
    let first = at("15:30:00");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &first);
    record(&mut station, effects, true, &first);
    remove(&mut station, &at("15:30:01"));
    let again = at("15:34:59");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &again);
    assert_eq!(effects, vec![Effect::Chime(Chime::Saved)]);
    assert_eq!(
        station.view(&again),
        StationView::AlreadyConfirmed {
            name: "田中 ゆい".into(),
            time: "15:30".into()
        }
    );
    assert!(
        station
            .view(&again)
            .screen()
            .text()
            .contains("確認済みです")
    );
    remove(&mut station, &at("15:35:00"));
    // Past the window: a new tap.
    let later = at("15:35:00");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &later);
    assert!(matches!(effects.as_slice(), [Effect::RecordTap { .. }]));
}

#[test]
fn the_window_holds_across_a_restart_from_remembered_taps() {
    let mut station = station();
    station.remember(
        binding(&uid(&[4, 0xC0, 0xFF, 0xEE])).unwrap(),
        at("15:30:00"),
    );
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &at("15:31:00"));
    assert_eq!(effects, vec![Effect::Chime(Chime::Saved)]);
}

#[test]
fn a_zero_window_counts_every_tap() {
    let mut station = station();
    station.settings.repeat_window = Duration::ZERO;
    for second in ["15:30:00", "15:30:02"] {
        let now = at(second);
        let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &now);
        assert!(matches!(effects.as_slice(), [Effect::RecordTap { .. }]));
        record(&mut station, effects, true, &now);
        remove(&mut station, &now);
    }
}

#[test]
fn an_unknown_card_says_so_and_where_to_go() {
    let mut station = station();
    let now = at("15:32:00");
    let effects = tap(&mut station, uid(&[1, 2, 3, 4]), &now);
    assert_eq!(effects, vec![Effect::Chime(Chime::Error)]);
    assert_eq!(station.view(&now), StationView::UnknownCard);
    let text = station.view(&now).screen().text();
    assert!(text.contains("このカードは登録されていません"));
    assert!(text.contains("受付"));
}

#[test]
fn an_unreadable_card_asks_for_another_touch() {
    let mut station = station();
    let now = at("15:32:00");
    station.card(
        CardReport::Inserted {
            reader: READER.into(),
        },
        &now,
    );
    let effects = station.card(
        CardReport::Unusable {
            reader: READER.into(),
            why: "neither".into(),
        },
        &now,
    );
    assert_eq!(effects, vec![Effect::Chime(Chime::Error)]);
    let text = station.view(&now).screen().text();
    assert!(text.contains("カードを読み取れませんでした"), "{text}");
    assert!(text.contains("もう一度タッチしてください"));
    // Taking it out afterwards is not "pulled mid-read".
    assert!(remove(&mut station, &now).is_empty());
    assert_eq!(station.view(&now), StationView::Unreadable);
}

#[test]
fn a_card_pulled_before_it_was_read_records_nothing() {
    let mut station = station();
    let now = at("15:32:00");
    assert!(
        station
            .card(
                CardReport::Inserted {
                    reader: READER.into()
                },
                &now
            )
            .is_empty()
    );
    let effects = remove(&mut station, &now);
    assert_eq!(effects, vec![Effect::Chime(Chime::Error)]);
    assert_eq!(station.view(&now), StationView::CardLeft);
    assert!(
        station
            .view(&now)
            .screen()
            .text()
            .contains("カードが離れました")
    );
}

#[test]
fn no_reader_or_no_pcscd_is_said_plainly() {
    let mut station = Station::new(Settings {
        repeat_window: Duration::from_secs(300),
        show: Duration::from_secs(5),
    });
    let now = at("15:00:00");
    assert!(!station.no_reader(), "nothing heard yet: idle");
    station.card(CardReport::ServiceDown, &now);
    assert_eq!(station.view(&now), StationView::NoReader);
    assert!(
        station
            .view(&now)
            .screen()
            .text()
            .contains("係の人を呼んでください")
    );
    station.card(CardReport::ServiceUp, &now);
    assert_eq!(
        station.view(&now),
        StationView::NoReader,
        "pcscd without a reader"
    );
    station.card(
        CardReport::ReaderAttached {
            reader: READER.into(),
        },
        &now,
    );
    assert!(matches!(station.view(&now), StationView::Idle { .. }));
    station.card(
        CardReport::ReaderDetached {
            reader: READER.into(),
        },
        &now,
    );
    assert_eq!(station.view(&now), StationView::NoReader);
}

#[test]
fn a_failed_write_shows_an_error_and_no_confirmation() {
    let mut station = station();
    let now = at("15:32:04");
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &now);
    let after = record(&mut station, effects, false, &now);
    assert_eq!(after, vec![Effect::Chime(Chime::Error)]);
    assert_eq!(station.view(&now), StationView::SaveFailed);
    // Not remembered: the next touch is a tap again.
    remove(&mut station, &now);
    let effects = tap(&mut station, uid(&[4, 0xC0, 0xFF, 0xEE]), &at("15:32:10"));
    assert!(matches!(effects.as_slice(), [Effect::RecordTap { .. }]));
}

#[test]
fn a_roster_update_takes_effect_at_once() {
    let mut station = station();
    let now = at("15:32:00");
    let newcomer = uid(&[9, 9, 9, 9]);
    assert_eq!(
        tap(&mut station, newcomer.clone(), &now),
        vec![Effect::Chime(Chime::Error)]
    );
    remove(&mut station, &now);
    station.set_roster(
        &[Person {
            name: "佐藤 はると".into(),
            name_kana: String::new(),
            cards: vec![binding(&newcomer).unwrap()],
        }],
        None,
    );
    assert!(matches!(
        tap(&mut station, newcomer, &now).as_slice(),
        [Effect::RecordTap { name, .. }] if name == "佐藤 はると"
    ));
    assert!(
        station
            .view(&at("15:40:00"))
            .screen()
            .text()
            .contains("南部小学校")
    );
}
