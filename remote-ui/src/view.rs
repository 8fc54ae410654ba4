//! From state to [`Screen`]: the words, the choices and the key legend.

use mimamori_protocol::{CheckupRecord, Condition, Judgement, MedicationStatus, ResidentId};

use crate::app::{Action, App, Message, Opt, SosView, State, symptom_pages};
use crate::event::SyncStatus;
use crate::flow::{SYMPTOM_PAGES, Step, VitalField};
use crate::screen::{
    Choice, ChoiceKeys, Colour, Entry, Legend, LegendKey, Screen, ScreenKind, Tone,
};

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// The choices of the current screen, in order: the first is 青 / 1.
pub(crate) fn options(app: &App) -> Vec<Opt> {
    match app.sos {
        Some(SosView::Confirm(_)) => {
            return vec![
                Opt::new("やめる", Action::SosCancel),
                Opt::new("助けを呼ぶ", Action::SosSend),
            ];
        }
        Some(SosView::Sent { .. }) => return vec![Opt::new("もどる", Action::SosClose)],
        None => {}
    }
    let s = match &app.state {
        State::Standby if app.prompting() && app.reader_ok => {
            return vec![Opt::new("わかりました", Action::DismissReminder)];
        }
        State::Pin { .. } => return vec![Opt::new("決定", Action::PinOk)],
        State::Session(s) => s,
        _ => return Vec::new(),
    };
    let a = &s.answers;
    match s.step {
        Step::Greeting => {
            let first = if app.done_today(s.resident.id) {
                "もう一度 記録する"
            } else {
                "今日の体調を記録する"
            };
            vec![
                Opt::new(first, Action::StartCheckIn),
                Opt::new("メニュー", Action::OpenMenu),
            ]
        }
        Step::Condition => [Condition::Good, Condition::Fair, Condition::Poor]
            .into_iter()
            .map(|c| Opt {
                face: Some(c),
                ..Opt::new(c.label_ja(), Action::Condition(c))
            })
            .collect(),
        Step::SymptomsAsk => vec![
            Opt::new("ない", Action::HasSymptoms(false)),
            Opt::new("ある", Action::HasSymptoms(true)),
        ],
        Step::Symptoms(page) => {
            let mut opts: Vec<Opt> = SYMPTOM_PAGES[page]
                .iter()
                .map(|sym| Opt {
                    checked: Some(a.symptoms.contains(sym)),
                    ..Opt::new(sym.label_ja(), Action::Toggle(*sym))
                })
                .collect();
            opts.push(Opt::new("次へ", Action::NextPage));
            opts
        }
        Step::Medication(_) => vec![
            Opt::new(
                MedicationStatus::Taken.label_ja(),
                Action::Medication(MedicationStatus::Taken),
            ),
            Opt::new(
                MedicationStatus::NotTaken.label_ja(),
                Action::Medication(MedicationStatus::NotTaken),
            ),
        ],
        Step::Vital(_) => vec![
            Opt::new("決定", Action::VitalOk),
            Opt::new("はかっていない", Action::VitalSkip),
        ],
        Step::Call => vec![
            Opt::new("いいえ", Action::Call(false)),
            Opt::new("連絡してほしい", Action::Call(true)),
        ],
        Step::Confirm => vec![
            Opt::new("記録する", Action::Save),
            Opt::new("なおす", Action::Fix),
        ],
        Step::SaveFailed => vec![Opt::new("もう一度 記録する", Action::Retry)],
        Step::Done => vec![
            Opt::new("メニュー", Action::ToMenu),
            Opt::new("おわる", Action::Finish),
        ],
        Step::TakeCard => vec![Opt::new("メニュー", Action::ToMenu)],
        Step::Menu => vec![
            Opt::new("14日間の記録", Action::History),
            Opt::new("町からのお知らせ", Action::Notices),
            Opt::new("健診の結果", Action::Checkups),
            Opt::new("おわる", Action::Finish),
        ],
        Step::History => vec![Opt::new("メニューへ", Action::ToMenu)],
        Step::Notice(_) | Step::Checkup(_) => vec![
            Opt::new("次へ", Action::NextItem),
            Opt::new("前へ", Action::PrevItem),
            Opt::new("メニューへ", Action::ToMenu),
        ],
    }
}

pub(crate) fn checkups_of(app: &App, resident: ResidentId) -> Vec<&CheckupRecord> {
    let mut list: Vec<&CheckupRecord> = app
        .data
        .checkups
        .iter()
        .filter(|c| c.resident == resident)
        .collect();
    list.sort_by_key(|c| std::cmp::Reverse(c.examined_on));
    list
}

fn clock(app: &App) -> Option<String> {
    let t = app.now?.as_offset_date_time();
    let wd = WEEKDAYS[usize::from(t.weekday().number_days_from_monday())];
    Some(format!(
        "{}月{}日（{wd}） {}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

pub(crate) fn legend(items: &[(LegendKey, &str)]) -> Vec<Legend> {
    items
        .iter()
        .map(|(key, text)| Legend {
            key: *key,
            text: (*text).to_owned(),
        })
        .collect()
}

/// The screen for the current state.
pub(crate) fn screen(app: &App) -> Screen {
    let mut screen = base(app);
    let digits_free = !app.digits_are_data();
    screen.choices = options(app)
        .into_iter()
        .zip(Colour::ALL)
        .enumerate()
        .map(|(i, (opt, colour))| Choice {
            label: opt.label,
            keys: ChoiceKeys {
                colour,
                digit: digits_free.then(|| u8::try_from(i + 1).unwrap_or(0)),
            },
            face: opt.face,
            checked: opt.checked,
        })
        .collect();
    if !screen.choices.is_empty() {
        screen.focus = Some(app.focus.min(screen.choices.len() - 1));
        if screen.legend.is_empty() {
            screen.legend = legend(&[
                (LegendKey::Arrows, "えらぶ"),
                (LegendKey::Ok, "決める"),
                (LegendKey::Back, "ひとつ前へ"),
            ]);
        }
    }
    if app.sos.is_none() && !matches!(screen.kind, ScreenKind::SosConfirm | ScreenKind::SosSent) {
        screen.legend.push(Legend {
            key: LegendKey::RedHeld,
            text: "助けを呼ぶ".to_owned(),
        });
    }
    screen.clock = clock(app);
    screen.offline = app.sync == SyncStatus::Offline;
    screen
}

fn base(app: &App) -> Screen {
    if let Some(view) = app.sos {
        return sos(app, view);
    }
    match &app.state {
        State::Standby if !app.reader_ok => {
            let mut s = Screen::new(ScreenKind::Error, "カード読み取り機が見つかりません");
            s.tone = Tone::Alert;
            s.lines = vec![
                "読み取り機のケーブルが抜けていないか、".to_owned(),
                "たしかめてください。".to_owned(),
                "なおらないときは、保健師さんに連絡してください。".to_owned(),
            ];
            s
        }
        State::Standby if app.prompting() => reminder(app),
        State::Standby if app.heat_danger() => heat_warning(app),
        State::Standby => standby(app),
        State::Message(m) => message(*m),
        State::Pin {
            resident,
            tries_left,
            digits,
            error,
        } => {
            let mut s = Screen::new(ScreenKind::Pin, "暗証番号（4けた）を入れてください");
            s.lines = vec![
                format!("{}さんのマイナンバーカード", resident.name),
                format!("まちがえられるのは、あと {tries_left} 回です。"),
            ];
            s.entry = Some(Entry {
                label: "暗証番号".to_owned(),
                text: "●".repeat(digits.len()),
                unit: String::new(),
                width: crate::app::PIN_DIGITS,
                error: error.clone(),
            });
            s.legend = legend(&[
                (LegendKey::Digits, "数字を入れる"),
                (LegendKey::Left, "1字消す"),
                (LegendKey::Ok, "決める"),
            ]);
            s
        }
        State::PinChecking { .. } => {
            let mut s = Screen::new(ScreenKind::PinChecking, "カードを確認しています");
            s.lines = vec!["カードを抜かずに、少しお待ちください。".to_owned()];
            s
        }
        State::PinRefused => {
            let mut s = Screen::new(ScreenKind::PinRefused, "このカードは、ここでは使えません");
            s.tone = Tone::Alert;
            s.lines = vec![
                "暗証番号を、あと1回まちがえると".to_owned(),
                "カードが使えなくなります。".to_owned(),
                "市役所の窓口で、暗証番号を".to_owned(),
                "確かめてください。".to_owned(),
                "カードを抜いてください。".to_owned(),
            ];
            s
        }
        State::Session(session) => crate::view_session::session(app, session),
    }
}

fn sos(app: &App, view: SosView) -> Screen {
    match view {
        SosView::Confirm(source) => {
            let mut s = Screen::new(ScreenKind::SosConfirm, "助けを呼びますか？");
            s.tone = Tone::Alert;
            s.lines = vec!["保健師さんとご家族に、すぐ連絡します。".to_owned()];
            if source == mimamori_protocol::SosSource::CallButton {
                s.lines
                    .push("もう一度 ボタンを長く押しても 連絡します。".to_owned());
            }
            s.legend = legend(&[
                (LegendKey::Arrows, "えらぶ"),
                (LegendKey::Ok, "決める"),
                (LegendKey::Back, "やめる"),
            ]);
            s
        }
        SosView::Sent { .. } => {
            let mut s = Screen::new(ScreenKind::SosSent, "連絡しました");
            s.tone = Tone::Alert;
            s.lines = if app.sync == SyncStatus::Online {
                vec![
                    "保健師さんから電話があります。".to_owned(),
                    "そのまま、お待ちください。".to_owned(),
                ]
            } else {
                vec![
                    "いまインターネットにつながっていません。".to_owned(),
                    "つながったら、すぐに送ります。".to_owned(),
                    "急ぐときは 119番 に電話してください。".to_owned(),
                ]
            };
            s
        }
    }
}

fn standby(app: &App) -> Screen {
    let mut s = Screen::new(ScreenKind::Standby, "カードを入れてください");
    if let Some(now) = app.now {
        let t = now.as_offset_date_time();
        s.big = Some(format!("{}:{:02}", t.hour(), t.minute()));
    }
    for r in &app.data.residents {
        let state = if app.done_today(r.id) {
            "今日の記録は すみました"
        } else {
            "今日の記録は まだです"
        };
        s.lines.push(format!("{}さん　{state}", r.name));
    }
    let unread = app
        .data
        .notices
        .iter()
        .filter(|n| !app.data.read_notices.contains(&n.id))
        .count();
    if unread > 0 {
        s.lines
            .push(format!("新しいお知らせが {unread}件 あります"));
    }
    for n in app.data.notices.iter().filter(|n| n.important) {
        s.lines.push(format!("【大切】{}", n.title));
    }
    s
}

/// The room's 暑さ指数 as the TV says it, e.g. 「31.5（危険）」.
fn wbgt_text(wbgt: mimamori_firmware::Wbgt) -> String {
    let tenths = wbgt.tenths();
    format!(
        "{}{}.{}（{}）",
        if tenths < 0 { "-" } else { "" },
        tenths.unsigned_abs() / 10,
        tenths.unsigned_abs() % 10,
        wbgt.risk().label_ja()
    )
}

fn heat_lines(app: &App) -> Vec<String> {
    match app.room {
        Some(wbgt) if app.heat_danger() => vec![
            format!("お部屋の暑さ指数は {} です。", wbgt_text(wbgt)),
            "水分をとって、すずしくしてください。".to_owned(),
        ],
        _ => Vec::new(),
    }
}

fn reminder(app: &App) -> Screen {
    let mut s = Screen::new(ScreenKind::Reminder, "今日の体調を 記録しましょう");
    let due = app.due_now();
    for r in app.data.residents.iter().filter(|r| due.contains(&r.id)) {
        s.lines
            .push(format!("{}さん、今日の記録は まだです。", r.name));
    }
    s.lines
        .push("カードを入れて、体調を教えてください。".to_owned());
    if app.heat_danger() {
        s.tone = Tone::Alert;
        s.lines
            .push("暑さ指数が「危険」です。エアコンをつけましょう。".to_owned());
    }
    s.legend = legend(&[(LegendKey::Ok, "この画面を とじる")]);
    s
}

fn heat_warning(app: &App) -> Screen {
    let mut s = Screen::new(ScreenKind::HeatWarning, "エアコンをつけましょう");
    s.tone = Tone::Alert;
    s.lines = heat_lines(app);
    s.lines
        .push("カードを入れると、体調を記録できます。".to_owned());
    s
}

fn message(m: Message) -> Screen {
    let (title, lines): (&str, &[&str]) = match m {
        Message::UnknownCard => (
            "このカードは登録されていません",
            &[
                "カードを抜いてください。",
                "登録したカードを入れてください。",
                "わからないときは、保健師さんに連絡してください。",
            ],
        ),
        Message::CardLocked => (
            "このカードはロックされています",
            &[
                "暗証番号を何回もまちがえたため、",
                "カードが使えなくなっています。",
                "市役所の窓口で、ロックを解除してください。",
                "カードを抜いてください。",
            ],
        ),
        Message::CardRemoved { .. } => (
            "カードが抜かれました",
            &[
                "とちゅうの記録は、保存していません。",
                "もう一度、はじめからお願いします。",
                "カードを入れてください。",
            ],
        ),
    };
    let mut s = Screen::new(ScreenKind::Error, title);
    s.tone = Tone::Alert;
    s.lines = lines.iter().map(|l| (*l).to_owned()).collect();
    s
}

/// The greeting for the hour.
pub(crate) fn hello(app: &App) -> &'static str {
    match app.now.map(|t| t.as_offset_date_time().hour()) {
        Some(4..=10) => "おはようございます",
        Some(11..=17) | None => "こんにちは",
        Some(_) => "こんばんは",
    }
}

pub(crate) fn judgement_ja(j: Option<Judgement>) -> &'static str {
    match j {
        Some(Judgement::Normal) => "異常なし",
        Some(Judgement::Caution) => "要注意",
        Some(Judgement::Abnormal) => "要受診",
        Some(Judgement::Unknown) | None => "",
    }
}

pub(crate) fn vital_entry(field: VitalField, typed: &str, error: Option<String>) -> Entry {
    Entry {
        label: field.label().to_owned(),
        text: field.format(typed),
        unit: field.unit().to_owned(),
        width: field.max_digits() + usize::from(field.decimals() > 0),
        error,
    }
}

pub(crate) fn page_title(page: usize) -> String {
    format!(
        "気になることを えらんでください（{}/{}）",
        page + 1,
        symptom_pages()
    )
}
