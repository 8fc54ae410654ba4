//! Script-driven tests of the state machine: keys in, screens and effects
//! out.

use mimamori_protocol::{Condition, MedicationSlot, MedicationStatus, Symptom, Tenths};
use mimamori_remote_ui::{
    App, CardEvent, CheckInDraft, Effect, Event, Key, PinResult, ScreenKind, sample,
};

/// A scripted session: feeds events, keeps every effect.
struct Script {
    app: App,
    effects: Vec<Effect>,
}

impl Script {
    fn new() -> Self {
        Self {
            app: App::with_data(sample::data(), sample::now()),
            effects: Vec::new(),
        }
    }

    fn send(&mut self, e: Event) -> &mut Self {
        self.effects.extend(self.app.handle(e));
        self
    }

    fn keys(&mut self, keys: &[Key]) -> &mut Self {
        for k in keys {
            self.send(Event::Key(*k));
        }
        self
    }

    fn expect(&mut self, kind: ScreenKind) -> &mut Self {
        let s = self.app.screen();
        assert_eq!(s.kind, kind, "on {:?}: {}", s.kind, s.text());
        self
    }

    fn trial_card(&mut self) -> &mut Self {
        self.send(Event::Card(CardEvent::Uid {
            resident: sample::RESIDENT,
        }))
    }

    fn saved(&self) -> Vec<CheckInDraft> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::SaveCheckIn(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }
}

fn expected() -> CheckInDraft {
    CheckInDraft {
        resident: sample::RESIDENT,
        condition: Condition::Fair,
        symptoms: vec![Symptom::Cough],
        medication: vec![
            mimamori_protocol::MedicationEntry {
                slot: MedicationSlot::Morning,
                status: MedicationStatus::Taken,
            },
            mimamori_protocol::MedicationEntry {
                slot: MedicationSlot::Evening,
                status: MedicationStatus::NotTaken,
            },
        ],
        vitals: mimamori_protocol::Vitals {
            blood_pressure: Some(mimamori_protocol::BloodPressure {
                systolic_mmhg: 138,
                diastolic_mmhg: 84,
            }),
            pulse_bpm: Some(72),
            temperature_c: Some(Tenths::new(36, 8)),
            ..Default::default()
        },
        call_requested: false,
    }
}

const D: fn(u8) -> Key = Key::Digit;

/// The same check-in three ways: each step a list of keys.
fn steps(mode: &str) -> Vec<(ScreenKind, Vec<Key>)> {
    use Key::*;
    use ScreenKind as S;
    let vit = |digits: &[u8], ok: Key| {
        let mut k: Vec<Key> = digits.iter().map(|d| D(*d)).collect();
        k.push(ok);
        k
    };
    match mode {
        "arrows" => vec![
            (S::Greeting, vec![Ok]),
            (S::Condition, vec![Right, Ok]),
            (S::SymptomsAsk, vec![Down, Ok]),
            (S::Symptoms, vec![Down, Ok, Down, Down, Ok]),
            (S::Symptoms, vec![Down, Down, Down, Ok]),
            (S::Symptoms, vec![Down, Ok]),
            (S::Medication, vec![Ok]),
            (S::Medication, vec![Down, Ok]),
            (S::Vitals, vit(&[1, 3, 8], Ok)),
            (S::Vitals, vit(&[8, 4], Ok)),
            (S::Vitals, vit(&[7, 2], Ok)),
            (S::Vitals, vit(&[3, 6, 8], Ok)),
            (S::Call, vec![Ok]),
            (S::Confirm, vec![Ok]),
        ],
        "colours" => vec![
            (S::Greeting, vec![Blue]),
            (S::Condition, vec![Red]),
            (S::SymptomsAsk, vec![Red]),
            (S::Symptoms, vec![Red, Yellow]),
            (S::Symptoms, vec![Yellow]),
            (S::Symptoms, vec![Red]),
            (S::Medication, vec![Blue]),
            (S::Medication, vec![Red]),
            (S::Vitals, vit(&[1, 3, 8], Blue)),
            (S::Vitals, vit(&[8, 4], Blue)),
            (S::Vitals, vit(&[7, 2], Blue)),
            (S::Vitals, vit(&[3, 6, 8], Blue)),
            (S::Call, vec![Blue]),
            (S::Confirm, vec![Blue]),
        ],
        _ => vec![
            (S::Greeting, vec![D(1)]),
            (S::Condition, vec![D(2)]),
            (S::SymptomsAsk, vec![D(2)]),
            (S::Symptoms, vec![D(2), D(4)]),
            (S::Symptoms, vec![D(4)]),
            (S::Symptoms, vec![D(2)]),
            (S::Medication, vec![D(1)]),
            (S::Medication, vec![D(2)]),
            // Digits are the number here; OK confirms.
            (S::Vitals, vit(&[1, 3, 8], Ok)),
            (S::Vitals, vit(&[8, 4], Ok)),
            (S::Vitals, vit(&[7, 2], Ok)),
            (S::Vitals, vit(&[3, 6, 8], Ok)),
            (S::Call, vec![D(1)]),
            (S::Confirm, vec![D(1)]),
        ],
    }
}

fn whole_check_in(mode: &str) {
    let mut s = Script::new();
    s.trial_card();
    for (kind, keys) in steps(mode) {
        s.expect(kind).keys(&keys);
    }
    s.expect(ScreenKind::Done);
    assert_eq!(s.saved(), vec![expected()], "{mode}");
    assert!(s.app.screen().text().contains("記録しました"));
}

#[test]
fn whole_check_in_by_arrows_only() {
    whole_check_in("arrows");
}

#[test]
fn whole_check_in_by_colour_keys_only() {
    whole_check_in("colours");
}

#[test]
fn whole_check_in_by_digits_only() {
    whole_check_in("digits");
}

#[test]
fn back_at_every_step_loses_nothing() {
    let all = steps("colours");
    for n in 1..all.len() {
        let mut s = Script::new();
        s.trial_card();
        for (_, keys) in &all[..n] {
            s.keys(keys);
        }
        let here = s.app.screen();
        // Back, then forward again with OK on what is focused.
        s.keys(&[Key::Back]);
        assert_ne!(s.app.screen(), here, "back did nothing after step {n}");
        // Replay from here by OK: the remembered answers are focused, and
        // typed numbers are still there.
        let mut guard = 0;
        while s.app.screen().kind != here.kind || s.app.screen().title != here.title {
            s.keys(&[Key::Ok]);
            guard += 1;
            assert!(guard < 20, "could not get back to {:?}", here.kind);
        }
        // Finish the check-in.
        for (_, keys) in &all[n..] {
            s.keys(keys);
        }
        s.expect(ScreenKind::Done);
        assert_eq!(s.saved(), vec![expected()], "after back at step {n}");
    }
}

#[test]
fn confirm_back_goes_back_and_keeps_everything() {
    let all = steps("colours");
    let mut s = Script::new();
    s.trial_card();
    for (_, keys) in &all[..all.len() - 1] {
        s.keys(keys);
    }
    s.expect(ScreenKind::Confirm)
        .keys(&[Key::Back])
        .expect(ScreenKind::Call);
    s.keys(&[Key::Ok])
        .expect(ScreenKind::Confirm)
        .keys(&[Key::Red]); // なおす
    s.expect(ScreenKind::Condition);
    for _ in 0..30 {
        if s.app.screen().kind == ScreenKind::Confirm {
            break;
        }
        s.keys(&[Key::Ok]);
    }
    s.expect(ScreenKind::Confirm).keys(&[Key::Blue]);
    assert_eq!(s.saved(), vec![expected()]);
}

#[test]
fn card_pulled_at_every_step_saves_nothing_half_done() {
    let all = steps("colours");
    for n in 0..all.len() {
        let mut s = Script::new();
        s.trial_card();
        for (_, keys) in &all[..n] {
            s.keys(keys);
        }
        s.send(Event::Card(CardEvent::Removed));
        assert!(s.saved().is_empty(), "saved after pulling at step {n}");
        let kind = s.app.screen().kind;
        assert!(
            matches!(kind, ScreenKind::Standby | ScreenKind::Error),
            "step {n}: {kind:?}"
        );
        // The removal message times out to standby.
        let later: mimamori_protocol::Timestamp = "2026-11-29T08:16:00+09:00".parse().expect("ts");
        s.send(Event::Tick(later)).expect(ScreenKind::Standby);
    }
    // Pulled after confirming: the check-in was already handed over.
    let mut s = Script::new();
    s.trial_card();
    for (_, keys) in &all {
        s.keys(keys);
    }
    s.send(Event::Card(CardEvent::Removed))
        .expect(ScreenKind::Standby);
    assert_eq!(s.saved().len(), 1);
}

#[test]
fn save_failure_keeps_the_confirmed_check_in() {
    let all = steps("colours");
    let mut s = Script::new();
    s.trial_card();
    for (_, keys) in &all {
        s.keys(keys);
    }
    s.send(Event::SaveFailed).expect(ScreenKind::Error);
    s.send(Event::Card(CardEvent::Removed));
    assert_eq!(s.app.unsaved().count(), 1);
    // Next login offers it again.
    s.trial_card().expect(ScreenKind::Error).keys(&[Key::Blue]);
    s.expect(ScreenKind::Done);
    assert_eq!(s.saved(), vec![expected(), expected()]);
    assert_eq!(s.app.unsaved().count(), 0);
}

#[test]
fn waiting_never_drops_input() {
    let all = steps("colours");
    let mut s = Script::new();
    s.send(Event::Tick(sample::now()));
    s.trial_card();
    for (_, keys) in &all[..5] {
        s.keys(keys);
    }
    let before = s.app.screen();
    let t0 = sample::now().unix_seconds();
    for minutes in [1, 5, 30, 120] {
        let at = time::OffsetDateTime::from_unix_timestamp(t0 + minutes * 60)
            .expect("ts")
            .to_offset(time::UtcOffset::from_hms(9, 0, 0).expect("offset"));
        s.send(Event::Tick(mimamori_protocol::Timestamp::new(at)));
    }
    let after = s.app.screen();
    assert_eq!(after.kind, before.kind);
    assert_eq!(after.choices, before.choices);
    assert!(
        s.effects
            .contains(&Effect::Chime(mimamori_remote_ui::Chime::Reminder))
    );
    for (_, keys) in &all[5..] {
        s.keys(keys);
    }
    assert_eq!(s.saved(), vec![expected()]);
}

fn jpki(s: &mut Script, tries: u8) {
    s.send(Event::Card(CardEvent::Jpki {
        resident: sample::RESIDENT,
        pin_tries_left: tries,
    }));
}

#[test]
fn pin_is_masked_and_verified_by_the_card() {
    let mut s = Script::new();
    jpki(&mut s, 3);
    s.expect(ScreenKind::Pin).keys(&[D(1), D(2), D(3)]);
    let entry = s.app.screen().entry.expect("entry");
    assert_eq!(entry.text, "●●●");
    assert!(!s.app.screen().text().contains("123"));
    s.keys(&[Key::Ok]); // too short
    assert!(!s.effects.iter().any(|e| matches!(e, Effect::VerifyPin(_))));
    s.keys(&[D(4), Key::Ok]).expect(ScreenKind::PinChecking);
    let pin = s.effects.iter().find_map(|e| match e {
        Effect::VerifyPin(p) => Some(p.clone()),
        _ => None,
    });
    let pin = pin.expect("verify");
    assert_eq!(pin.expose(), "1234");
    assert!(!format!("{pin:?}").contains("1234"));
    s.send(Event::Pin(PinResult::Ok))
        .expect(ScreenKind::Greeting);
}

#[test]
fn wrong_pin_counts_down_and_refuses_at_one_try_left() {
    let mut s = Script::new();
    jpki(&mut s, 3);
    s.keys(&[D(1), D(1), D(1), D(1), Key::Ok]);
    s.send(Event::Pin(PinResult::Wrong { tries_left: 2 }))
        .expect(ScreenKind::Pin);
    assert!(s.app.screen().text().contains("のこり 2 回"));
    s.keys(&[D(2), D(2), D(2), D(2), Key::Ok]);
    s.send(Event::Pin(PinResult::Wrong { tries_left: 1 }))
        .expect(ScreenKind::PinRefused);
    assert!(s.app.screen().text().contains("市役所の窓口"));
    // No more PIN entry possible.
    let verifies = s
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::VerifyPin(_)))
        .count();
    s.keys(&[D(3), D(3), D(3), D(3), Key::Ok]);
    let after = s
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::VerifyPin(_)))
        .count();
    assert_eq!(verifies, after);
    s.send(Event::Card(CardEvent::Removed))
        .expect(ScreenKind::Standby);
}

#[test]
fn a_card_with_one_try_left_is_refused_at_once_and_a_locked_one_explained() {
    let mut s = Script::new();
    jpki(&mut s, 1);
    s.expect(ScreenKind::PinRefused);
    let mut s = Script::new();
    jpki(&mut s, 3);
    s.keys(&[D(1), D(1), D(1), D(1), Key::Ok]);
    s.send(Event::Pin(PinResult::Locked))
        .expect(ScreenKind::Error);
    assert!(s.app.screen().text().contains("市役所の窓口"));
    let mut s = Script::new();
    s.send(Event::Card(CardEvent::Locked))
        .expect(ScreenKind::Error);
}

#[test]
fn vitals_out_of_range_are_refused_in_plain_words() {
    let all = steps("colours");
    let mut s = Script::new();
    s.trial_card();
    for (_, keys) in &all[..8] {
        s.keys(keys);
    }
    s.expect(ScreenKind::Vitals)
        .keys(&[D(3), D(8), D(0), Key::Ok]);
    let screen = s.app.screen();
    assert_eq!(screen.kind, ScreenKind::Vitals);
    let err = screen.entry.and_then(|e| e.error).expect("error");
    assert!(err.contains("大きすぎます"), "{err}");
    // Typing again starts a new number.
    s.keys(&[D(1), D(3), D(8), Key::Ok]);
    s.expect(ScreenKind::Vitals);
    assert!(s.app.screen().title.contains("下"));
    // Diastolic above systolic.
    s.keys(&[D(1), D(5), D(0), Key::Ok]);
    assert!(s.app.screen().entry.and_then(|e| e.error).is_some());
}

#[test]
fn sos_from_any_screen_then_back_where_she_was() {
    let all = steps("colours");
    let mut s = Script::new();
    s.trial_card();
    for (_, keys) in &all[..2] {
        s.keys(keys);
    }
    let before = s.app.screen();
    s.send(Event::Held(Key::Red)).expect(ScreenKind::SosConfirm);
    s.keys(&[Key::Back]);
    assert_eq!(s.app.screen().kind, before.kind);
    s.send(Event::CallButton).expect(ScreenKind::SosConfirm);
    s.keys(&[Key::Red]).expect(ScreenKind::SosSent);
    assert!(s.effects.iter().any(|e| matches!(
        e,
        Effect::SendSos(sos) if sos.resident == Some(sample::RESIDENT)
    )));
    s.keys(&[Key::Ok]);
    assert_eq!(s.app.screen().kind, before.kind);
    for (_, keys) in &all[2..] {
        s.keys(keys);
    }
    assert_eq!(s.saved(), vec![expected()]);
}

#[test]
fn every_screen_has_at_most_four_choices_each_with_a_key() {
    for name in sample::SCREENS {
        let screen = sample::screen(name).expect("sample").screen();
        assert!(screen.choices.len() <= 4, "{name}");
        for (i, c) in screen.choices.iter().enumerate() {
            assert_eq!(c.keys.colour, mimamori_remote_ui::Colour::ALL[i], "{name}");
        }
        if !screen.choices.is_empty() {
            assert!(screen.focus.is_some(), "{name}");
        }
    }
}
