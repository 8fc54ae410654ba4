//! The reminder over simulated days: the box prompts when today's check-in
//! is missing at the care plan's reminder time, repeats by the policy,
//! stops after the check-in, and keeps quiet during a pause. Also the heat
//! warning and the call button's SOS.

use mimamori_protocol::{
    CalendarDate, CardBinding, CardUid, CarePlan, ResidentId, ResidentInfo, SosSource, Standing,
    TimeOfDay, Timestamp, UidBinding,
};
use mimamori_remote_ui::{
    App, BoxData, CardEvent, Chime, Effect, Event, Key, LedPattern, ReminderPolicy, ScreenKind,
    Wbgt,
};

const HANAKO: ResidentId = ResidentId(7);

fn resident() -> ResidentInfo {
    ResidentInfo {
        id: HANAKO,
        name: "山田 花子".into(),
        name_kana: "やまだ はなこ".into(),
        cards: vec![CardBinding::CardUid(UidBinding {
            uid: CardUid::from_bytes(&[4, 0xA1, 0xB2, 0xC3]).unwrap(),
        })],
        care_plan: CarePlan {
            medication_slots: vec![],
            vitals: vec![],
            reminder_at: TimeOfDay::new(9, 0).unwrap(),
            deadline: TimeOfDay::new(12, 0).unwrap(),
        },
    }
}

fn data(standing: Option<Standing>) -> BoxData {
    BoxData {
        residents: vec![resident()],
        standings: standing.into_iter().collect(),
        ..BoxData::default()
    }
}

fn at(day: &str, hh: u8, mm: u8) -> Timestamp {
    format!("{day}T{hh:02}:{mm:02}:00+09:00").parse().unwrap()
}

fn date(day: &str) -> CalendarDate {
    day.parse().unwrap()
}

/// A box on a simulated clock: keeps every effect with the minute it came.
struct Day {
    app: App,
    effects: Vec<(String, Effect)>,
}

impl Day {
    fn new(data: BoxData, start: Timestamp) -> Self {
        Self {
            app: App::with_data(data, start),
            effects: Vec::new(),
        }
    }

    fn send(&mut self, e: Event) {
        let fx = self.app.handle(e);
        let when = self
            .app
            .screen()
            .clock
            .unwrap_or_default()
            .split(' ')
            .next_back()
            .unwrap_or_default()
            .to_owned();
        for fx in fx {
            self.effects.push((when.clone(), fx));
        }
    }

    /// Ticks once a minute from `from` to `to` (inclusive) on `day`.
    fn run(&mut self, day: &str, from: (u8, u8), to: (u8, u8)) {
        let (mut h, mut m) = from;
        while (h, m) <= to {
            self.send(Event::Tick(at(day, h, m)));
            m += 1;
            if m == 60 {
                m = 0;
                h += 1;
            }
        }
    }

    /// The minutes at which a reminder chime sounded.
    fn prompts(&self) -> Vec<String> {
        self.effects
            .iter()
            .filter(|(_, e)| *e == Effect::Chime(Chime::Reminder))
            .map(|(when, _)| when.clone())
            .collect()
    }

    fn wakes(&self) -> usize {
        self.effects
            .iter()
            .filter(|(_, e)| *e == Effect::WakeTv)
            .count()
    }

    fn last_led(&self) -> Option<LedPattern> {
        self.effects.iter().rev().find_map(|(_, e)| match e {
            Effect::Led(p) => Some(*p),
            _ => None,
        })
    }

    fn check_in(&mut self) {
        self.send(Event::Card(CardEvent::Uid { resident: HANAKO }));
        // 記録する, よい, no symptoms, no call, 記録する.
        for _ in 0..5 {
            self.send(Event::Key(Key::Blue));
        }
        assert_eq!(self.app.screen().kind, ScreenKind::Done);
        self.send(Event::Card(CardEvent::Removed));
    }

    fn kind(&self) -> ScreenKind {
        self.app.screen().kind
    }
}

#[test]
fn a_check_in_before_the_reminder_time_means_no_reminder() {
    let mut d = Day::new(data(None), at("2026-11-29", 7, 0));
    d.run("2026-11-29", (7, 0), (8, 0));
    d.check_in();
    d.run("2026-11-29", (8, 1), (23, 59));
    assert!(d.prompts().is_empty(), "{:?}", d.prompts());
    assert_eq!(d.kind(), ScreenKind::Standby);
    assert_eq!(d.last_led(), Some(LedPattern::Done));
}

#[test]
fn a_missing_check_in_is_prompted_at_the_time_and_repeated_by_the_policy() {
    let mut d = Day::new(data(None), at("2026-11-29", 6, 0));
    d.run("2026-11-29", (6, 0), (8, 59));
    assert!(d.prompts().is_empty());
    assert_eq!(d.kind(), ScreenKind::Standby);
    d.run("2026-11-29", (9, 0), (9, 0));
    assert_eq!(d.prompts(), ["9:00"]);
    assert_eq!(d.wakes(), 1, "the TV is woken with the prompt");
    assert_eq!(d.kind(), ScreenKind::Reminder);
    assert!(
        d.app
            .screen()
            .text()
            .contains("山田 花子さん、今日の記録は まだです。")
    );
    assert_eq!(d.last_led(), Some(LedPattern::Reminder));
    // OK puts the prompt away; the LED keeps blinking.
    d.send(Event::Key(Key::Ok));
    assert_eq!(d.kind(), ScreenKind::Standby);
    d.run("2026-11-29", (9, 1), (23, 59));
    // Default policy: every 30 minutes, three times a day.
    assert_eq!(d.prompts(), ["9:00", "9:30", "10:00"]);
    assert_eq!(d.kind(), ScreenKind::Reminder);
    assert_eq!(d.last_led(), Some(LedPattern::Reminder));
    // The next day starts afresh.
    d.run("2026-11-30", (0, 0), (9, 0));
    assert_eq!(d.prompts(), ["9:00", "9:30", "10:00", "9:00"]);
}

#[test]
fn the_policy_can_prompt_once_or_more_often() {
    let mut once = Day::new(data(None), at("2026-11-29", 8, 0));
    once.app.set_reminder_policy(ReminderPolicy {
        repeat_every_minutes: 0,
        max_prompts: 5,
    });
    once.run("2026-11-29", (8, 0), (13, 0));
    assert_eq!(once.prompts(), ["9:00"]);

    let mut often = Day::new(data(None), at("2026-11-29", 8, 0));
    often.app.set_reminder_policy(ReminderPolicy {
        repeat_every_minutes: 15,
        max_prompts: 4,
    });
    often.run("2026-11-29", (8, 0), (13, 0));
    assert_eq!(often.prompts(), ["9:00", "9:15", "9:30", "9:45"]);
}

#[test]
fn the_reminder_stops_after_the_check_in() {
    let mut d = Day::new(data(None), at("2026-11-29", 8, 50));
    d.run("2026-11-29", (8, 50), (9, 10));
    assert_eq!(d.prompts(), ["9:00"]);
    d.check_in();
    assert_eq!(d.kind(), ScreenKind::Standby);
    assert_eq!(d.last_led(), Some(LedPattern::Done));
    d.run("2026-11-29", (9, 11), (23, 59));
    assert_eq!(d.prompts(), ["9:00"]);
    assert_eq!(d.kind(), ScreenKind::Standby);
}

#[test]
fn no_prompt_while_a_card_is_in_but_one_after_it_comes_out() {
    let mut d = Day::new(data(None), at("2026-11-29", 8, 55));
    d.run("2026-11-29", (8, 55), (8, 58));
    d.send(Event::Card(CardEvent::Uid { resident: HANAKO }));
    d.run("2026-11-29", (8, 59), (9, 5));
    assert!(d.prompts().is_empty(), "not while she is at the TV");
    d.send(Event::Card(CardEvent::Removed));
    d.run("2026-11-29", (9, 6), (9, 6));
    assert_eq!(d.prompts(), ["9:06"]);
}

#[test]
fn a_check_in_made_elsewhere_counts_from_the_centers_standings() {
    let standing = Standing {
        resident: HANAKO,
        points: 10,
        streak_days: 1,
        last_check_in_on: Some(date("2026-11-29")),
        paused_through: None,
    };
    let mut d = Day::new(data(Some(standing)), at("2026-11-29", 8, 0));
    d.run("2026-11-29", (8, 0), (12, 0));
    assert!(d.prompts().is_empty());
    // The next day it is due again.
    d.run("2026-11-30", (8, 0), (9, 0));
    assert_eq!(d.prompts(), ["9:00"]);
}

#[test]
fn a_pause_holds_the_reminder_back_through_its_last_day() {
    let standing = Standing {
        resident: HANAKO,
        points: 10,
        streak_days: 0,
        last_check_in_on: None,
        paused_through: Some(date("2026-11-30")),
    };
    let mut d = Day::new(data(Some(standing)), at("2026-11-29", 8, 0));
    d.run("2026-11-29", (8, 0), (12, 0));
    d.run("2026-11-30", (8, 0), (12, 0));
    assert!(d.prompts().is_empty());
    assert_ne!(d.last_led(), Some(LedPattern::Reminder));
    d.run("2026-12-01", (8, 0), (9, 0));
    assert_eq!(d.prompts(), ["9:00"]);
}

#[test]
fn a_dangerous_room_asks_for_the_air_conditioner() {
    let mut d = Day::new(data(None), at("2026-08-10", 8, 0));
    d.send(Event::Tick(at("2026-08-10", 8, 0)));
    d.check_in();
    // 30 °C, 50 %: 暑さ指数 about 24.5, 注意 — nothing to say.
    d.send(Event::Room(Some(Wbgt::indoor(30_000, 50_000))));
    assert_eq!(d.kind(), ScreenKind::Standby);
    assert_eq!(d.wakes(), 1, "only the card woke the TV");
    // 35 °C, 70 %: 33.6, 危険.
    d.send(Event::Room(Some(Wbgt::indoor(35_000, 70_000))));
    let s = d.app.screen();
    assert_eq!(s.kind, ScreenKind::HeatWarning);
    assert_eq!(s.title, "エアコンをつけましょう");
    assert!(s.text().contains("33.6（危険）"), "{}", s.text());
    assert_eq!(d.wakes(), 2, "the TV is woken once when it gets dangerous");
    d.send(Event::Room(Some(Wbgt::indoor(35_100, 70_000))));
    assert_eq!(d.wakes(), 2);
    // Cooler again: the standby screen.
    d.send(Event::Room(Some(Wbgt::indoor(28_000, 50_000))));
    assert_eq!(d.kind(), ScreenKind::Standby);
    // A sensor that stops answering warns of nothing.
    d.send(Event::Room(Some(Wbgt::indoor(35_000, 70_000))));
    d.send(Event::Room(None));
    assert_eq!(d.kind(), ScreenKind::Standby);
}

#[test]
fn the_call_button_held_twice_sends_an_sos_and_the_led_blinks_fast() {
    let mut d = Day::new(data(None), at("2026-11-29", 10, 0));
    d.send(Event::CallButton);
    let s = d.app.screen();
    assert_eq!(s.kind, ScreenKind::SosConfirm);
    assert!(
        s.text()
            .contains("もう一度 ボタンを長く押しても 連絡します。")
    );
    assert!(
        !d.effects
            .iter()
            .any(|(_, e)| matches!(e, Effect::SendSos(_)))
    );
    d.send(Event::CallButton);
    let sos: Vec<_> = d
        .effects
        .iter()
        .filter_map(|(_, e)| match e {
            Effect::SendSos(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(sos.len(), 1);
    assert_eq!(sos[0].source, SosSource::CallButton);
    assert_eq!(d.kind(), ScreenKind::SosSent);
    assert_eq!(d.last_led(), Some(LedPattern::Sos));
}
