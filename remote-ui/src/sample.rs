//! Sample data and an [`App`] on every screen, for golden tests,
//! documentation and `mimamorid render`.

use std::collections::BTreeMap;

use mimamori_protocol::{
    CalendarDate, CardBinding, CardUid, CarePlan, CheckupItem, CheckupRecord, Condition, Judgement,
    MedicationSlot, Notice, ResidentId, ResidentInfo, Standing, TimeOfDay, Timestamp, UidBinding,
    VitalKind,
};

use crate::{App, BoxData, CardEvent, Event, HistoryDay, Key, PinResult, SyncStatus};

/// The sample resident.
pub const RESIDENT: ResidentId = ResidentId(1042);

fn date(y: i32, m: u8, d: u8) -> CalendarDate {
    CalendarDate(
        time::Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d)
            .expect("date"),
    )
}

/// 2026-11-29 08:15 in Japan.
pub fn now() -> Timestamp {
    "2026-11-29T08:15:00+09:00".parse().expect("timestamp")
}

/// 山田 花子 with morning and evening medication, blood pressure and
/// temperature; two notices; a checkup; 13 days of history.
pub fn data() -> BoxData {
    let resident = ResidentInfo {
        id: RESIDENT,
        name: "山田 花子".to_owned(),
        name_kana: "やまだ はなこ".to_owned(),
        cards: vec![CardBinding::CardUid(UidBinding {
            uid: CardUid::from_bytes(&[4, 0xA1, 0xB2, 0xC3]).expect("uid"),
        })],
        care_plan: CarePlan {
            medication_slots: vec![MedicationSlot::Morning, MedicationSlot::Evening],
            vitals: vec![VitalKind::BloodPressure, VitalKind::Temperature],
            reminder_at: TimeOfDay::new(9, 0).expect("time"),
            deadline: TimeOfDay::new(12, 0).expect("time"),
        },
    };
    let conditions = [
        Some(Condition::Good),
        Some(Condition::Good),
        Some(Condition::Fair),
        None,
        Some(Condition::Good),
        Some(Condition::Fair),
        Some(Condition::Poor),
        Some(Condition::Fair),
        Some(Condition::Good),
        Some(Condition::Good),
        None,
        Some(Condition::Fair),
        Some(Condition::Good),
        None,
    ];
    let history = conditions
        .iter()
        .enumerate()
        .map(|(i, c)| HistoryDay {
            date: date(2026, 11, 16 + u8::try_from(i).expect("day")),
            condition: *c,
        })
        .collect();
    BoxData {
        residents: vec![resident],
        notices: vec![
            Notice {
                id: 7,
                title: "インフルエンザ予防接種のお知らせ".to_owned(),
                body: "11月30日まで、役場で受け付けています。\n費用は 1,000円 です。".to_owned(),
                published_on: date(2026, 11, 1),
                expires_on: Some(date(2026, 11, 30)),
                important: false,
            },
            Notice {
                id: 8,
                title: "大雪にご注意ください".to_owned(),
                body: "あすは大雪の予報です。\n外出はひかえてください。".to_owned(),
                published_on: date(2026, 11, 28),
                expires_on: None,
                important: true,
            },
        ],
        read_notices: vec![],
        checkups: vec![CheckupRecord {
            id: 3,
            resident: RESIDENT,
            examined_on: date(2026, 6, 12),
            title: "特定健康診査".to_owned(),
            items: vec![
                CheckupItem {
                    name: "HbA1c".to_owned(),
                    value: "6.1".to_owned(),
                    unit: Some("%".to_owned()),
                    judgement: Some(Judgement::Caution),
                },
                CheckupItem {
                    name: "収縮期血圧".to_owned(),
                    value: "132".to_owned(),
                    unit: Some("mmHg".to_owned()),
                    judgement: Some(Judgement::Normal),
                },
            ],
        }],
        standings: vec![Standing {
            resident: RESIDENT,
            points: 320,
            streak_days: 12,
            last_check_in_on: Some(date(2026, 11, 28)),
            paused_through: None,
        }],
        history: BTreeMap::from([(RESIDENT, history)]),
    }
}

/// The names of [`screen`]'s samples.
pub const SCREENS: &[&str] = &[
    "standby",
    "standby-offline",
    "no-reader",
    "unknown-card",
    "card-locked",
    "card-removed",
    "pin",
    "pin-wrong",
    "pin-refused",
    "greeting",
    "condition",
    "symptoms-ask",
    "symptoms",
    "medication",
    "vitals",
    "vitals-error",
    "call",
    "confirm",
    "done",
    "done-offline",
    "menu",
    "history",
    "notice",
    "checkup",
    "sos-confirm",
    "sos-sent",
    "reminder",
    "heat-warning",
];

fn keys(app: &mut App, keys: &[Key]) {
    for k in keys {
        app.handle(Event::Key(*k));
    }
}

/// An app showing the named sample screen, or `None` for an unknown name.
pub fn screen(name: &str) -> Option<App> {
    let mut app = App::with_data(data(), now());
    let jpki = |app: &mut App| {
        app.handle(Event::Card(CardEvent::Jpki {
            resident: RESIDENT,
            pin_tries_left: 3,
        }));
    };
    let login = |app: &mut App| {
        jpki(app);
        keys(
            app,
            &[
                Key::Digit(1),
                Key::Digit(2),
                Key::Digit(3),
                Key::Digit(4),
                Key::Ok,
            ],
        );
        app.handle(Event::Pin(PinResult::Ok));
    };
    // Through the check-in: condition ふつう, symptoms せき, medication,
    // blood pressure 138/84, pulse 72, temperature 36.8.
    let answer = |app: &mut App, upto: usize| {
        let script: &[&[Key]] = &[
            &[Key::Blue],                  // greeting: record
            &[Key::Red],                   // condition: ふつう
            &[Key::Red],                   // symptoms: ある
            &[Key::Digit(2), Key::Yellow], // せき, 次へ
            &[Key::Yellow],                // page 2: 次へ
            &[Key::Red],                   // page 3: 次へ
            &[Key::Blue],                  // 朝: 飲んだ
            &[Key::Red],                   // 夕: 飲んでいない
            &[Key::Digit(1), Key::Digit(3), Key::Digit(8), Key::Ok],
            &[Key::Digit(8), Key::Digit(4), Key::Ok],
            &[Key::Digit(7), Key::Digit(2), Key::Ok],
            &[Key::Digit(3), Key::Digit(6), Key::Digit(8), Key::Ok],
            &[Key::Blue], // call: いいえ
            &[Key::Blue], // confirm: 記録する
        ];
        for step in &script[..upto] {
            keys(app, step);
        }
    };
    match name {
        "standby" => {}
        "standby-offline" => {
            app.handle(Event::Sync(SyncStatus::Offline));
        }
        "no-reader" => {
            app.handle(Event::Card(CardEvent::ReaderMissing));
        }
        "unknown-card" => {
            app.handle(Event::Card(CardEvent::Unknown));
        }
        "card-locked" => {
            app.handle(Event::Card(CardEvent::Locked));
        }
        "card-removed" => {
            login(&mut app);
            answer(&mut app, 2);
            app.handle(Event::Card(CardEvent::Removed));
        }
        "pin" => {
            jpki(&mut app);
            keys(&mut app, &[Key::Digit(1), Key::Digit(2)]);
        }
        "pin-wrong" => {
            jpki(&mut app);
            keys(
                &mut app,
                &[
                    Key::Digit(1),
                    Key::Digit(2),
                    Key::Digit(3),
                    Key::Digit(4),
                    Key::Ok,
                ],
            );
            app.handle(Event::Pin(PinResult::Wrong { tries_left: 2 }));
        }
        "pin-refused" => {
            app.handle(Event::Card(CardEvent::Jpki {
                resident: RESIDENT,
                pin_tries_left: 1,
            }));
        }
        "greeting" => login(&mut app),
        "condition" => {
            login(&mut app);
            answer(&mut app, 1);
        }
        "symptoms-ask" => {
            login(&mut app);
            answer(&mut app, 2);
        }
        "symptoms" => {
            login(&mut app);
            answer(&mut app, 3);
            keys(&mut app, &[Key::Digit(2), Key::Down]);
        }
        "medication" => {
            login(&mut app);
            answer(&mut app, 6);
        }
        "vitals" => {
            login(&mut app);
            answer(&mut app, 8);
            keys(&mut app, &[Key::Digit(1), Key::Digit(3)]);
        }
        "vitals-error" => {
            login(&mut app);
            answer(&mut app, 8);
            keys(
                &mut app,
                &[Key::Digit(3), Key::Digit(8), Key::Digit(0), Key::Ok],
            );
        }
        "call" => {
            login(&mut app);
            answer(&mut app, 12);
        }
        "confirm" => {
            login(&mut app);
            answer(&mut app, 13);
        }
        "done" => {
            login(&mut app);
            answer(&mut app, 14);
        }
        "done-offline" => {
            app.handle(Event::Sync(SyncStatus::Offline));
            login(&mut app);
            answer(&mut app, 14);
        }
        "menu" => {
            login(&mut app);
            keys(&mut app, &[Key::Red]);
        }
        "history" => {
            login(&mut app);
            keys(&mut app, &[Key::Red, Key::Blue]);
        }
        "notice" => {
            login(&mut app);
            keys(&mut app, &[Key::Red, Key::Red]);
        }
        "checkup" => {
            login(&mut app);
            keys(&mut app, &[Key::Red, Key::Green]);
        }
        "sos-confirm" => {
            login(&mut app);
            answer(&mut app, 1);
            app.handle(Event::Held(Key::Red));
        }
        "reminder" => {
            app.handle(Event::Tick(
                "2026-11-29T09:00:00+09:00".parse().expect("timestamp"),
            ));
        }
        "heat-warning" => {
            // 35 °C and 70 % in a closed room: 暑さ指数 33.6, 危険.
            app.handle(Event::Room(Some(crate::Wbgt::indoor(35_000, 70_000))));
        }
        "sos-sent" => {
            app.handle(Event::Held(Key::Red));
            keys(&mut app, &[Key::Ok]);
        }
        _ => return None,
    }
    Some(app)
}

/// A tap station's screens, for golden tests and `mimamorid render`.
pub const STATION_SCREENS: &[&str] = &[
    "station-idle",
    "station-confirmed",
    "station-confirmed-long-name",
    "station-already",
    "station-unknown",
    "station-unreadable",
    "station-card-left",
    "station-no-reader",
    "station-error",
];

/// The station screen called `name` (one of [`STATION_SCREENS`]), at
/// 南部小学校 on 2026-12-07 15:32.
pub fn station_screen(name: &str) -> Option<crate::Screen> {
    use crate::StationView;
    let name_of = "田中 ゆい".to_owned();
    let view = match name {
        "station-idle" => StationView::Idle {
            place: "南部小学校".into(),
            clock: "12月7日（月） 15:32".into(),
        },
        "station-confirmed" => StationView::Confirmed {
            name: name_of,
            time: "15:32".into(),
        },
        "station-confirmed-long-name" => StationView::Confirmed {
            name: "ウィリアムズ＝タカハシ アレクサンドラ・エリザベス".into(),
            time: "15:32".into(),
        },
        "station-already" => StationView::AlreadyConfirmed {
            name: name_of,
            time: "15:30".into(),
        },
        "station-unknown" => StationView::UnknownCard,
        "station-unreadable" => StationView::Unreadable,
        "station-card-left" => StationView::CardLeft,
        "station-no-reader" => StationView::NoReader,
        "station-error" => StationView::SaveFailed,
        _ => return None,
    };
    Some(view.screen())
}
