//! Health-checkup results (健診結果): one row per result item, grouped into
//! one record per person, day and checkup.

use std::collections::HashMap;

use jiff::civil::Date;
use mimamori_protocol::{CheckupItem, Judgement, MAX_NAME_CHARS};

use super::date::parse_date;
use super::error::{ErrorKind, ImportError, ImportErrors};
use super::table::{Cells, Column, read_table};
use super::text::{fold_width, kana_key, one_line, to_hiragana};

/// Longest unit, in characters (as the protocol allows).
pub const MAX_UNIT_CHARS: usize = 20;
/// Most results in one checkup (as the protocol allows).
pub const MAX_ITEMS_PER_CHECKUP: usize = 100;

/// Whose checkup a row is: the center's resident number, or the reading and
/// birth date, to be looked up when the records are stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResidentRef {
    /// 利用者ID: the resident's number at the center.
    Id(u64),
    /// 氏名かな and 生年月日.
    Kana {
        /// The reading in hiragana, spaces collapsed to one ASCII space (as
        /// [`NewResident::name_kana`](super::NewResident::name_kana)).
        /// Compare readings without their spaces.
        kana: String,
        /// The birth date.
        birth_date: Date,
    },
}

impl ResidentRef {
    /// What makes two references the same person within one file.
    fn key(&self) -> ResidentKey {
        match self {
            ResidentRef::Id(id) => ResidentKey::Id(*id),
            ResidentRef::Kana { kana, birth_date } => {
                ResidentKey::Kana(kana_key(kana), *birth_date)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ResidentKey {
    Id(u64),
    Kana(String, Date),
}

/// One checkup of one resident read from a results file: the rows with the
/// same person, 受診日 and 健診名, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckup {
    /// The line of the checkup's first row, for messages when storing
    /// fails (e.g. no such resident).
    pub line: u64,
    /// Whose checkup.
    pub resident: ResidentRef,
    /// 受診日.
    pub examined_on: Date,
    /// 健診名, e.g. 特定健康診査.
    pub title: String,
    /// The results, in file order.
    pub items: Vec<CheckupItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    ResidentId,
    Kana,
    BirthDate,
    ExaminedOn,
    Title,
    ItemName,
    Value,
    Unit,
    Judgement,
}

impl Column for Col {
    const ALL: &'static [Self] = &[
        Col::ResidentId,
        Col::Kana,
        Col::BirthDate,
        Col::ExaminedOn,
        Col::Title,
        Col::ItemName,
        Col::Value,
        Col::Unit,
        Col::Judgement,
    ];
    const LABELS: &'static [&'static str] = &[
        "利用者ID",
        "氏名かな",
        "生年月日",
        "受診日",
        "健診名",
        "項目",
        "結果",
        "単位",
        "判定",
    ];

    fn names(self) -> &'static [&'static str] {
        match self {
            Col::ResidentId => &["利用者ID", "resident_id"],
            Col::Kana => &["氏名かな", "ふりがな", "フリガナ", "kana"],
            Col::BirthDate => &["生年月日", "birth_date"],
            Col::ExaminedOn => &["受診日", "examined_on"],
            Col::Title => &["健診名", "title"],
            Col::ItemName => &["項目", "name"],
            Col::Value => &["結果", "value"],
            Col::Unit => &["単位", "unit"],
            Col::Judgement => &["判定", "judgement"],
        }
    }
}

/// Reads health-checkup results (健診結果) exported from a spreadsheet, one
/// row per result item:
///
/// | column | English | required | example |
/// |---|---|---|---|
/// | 利用者ID | resident_id | this, or both of the next two | 1042 |
/// | 氏名かな (ふりがな) | kana | | やまだ はなこ |
/// | 生年月日 | birth_date | | 昭和16年4月1日 |
/// | 受診日 | examined_on | yes | 2026-06-12, 令和8年6月12日 |
/// | 健診名 | title | yes | 特定健康診査 |
/// | 項目 | name | yes | HbA1c |
/// | 結果 | value | yes | 6.1 |
/// | 単位 | unit | | % |
/// | 判定 | judgement | | 異常なし/A; 要注意, 要経過観察, B, C; 要受診, 要精密検査, D, E |
///
/// A row with a 利用者ID refers to the resident by number; otherwise by
/// 氏名かな and 生年月日 together. Rows of the same person, 受診日 and 健診名
/// make one [`NewCheckup`], in the order their first rows appear, with the
/// items in file order (the rows need not be adjacent). The same item twice
/// in one checkup is a problem. As with residents, every problem is
/// returned, and nothing unless the whole file is right.
pub fn parse_checkups(bytes: &[u8]) -> Result<Vec<NewCheckup>, ImportErrors> {
    let mut errors = Vec::new();
    let table = read_table::<Col>(bytes, &mut errors)?;
    let header = &table.header;
    header.require(
        &[Col::ExaminedOn, Col::Title, Col::ItemName, Col::Value],
        &mut errors,
    );
    let by_id = header.has(Col::ResidentId);
    let by_kana = header.has(Col::Kana) && header.has(Col::BirthDate);
    if !by_id && !by_kana {
        errors.push(ImportError::at(
            header.line(),
            None,
            ErrorKind::MissingResidentColumns,
        ));
    }

    let mut checkups: Vec<NewCheckup> = Vec::new();
    // (person, day, title) → index in `checkups`.
    let mut groups: HashMap<(ResidentKey, Date, String), usize> = HashMap::new();
    // Per checkup: item name → first line.
    let mut item_lines: Vec<HashMap<String, u64>> = Vec::new();
    for row in &table.rows {
        let mut cells = Cells::new(header, row, &mut errors);
        let resident = resident_ref(&mut cells, by_kana);
        let examined_on = cells.required(Col::ExaminedOn, |t| Ok(parse_date(t)?));
        let title = cells.required(Col::Title, |t| one_line(t, MAX_NAME_CHARS));
        let name = cells.required(Col::ItemName, |t| one_line(t, MAX_NAME_CHARS));
        let value = cells.required(Col::Value, |t| one_line(t, MAX_NAME_CHARS));
        let unit = cells.optional(Col::Unit, |t| one_line(t, MAX_UNIT_CHARS));
        let judgement = cells.optional(Col::Judgement, judgement);
        if cells.failures() > 0 {
            continue;
        }
        let (Some(resident), Some(examined_on), Some(title), Some(name), Some(value)) =
            (resident, examined_on, title, name, value)
        else {
            continue;
        };

        let key = (resident.key(), examined_on, title.clone());
        let index = *groups.entry(key).or_insert_with(|| {
            checkups.push(NewCheckup {
                line: row.line,
                resident,
                examined_on,
                title,
                items: Vec::new(),
            });
            item_lines.push(HashMap::new());
            checkups.len() - 1
        });
        if let Some(&first_line) = item_lines[index].get(&name) {
            cells.fail(Col::ItemName, ErrorKind::DuplicateItem { first_line });
            continue;
        }
        if checkups[index].items.len() == MAX_ITEMS_PER_CHECKUP {
            cells.fail(
                Col::ItemName,
                ErrorKind::TooManyItems {
                    max: MAX_ITEMS_PER_CHECKUP,
                },
            );
            continue;
        }
        item_lines[index].insert(name.clone(), row.line);
        checkups[index].items.push(CheckupItem {
            name,
            value,
            unit,
            judgement,
        });
    }
    if errors.is_empty() {
        Ok(checkups)
    } else {
        Err(ImportErrors::new(errors))
    }
}

/// The row's resident: by 利用者ID when given, else by 氏名かな + 生年月日.
fn resident_ref(cells: &mut Cells<'_, Col>, by_kana: bool) -> Option<ResidentRef> {
    if cells.text(Col::ResidentId).is_some() || !by_kana {
        // Without kana columns the id is required (reported once if the
        // column is missing altogether).
        return cells
            .required(Col::ResidentId, resident_id)
            .map(ResidentRef::Id);
    }
    let kana = cells.required(Col::Kana, |t| one_line(&to_hiragana(t)?, MAX_NAME_CHARS));
    let birth_date = cells.required(Col::BirthDate, |t| Ok(parse_date(t)?));
    Some(ResidentRef::Kana {
        kana: kana?,
        birth_date: birth_date?,
    })
}

fn resident_id(text: &str) -> Result<u64, ErrorKind> {
    let folded = fold_width(text);
    if folded.is_empty() || !folded.chars().all(|c| c.is_ascii_digit()) {
        return Err(ErrorKind::BadResidentId);
    }
    folded.parse().map_err(|_| ErrorKind::BadResidentId)
}

/// 判定: the words of Japanese checkup reports, or the letters A to E.
fn judgement(text: &str) -> Result<Judgement, ErrorKind> {
    let folded = fold_width(text).to_ascii_uppercase();
    match folded.as_str() {
        "異常なし" | "A" => Ok(Judgement::Normal),
        "要注意" | "要経過観察" | "軽度異常" | "要再検査" | "B" | "C" => {
            Ok(Judgement::Caution)
        }
        "要受診" | "要精密検査" | "要精検" | "要治療" | "治療中" | "D" | "E" => {
            Ok(Judgement::Abnormal)
        }
        _ => Err(ErrorKind::UnknownJudgement {
            text: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judgements() {
        for (text, expected) in [
            ("異常なし", Judgement::Normal),
            ("A", Judgement::Normal),
            ("ａ", Judgement::Normal),
            ("要注意", Judgement::Caution),
            ("要経過観察", Judgement::Caution),
            ("B", Judgement::Caution),
            ("Ｃ", Judgement::Caution),
            ("要受診", Judgement::Abnormal),
            ("要精密検査", Judgement::Abnormal),
            ("D", Judgement::Abnormal),
            ("e", Judgement::Abnormal),
        ] {
            assert_eq!(judgement(text), Ok(expected), "{text}");
        }
        assert_eq!(
            judgement("F"),
            Err(ErrorKind::UnknownJudgement { text: "F".into() })
        );
    }
}
