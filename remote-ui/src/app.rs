//! The state machine: events in, effects out, and the current [`Screen`].

use std::collections::BTreeMap;

use mimamori_protocol::{
    CalendarDate, MedicationStatus, ResidentId, ResidentInfo, Sos, SosSource, Timestamp,
};

use crate::event::{
    BoxData, CardEvent, CheckInDraft, Chime, Effect, Event, Key, LedPattern, Pin, PinResult,
    SyncStatus,
};
use crate::flow::{Answers, SYMPTOM_PAGES, Step, VitalField, questions};
use crate::reminder::{ReminderPolicy, Reminders, due_residents};
use crate::screen::Screen;

/// Length of a JPKI user-authentication PIN.
pub const PIN_DIGITS: usize = 4;
/// How long 「カードが抜かれました」 stays before the standby screen, seconds.
pub const CARD_REMOVED_SECONDS: i64 = 10;
/// How long 「連絡しました」 stays before the screen underneath, seconds.
pub const SOS_SENT_SECONDS: i64 = 60;
/// After this many seconds without a key in the middle of a check-in, one
/// reminder chime. Nothing entered is ever dropped by waiting.
pub const IDLE_NUDGE_SECONDS: i64 = 180;

/// A message screen without a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Message {
    UnknownCard,
    CardLocked,
    CardRemoved { since: Option<Timestamp> },
}

/// A check-in or menu visit with a card in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) resident: ResidentInfo,
    pub(crate) jpki: bool,
    pub(crate) steps: Vec<Step>,
    pub(crate) step: Step,
    pub(crate) answers: Answers,
    pub(crate) error: Option<String>,
    /// The confirmed check-in, until the daemon stored it.
    pub(crate) confirmed: Option<CheckInDraft>,
    pub(crate) nudged: bool,
    /// Symptom pages already answered: coming back, the focus is on 「次へ」
    /// so that OK walks through without toggling.
    pub(crate) pages_done: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    Standby,
    Message(Message),
    Pin {
        resident: ResidentInfo,
        tries_left: u8,
        digits: String,
        error: Option<String>,
    },
    PinChecking {
        resident: ResidentInfo,
        tries_left: u8,
    },
    PinRefused,
    Session(Box<Session>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SosView {
    Confirm(SosSource),
    Sent { at: Option<Timestamp> },
}

/// What a choice does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    StartCheckIn,
    OpenMenu,
    Condition(mimamori_protocol::Condition),
    HasSymptoms(bool),
    Toggle(mimamori_protocol::Symptom),
    NextPage,
    Medication(MedicationStatus),
    VitalOk,
    VitalSkip,
    Call(bool),
    Save,
    Fix,
    Finish,
    History,
    Notices,
    Checkups,
    NextItem,
    PrevItem,
    ToMenu,
    Retry,
    PinOk,
    SosCancel,
    SosSend,
    SosClose,
    DismissReminder,
}

/// One choice as the state machine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opt {
    pub(crate) label: String,
    pub(crate) action: Action,
    pub(crate) face: Option<mimamori_protocol::Condition>,
    pub(crate) checked: Option<bool>,
}

impl Opt {
    pub(crate) fn new(label: impl Into<String>, action: Action) -> Self {
        Self {
            label: label.into(),
            action,
            face: None,
            checked: None,
        }
    }
}

/// The TV UI: feed it [`Event`]s, do the [`Effect`]s it returns, and draw
/// [`App::screen`].
///
/// ```
/// use mimamori_remote_ui::{App, Event, Key, ScreenKind};
///
/// let mut app = App::new();
/// assert_eq!(app.screen().kind, ScreenKind::Standby);
/// let effects = app.handle(Event::Key(Key::Ok));
/// assert!(!effects.is_empty()); // a "nothing to do here" chime
/// ```
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) now: Option<Timestamp>,
    pub(crate) data: BoxData,
    pub(crate) sync: SyncStatus,
    pub(crate) reader_ok: bool,
    pub(crate) state: State,
    pub(crate) sos: Option<SosView>,
    pub(crate) focus: usize,
    /// Check-ins stored this run, by resident: the day they are for.
    pub(crate) saved_on: BTreeMap<ResidentId, CalendarDate>,
    /// Confirmed check-ins the daemon failed to store, kept until a retry
    /// succeeds; offered again at the resident's next login.
    pub(crate) unsaved: BTreeMap<ResidentId, CheckInDraft>,
    pub(crate) last_key_at: Option<Timestamp>,
    pub(crate) reminders: Reminders,
    pub(crate) reminder_policy: ReminderPolicy,
    /// The reminder's prompt is on the standby screen until dismissed.
    pub(crate) prompt: bool,
    /// The room's 暑さ指数, when the box has a sensor.
    pub(crate) room: Option<mimamori_firmware::Wbgt>,
    pub(crate) led: Option<LedPattern>,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    /// A UI on the standby screen with no data yet.
    pub fn new() -> Self {
        Self {
            now: None,
            data: BoxData::default(),
            sync: SyncStatus::Online,
            reader_ok: true,
            state: State::Standby,
            sos: None,
            focus: 0,
            saved_on: BTreeMap::new(),
            unsaved: BTreeMap::new(),
            last_key_at: None,
            reminders: Reminders::default(),
            reminder_policy: ReminderPolicy::default(),
            prompt: false,
            room: None,
            led: None,
        }
    }

    /// A UI with data and a clock, for tests and `render` samples.
    pub fn with_data(data: BoxData, now: Timestamp) -> Self {
        let mut app = Self::new();
        app.data = data;
        app.now = Some(now);
        app
    }

    /// Sets how often the reminder prompts (from the box's configuration).
    pub fn set_reminder_policy(&mut self, policy: ReminderPolicy) {
        self.reminder_policy = policy;
    }

    /// Whether the room's 暑さ指数 is at 危険 now.
    pub fn heat_danger(&self) -> bool {
        self.room
            .is_some_and(|w| w.risk() == mimamori_firmware::HeatRisk::Danger)
    }

    /// Handles one event and returns what the daemon should do.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match event {
            Event::Key(key) => {
                self.last_key_at = self.now;
                if let State::Session(s) = &mut self.state {
                    s.nudged = false;
                }
                self.on_key(key, &mut fx);
            }
            Event::CallButton if matches!(self.sos, Some(SosView::Confirm(_))) => {
                self.act(Action::SosSend, &mut fx);
            }
            Event::Held(Key::Red) | Event::CallButton => {
                let source = if event == Event::CallButton {
                    SosSource::CallButton
                } else {
                    SosSource::Remote
                };
                if !matches!(self.sos, Some(SosView::Confirm(_))) {
                    self.sos = Some(SosView::Confirm(source));
                    self.refocus();
                    fx.push(Effect::WakeTv);
                    fx.push(Effect::Chime(Chime::Click));
                }
            }
            Event::Held(_) => {}
            Event::Card(card) => self.on_card(card, &mut fx),
            Event::Pin(result) => self.on_pin(result, &mut fx),
            Event::SaveFailed => self.on_save_failed(&mut fx),
            Event::Sync(status) => self.sync = status,
            Event::Data(data) => self.data = *data,
            Event::Tick(now) => self.on_tick(now, &mut fx),
            Event::Room(wbgt) => {
                let was = self.heat_danger();
                self.room = wbgt;
                if self.heat_danger() && !was {
                    fx.push(Effect::WakeTv);
                    fx.push(Effect::Chime(Chime::Reminder));
                }
            }
        }
        self.update_led(&mut fx);
        fx
    }

    /// What the TV shows now.
    pub fn screen(&self) -> Screen {
        crate::view::screen(self)
    }

    /// Whether a card session (PIN, check-in or menu) is under way.
    pub fn in_session(&self) -> bool {
        !matches!(
            self.state,
            State::Standby | State::Message(_) | State::PinRefused
        )
    }

    /// Confirmed check-ins that the daemon reported it could not store.
    pub fn unsaved(&self) -> impl Iterator<Item = &CheckInDraft> {
        self.unsaved.values()
    }

    pub(crate) fn today(&self) -> Option<CalendarDate> {
        self.now
            .map(|t| CalendarDate(t.as_offset_date_time().date()))
    }

    pub(crate) fn done_today(&self, resident: ResidentId) -> bool {
        let Some(today) = self.today() else {
            return false;
        };
        self.saved_on.get(&resident) == Some(&today)
            || self
                .data
                .standings
                .iter()
                .any(|s| s.resident == resident && s.last_check_in_on == Some(today))
            || self.data.history.get(&resident).is_some_and(|days| {
                days.iter()
                    .any(|d| d.date == today && d.condition.is_some())
            })
    }

    fn resident(&self, id: ResidentId) -> Option<ResidentInfo> {
        self.data.residents.iter().find(|r| r.id == id).cloned()
    }

    // ---- keys -----------------------------------------------------------

    fn on_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let opts = crate::view::options(self);
        let entry = self.digits_are_data();
        let before = fx.len();
        match key {
            Key::Up | Key::Down | Key::Right => self.move_focus(key, opts.len(), fx),
            Key::Left if !entry => self.move_focus(key, opts.len(), fx),
            Key::Left => self.delete_digit(fx),
            Key::Ok => {
                if let Some(opt) = opts.get(self.focus) {
                    self.act(opt.action, fx);
                }
            }
            Key::Blue | Key::Red | Key::Green | Key::Yellow => {
                let index = match key {
                    Key::Blue => 0,
                    Key::Red => 1,
                    Key::Green => 2,
                    _ => 3,
                };
                if let Some(opt) = opts.get(index) {
                    self.act(opt.action, fx);
                }
            }
            Key::Digit(d) if entry => self.type_digit(d, fx),
            Key::Digit(d @ 1..=4) => {
                if let Some(opt) = opts.get(usize::from(d) - 1) {
                    self.act(opt.action, fx);
                }
            }
            Key::Digit(_) => {}
            Key::Back => self.back(fx),
        }
        if fx.len() == before {
            fx.push(Effect::Chime(Chime::Refused));
        }
    }

    pub(crate) fn digits_are_data(&self) -> bool {
        if self.sos.is_some() {
            return false;
        }
        match &self.state {
            State::Pin { .. } => true,
            State::Session(s) => matches!(s.step, Step::Vital(_)),
            _ => false,
        }
    }

    fn move_focus(&mut self, key: Key, len: usize, fx: &mut Vec<Effect>) {
        let forward = matches!(key, Key::Down | Key::Right);
        let next = if forward {
            self.focus + 1
        } else {
            self.focus.wrapping_sub(1)
        };
        if next < len {
            self.focus = next;
            fx.push(Effect::Chime(Chime::Click));
        }
    }

    fn type_digit(&mut self, d: u8, fx: &mut Vec<Effect>) {
        if d > 9 {
            return;
        }
        let c = char::from(b'0' + d);
        match &mut self.state {
            State::Pin { digits, error, .. } => {
                if error.is_some() {
                    *error = None;
                }
                if digits.len() < PIN_DIGITS {
                    digits.push(c);
                    fx.push(Effect::Chime(Chime::Click));
                }
            }
            State::Session(s) => {
                if let Step::Vital(field) = s.step {
                    let typed = s.answers.typed.entry(field).or_default();
                    if s.error.take().is_some() {
                        typed.clear();
                    }
                    if typed.len() < field.max_digits() {
                        typed.push(c);
                        s.answers.accepted.remove(&field);
                        s.answers.skipped.remove(&field);
                        fx.push(Effect::Chime(Chime::Click));
                    }
                }
            }
            _ => {}
        }
    }

    fn delete_digit(&mut self, fx: &mut Vec<Effect>) {
        let removed = match &mut self.state {
            State::Pin { digits, error, .. } => {
                *error = None;
                digits.pop().is_some()
            }
            State::Session(s) => match s.step {
                Step::Vital(field) => {
                    s.error = None;
                    s.answers.accepted.remove(&field);
                    s.answers
                        .typed
                        .get_mut(&field)
                        .and_then(String::pop)
                        .is_some()
                }
                _ => false,
            },
            _ => false,
        };
        if removed {
            fx.push(Effect::Chime(Chime::Click));
        }
    }

    fn back(&mut self, fx: &mut Vec<Effect>) {
        if let Some(view) = self.sos {
            if matches!(view, SosView::Confirm(_)) || matches!(view, SosView::Sent { .. }) {
                self.sos = None;
                self.refocus();
                fx.push(Effect::Chime(Chime::Click));
            }
            return;
        }
        let State::Session(s) = &mut self.state else {
            return;
        };
        let target = match s.step {
            Step::History | Step::Notice(_) | Step::Checkup(_) => Some(Step::Menu),
            Step::Menu => Some(if s.confirmed.is_some() {
                Step::Done
            } else {
                Step::Greeting
            }),
            Step::Condition => Some(Step::Greeting),
            step => {
                let at = s.steps.iter().position(|x| *x == step);
                at.and_then(|i| {
                    s.steps[..i]
                        .iter()
                        .rev()
                        .find(|x| !s.answers.skips(**x))
                        .copied()
                })
            }
        };
        if let Some(target) = target {
            s.step = target;
            s.error = None;
            fx.push(Effect::Chime(Chime::Click));
            self.refocus();
        }
    }

    fn advance(&mut self) {
        let State::Session(s) = &mut self.state else {
            return;
        };
        let at = s.steps.iter().position(|x| *x == s.step).unwrap_or(0);
        if let Some(next) = s.steps[at + 1..].iter().find(|x| !s.answers.skips(**x)) {
            s.step = *next;
        }
        s.error = None;
        self.refocus();
    }

    fn goto(&mut self, step: Step) {
        if let State::Session(s) = &mut self.state {
            s.step = step;
            s.error = None;
        }
        self.refocus();
    }

    /// Puts the focus on the current answer, or the first choice.
    pub(crate) fn refocus(&mut self) {
        self.focus = 0;
        if let Some(SosView::Confirm(_)) = self.sos {
            self.focus = 1;
            return;
        }
        let opts = crate::view::options(self);
        let State::Session(s) = &self.state else {
            return;
        };
        let a = &s.answers;
        let chosen = |action: Action| opts.iter().position(|o| o.action == action);
        let at = match s.step {
            Step::Condition => a.condition.and_then(|c| chosen(Action::Condition(c))),
            Step::SymptomsAsk => a.has_symptoms.and_then(|h| chosen(Action::HasSymptoms(h))),
            Step::Medication(slot) => a
                .medication
                .get(&slot)
                .and_then(|m| chosen(Action::Medication(*m))),
            Step::Call => a.call.and_then(|c| chosen(Action::Call(c))),
            Step::Symptoms(page) if s.pages_done.contains(&page) => chosen(Action::NextPage),
            _ => None,
        };
        self.focus = at.unwrap_or(0);
    }

    fn act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        fx.push(Effect::Chime(Chime::Click));
        match action {
            Action::SosCancel => {
                self.sos = None;
                self.refocus();
            }
            Action::SosSend => {
                let source = match self.sos {
                    Some(SosView::Confirm(source)) => source,
                    _ => SosSource::Remote,
                };
                let resident = match &self.state {
                    State::Pin { resident, .. } | State::PinChecking { resident, .. } => {
                        Some(resident.id)
                    }
                    State::Session(s) => Some(s.resident.id),
                    _ => None,
                };
                fx.push(Effect::SendSos(Sos { resident, source }));
                fx.push(Effect::Chime(Chime::Sos));
                fx.push(Effect::Led(LedPattern::Sos));
                self.led = Some(LedPattern::Sos);
                self.sos = Some(SosView::Sent { at: self.now });
                self.refocus();
            }
            Action::SosClose => {
                self.sos = None;
                self.led = None;
                self.refocus();
            }
            Action::DismissReminder => self.prompt = false,
            Action::PinOk => self.submit_pin(fx),
            _ => self.act_in_session(action, fx),
        }
    }

    fn submit_pin(&mut self, fx: &mut Vec<Effect>) {
        let State::Pin {
            resident,
            tries_left,
            digits,
            error,
        } = &mut self.state
        else {
            return;
        };
        if digits.len() != PIN_DIGITS {
            *error = Some(format!("暗証番号は {PIN_DIGITS}けた の数字です。"));
            fx.push(Effect::Chime(Chime::Error));
            return;
        }
        let pin = Pin::new(std::mem::take(digits));
        self.state = State::PinChecking {
            resident: resident.clone(),
            tries_left: *tries_left,
        };
        fx.push(Effect::VerifyPin(pin));
    }

    fn act_in_session(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let State::Session(s) = &mut self.state else {
            return;
        };
        match action {
            Action::StartCheckIn => {
                // A fresh check-in (or another one the same day) starts
                // from the answers of nothing.
                s.answers = Answers::default();
                s.confirmed = None;
                s.pages_done.clear();
                self.goto(Step::Condition);
            }
            Action::OpenMenu | Action::ToMenu => self.goto(Step::Menu),
            Action::Condition(c) => {
                s.answers.condition = Some(c);
                self.advance();
            }
            Action::HasSymptoms(has) => {
                s.answers.has_symptoms = Some(has);
                self.advance();
            }
            Action::Toggle(symptom) if !s.answers.symptoms.remove(&symptom) => {
                s.answers.symptoms.insert(symptom);
            }
            Action::Toggle(_) => {}
            Action::NextPage => {
                if let Step::Symptoms(page) = s.step {
                    s.pages_done.push(page);
                }
                self.advance();
            }
            Action::Medication(status) => {
                if let Step::Medication(slot) = s.step {
                    s.answers.medication.insert(slot, status);
                }
                self.advance();
            }
            Action::VitalOk => {
                let Step::Vital(field) = s.step else { return };
                let typed = s.answers.typed.get(&field).cloned().unwrap_or_default();
                let systolic = s.answers.accepted.get(&VitalField::Systolic).copied();
                match field.check(&typed, systolic) {
                    Ok(value) => {
                        s.answers.accepted.insert(field, value);
                        s.answers.skipped.remove(&field);
                        self.advance();
                    }
                    Err(message) => {
                        s.error = Some(message);
                        fx.push(Effect::Chime(Chime::Error));
                    }
                }
            }
            Action::VitalSkip => {
                let Step::Vital(field) = s.step else { return };
                s.answers.accepted.remove(&field);
                s.answers.typed.remove(&field);
                s.answers.skipped.insert(field);
                self.advance();
            }
            Action::Call(call) => {
                s.answers.call = Some(call);
                self.advance();
            }
            Action::Fix => self.goto(Step::Condition),
            Action::Save | Action::Retry => {
                let draft = if action == Action::Retry {
                    s.confirmed.clone()
                } else {
                    s.answers.draft(s.resident.id, &s.resident.care_plan)
                };
                let Some(draft) = draft else { return };
                s.confirmed = Some(draft.clone());
                self.unsaved.remove(&draft.resident);
                if let Some(today) = self.today() {
                    self.saved_on.insert(draft.resident, today);
                }
                fx.push(Effect::SaveCheckIn(draft));
                fx.push(Effect::Chime(Chime::Saved));
                self.goto(Step::Done);
            }
            Action::Finish => self.goto(Step::TakeCard),
            Action::History => self.goto(Step::History),
            Action::Notices => {
                self.goto(Step::Notice(0));
                self.notice_opened(fx);
            }
            Action::Checkups => self.goto(Step::Checkup(0)),
            Action::NextItem | Action::PrevItem => {
                let resident = s.resident.id;
                let checkups = crate::view::checkups_of(self, resident).len();
                let State::Session(s) = &mut self.state else {
                    return;
                };
                let forward = action == Action::NextItem;
                let step = match s.step {
                    Step::Notice(i) => Step::Notice(step_index(i, forward)),
                    Step::Checkup(i) => Step::Checkup(step_index(i, forward)),
                    other => other,
                };
                s.step = step;
                let (len, index) = match step {
                    Step::Notice(i) => (self.data.notices.len(), i),
                    Step::Checkup(i) => (checkups, i),
                    _ => (0, 0),
                };
                if index >= len {
                    s.step = match step {
                        Step::Notice(_) => Step::Notice(len.saturating_sub(1)),
                        _ => Step::Checkup(len.saturating_sub(1)),
                    };
                }
                self.notice_opened(fx);
            }
            _ => {}
        }
    }

    fn notice_opened(&mut self, fx: &mut Vec<Effect>) {
        if let State::Session(s) = &self.state {
            if let Step::Notice(i) = s.step {
                if let Some(n) = self.data.notices.get(i) {
                    if !self.data.read_notices.contains(&n.id) {
                        self.data.read_notices.push(n.id);
                        fx.push(Effect::NoticeRead(n.id));
                    }
                }
            }
        }
    }

    // ---- cards, PIN, saving ---------------------------------------------

    fn on_card(&mut self, card: CardEvent, fx: &mut Vec<Effect>) {
        match card {
            CardEvent::ReaderMissing => {
                self.reader_ok = false;
                self.card_gone();
            }
            CardEvent::ReaderBack => self.reader_ok = true,
            CardEvent::Removed => self.card_gone(),
            CardEvent::Unknown => {
                self.state = State::Message(Message::UnknownCard);
                fx.push(Effect::Chime(Chime::Error));
            }
            CardEvent::Locked => {
                self.state = State::Message(Message::CardLocked);
                fx.push(Effect::Chime(Chime::Error));
            }
            CardEvent::Jpki {
                resident,
                pin_tries_left,
            } => match self.resident(resident) {
                None => {
                    self.state = State::Message(Message::UnknownCard);
                    fx.push(Effect::Chime(Chime::Error));
                }
                Some(_) if pin_tries_left <= 1 => {
                    self.state = State::PinRefused;
                    fx.push(Effect::Chime(Chime::Error));
                }
                Some(info) => {
                    self.state = State::Pin {
                        resident: info,
                        tries_left: pin_tries_left,
                        digits: String::new(),
                        error: None,
                    };
                    fx.push(Effect::WakeTv);
                    fx.push(Effect::Chime(Chime::Click));
                }
            },
            CardEvent::Uid { resident } => match self.resident(resident) {
                None => {
                    self.state = State::Message(Message::UnknownCard);
                    fx.push(Effect::Chime(Chime::Error));
                }
                Some(info) => {
                    fx.push(Effect::WakeTv);
                    fx.push(Effect::Chime(Chime::Click));
                    self.start_session(info, false);
                }
            },
        }
        self.last_key_at = self.now;
        self.refocus();
    }

    /// The card went away: a session before confirmation ends without
    /// saving; anything confirmed was already handed to the daemon.
    fn card_gone(&mut self) {
        let mid_way = match &self.state {
            State::Pin { .. } | State::PinChecking { .. } => true,
            State::Session(s) => {
                s.confirmed.is_none()
                    && !matches!(
                        s.step,
                        Step::Greeting
                            | Step::Menu
                            | Step::History
                            | Step::Notice(_)
                            | Step::Checkup(_)
                    )
            }
            _ => false,
        };
        self.state = if mid_way {
            State::Message(Message::CardRemoved { since: self.now })
        } else {
            State::Standby
        };
        self.refocus();
    }

    fn start_session(&mut self, resident: ResidentInfo, jpki: bool) {
        let steps = questions(&resident.care_plan);
        let unsaved = self.unsaved.get(&resident.id).cloned();
        let step = if unsaved.is_some() {
            Step::SaveFailed
        } else {
            Step::Greeting
        };
        self.state = State::Session(Box::new(Session {
            resident,
            jpki,
            steps,
            step,
            answers: Answers::default(),
            error: None,
            confirmed: unsaved,
            nudged: false,
            pages_done: Vec::new(),
        }));
        self.refocus();
    }

    fn on_pin(&mut self, result: PinResult, fx: &mut Vec<Effect>) {
        let State::PinChecking { resident, .. } = &self.state else {
            return;
        };
        let resident = resident.clone();
        match result {
            PinResult::Ok => self.start_session(resident, true),
            PinResult::Wrong { tries_left } if tries_left <= 1 => {
                self.state = State::PinRefused;
                fx.push(Effect::Chime(Chime::Error));
            }
            PinResult::Wrong { tries_left } => {
                self.state = State::Pin {
                    resident,
                    tries_left,
                    digits: String::new(),
                    error: Some(format!(
                        "暗証番号がちがいます。のこり {tries_left} 回です。"
                    )),
                };
                fx.push(Effect::Chime(Chime::Error));
            }
            PinResult::Locked => {
                self.state = State::Message(Message::CardLocked);
                fx.push(Effect::Chime(Chime::Error));
            }
        }
        self.refocus();
    }

    fn on_save_failed(&mut self, fx: &mut Vec<Effect>) {
        let today = self.today();
        match &mut self.state {
            State::Session(s) if s.confirmed.is_some() => {
                if let Some(draft) = &s.confirmed {
                    self.unsaved.insert(draft.resident, draft.clone());
                    if self.saved_on.get(&draft.resident) == today.as_ref() {
                        self.saved_on.remove(&draft.resident);
                    }
                }
                s.step = Step::SaveFailed;
                fx.push(Effect::Chime(Chime::Error));
                self.refocus();
            }
            _ => {}
        }
    }

    // ---- time ------------------------------------------------------------

    fn on_tick(&mut self, now: Timestamp, fx: &mut Vec<Effect>) {
        self.now = Some(now);
        let secs = now.unix_seconds();
        let since = |at: Option<Timestamp>| at.map_or(0, |t| secs - t.unix_seconds());
        if let State::Message(Message::CardRemoved { since: at }) = self.state {
            if at.is_none() || since(at) >= CARD_REMOVED_SECONDS {
                self.state = State::Standby;
                self.refocus();
            }
        }
        if let Some(SosView::Sent { at }) = self.sos {
            if at.is_none() || since(at) >= SOS_SENT_SECONDS {
                self.sos = None;
                self.led = None;
                self.refocus();
            }
        }
        let idle = since(self.last_key_at);
        if let State::Session(s) = &mut self.state {
            let asking = s.steps.contains(&s.step) && s.confirmed.is_none();
            if asking && !s.nudged && self.last_key_at.is_some() && idle >= IDLE_NUDGE_SECONDS {
                s.nudged = true;
                fx.push(Effect::Chime(Chime::Reminder));
            }
        }
        self.remind(fx);
    }

    fn remind(&mut self, fx: &mut Vec<Effect>) {
        let (Some(now), Some(today)) = (self.now, self.today()) else {
            return;
        };
        let t = now.as_offset_date_time();
        let minute = u16::from(t.hour()) * 60 + u16::from(t.minute());
        let due = !self.due(today, minute).is_empty();
        if !due {
            self.prompt = false;
        }
        // Not while someone is at the TV with a card, or asking for help.
        if self.state != State::Standby || self.sos.is_some() {
            return;
        }
        if self
            .reminders
            .check(&self.reminder_policy, today, minute, due)
        {
            self.prompt = true;
            self.refocus();
            fx.push(Effect::WakeTv);
            fx.push(Effect::Chime(Chime::Reminder));
        }
    }

    /// Whether the reminder's prompt is on the TV: prompted and not put
    /// away, and still due.
    pub(crate) fn prompting(&self) -> bool {
        self.prompt && !self.due_now().is_empty()
    }

    /// Residents whose reminder is due at the last tick.
    pub(crate) fn due_now(&self) -> Vec<ResidentId> {
        match (self.today(), self.now) {
            (Some(today), Some(now)) => {
                let t = now.as_offset_date_time();
                self.due(today, u16::from(t.hour()) * 60 + u16::from(t.minute()))
            }
            _ => Vec::new(),
        }
    }

    /// Residents whose reminder is due now.
    pub(crate) fn due(&self, today: CalendarDate, minute: u16) -> Vec<ResidentId> {
        due_residents(
            &self.data.residents,
            &self.data.standings,
            today,
            minute,
            |r| self.done_today(r),
        )
    }

    fn update_led(&mut self, fx: &mut Vec<Effect>) {
        if self.led == Some(LedPattern::Sos) {
            return;
        }
        let pattern = if self.data.residents.is_empty() || self.today().is_none() {
            LedPattern::Off
        } else if self.data.residents.iter().all(|r| self.done_today(r.id)) {
            LedPattern::Done
        } else if self
            .today()
            .is_some_and(|d| self.reminders.prompts_on(d) > 0)
            && !self.due_now().is_empty()
        {
            LedPattern::Reminder
        } else {
            LedPattern::Off
        };
        if self.led != Some(pattern) {
            self.led = Some(pattern);
            fx.push(Effect::Led(pattern));
        }
    }
}

fn step_index(i: usize, forward: bool) -> usize {
    if forward { i + 1 } else { i.saturating_sub(1) }
}

/// The symptom page count, for the view.
pub(crate) fn symptom_pages() -> usize {
    SYMPTOM_PAGES.len()
}
