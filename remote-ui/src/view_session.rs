//! The screens with a card in: greeting, questions, confirm, done, menu.

use mimamori_protocol::Symptom;

use crate::app::{App, Session};
use crate::event::SyncStatus;
use crate::flow::{Step, VitalField};
use crate::screen::{Legend, LegendKey, Screen, ScreenKind, Tone};
use crate::view::{checkups_of, hello, judgement_ja, legend, page_title, vital_entry};

pub(crate) fn session(app: &App, s: &Session) -> Screen {
    let a = &s.answers;
    let name = &s.resident.name;
    match s.step {
        Step::Greeting => {
            let mut sc = Screen::new(ScreenKind::Greeting, format!("{name}さん、{}", hello(app)));
            sc.lines.push(if app.done_today(s.resident.id) {
                "今日の記録は、もう すんでいます。".to_owned()
            } else {
                "今日の体調を 教えてください。".to_owned()
            });
            sc
        }
        Step::Condition => Screen::new(ScreenKind::Condition, "今日の体調は いかがですか？"),
        Step::SymptomsAsk => {
            let mut sc = Screen::new(ScreenKind::SymptomsAsk, "気になることは ありますか？");
            sc.lines
                .push("熱、せき、痛み、食欲、眠り、めまい など".to_owned());
            sc
        }
        Step::Symptoms(page) => {
            let mut sc = Screen::new(ScreenKind::Symptoms, page_title(page));
            sc.lines
                .push("あてはまるものを えらびます。もう一度おすと 取り消せます。".to_owned());
            sc
        }
        Step::Medication(slot) => Screen::new(
            ScreenKind::Medication,
            format!("{}のお薬は 飲みましたか？", slot.label_ja()),
        ),
        Step::Vital(field) => {
            let mut sc = Screen::new(
                ScreenKind::Vitals,
                format!("{}を 数字で入れてください", field.label()),
            );
            sc.lines.push(field.hint().to_owned());
            let typed = a.typed.get(&field).map(String::as_str).unwrap_or("");
            sc.entry = Some(vital_entry(field, typed, s.error.clone()));
            sc.legend = vec![
                Legend {
                    key: LegendKey::Digits,
                    text: "数字を入れる".to_owned(),
                },
                Legend {
                    key: LegendKey::Left,
                    text: "1字消す".to_owned(),
                },
                Legend {
                    key: LegendKey::Back,
                    text: "ひとつ前へ".to_owned(),
                },
            ];
            sc
        }
        Step::Call => {
            let mut sc = Screen::new(ScreenKind::Call, "保健師さんに 連絡してほしいですか？");
            sc.lines
                .push("「連絡してほしい」を えらぶと、電話があります。".to_owned());
            sc
        }
        Step::Confirm => {
            let mut sc = Screen::new(ScreenKind::Confirm, "これで 記録しますか？");
            sc.lines = summary(s);
            sc
        }
        Step::SaveFailed => {
            let mut sc = Screen::new(ScreenKind::Error, "記録を保存できませんでした");
            sc.tone = Tone::Alert;
            sc.lines = vec![
                "入れた内容は のこっています。".to_owned(),
                "カードを入れたまま、".to_owned(),
                "「もう一度 記録する」を えらんでください。".to_owned(),
            ];
            sc.legend = no_back();
            sc
        }
        Step::Done => {
            let mut sc = Screen::new(
                ScreenKind::Done,
                format!("{name}さん、ありがとうございました"),
            );
            sc.big = Some("記録しました".to_owned());
            sc.lines.push(if app.sync == SyncStatus::Online {
                "ご家族に お知らせしました。".to_owned()
            } else {
                "記録は この箱に保存しました。つながったら ご家族に お知らせします。".to_owned()
            });
            if let Some(st) = app
                .data
                .standings
                .iter()
                .find(|st| st.resident == s.resident.id)
            {
                let streak = streak_after_today(app, st);
                sc.lines.push(format!("{streak}日 つづけて記録しています"));
                sc.lines.push(format!("健康ポイント {}点", st.points));
            }
            sc.legend = no_back();
            sc
        }
        Step::TakeCard => {
            let mut sc = Screen::new(ScreenKind::TakeCard, "カードを抜いてください");
            sc.lines
                .push("おつかれさまでした。また あした。".to_owned());
            sc.legend = no_back();
            sc
        }
        Step::Menu => Screen::new(ScreenKind::Menu, "メニュー"),
        Step::History => {
            let mut sc = Screen::new(ScreenKind::History, "この14日間の体調");
            let days = app
                .data
                .history
                .get(&s.resident.id)
                .cloned()
                .unwrap_or_default();
            let recorded = days.iter().filter(|d| d.condition.is_some()).count();
            sc.lines
                .push(format!("14日のうち {recorded}日 記録しました"));
            let start = days.len().saturating_sub(14);
            sc.chart = Some(days[start..].to_vec());
            sc
        }
        Step::Notice(i) => {
            let notices = &app.data.notices;
            match notices.get(i) {
                None => {
                    let mut sc = Screen::new(ScreenKind::Notice, "町からのお知らせ");
                    sc.lines.push("いまは お知らせは ありません。".to_owned());
                    sc
                }
                Some(n) => {
                    let mut sc = Screen::new(ScreenKind::Notice, n.title.clone());
                    sc.lines.push(format!(
                        "お知らせ {}/{}　{}月{}日",
                        i + 1,
                        notices.len(),
                        u8::from(n.published_on.0.month()),
                        n.published_on.0.day()
                    ));
                    sc.lines.extend(n.body.lines().map(str::to_owned));
                    sc
                }
            }
        }
        Step::Checkup(i) => {
            let mut sc = Screen::new(ScreenKind::Checkup, "健診の結果");
            if !s.jpki {
                sc.lines
                    .push("健診の結果は、マイナンバーカードで".to_owned());
                sc.lines.push("はじめたときだけ 見られます。".to_owned());
                return sc;
            }
            let list = checkups_of(app, s.resident.id);
            match list.get(i) {
                None => sc.lines.push("健診の記録は まだ ありません。".to_owned()),
                Some(rec) => {
                    let d = rec.examined_on.0;
                    sc.title = format!(
                        "{}（{}年{}月{}日）",
                        rec.title,
                        d.year(),
                        u8::from(d.month()),
                        d.day()
                    );
                    for item in rec.items.iter().take(5) {
                        let unit = item.unit.as_deref().unwrap_or("");
                        let j = judgement_ja(item.judgement);
                        sc.lines
                            .push(format!("{}　{}{unit}　{j}", item.name, item.value));
                    }
                }
            }
            sc
        }
    }
}

fn streak_after_today(app: &App, st: &mimamori_protocol::Standing) -> u32 {
    let Some(today) = app.today() else {
        return st.streak_days;
    };
    match st.last_check_in_on {
        Some(last) if last == today => st.streak_days,
        Some(last) if last.0.next_day() == Some(today.0) => st.streak_days + 1,
        _ => 1,
    }
}

fn summary(s: &Session) -> Vec<String> {
    let a = &s.answers;
    let mut lines = Vec::new();
    if let Some(c) = a.condition {
        lines.push(format!("体調：{}", c.label_ja()));
    }
    let symptoms: Vec<&str> = if a.has_symptoms == Some(true) {
        Symptom::ALL
            .iter()
            .filter(|x| a.symptoms.contains(x))
            .map(|x| x.label_ja())
            .collect()
    } else {
        Vec::new()
    };
    lines.push(format!(
        "気になること：{}",
        if symptoms.is_empty() {
            "なし".to_owned()
        } else {
            symptoms.join("、")
        }
    ));
    let meds: Vec<String> = s
        .resident
        .care_plan
        .medication_slots
        .iter()
        .filter_map(|slot| {
            a.medication
                .get(slot)
                .map(|m| format!("{} {}", slot.label_ja(), m.label_ja()))
        })
        .collect();
    if !meds.is_empty() {
        lines.push(format!("お薬：{}", meds.join("、")));
    }
    let mut vitals = Vec::new();
    let get = |f: VitalField| a.accepted.get(&f).map(|v| f.format(&v.to_string()));
    if let (Some(hi), Some(lo)) = (get(VitalField::Systolic), get(VitalField::Diastolic)) {
        vitals.push(format!("血圧 {hi}/{lo}"));
    }
    if let Some(p) = get(VitalField::Pulse) {
        vitals.push(format!("脈 {p}"));
    }
    if let Some(t) = get(VitalField::Temperature) {
        vitals.push(format!("体温 {t}℃"));
    }
    if let Some(w) = get(VitalField::Weight) {
        vitals.push(format!("体重 {w}kg"));
    }
    if let Some(st) = get(VitalField::Steps) {
        vitals.push(format!("{st}歩"));
    }
    if !vitals.is_empty() {
        lines.push(vitals.join("　"));
    }
    lines.push(format!(
        "保健師さんへの連絡：{}",
        if a.call == Some(true) {
            "してほしい"
        } else {
            "いらない"
        }
    ));
    lines
}

/// The legend of a screen where Back does nothing: what was recorded stays
/// recorded, so only choosing is offered.
fn no_back() -> Vec<Legend> {
    legend(&[(LegendKey::Arrows, "えらぶ"), (LegendKey::Ok, "決める")])
}
