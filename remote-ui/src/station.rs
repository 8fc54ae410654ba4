//! A tap station's screens: what a card reader with a display at a school,
//! a library, a community center or a shelter shows. Read from a metre
//! away: the name at 150 px or more (never under 96 px) at 1080p, white on
//! dark colours.
//!
//! The station's state machine (in the daemon) decides which
//! [`StationView`]; [`StationView::screen`] turns it into a [`Screen`] the
//! renderer draws like any other.
//!
//! ```
//! use mimamori_remote_ui::{ScreenKind, StationView};
//!
//! let view = StationView::Confirmed { name: "田中 ゆい".into(), time: "15:32".into() };
//! let screen = view.screen();
//! assert_eq!(screen.kind, ScreenKind::StationConfirmed);
//! assert!(screen.text().contains("田中 ゆいさん"));
//! assert!(screen.text().contains("確認しました"));
//! ```

use mimamori_protocol::Timestamp;

use crate::screen::{Screen, ScreenKind, Tone};

/// What a station shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationView {
    /// The place, 「カードをタッチしてください」 and the time.
    Idle {
        /// The place's name, as the center registered it (empty before the
        /// first sync).
        place: String,
        /// Date and time, e.g. 「12月7日（月） 15:32」.
        clock: String,
    },
    /// A tap was recorded: 「〇〇さん　確認しました　15:32」.
    Confirmed {
        /// Whose card.
        name: String,
        /// When, `H:MM`.
        time: String,
    },
    /// The same card again within the repeat window: no new tap.
    AlreadyConfirmed {
        /// Whose card.
        name: String,
        /// When the tap was recorded, `H:MM`.
        time: String,
    },
    /// A card nobody registered here.
    UnknownCard,
    /// A card that could not be read (no UID, no My Number applet, or
    /// nonsense answers).
    Unreadable,
    /// The card left the reader before it was read.
    CardLeft,
    /// No reader, or pcscd is not running.
    NoReader,
    /// The tap could not be stored: nothing was recorded.
    SaveFailed,
}

impl StationView {
    /// The screen for this view.
    pub fn screen(&self) -> Screen {
        match self {
            StationView::Idle { place, clock } => {
                let mut s = Screen::new(ScreenKind::StationIdle, place.clone());
                s.big = Some("カードをタッチしてください".into());
                s.clock = Some(clock.clone());
                s
            }
            StationView::Confirmed { name, time } => {
                let mut s = Screen::new(ScreenKind::StationConfirmed, "確認しました");
                s.big = Some(format!("{name}さん"));
                s.lines = vec![time.clone()];
                s
            }
            StationView::AlreadyConfirmed { name, time } => {
                let mut s = Screen::new(ScreenKind::StationAlready, "確認済みです");
                s.big = Some(format!("{name}さん"));
                s.lines = vec![format!("{time}に確認しました")];
                s
            }
            StationView::UnknownCard => {
                let mut s =
                    Screen::new(ScreenKind::StationUnknown, "このカードは登録されていません");
                s.lines = vec!["受付の人に声をかけてください".into()];
                s.tone = Tone::Alert;
                s
            }
            StationView::Unreadable => {
                let mut s = Screen::new(
                    ScreenKind::StationUnreadable,
                    "カードを読み取れませんでした",
                );
                s.lines = vec!["もう一度タッチしてください".into()];
                s
            }
            StationView::CardLeft => {
                let mut s = Screen::new(ScreenKind::StationCardLeft, "カードが離れました");
                s.lines = vec!["もう一度タッチしてください".into()];
                s
            }
            StationView::NoReader => {
                let mut s = Screen::new(
                    ScreenKind::StationNoReader,
                    "カードリーダーがつながっていません",
                );
                s.lines = vec!["係の人を呼んでください".into()];
                s.tone = Tone::Alert;
                s
            }
            StationView::SaveFailed => {
                let mut s = Screen::new(ScreenKind::StationError, "記録できませんでした");
                s.lines = vec![
                    "もう一度タッチしてください".into(),
                    "続くときは係の人を呼んでください".into(),
                ];
                s.tone = Tone::Alert;
                s
            }
        }
    }
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// `H:MM` in the timestamp's own offset, e.g. 「15:32」.
pub fn hour_minute(at: &Timestamp) -> String {
    let t = at.as_offset_date_time();
    format!("{}:{:02}", t.hour(), t.minute())
}

/// 「12月7日（月） 15:32」 in the timestamp's own offset.
pub fn date_time(at: &Timestamp) -> String {
    let t = at.as_offset_date_time();
    let wd = WEEKDAYS[usize::from(t.weekday().number_days_from_monday())];
    format!(
        "{}月{}日（{wd}） {}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}
