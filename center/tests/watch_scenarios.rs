//! The watch engine over simulated weeks, written as scripts.
//!
//! A script is what happens to one resident, line by line, on the resident's
//! clock, and what the engine must do about it:
//!
//! ```text
//! since 2026-11-01 08:00            registration (header lines come first)
//! 2026-11-02 09:00 check_in good
//! 11-03 --                          nothing happens all day
//! 11-04 12:00 => open missed
//! 11-05 08:00 check_in fair => close missed
//! ```
//!
//! The harness plays the part of the store: it keeps the alerts, applies
//! every action, calls `evaluate` after every change and at every
//! `next_due` (the sweeps), and records what happened and when. Each line's
//! `=>` list must be exactly what happened since the previous line, all of it
//! at the line's instant — an alert at an instant no line names fails the
//! script. Every step also checks the engine's promises: never two open
//! alerts of one kind, never two actions for one kind in one call, and
//! `next_due` in the future and exact (nothing due a nanosecond before it,
//! something due at it).
//!
//! Header lines: `since DATE TIME`, `tz NAME`, `deadline HH:MM`,
//! `box DATE TIME` (a box assigned), `set key=value …` (per-resident
//! overrides, the keys of `Thresholds`).
//!
//! Events: `check_in good|fair|poor [bp=S/D] [temp=T] [weight=W] [call]
//! [made=MM-DDTHH:MM]` (a check-in arrives through the box; `made` when it
//! was made earlier and delivered late), `contact` (the box syncs), `sos`,
//! `ack KIND`, `resolve KIND` (a nurse), `pause DATE` (paused through DATE),
//! `unpause`, `--` (nothing; without a time: nothing all that day).
//!
//! Expectations: `open KIND`, `close KIND`, `escalate KIND`, each optionally
//! followed by the exact reason in double quotes, separated by commas.

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use mimamori_center::domain::{AlertId, AlertKind};
use mimamori_center::watch::{
    Action, BoxContact, OpenAlert, Overrides, PastCheckIn, Thresholds, WatchState, evaluate,
    on_box_contact, on_check_in, on_sos,
};
use mimamori_protocol::{
    Authentication, BloodPressure, CheckIn, Condition, ResidentId, Tenths, TimeOfDay, UidProof,
    Vitals,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// The store, simulated.

/// Something the engine did, and when.
#[derive(Debug, Clone)]
struct Happening {
    at: Timestamp,
    /// `open missed`, `close box_offline`, `escalate sos`.
    what: String,
    reason: String,
}

/// A check-in as a script writes it.
#[derive(Debug, Clone)]
struct Answer {
    condition: Condition,
    vitals: Vitals,
    call: bool,
    made: Option<Timestamp>,
}

/// One resident as the store holds it.
struct Sim {
    state: WatchState,
    t: Thresholds,
    history: Vec<PastCheckIn>,
    next_id: i64,
    now: Timestamp,
    next_due: Option<Timestamp>,
    happened: Vec<Happening>,
}

impl Sim {
    fn new(state: WatchState, t: Thresholds) -> Self {
        let now = state.watched_since;
        let mut sim = Sim {
            state,
            t,
            history: Vec::new(),
            next_id: 1,
            now,
            next_due: None,
            happened: Vec::new(),
        };
        sim.settle();
        sim
    }

    fn kind_of(&self, id: AlertId) -> AlertKind {
        self.open(id).kind
    }

    fn open(&self, id: AlertId) -> &OpenAlert {
        self.state
            .open_alerts
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("action for alert {id}, which is not open"))
    }

    /// Applies one call's actions, checking the engine's promises.
    fn apply(&mut self, actions: Vec<Action>) {
        let mut kinds = Vec::new();
        for action in actions {
            let (kind, what, reason) = match action {
                Action::Open { kind, reason } => {
                    assert!(
                        self.state.open_alert(kind).is_none(),
                        "a second open alert of kind {kind}"
                    );
                    let id = AlertId(self.next_id);
                    self.next_id += 1;
                    self.state.open_alerts.push(OpenAlert {
                        id,
                        kind,
                        opened_at: self.now,
                        acknowledged: false,
                        escalated: false,
                    });
                    (kind, "open", reason)
                }
                Action::Escalate { alert, reason } => {
                    let kind = self.kind_of(alert);
                    let open = self.open(alert);
                    assert!(
                        !open.escalated && !open.acknowledged,
                        "escalated twice: {open:?}"
                    );
                    let due = open.opened_at.checked_add(self.t.escalate_after).unwrap();
                    assert!(self.now >= due, "escalated early: {open:?}");
                    for a in &mut self.state.open_alerts {
                        if a.id == alert {
                            a.escalated = true;
                        }
                    }
                    (kind, "escalate", reason)
                }
                Action::Close { alert, reason } => {
                    let kind = self.kind_of(alert);
                    self.state.open_alerts.retain(|a| a.id != alert);
                    (kind, "close", reason)
                }
            };
            assert!(!kinds.contains(&kind), "two actions for {kind} in one call");
            kinds.push(kind);
            self.happened.push(Happening {
                at: self.now,
                what: format!("{what} {kind}"),
                reason,
            });
        }
    }

    /// What the store does after every change: evaluate until quiet, and
    /// keep `next_due`.
    fn settle(&mut self) {
        for _ in 0..8 {
            let e = evaluate(&self.state, &self.t, self.now);
            if e.actions.is_empty() {
                self.check_next_due(e.next_due);
                self.next_due = e.next_due;
                return;
            }
            self.apply(e.actions);
        }
        panic!("evaluate never settles at {}", self.now);
    }

    /// `next_due` is in the future, and exact.
    fn check_next_due(&self, next_due: Option<Timestamp>) {
        let Some(due) = next_due else { return };
        assert!(
            due > self.now,
            "next_due {due} is not after now {}",
            self.now
        );
        let before = evaluate(&self.state, &self.t, due - SignedDuration::from_nanos(1));
        assert_eq!(before.actions, [], "something is due before next_due {due}");
        assert_eq!(before.next_due, Some(due));
        let at = evaluate(&self.state, &self.t, due);
        assert!(!at.actions.is_empty(), "nothing is due at next_due {due}");
    }

    /// Sweeps at every `next_due` up to `until`, then sets the clock to it.
    fn advance_to(&mut self, until: Timestamp) {
        assert!(
            until >= self.now,
            "time runs backwards: {until} < {}",
            self.now
        );
        while let Some(due) = self.next_due.filter(|due| *due <= until) {
            self.now = due;
            self.settle();
        }
        self.now = until;
    }

    /// The box synced: a check-in, an SOS or a heartbeat.
    fn box_contact(&mut self) {
        if self.state.box_contact.is_none() {
            return;
        }
        let actions = on_box_contact(&self.state, self.now);
        self.apply(actions);
        if let Some(contact) = &mut self.state.box_contact {
            contact.last_contact = Some(self.now);
        }
    }

    fn check_in(&mut self, answer: &Answer) {
        self.box_contact();
        let made = answer.made.unwrap_or(self.now);
        let check_in = CheckIn {
            resident: ResidentId(1),
            condition: answer.condition,
            symptoms: Vec::new(),
            symptom_note: None,
            medication: Vec::new(),
            vitals: answer.vitals,
            call_requested: answer.call,
            auth: Authentication::CardUid(UidProof {
                uid: "04A1B2C3D4E5F6".parse().unwrap(),
            }),
        };
        let actions = on_check_in(&check_in, made, &self.history, &self.state, &self.t);
        self.apply(actions);
        self.history.push(PastCheckIn {
            at: made,
            condition: answer.condition,
            weight_kg: answer.vitals.weight_kg,
        });
        self.state.last_check_in = Some(self.state.last_check_in.map_or(made, |l| l.max(made)));
    }

    fn sos(&mut self) {
        self.box_contact();
        let actions = on_sos(&self.state);
        self.apply(actions);
    }

    /// A nurse acknowledges (`resolve` false) or resolves the alert of `kind`.
    fn nurse(&mut self, kind: AlertKind, resolve: bool) {
        let id = self
            .state
            .open_alert(kind)
            .unwrap_or_else(|| panic!("no open {kind} alert"))
            .id;
        if resolve {
            self.state.open_alerts.retain(|a| a.id != id);
            self.state.last_resolved.retain(|(k, _)| *k != kind);
            self.state.last_resolved.push((kind, self.now));
        } else {
            for a in &mut self.state.open_alerts {
                if a.id == id {
                    a.acknowledged = true;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scripts.

/// The header, until the first dated line.
struct Setup {
    tz: TimeZone,
    deadline: TimeOfDay,
    since: Option<DateTime>,
    box_at: Option<DateTime>,
    overrides: Overrides,
}

struct Runner {
    setup: Setup,
    sim: Option<Sim>,
    year: i16,
    /// How many happenings earlier lines have accounted for.
    seen: usize,
}

fn fail(line_no: usize, line: &str, message: impl std::fmt::Display) -> ! {
    panic!("line {line_no}: `{}`: {message}", line.trim())
}

fn kind(text: &str) -> AlertKind {
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn condition(text: &str) -> Condition {
    match text {
        "good" => Condition::Good,
        "fair" => Condition::Fair,
        "poor" => Condition::Poor,
        _ => panic!("`{text}` is not good, fair or poor"),
    }
}

fn tenths(text: &str) -> Tenths {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// `key=value …` into per-resident overrides, through their config format.
fn overrides(pairs: &[&str]) -> Overrides {
    let mut map = serde_json::Map::new();
    for pair in pairs {
        let (key, value) = pair.split_once('=').expect("key=value");
        let value = match serde_json::from_str::<serde_json::Number>(value) {
            Ok(n) => serde_json::Value::Number(n),
            Err(_) => serde_json::Value::String(value.to_owned()),
        };
        map.insert(key.to_owned(), value);
    }
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_else(|e| panic!("{e}"))
}

impl Runner {
    fn new() -> Self {
        Runner {
            setup: Setup {
                tz: TimeZone::get("Asia/Tokyo").unwrap(),
                deadline: TimeOfDay::new(12, 0).unwrap(),
                since: None,
                box_at: None,
                overrides: Overrides::default(),
            },
            sim: None,
            year: 2026,
            seen: 0,
        }
    }

    /// `2026-11-02` or `11-02` (in the year of the line before).
    fn date(&mut self, text: &str) -> Date {
        let full = if text.len() == 5 {
            format!("{}-{text}", self.year)
        } else {
            text.to_owned()
        };
        let date: Date = full.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"));
        self.year = date.year();
        date
    }

    fn date_time(&mut self, date: &str, time: &str) -> DateTime {
        let date = self.date(date);
        let time = time.parse().unwrap_or_else(|e| panic!("`{time}`: {e}"));
        date.to_datetime(time)
    }

    fn instant(&self, at: DateTime) -> Timestamp {
        at.to_zoned(self.setup.tz.clone()).unwrap().timestamp()
    }

    fn header(&mut self, words: &[&str]) {
        match words {
            ["tz", name] => self.setup.tz = TimeZone::get(name).unwrap(),
            ["deadline", time] => self.setup.deadline = time.parse().unwrap(),
            ["since", date, time] => self.setup.since = Some(self.date_time(date, time)),
            ["box", date, time] => self.setup.box_at = Some(self.date_time(date, time)),
            ["set", pairs @ ..] => self.setup.overrides = overrides(pairs),
            _ => panic!("not a header line: {words:?}"),
        }
    }

    fn start(&mut self) -> &mut Sim {
        if self.sim.is_none() {
            let since = self.setup.since.expect("a `since` line");
            let mut state = WatchState::new(self.instant(since));
            state.tz = self.setup.tz.clone();
            state.deadline = self.setup.deadline;
            state.box_contact = self.setup.box_at.map(|at| BoxContact {
                assigned_at: self.instant(at),
                last_contact: None,
            });
            let t = Thresholds::default().with(&self.setup.overrides);
            self.sim = Some(Sim::new(state, t));
        }
        self.sim.as_mut().unwrap()
    }

    fn line(&mut self, line_no: usize, line: &str) {
        let text = line.split('#').next().unwrap().trim();
        if text.is_empty() {
            return;
        }
        let (event, expected) = match text.split_once("=>") {
            Some((event, expected)) => (event.trim(), expected.trim()),
            None => (text, ""),
        };
        let words: Vec<&str> = event.split_whitespace().collect();
        let starts_with_date = words[0].as_bytes()[0].is_ascii_digit();
        if !starts_with_date {
            assert!(
                self.sim.is_none(),
                "line {line_no}: header after the first event"
            );
            self.header(&words);
            return;
        }
        // `MM-DD --`: nothing happens all day.
        let (at, event) = match words.get(1) {
            Some(time) if time.contains(':') => (self.date_time(words[0], time), &words[2..]),
            _ => {
                let date = self.date(words[0]);
                (date.at(23, 59, 59, 0), &words[1..])
            }
        };
        let at = self.instant(at);
        let sim = self.start();
        sim.advance_to(at);
        self.event(line_no, line, event);
        self.compare(line_no, line, at, expected);
    }

    fn event(&mut self, line_no: usize, line: &str, words: &[&str]) {
        let year = self.year;
        let tz = self.setup.tz.clone();
        let sim = self.sim.as_mut().unwrap();
        match words {
            [] | ["--"] => return,
            ["check_in", c, extra @ ..] => {
                let mut answer = Answer {
                    condition: condition(c),
                    vitals: Vitals::default(),
                    call: false,
                    made: None,
                };
                for word in extra {
                    match word.split_once('=') {
                        Some(("bp", v)) => {
                            let (s, d) = v.split_once('/').unwrap();
                            answer.vitals.blood_pressure = Some(BloodPressure {
                                systolic_mmhg: s.parse().unwrap(),
                                diastolic_mmhg: d.parse().unwrap(),
                            });
                        }
                        Some(("temp", v)) => answer.vitals.temperature_c = Some(tenths(v)),
                        Some(("weight", v)) => answer.vitals.weight_kg = Some(tenths(v)),
                        Some(("made", v)) => {
                            let full = if v.len() == 11 {
                                format!("{year}-{v}")
                            } else {
                                v.to_string()
                            };
                            let made: DateTime = full.parse().unwrap();
                            answer.made = Some(made.to_zoned(tz.clone()).unwrap().timestamp());
                        }
                        None if *word == "call" => answer.call = true,
                        _ => fail(line_no, line, format!("unknown check-in detail `{word}`")),
                    }
                }
                sim.check_in(&answer);
            }
            ["contact"] => sim.box_contact(),
            ["sos"] => sim.sos(),
            ["ack", k] => sim.nurse(kind(k), false),
            ["resolve", k] => sim.nurse(kind(k), true),
            ["pause", through] => {
                let through = self.date(through);
                let sim = self.sim.as_mut().unwrap();
                sim.state.paused_through = Some(through);
            }
            ["unpause"] => sim.state.paused_through = None,
            _ => fail(line_no, line, "unknown event"),
        }
        self.sim.as_mut().unwrap().settle();
    }

    /// What happened since the previous line must be exactly `expected`, at
    /// `at`.
    fn compare(&mut self, line_no: usize, line: &str, at: Timestamp, expected: &str) {
        let sim = self.sim.as_ref().unwrap();
        let new = &sim.happened[self.seen..];
        self.seen = sim.happened.len();
        let expected = parse_expected(expected);
        let tz = &self.setup.tz;
        let mut problems = String::new();
        for h in new.iter().filter(|h| h.at != at) {
            let when = h.at.to_zoned(tz.clone()).strftime("%m-%d %H:%M:%S");
            let _ = writeln!(problems, "  {} at {when}, with no line for it", h.what);
        }
        let got: Vec<&str> = new.iter().map(|h| h.what.as_str()).collect();
        let want: Vec<&str> = expected.iter().map(|(w, _)| w.as_str()).collect();
        if got != want {
            let _ = writeln!(problems, "  expected {want:?}\n  got      {got:?}");
        }
        for ((what, reason), h) in expected.iter().zip(new) {
            if let Some(reason) = reason {
                if *reason != h.reason {
                    let _ = writeln!(
                        problems,
                        "  {what}: reason\n    {}\n  expected\n    {reason}",
                        h.reason
                    );
                }
            }
        }
        if !problems.is_empty() {
            fail(line_no, line, format!("\n{problems}"));
        }
    }
}

/// `open missed "reason", close box_offline` into pairs.
fn parse_expected(text: &str) -> Vec<(String, Option<String>)> {
    let mut items = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let end = rest.find([',', '"']).unwrap_or(rest.len());
        let what = rest[..end].trim().to_owned();
        rest = &rest[end..];
        let mut reason = None;
        if let Some(quoted) = rest.strip_prefix('"') {
            let close = quoted.find('"').expect("closing quote");
            reason = Some(quoted[..close].to_owned());
            rest = quoted[close + 1..].trim_start();
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        items.push((what, reason));
    }
    items
}

/// Plays a script; panics with the line that went wrong.
fn play(script: &str) {
    let mut runner = Runner::new();
    for (i, line) in script.lines().enumerate() {
        runner.line(i + 1, line);
    }
}

// ---------------------------------------------------------------------------
// Scenarios.

#[test]
fn missed_then_resumed() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good   # Monday
        11-03 --
        11-04 11:59 --
        11-04 12:00 => open missed "2日間記録がありません（最終記録 11月2日 9:00）"
        11-04 15:00 ack missed           # a nurse takes it: no escalation
        11-05 08:00 check_in fair => close missed "記録が再開されました（11月5日 8:00 の記録）"
        11-06 --
        11-07 12:00 => open missed "2日間記録がありません（最終記録 11月5日 8:00）"
        11-07 16:00 => escalate missed "「記録が途絶えています」が4時間確認されていません（発生 11月7日 12:00）"
        11-08 --                         # open and escalated: nothing more
        11-09 --
        "#,
    );
}

#[test]
fn an_ordinary_week_raises_nothing() {
    play(
        "
        since 2026-11-01 08:00
        2026-11-02 07:30 check_in good
        11-03 18:45 check_in fair
        11-04 --                         # one silent day is no concern yet
        11-05 11:59 check_in good        # a minute before the deadline
        11-06 06:10 check_in good
        11-07 21:00 check_in fair
        11-08 --
        11-09 11:00 check_in good
        11-10 --
        ",
    );
}

#[test]
fn registered_but_never_checked_in() {
    play(
        r#"
        since 2026-11-01 08:00
        11-02 --
        11-03 12:00 => open missed "登録から2日間記録がありません（登録 11月1日）"
        11-03 12:05 ack missed
        11-03 18:00 check_in good => close missed
        11-04 --
        "#,
    );
}

#[test]
fn a_check_in_at_2359_and_one_at_0001_belong_to_different_days() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 23:59 check_in good
        11-03 --
        11-04 12:00 => open missed "2日間記録がありません（最終記録 11月2日 23:59）"
        "#,
    );
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-03 00:01 check_in good
        11-04 --
        11-05 11:59 --
        11-05 12:00 => open missed "2日間記録がありません（最終記録 11月3日 0:01）"
        "#,
    );
}

#[test]
fn a_deadline_around_midnight() {
    play(
        "
        deadline 00:00
        since 2026-11-01 08:00
        2026-11-02 23:50 check_in good
        11-03 --
        11-04 00:00 => open missed
        ",
    );
    play(
        "
        deadline 23:30
        since 2026-11-01 08:00
        2026-11-02 23:45 check_in good   # after that day's deadline: still Monday's
        11-04 23:29 check_in good        # just in time
        11-05 --
        11-06 23:29 --
        11-06 23:30 => open missed
        ",
    );
}

#[test]
fn month_ends_leap_days_and_year_ends() {
    play(
        r#"
        since 2027-01-31 08:00
        2027-01-31 09:00 check_in good
        02-01 --
        02-02 12:00 => open missed "2日間記録がありません（最終記録 1月31日 9:00）"
        "#,
    );
    play(
        "
        since 2027-02-27 08:00
        2027-02-27 09:00 check_in good
        02-28 --
        03-01 12:00 => open missed        # 2027 has no February 29
        ",
    );
    play(
        r#"
        since 2028-02-27 08:00
        2028-02-27 09:00 check_in good
        02-28 --
        02-29 12:00 => open missed
        02-29 13:00 check_in good => close missed
        03-01 --
        03-02 12:00 => open missed "2日間記録がありません（最終記録 2月29日 13:00）"
        "#,
    );
    play(
        r#"
        since 2026-12-31 08:00
        2026-12-31 23:59 check_in good
        2027-01-01 --
        01-02 12:00 => open missed "2日間記録がありません（最終記録 2026年12月31日 23:59）"
        "#,
    );
    play(
        r#"
        set missed_days=1
        since 2026-12-30 08:00
        2026-12-30 09:00 check_in good
        12-31 09:00 check_in poor
        2027-01-01 09:00 check_in poor => open declining "2日続けて「わるい」と回答しています（2026年12月31日〜1月1日）"
        01-01 10:00 ack declining
        01-02 11:59 --
        01-02 12:00 => open missed "1日間記録がありません（最終記録 1月1日 9:00）"
        01-02 16:00 => escalate missed
        "#,
    );
}

#[test]
fn no_missed_alert_during_a_hospital_stay_and_counting_restarts_after_it() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good
        11-03 10:00 pause 11-10          # 入院中 through 11-10
        11-04 --
        11-07 --
        11-10 --
        11-11 --
        11-12 12:00 => open missed "見守りの休止（11月10日まで）の後、2日間記録がありません（最終記録 11月2日 9:00）"
        "#,
    );
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good
        11-03 10:00 pause 11-10
        11-11 15:00 check_in fair        # home again
        11-12 --
        11-13 12:00 => open missed "2日間記録がありません（最終記録 11月11日 15:00）"
        "#,
    );
    // Ended early: the store sets the pause to end that day.
    play(
        "
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good
        11-03 10:00 pause 11-20
        11-06 10:00 pause 11-06          # discharged early
        11-07 --
        11-08 12:00 => open missed
        ",
    );
}

#[test]
fn a_box_left_off_during_a_trip_is_news_only_after_it() {
    play(
        r#"
        since 2026-11-01 08:00
        box 2026-11-01 08:00
        2026-11-01 08:05 contact
        11-02 07:00 contact
        11-02 09:00 check_in good
        11-03 08:00 contact
        11-03 10:00 pause 11-10          # 旅行中: the TV unplugged
        11-05 --
        11-10 --
        11-11 23:59 --
        11-12 00:00 => open box_offline "見守りの休止（11月10日まで）の後、端末から24時間通信がありません（最終通信 11月3日 8:00）"
        "#,
    );
    play(
        "
        since 2026-11-01 08:00
        box 2026-11-01 08:00
        2026-11-01 08:05 contact
        11-02 07:00 contact
        11-02 09:00 check_in good
        11-03 08:00 contact
        11-03 10:00 pause 11-10
        11-11 09:00 contact              # home again, the TV on
        11-12 08:59 --
        11-12 09:00 => open box_offline
        ",
    );
}

#[test]
fn a_trip_holds_back_declining_but_not_vitals() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good
        11-03 09:00 pause 11-06          # 旅行中, still checking in
        11-04 09:00 check_in poor
        11-05 09:00 check_in poor        # no declining while paused
        11-06 09:00 check_in poor bp=185/100 => open vitals "血圧 185/100 mmHg（上 180 以上）"
        11-06 10:00 ack vitals
        11-07 09:00 check_in poor        # days within the pause do not count
        11-08 09:00 check_in poor => open declining "2日続けて「わるい」と回答しています（11月7日〜11月8日）"
        11-08 09:30 ack declining
        11-09 --
        "#,
    );
}

#[test]
fn escalation_after_four_hours_unless_acknowledged() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in fair temp=38.5 => open vitals "体温 38.5 ℃（38.0 ℃ 以上）"
        11-02 12:59 --
        11-02 13:00 => escalate vitals "「測定値の異常」が4時間確認されていません（発生 11月2日 9:00）"
        11-02 14:00 ack vitals
        11-02 20:00 sos => open sos "緊急通報がありました"
        11-02 23:59 ack sos              # in time
        11-03 09:00 check_in good call => open call_requested "連絡を希望しています（11月3日 9:00 の記録、体調「よい」）"
        11-03 13:00 => escalate call_requested
        11-03 15:00 resolve call_requested
        11-03 15:00 resolve vitals
        11-03 15:00 resolve sos
        11-04 19:59 --
        11-04 20:00 sos => open sos     # resolved: a new SOS is a new alert
        11-04 20:01 sos                 # pressed again: still one alert
        11-05 00:00 => escalate sos
        "#,
    );
}

#[test]
fn a_resident_declines_then_recovers() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good
        11-03 09:00 check_in poor
        11-04 09:00 check_in poor => open declining "2日続けて「わるい」と回答しています（11月3日〜11月4日）"
        11-04 11:00 ack declining
        11-05 09:00 check_in poor        # still poor: no second alert while one is open
        11-06 09:00 check_in fair
        11-07 09:00 check_in good
        11-07 14:00 resolve declining    # visited
        11-08 09:00 check_in poor        # one poor day is not a decline
        11-09 09:00 check_in good
        11-10 09:00 check_in poor
        11-11 09:00 check_in poor => open declining "2日続けて「わるい」と回答しています（11月10日〜11月11日）"
        11-11 13:00 => escalate declining
        "#,
    );
    // Resolved while still poor: the next poor day opens a new one.
    play(
        "
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in poor
        11-03 09:00 check_in poor => open declining
        11-03 10:00 ack declining
        11-03 16:00 resolve declining
        11-03 20:00 check_in good        # better than this morning: no news
        11-04 09:00 check_in poor => open declining
        ",
    );
}

#[test]
fn a_step_down_from_usual_held_over_three_days() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-01 09:00 check_in good
        11-02 09:00 check_in good
        11-03 09:00 check_in fair
        11-04 09:00 check_in good
        11-05 --                         # a day without a record
        11-06 09:00 check_in good
        11-07 09:00 check_in good
        11-08 09:00 check_in good
        11-09 09:00 check_in good
        11-10 09:00 check_in fair
        11-11 09:00 check_in good
        11-12 09:00 check_in good
        11-13 09:00 check_in good
        11-14 09:00 check_in good
        11-15 09:00 check_in fair
        11-16 09:00 check_in fair
        11-17 09:00 check_in fair => open declining "体調がふだんより悪い日が続いています（直近3日: ふつう、ふつう、ふつう／ふだん: よい）"
        11-17 10:00 ack declining
        11-18 --
        "#,
    );
}

#[test]
fn vitals_out_of_range() {
    play(
        r#"
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in good bp=150/90 weight=52.0
        11-03 09:00 check_in good bp=186/95 => open vitals "血圧 186/95 mmHg（上 180 以上）"
        11-03 09:30 ack vitals
        11-03 19:00 check_in good temp=38.6   # while one is open: not again
        11-04 09:00 check_in good weight=53.0
        11-04 10:00 resolve vitals
        11-05 09:00 check_in good weight=54.0 => open vitals "体重 54.0 kg（3日間で 2.0 kg 増加、最低 52.0 kg）"
        11-05 09:10 ack vitals
        11-06 09:00 check_in fair bp=88/55
        11-06 10:00 resolve vitals
        11-07 09:00 check_in fair bp=88/55 => open vitals "血圧 88/55 mmHg（上 90 以下）"
        "#,
    );
}

#[test]
fn a_box_goes_offline_and_comes_back() {
    play(
        r#"
        since 2026-11-01 08:00
        box 2026-11-01 08:00
        2026-11-01 08:05 contact
        11-02 07:00 contact
        11-02 09:00 check_in good        # through the box: a contact too
        11-03 08:00 contact
        11-04 07:59 --
        11-04 08:00 => open box_offline "端末から24時間通信がありません（最終通信 11月3日 8:00）"
        11-04 09:00 ack box_offline
        11-04 12:00 => open missed       # no check-in reaches the center either
        11-04 12:30 ack missed
        11-05 10:00 contact => close box_offline "端末との通信が再開されました（11月5日 10:00）"
        11-05 10:00 check_in good made=11-04T08:30 => close missed "記録が再開されました（11月4日 8:30 の記録）"
        11-05 20:00 contact
        11-06 09:00 check_in good
        11-06 --
        "#,
    );
    play(
        r#"
        since 2026-11-01 08:00
        box 2026-11-01 08:00
        2026-11-02 07:59 --
        11-02 08:00 => open box_offline "端末の設置から24時間通信がありません（設置 11月1日 8:00）"
        11-02 11:00 contact => close box_offline
        "#,
    );
}

#[test]
fn a_nurse_resolves_while_the_silence_goes_on() {
    play(
        r#"
        since 2026-11-01 08:00
        box 2026-11-01 08:00
        2026-11-01 10:00 contact
        11-02 09:00 check_in good
        11-03 09:00 => open box_offline
        11-03 09:30 ack box_offline
        11-03 10:00 resolve box_offline  # phoned her: the box is unplugged, she is well
        11-04 09:59 --
        11-04 10:00 => open box_offline "前回の対応（11月3日 10:00）の後、端末から24時間通信がありません（最終通信 11月2日 9:00）"
        11-04 10:05 ack box_offline
        11-04 12:00 => open missed
        11-04 15:00 ack missed
        11-04 16:00 resolve missed       # visited: well, but the box is still off
        11-05 --
        11-06 11:59 --
        11-06 12:00 => open missed "前回の対応（11月4日 16:00）の後、2日間記録がありません（最終記録 11月2日 9:00）"
        "#,
    );
}

#[test]
fn per_resident_overrides() {
    play(
        r#"
        set missed_days=3 declining_days=3 systolic_high=160 escalate_after=1h
        since 2026-11-01 08:00
        2026-11-02 09:00 check_in poor
        11-03 09:00 check_in poor        # two poor days are not enough for her
        11-04 09:00 check_in poor bp=165/90 => open vitals "血圧 165/90 mmHg（上 160 以上）", open declining "3日続けて「わるい」と回答しています（11月2日〜11月4日）"
        11-04 10:00 => escalate declining, escalate vitals
        11-04 11:00 resolve vitals
        11-04 11:00 resolve declining
        11-05 --
        11-06 --
        11-07 12:00 => open missed "3日間記録がありません（最終記録 11月4日 9:00）"
        11-07 13:00 => escalate missed
        "#,
    );
}

#[test]
fn the_residents_time_zone_decides_the_day() {
    // 23:30 UTC on Monday is 08:30 on Tuesday in Tokyo.
    play(
        r#"
        tz UTC
        since 2026-11-01 00:00
        2026-11-02 23:30 check_in good
        11-03 --
        11-04 11:59 --
        11-04 12:00 => open missed "2日間記録がありません（最終記録 11月2日 23:30）"
        "#,
    );
    play(
        "
        since 2026-11-01 09:00
        2026-11-03 08:30 check_in good
        11-04 12:00 --
        11-05 12:00 => open missed
        ",
    );
}

#[test]
fn the_harness_catches_what_a_script_leaves_out() {
    let missing_line = std::panic::catch_unwind(|| {
        play(
            "
            since 2026-11-01 08:00
            2026-11-02 09:00 check_in good
            11-05 --
            ",
        );
    });
    let message = *missing_line.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("open missed at 11-04 12:00:00, with no line for it"),
        "{message}"
    );
    let wrong_reason = std::panic::catch_unwind(|| {
        play(
            r#"
            since 2026-11-01 08:00
            2026-11-02 09:00 check_in good
            11-04 12:00 => open missed "3日間記録がありません"
            "#,
        );
    });
    assert!(wrong_reason.is_err());
}

// ---------------------------------------------------------------------------
// Random histories.

#[derive(Debug, Clone)]
enum Step {
    CheckIn {
        condition: Condition,
        systolic: u16,
        weight: i32,
        call: bool,
        late_minutes: i64,
    },
    Contact,
    Sos,
    Ack(usize),
    Resolve(usize),
    Pause(u32),
    Unpause,
}

fn step() -> impl Strategy<Value = Step> {
    let condition = prop_oneof![
        Just(Condition::Good),
        Just(Condition::Fair),
        Just(Condition::Poor)
    ];
    prop_oneof![
        6 => (condition, 85u16..200, 480i32..560, proptest::bool::weighted(0.1), prop_oneof![3 => Just(0i64), 1 => 0i64..3000])
            .prop_map(|(condition, systolic, weight, call, late_minutes)| Step::CheckIn {
                condition, systolic, weight, call, late_minutes
            }),
        2 => Just(Step::Contact),
        1 => Just(Step::Sos),
        2 => (0usize..7).prop_map(Step::Ack),
        2 => (0usize..7).prop_map(Step::Resolve),
        1 => (0u32..6).prop_map(Step::Pause),
        1 => Just(Step::Unpause),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// For random histories the engine keeps its promises: the harness
    /// checks at every step that no kind is open twice, that no call acts
    /// twice on one kind, and that `next_due` is after `now` and exact.
    #[test]
    fn random_histories_keep_the_promises(
        zone in prop_oneof![Just("Asia/Tokyo"), Just("UTC"), Just("America/New_York")],
        // Across a year end, a clock change in New York (2027-03-14), a leap day.
        start in prop_oneof![
            Just("2026-12-20T08:00:00+09:00"),
            Just("2027-03-05T08:00:00+09:00"),
            Just("2028-02-20T08:00:00+09:00"),
        ],
        deadline_minutes in 0u16..1440,
        missed_days in 1u32..4,
        declining_days in 1u32..4,
        escalate_hours in 1i64..8,
        with_box in proptest::bool::ANY,
        steps in proptest::collection::vec((0i64..2880, step()), 1..80),
    ) {
        let tz = TimeZone::get(zone).unwrap();
        let since: Timestamp = start.parse().unwrap();
        let mut state = WatchState::new(since);
        state.tz = tz.clone();
        state.deadline = TimeOfDay::new(
            u8::try_from(deadline_minutes / 60).unwrap(),
            u8::try_from(deadline_minutes % 60).unwrap(),
        ).unwrap();
        if with_box {
            state.box_contact = Some(BoxContact { assigned_at: since, last_contact: None });
        }
        let t = Thresholds {
            missed_days,
            declining_days,
            decline_baseline_days: 5,
            escalate_after: SignedDuration::from_hours(escalate_hours),
            ..Thresholds::default()
        };
        let mut sim = Sim::new(state, t);
        for (gap, step) in steps {
            let until = sim.now.checked_add(SignedDuration::from_mins(gap)).unwrap();
            sim.advance_to(until);
            match step {
                Step::CheckIn { condition, systolic, weight, call, late_minutes } => {
                    let made = sim.now.checked_sub(SignedDuration::from_mins(late_minutes)).unwrap();
                    sim.check_in(&Answer {
                        condition,
                        vitals: Vitals {
                            blood_pressure: Some(BloodPressure { systolic_mmhg: systolic, diastolic_mmhg: 70 }),
                            weight_kg: Some(Tenths(weight)),
                            ..Vitals::default()
                        },
                        call,
                        made: Some(made.max(since)),
                    });
                }
                Step::Contact => sim.box_contact(),
                Step::Sos => sim.sos(),
                Step::Ack(i) | Step::Resolve(i) => {
                    let open: Vec<AlertKind> = sim.state.open_alerts.iter().map(|a| a.kind).collect();
                    if !open.is_empty() {
                        sim.nurse(open[i % open.len()], matches!(step, Step::Resolve(_)));
                    }
                }
                Step::Pause(days) => {
                    let today = sim.now.to_zoned(tz.clone()).date();
                    sim.state.paused_through = Some(today.checked_add(jiff::Span::new().days(days)).unwrap());
                }
                Step::Unpause => sim.state.paused_through = None,
            }
            sim.settle();
            let mut kinds: Vec<AlertKind> = sim.state.open_alerts.iter().map(|a| a.kind).collect();
            let count = kinds.len();
            kinds.sort();
            kinds.dedup();
            prop_assert_eq!(kinds.len(), count, "two open alerts of one kind");
        }
        // And the sweeps go on: a week more of silence.
        let end = sim.now.checked_add(SignedDuration::from_hours(24 * 7)).unwrap();
        sim.advance_to(end);
    }
}
