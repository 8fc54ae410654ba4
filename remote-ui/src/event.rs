//! What the daemon feeds the state machine, and what it gets back.

use std::collections::BTreeMap;
use std::fmt;

use mimamori_protocol::{
    Authentication, CalendarDate, CheckIn, CheckupRecord, Condition, MedicationEntry, Notice,
    ResidentId, ResidentInfo, Sos, Standing, Symptom, Timestamp, Vitals,
};

/// A key of the ordinary TV remote, after the evdev adapter's mapping.
///
/// Japanese remotes order the colour keys 青 赤 緑 黄; the UI binds the
/// first to fourth choice of a screen to them in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// ▲
    Up,
    /// ▼
    Down,
    /// ◀ (also deletes the last digit in number entry).
    Left,
    /// ▶
    Right,
    /// 決定 (`KEY_OK`, `KEY_ENTER`, `KEY_SELECT`).
    Ok,
    /// 戻る (`KEY_BACK`, `KEY_EXIT`, `KEY_ESC`).
    Back,
    /// 青
    Blue,
    /// 赤 (a short press; a long press arrives as [`Event::Held`]).
    Red,
    /// 緑
    Green,
    /// 黄
    Yellow,
    /// A digit or channel key, 0–12 (`KEY_NUMERIC_11/12` are 11 and 12).
    Digit(u8),
}

/// What the card service found when a card was inserted, or what happened to
/// the reader. The daemon maps card bindings to residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEvent {
    /// A My Number card whose certificate is bound to `resident`; the PIN is
    /// still to be entered. `pin_tries_left` is the card's retry counter.
    Jpki {
        /// Whose card.
        resident: ResidentId,
        /// PIN tries left before the card locks itself.
        pin_tries_left: u8,
    },
    /// A trial card whose UID is bound to `resident` (no PIN).
    Uid {
        /// Whose card.
        resident: ResidentId,
    },
    /// A card that is bound to nobody served by this box.
    Unknown,
    /// A My Number card whose PIN is locked.
    Locked,
    /// The card was taken out.
    Removed,
    /// No card reader is connected.
    ReaderMissing,
    /// A card reader is connected again.
    ReaderBack,
}

/// The card's answer to a PIN the UI asked the daemon to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinResult {
    /// Right PIN: the card will sign.
    Ok,
    /// Wrong PIN.
    Wrong {
        /// Tries left before the card locks itself.
        tries_left: u8,
    },
    /// The card is locked now.
    Locked,
}

/// Whether the box reaches the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncStatus {
    /// The last sync succeeded.
    #[default]
    Online,
    /// The center cannot be reached; check-ins wait in the box.
    Offline,
}

/// One day of a resident's own history, for the 14-day chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryDay {
    /// The day.
    pub date: CalendarDate,
    /// How they felt, if they checked in.
    pub condition: Option<Condition>,
}

/// What the box knows from the center and its own outbox; the daemon sends
/// a new copy whenever something changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoxData {
    /// Residents served by this box, with their care plans.
    pub residents: Vec<ResidentInfo>,
    /// Notices from the town that are current.
    pub notices: Vec<Notice>,
    /// Notice ids already opened on this box.
    pub read_notices: Vec<u64>,
    /// Health-checkup records of the residents.
    pub checkups: Vec<CheckupRecord>,
    /// Points and streaks.
    pub standings: Vec<Standing>,
    /// Each resident's recent days, oldest first.
    pub history: BTreeMap<ResidentId, Vec<HistoryDay>>,
}

/// One input to [`crate::App::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A key was pressed (and released before it counted as held).
    Key(Key),
    /// A key was held for the hold time (2 s); only the red key means
    /// anything held: SOS.
    Held(Key),
    /// The box's own call button was held: asks 「助けを呼びますか？」, and
    /// held again on that question, calls.
    CallButton,
    /// Card reader news.
    Card(CardEvent),
    /// The answer to [`Effect::VerifyPin`].
    Pin(PinResult),
    /// The daemon could not store a confirmed check-in (disk full, card
    /// pulled before signing); the UI keeps it and offers to try again.
    SaveFailed,
    /// Online or offline.
    Sync(SyncStatus),
    /// New residents, notices, checkups, standings or history.
    Data(Box<BoxData>),
    /// The clock, on the resident's calendar (local offset). Sent at least
    /// once a second; the first tick sets the clock.
    Tick(Timestamp),
    /// The room's 暑さ指数 from the box's sensor; `None` when the sensor
    /// has nothing to say (absent, failing). At 危険 the TV says
    /// 「エアコンをつけましょう」.
    Room(Option<mimamori_firmware::Wbgt>),
}

/// A PIN typed on the remote. Its `Debug` does not show the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// The digits, for the card.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn new(digits: String) -> Self {
        Self(digits)
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin(<{} digits>)", self.0.len())
    }
}

/// A confirmed check-in without its authentication: the daemon signs it
/// with the card (or adds the trial card's UID) and stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInDraft {
    /// Who answered.
    pub resident: ResidentId,
    /// よい / ふつう / わるい.
    pub condition: Condition,
    /// Symptoms in display order.
    pub symptoms: Vec<Symptom>,
    /// One entry per slot of the care plan.
    pub medication: Vec<MedicationEntry>,
    /// What was measured.
    pub vitals: Vitals,
    /// 「保健師さんに連絡してほしい」.
    pub call_requested: bool,
}

impl CheckInDraft {
    /// The check-in, once the daemon has the proof of who answered.
    pub fn into_check_in(self, auth: Authentication) -> CheckIn {
        CheckIn {
            resident: self.resident,
            condition: self.condition,
            symptoms: self.symptoms,
            symptom_note: None,
            medication: self.medication,
            vitals: self.vitals,
            call_requested: self.call_requested,
            auth,
        }
    }
}

/// A sound from the box's speaker or the TV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chime {
    /// A key did something.
    Click,
    /// A key did nothing here.
    Refused,
    /// Today's check-in was stored.
    Saved,
    /// Time to check in.
    Reminder,
    /// Something went wrong (wrong PIN, unknown card).
    Error,
    /// SOS was sent.
    Sos,
}

/// What the box's LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedPattern {
    /// Dark: nothing to do.
    Off,
    /// Slow blue blink: today's check-in is due.
    Reminder,
    /// Steady green: today is done.
    Done,
    /// Fast red blink: SOS sent.
    Sos,
}

/// What the daemon should do after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask the card to verify this PIN; answer with [`Event::Pin`].
    VerifyPin(Pin),
    /// Sign (or attach the UID) and store this confirmed check-in; answer
    /// with [`Event::SaveFailed`] only if that fails.
    SaveCheckIn(CheckInDraft),
    /// Send an SOS now.
    SendSos(Sos),
    /// Play a sound.
    Chime(Chime),
    /// Set the LED.
    Led(LedPattern),
    /// Turn the TV on and make the box the active source (HDMI-CEC).
    WakeTv,
    /// The resident opened this notice.
    NoticeRead(u64),
}
