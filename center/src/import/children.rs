//! The children list (児童名簿): one row per child, with up to two
//! guardians in columns, as a school or a ward office keeps it.

use std::collections::HashMap;

use jiff::civil::Date;
use mimamori_protocol::{CardUid, MAX_NAME_CHARS};

use super::date::parse_date;
use super::error::{ErrorKind, ImportErrors};
use super::residents::card_uid;
use super::table::{Cells, Column, read_table};
use super::text::{fold_width, kana_key, one_line, to_hiragana};
use crate::mail::GuardianPolicy;

/// The policy of a guardian whose 通知 cell is empty: その日最初.
pub const DEFAULT_GUARDIAN_POLICY: GuardianPolicy = GuardianPolicy::FirstOfDay;
/// Longest e-mail address, in characters.
const MAX_EMAIL_CHARS: usize = 254;

/// A guardian read from a children list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedGuardian {
    /// 保護者氏名.
    pub name: String,
    /// 保護者メール.
    pub email: String,
    /// 続柄 (may be empty).
    pub relation: String,
    /// 通知: 毎回, その日最初 (when empty) or なし.
    pub policy: GuardianPolicy,
    /// 同意日: none means no mail until consent is recorded.
    pub consent_on: Option<Date>,
}

/// A child read from a children list, validated, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedChild {
    /// The line of the file the child came from.
    pub line: u64,
    /// 氏名, as written (trimmed).
    pub name: String,
    /// ふりがな in hiragana, spaces collapsed.
    pub kana: String,
    /// 地区.
    pub district: String,
    /// 学校 (may be empty).
    pub school: String,
    /// 生年月日.
    pub birth_date: Option<Date>,
    /// カードUID: none, one, or several (a school card and a library card).
    pub cards: Vec<CardUid>,
    /// The guardians (0, 1 or 2), in the order of the columns.
    pub guardians: Vec<ImportedGuardian>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Kana,
    District,
    School,
    BirthDate,
    CardUid,
    G1Name,
    G1Email,
    G1Relation,
    G1Policy,
    G1Consent,
    G2Name,
    G2Email,
    G2Relation,
    G2Policy,
    G2Consent,
}

impl Column for Col {
    const ALL: &'static [Self] = &[
        Col::Name,
        Col::Kana,
        Col::District,
        Col::School,
        Col::BirthDate,
        Col::CardUid,
        Col::G1Name,
        Col::G1Email,
        Col::G1Relation,
        Col::G1Policy,
        Col::G1Consent,
        Col::G2Name,
        Col::G2Email,
        Col::G2Relation,
        Col::G2Policy,
        Col::G2Consent,
    ];
    const LABELS: &'static [&'static str] = &[
        "氏名",
        "ふりがな",
        "地区",
        "学校",
        "生年月日",
        "カードUID",
        "保護者氏名",
        "保護者メール",
        "続柄",
        "通知",
        "同意日",
        "保護者2氏名",
        "保護者2メール",
        "続柄2",
        "通知2",
        "同意日2",
    ];

    fn names(self) -> &'static [&'static str] {
        match self {
            Col::Name => &["氏名", "name"],
            Col::Kana => &["ふりがな", "フリガナ", "kana"],
            Col::District => &["地区", "district"],
            Col::School => &["学校", "school"],
            Col::BirthDate => &["生年月日", "birth_date"],
            Col::CardUid => &["カードUID", "card_uid"],
            Col::G1Name => &["保護者氏名", "保護者1氏名", "guardian_name"],
            Col::G1Email => &[
                "保護者メール",
                "保護者1メール",
                "保護者メールアドレス",
                "guardian_email",
            ],
            Col::G1Relation => &["続柄", "保護者1続柄", "続柄1", "relation"],
            Col::G1Policy => &["通知", "保護者1通知", "通知1", "policy"],
            Col::G1Consent => &["同意日", "保護者1同意日", "同意日1", "consent_on"],
            Col::G2Name => &["保護者2氏名", "guardian2_name"],
            Col::G2Email => &["保護者2メール", "保護者2メールアドレス", "guardian2_email"],
            Col::G2Relation => &["続柄2", "保護者2続柄", "relation2"],
            Col::G2Policy => &["通知2", "保護者2通知", "policy2"],
            Col::G2Consent => &["同意日2", "保護者2同意日", "consent_on2"],
        }
    }
}

/// The columns of one guardian.
struct GuardianCols {
    name: Col,
    email: Col,
    relation: Col,
    policy: Col,
    consent: Col,
}

const GUARDIANS: [GuardianCols; 2] = [
    GuardianCols {
        name: Col::G1Name,
        email: Col::G1Email,
        relation: Col::G1Relation,
        policy: Col::G1Policy,
        consent: Col::G1Consent,
    },
    GuardianCols {
        name: Col::G2Name,
        email: Col::G2Email,
        relation: Col::G2Relation,
        policy: Col::G2Policy,
        consent: Col::G2Consent,
    },
];

/// Reads a children list (児童名簿) exported from a spreadsheet: one row
/// per child, with up to two guardians in columns.
///
/// | column | English | required | example |
/// |---|---|---|---|
/// | 氏名 | name | yes | 山田 太郎 |
/// | ふりがな / フリガナ | kana | yes | ヤマダ タロウ (→ やまだ たろう) |
/// | 地区 | district | yes | 南部 |
/// | 学校 | school | | 南部小学校 |
/// | 生年月日 | birth_date | | 2016-05-01, 平成28年5月1日 |
/// | カードUID | card_uid | | 04A1B2C3D4E5F6; several: 04A1B2C3、04B1C2D3 |
/// | 保護者氏名 | guardian_name | with a guardian | 山田 花子 |
/// | 保護者メール | guardian_email | with a guardian | hanako@example.jp |
/// | 続柄 | relation | | 母 |
/// | 通知 | policy | | 毎回 / その日最初 (default) / なし |
/// | 同意日 | consent_on | | 2026-04-01, 令和8年4月1日 |
/// | 保護者2氏名 … 同意日2 | guardian2_name … | | the second guardian |
///
/// A guardian's cells are all empty (no guardian) or give at least a name
/// and an address. Any other column is a problem; blank rows are skipped.
/// A child listed twice (same ふりがな and 生年月日) and a card listed twice
/// are problems. Nothing is returned unless the whole file is right.
pub fn parse_children(bytes: &[u8]) -> Result<Vec<ImportedChild>, ImportErrors> {
    let mut errors = Vec::new();
    let table = read_table::<Col>(bytes, &mut errors)?;
    let header = &table.header;
    header.require(&[Col::Name, Col::Kana, Col::District], &mut errors);

    let mut children = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<(String, Option<Date>), u64> = HashMap::new();
    let mut cards: HashMap<CardUid, u64> = HashMap::new();
    for row in &table.rows {
        let mut cells = Cells::new(header, row, &mut errors);
        let name = cells.required(Col::Name, |t| one_line(t, MAX_NAME_CHARS));
        let kana = cells.required(Col::Kana, |t| one_line(&to_hiragana(t)?, MAX_NAME_CHARS));
        let district = cells.required(Col::District, |t| one_line(t, MAX_NAME_CHARS));
        let school = cells.optional(Col::School, |t| one_line(t, MAX_NAME_CHARS));
        let before = cells.failures();
        let birth_date = cells.optional(Col::BirthDate, |t| Ok(parse_date(t)?));
        let birth_date_ok = cells.failures() == before;
        let card_list = cells.optional(Col::CardUid, card_uids).unwrap_or_default();
        for uid in &card_list {
            if let Some(&first_line) = cards.get(uid) {
                cells.fail(Col::CardUid, ErrorKind::DuplicateCard { first_line });
            } else {
                cards.insert(uid.clone(), row.line);
            }
        }
        let mut guardians = Vec::new();
        for cols in &GUARDIANS {
            let given = [
                cols.name,
                cols.email,
                cols.relation,
                cols.policy,
                cols.consent,
            ]
            .iter()
            .any(|&c| cells.text(c).is_some());
            if !given {
                continue;
            }
            let name = match cells.text(cols.name) {
                Some(t) => one_line(t, MAX_NAME_CHARS)
                    .map_err(|k| cells.fail(cols.name, k))
                    .ok(),
                None => {
                    cells.fail(cols.name, ErrorKind::GuardianIncomplete);
                    None
                }
            };
            let email = match cells.text(cols.email) {
                Some(t) => email(t).map_err(|k| cells.fail(cols.email, k)).ok(),
                None => {
                    cells.fail(cols.email, ErrorKind::GuardianIncomplete);
                    None
                }
            };
            let relation = cells
                .optional(cols.relation, |t| one_line(t, MAX_NAME_CHARS))
                .unwrap_or_default();
            let policy = cells
                .optional(cols.policy, policy)
                .unwrap_or(DEFAULT_GUARDIAN_POLICY);
            let consent_on = cells.optional(cols.consent, |t| Ok(parse_date(t)?));
            if let (Some(name), Some(email)) = (name, email) {
                guardians.push(ImportedGuardian {
                    name,
                    email,
                    relation,
                    policy,
                    consent_on,
                });
            }
        }

        if let (Some(kana), true) = (&kana, birth_date_ok) {
            let key = (kana_key(kana), birth_date);
            if let Some(&first_line) = seen.get(&key) {
                let kind = if birth_date.is_some() {
                    ErrorKind::DuplicateResident { first_line }
                } else {
                    ErrorKind::AmbiguousResident { first_line }
                };
                cells.fail(Col::Kana, kind);
            } else {
                seen.insert(key, row.line);
            }
        }

        if cells.failures() > 0 {
            continue;
        }
        let (Some(name), Some(kana), Some(district)) = (name, kana, district) else {
            continue;
        };
        children.push(ImportedChild {
            line: row.line,
            name,
            kana,
            district,
            school: school.unwrap_or_default(),
            birth_date,
            cards: card_list,
            guardians,
        });
    }
    if errors.is_empty() {
        Ok(children)
    } else {
        Err(ImportErrors::new(errors))
    }
}

/// Most cards in one row (a station's roster carries at most 4 a person).
pub const MAX_CARDS_PER_CHILD: usize = 4;

/// カードUID: one card, or several separated by 、 , ; ・ or /.
fn card_uids(text: &str) -> Result<Vec<CardUid>, ErrorKind> {
    let mut uids = Vec::new();
    for part in text
        .split([',', '、', '，', ';', '；', '・', '/', '／', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let uid = card_uid(part)?;
        if uids.contains(&uid) {
            return Err(ErrorKind::Repeated {
                text: part.to_owned(),
            });
        }
        uids.push(uid);
    }
    if uids.len() > MAX_CARDS_PER_CHILD {
        return Err(ErrorKind::TooManyCards {
            max: MAX_CARDS_PER_CHILD,
        });
    }
    Ok(uids)
}

/// 保護者メール: an address, full-width letters folded.
fn email(text: &str) -> Result<String, ErrorKind> {
    let folded = fold_width(text);
    if folded.chars().count() > MAX_EMAIL_CHARS {
        return Err(ErrorKind::TooLong {
            max: MAX_EMAIL_CHARS,
        });
    }
    crate::store::people::check_email(&folded).map_err(|_| ErrorKind::BadEmail)?;
    Ok(folded)
}

/// 通知: 毎回, その日最初 or なし (or every_tap, first_of_day, none).
fn policy(text: &str) -> Result<GuardianPolicy, ErrorKind> {
    let folded = fold_width(text).to_ascii_lowercase();
    match folded.as_str() {
        "毎回" | "every_tap" => Ok(GuardianPolicy::EveryTap),
        "その日最初" | "その日の最初" | "1日1回" | "first_of_day" => {
            Ok(GuardianPolicy::FirstOfDay)
        }
        "なし" | "無し" | "不要" | "none" => Ok(GuardianPolicy::None),
        _ => Err(ErrorKind::UnknownPolicy {
            text: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        assert_eq!(policy("毎回"), Ok(GuardianPolicy::EveryTap));
        assert_eq!(policy("その日最初"), Ok(GuardianPolicy::FirstOfDay));
        assert_eq!(policy("ＮＯＮＥ"), Ok(GuardianPolicy::None));
        assert_eq!(
            policy("毎日"),
            Err(ErrorKind::UnknownPolicy {
                text: "毎日".into()
            })
        );
    }

    #[test]
    fn several_cards_in_one_cell() {
        let uids = card_uids("04A1B2C3、04:B1:C2:D3 ; ０４Ｃ１Ｃ２Ｃ３").unwrap();
        assert_eq!(
            uids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["04A1B2C3", "04B1C2D3", "04C1C2C3"]
        );
        assert_eq!(
            card_uids("04A1B2C3,04a1b2c3"),
            Err(ErrorKind::Repeated {
                text: "04a1b2c3".into()
            })
        );
        assert_eq!(
            card_uids("04000001,04000002,04000003,04000004,04000005"),
            Err(ErrorKind::TooManyCards { max: 4 })
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("ｈａｎａｋｏ＠example.jp").unwrap(),
            "hanako@example.jp"
        );
        assert_eq!(email("hanako"), Err(ErrorKind::BadEmail));
    }
}
