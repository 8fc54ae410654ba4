//! The TV screens of the set-top box, driven by the ordinary TV remote.
//!
//! The UI is a pure state machine — [`App::handle`] takes an [`Event`]
//! (remote keys, card events, PIN results, sync status, clock ticks) and
//! returns [`Effect`]s for the daemon (verify a PIN, save a check-in, send
//! SOS, chime, LED) — and a software renderer that draws [`App::screen`]
//! into an RGBA [`Frame`]. No clock reads, no I/O, no tokio and no evdev:
//! the daemon owns the devices.
//!
//! Every screen has at most four choices; the first to fourth are also
//! picked by the colour keys 青 赤 緑 黄 (in the remote's order) and by the
//! digits 1–4, except where digits are typed (PIN, measurements). Holding
//! the red key, or the box's call button, asks 「助けを呼びますか？」 from
//! any screen.
//!
//! ```
//! use mimamori_remote_ui::{App, CardEvent, Event, ScreenKind};
//!
//! let mut app = App::new();
//! app.handle(Event::Card(CardEvent::Unknown));
//! assert_eq!(app.screen().kind, ScreenKind::Error);
//! app.handle(Event::Card(CardEvent::Removed));
//! assert_eq!(app.screen().kind, ScreenKind::Standby);
//! ```

mod app;
mod event;
mod flow;
mod reminder;
mod render;
pub mod sample;
mod screen;
pub mod station;
mod view;
mod view_session;

pub use app::{App, CARD_REMOVED_SECONDS, IDLE_NUDGE_SECONDS, PIN_DIGITS, SOS_SENT_SECONDS};
pub use event::{
    BoxData, CardEvent, CheckInDraft, Chime, Effect, Event, HistoryDay, Key, LedPattern, Pin,
    PinResult, SyncStatus,
};
pub use mimamori_firmware::{HeatRisk, Wbgt};
pub use reminder::{ReminderPolicy, Reminders, due_residents};
pub use render::{
    BIZ_UD_GOTHIC, BIZ_UD_GOTHIC_BOLD, FontError, Fonts, Frame, NOTO_SANS_CJK, NOTO_SANS_CJK_BOLD,
    Renderer,
};
pub use screen::{Choice, ChoiceKeys, Colour, Entry, Legend, LegendKey, Screen, ScreenKind, Tone};
pub use station::StationView;
