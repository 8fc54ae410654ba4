//! The screen model: everything the renderer draws, and what tests assert.
//!
//! A [`Screen`] is derived from the state by [`crate::App::screen`]; it holds
//! text, not layout. The key legend is part of it, so what the TV says a key
//! does is what the key does.

use mimamori_protocol::Condition;

use crate::event::HistoryDay;

/// Which screen this is, for tests, golden file names and the renderer's
/// layout choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenKind {
    /// Clock, date, today's state, 「カードを入れてください」.
    Standby,
    /// 「今日の体調を記録しましょう」: the check-in is due (reminder).
    Reminder,
    /// 「エアコンをつけましょう」: the room's 暑さ指数 is 危険.
    HeatWarning,
    /// Masked PIN entry.
    Pin,
    /// The card has one PIN try left: the box refuses to ask.
    PinRefused,
    /// Waiting for the card to check the PIN.
    PinChecking,
    /// 「〇〇さん、おはようございます」.
    Greeting,
    /// よい / ふつう / わるい with faces.
    Condition,
    /// 「気になることはありますか」 ない / ある.
    SymptomsAsk,
    /// Multi-select symptoms, one page of up to three.
    Symptoms,
    /// One medication slot.
    Medication,
    /// Number entry for one measurement.
    Vitals,
    /// 「保健師さんに連絡してほしい」.
    Call,
    /// Everything entered, to confirm.
    Confirm,
    /// 記録しました.
    Done,
    /// 「カードを抜いてください」 after finishing.
    TakeCard,
    /// Menu: history, notices, checkups.
    Menu,
    /// The last 14 days as a chart.
    History,
    /// One notice from the town.
    Notice,
    /// One health-checkup record.
    Checkup,
    /// 「助けを呼びますか」.
    SosConfirm,
    /// 「連絡しました」.
    SosSent,
    /// Something went wrong; [`Screen::tone`] is [`Tone::Alert`].
    Error,
    /// A tap station waiting: the place, 「カードをタッチしてください」.
    StationIdle,
    /// A tap station: 「〇〇さん　確認しました」.
    StationConfirmed,
    /// A tap station: the same card again, 「確認済みです」.
    StationAlready,
    /// A tap station: 「このカードは登録されていません」.
    StationUnknown,
    /// A tap station: 「カードを読み取れませんでした」.
    StationUnreadable,
    /// A tap station: 「カードが離れました」.
    StationCardLeft,
    /// A tap station without its reader.
    StationNoReader,
    /// A tap station that could not store a tap.
    StationError,
}

impl ScreenKind {
    /// Whether this is one of a tap station's screens.
    pub fn is_station(self) -> bool {
        matches!(
            self,
            ScreenKind::StationIdle
                | ScreenKind::StationConfirmed
                | ScreenKind::StationAlready
                | ScreenKind::StationUnknown
                | ScreenKind::StationUnreadable
                | ScreenKind::StationCardLeft
                | ScreenKind::StationNoReader
                | ScreenKind::StationError
        )
    }
}

/// The four colour keys, in the order Japanese remotes print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// 青
    Blue,
    /// 赤
    Red,
    /// 緑
    Green,
    /// 黄
    Yellow,
}

impl Colour {
    /// The colour keys in remote order: 青 赤 緑 黄.
    pub const ALL: [Colour; 4] = [Colour::Blue, Colour::Red, Colour::Green, Colour::Yellow];

    /// 青, 赤, 緑, 黄.
    pub fn label_ja(self) -> &'static str {
        match self {
            Colour::Blue => "青",
            Colour::Red => "赤",
            Colour::Green => "緑",
            Colour::Yellow => "黄",
        }
    }
}

/// The keys that pick a choice besides arrows + OK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceKeys {
    /// The colour key.
    pub colour: Colour,
    /// The digit key, unless digits are used for number entry here.
    pub digit: Option<u8>,
}

/// One button on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What it says, e.g. 「よい」.
    pub label: String,
    /// Which keys pick it directly.
    pub keys: ChoiceKeys,
    /// A face pictogram drawn on the button.
    pub face: Option<Condition>,
    /// For multi-select: whether it is ticked.
    pub checked: Option<bool>,
}

/// A number or PIN being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What to type, e.g. 「体温」.
    pub label: String,
    /// What was typed so far, already masked for a PIN (●●).
    pub text: String,
    /// Unit after the number, e.g. 「℃」.
    pub unit: String,
    /// How many characters fit (for the box outline).
    pub width: usize,
    /// A plain-words problem with what was typed.
    pub error: Option<String>,
}

/// A key printed in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendKey {
    /// ▲▼◀▶
    Arrows,
    /// 決定
    Ok,
    /// 戻る
    Back,
    /// ◀ to delete a digit.
    Left,
    /// The number keys.
    Digits,
    /// The red key held down.
    RedHeld,
}

/// One line of the key legend at the bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Legend {
    /// The key.
    pub key: LegendKey,
    /// What it does here, e.g. 「えらぶ」.
    pub text: String,
}

/// The screen's overall tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// Calm.
    #[default]
    Normal,
    /// A problem or an emergency: drawn with the alert colour.
    Alert,
}

/// Everything on the TV at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// Which screen.
    pub kind: ScreenKind,
    /// The question or heading, one line.
    pub title: String,
    /// Text under the title.
    pub lines: Vec<String>,
    /// A very large line (the standby clock, 記録しました), if any.
    pub big: Option<String>,
    /// Buttons, at most four.
    pub choices: Vec<Choice>,
    /// Which button the focus ring is on.
    pub focus: Option<usize>,
    /// Number or PIN entry.
    pub entry: Option<Entry>,
    /// The 14-day chart.
    pub chart: Option<Vec<HistoryDay>>,
    /// What the keys do here.
    pub legend: Vec<Legend>,
    /// Date and time for the status bar, e.g. 「11月29日(日) 8:15」.
    pub clock: Option<String>,
    /// Shown in the status bar when the center cannot be reached.
    pub offline: bool,
    /// Calm or alert.
    pub tone: Tone,
}

impl Screen {
    pub(crate) fn new(kind: ScreenKind, title: impl Into<String>) -> Self {
        Self {
            kind,
            title: title.into(),
            lines: Vec::new(),
            big: None,
            choices: Vec::new(),
            focus: None,
            entry: None,
            chart: None,
            legend: Vec::new(),
            clock: None,
            offline: false,
            tone: Tone::Normal,
        }
    }

    /// The labels of the choices, for tests.
    pub fn choice_labels(&self) -> Vec<&str> {
        self.choices.iter().map(|c| c.label.as_str()).collect()
    }

    /// All text on the screen joined, for tests that look for a phrase.
    pub fn text(&self) -> String {
        let mut all = vec![self.title.clone()];
        all.extend(self.big.clone());
        all.extend(self.lines.iter().cloned());
        if let Some(e) = &self.entry {
            all.push(e.label.clone());
            all.push(e.text.clone());
            all.extend(e.error.clone());
        }
        all.extend(self.choices.iter().map(|c| c.label.clone()));
        all.extend(self.legend.iter().map(|l| l.text.clone()));
        all.join("\n")
    }
}
