//! What can be wrong with an import file, worded for municipal staff.

use std::fmt;

use mimamori_protocol::TimeOfDay;

use super::date::DateError;

/// One problem in an import file: where it is and what is wrong.
///
/// Displayed as staff read it:
/// `3行目「生年月日」: 日付として読めません（例: 1941-04-01, 昭和16年4月1日）`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The line in the file, 1-based, the header being line 1; for a row
    /// that spans several lines (a quoted line break), the line it starts
    /// on. `None` for a problem with the file as a whole.
    pub line: Option<u64>,
    /// The column, as its header is written in the file (or, for a missing
    /// column, its Japanese name). `None` for a problem with a whole row.
    pub column: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl ImportError {
    /// A problem with the file as a whole.
    pub(crate) fn file(kind: ErrorKind) -> Self {
        Self {
            line: None,
            column: None,
            kind,
        }
    }

    /// A problem on one line, in one column or with the whole row.
    pub(crate) fn at(line: u64, column: Option<String>, kind: ErrorKind) -> Self {
        Self {
            line: Some(line),
            column,
            kind,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (Some(line), Some(column)) => write!(f, "{line}行目「{column}」: {}", self.kind),
            (Some(line), None) => write!(f, "{line}行目: {}", self.kind),
            (None, Some(column)) => write!(f, "「{column}」: {}", self.kind),
            (None, None) => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ImportError {}

/// Every problem found in an import file, in the order of the file. Never
/// empty. An import is all or nothing: when this is returned, nothing of the
/// file is to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors(Vec<ImportError>);

impl ImportErrors {
    /// Wraps a non-empty list, put in the order of the file: problems with
    /// the whole file first, then by line (stable, so a row's problems stay
    /// in column order).
    pub(crate) fn new(mut errors: Vec<ImportError>) -> Self {
        debug_assert!(!errors.is_empty());
        errors.sort_by_key(|e| e.line.unwrap_or(0));
        Self(errors)
    }

    /// The problems, in the order of the file.
    pub fn as_slice(&self) -> &[ImportError] {
        &self.0
    }

    /// The problems, in the order of the file.
    pub fn iter(&self) -> std::slice::Iter<'_, ImportError> {
        self.0.iter()
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<ImportError> {
        self.0
    }

    /// Each problem as one line of text for staff.
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl From<ImportError> for ImportErrors {
    fn from(error: ImportError) -> Self {
        Self(vec![error])
    }
}

impl<'a> IntoIterator for &'a ImportErrors {
    type Item = &'a ImportError;
    type IntoIter = std::slice::Iter<'a, ImportError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ImportErrors {
    type Item = ImportError;
    type IntoIter = std::vec::IntoIter<ImportError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

/// What is wrong, for programs; its `Display` is the Japanese message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    // The file as a whole.
    /// Neither valid UTF-8 nor valid Shift_JIS. `offset` is the 0-based byte
    /// position of the first byte Shift_JIS could not read.
    #[error(
        "文字コードが UTF-8 でも Shift_JIS でもありません（先頭から {offset} バイトの位置に読めない文字があります）"
    )]
    NotText {
        /// 0-based byte position of the first unreadable byte.
        offset: usize,
    },
    /// Starts with a UTF-8 byte order mark but is not valid UTF-8 after it.
    /// `offset` is the 0-based byte position (counting the mark) of the
    /// first bad byte.
    #[error(
        "UTF-8 のファイルですが、先頭から {offset} バイトの位置に UTF-8 として読めない文字があります"
    )]
    BadUtf8 {
        /// 0-based byte position of the first bad byte.
        offset: usize,
    },
    /// A UTF-16 file (Excel's 「Unicode テキスト」).
    #[error(
        "UTF-16 のファイルは読めません。Excel の「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」で保存し直してください"
    )]
    Utf16,
    /// The CSV reader gave up.
    #[error("CSV として読めません: {detail}")]
    Malformed {
        /// The reader's explanation.
        detail: String,
    },
    /// No header row.
    #[error("ファイルが空です（見出し行がありません）")]
    Empty,
    /// A header row and nothing else.
    #[error("データ行がありません")]
    NoData,

    // The header row.
    /// A header this kind of file does not have (a typo, or the wrong file).
    #[error("知らない列名です（使える列名: {}）", .accepted.join("、"))]
    UnknownColumn {
        /// The Japanese names of the columns this kind of file has.
        accepted: &'static [&'static str],
    },
    /// The same column twice (perhaps once in Japanese, once in English).
    #[error("「{other}」と同じ列です（列が重複しています）")]
    DuplicateColumn {
        /// The other header, as written.
        other: String,
    },
    /// A required column is missing.
    #[error("必須の列がありません")]
    MissingColumn,
    /// A checkup file without a way to find the resident.
    #[error("「利用者ID」の列か、「氏名かな」と「生年月日」の列が必要です")]
    MissingResidentColumns,

    // A row.
    /// More or fewer cells than the header has.
    #[error("列の数が見出しと合いません（見出しは{expected}列、この行は{found}列）")]
    FieldCount {
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// A value under an empty header cell.
    #[error("左から{position}列目に値がありますが、その列には見出しがありません")]
    ValueWithoutHeader {
        /// 1-based column position.
        position: usize,
    },

    // A cell.
    /// A required value is empty.
    #[error("必須の項目が空欄です")]
    Required,
    /// Longer than the field allows.
    #[error("長すぎます（{max}文字まで）")]
    TooLong {
        /// Most characters allowed.
        max: usize,
    },
    /// A line break, tab or other control character in a one-line field.
    #[error("改行などの制御文字は使えません")]
    ControlCharacter,
    /// A reading with something other than kana.
    #[error("ふりがなに使えない文字「{ch}」があります（ひらがなかカタカナで書いてください）")]
    BadKana {
        /// The first offending character.
        ch: char,
    },
    /// A date that cannot be read or does not exist.
    #[error("{0}")]
    BadDate(#[from] DateError),
    /// A phone number with something besides digits and hyphens.
    #[error("電話番号に使えない文字「{ch}」があります（数字とハイフンで書いてください）")]
    PhoneCharacter {
        /// The first offending character.
        ch: char,
    },
    /// A phone number with too few or too many digits.
    #[error("電話番号の数字は10桁か11桁です（この値は{count}桁）")]
    PhoneDigits {
        /// Digits found.
        count: usize,
    },
    /// A phone number not starting with 0.
    #[error("電話番号は0で始まります（市外局番から書いてください）")]
    PhoneStart,
    /// Not a time of day.
    #[error("時刻として読めません（例: 09:00）")]
    BadTime,
    /// The reminder would come after the deadline.
    #[error("声かけ時刻（{reminder}）が締切（{deadline}）より後です")]
    ReminderAfterDeadline {
        /// The reminder time.
        reminder: TimeOfDay,
        /// The deadline.
        deadline: TimeOfDay,
    },
    /// Not a medication slot.
    #[error("「{text}」は服薬の時間帯として読めません（朝、昼、夕、寝る前）")]
    UnknownMedication {
        /// The word, as written.
        text: String,
    },
    /// Not a measurement.
    #[error("「{text}」は測定項目として読めません（血圧、体温、体重、歩数）")]
    UnknownVital {
        /// The word, as written.
        text: String,
    },
    /// The same slot or measurement twice in one cell.
    #[error("「{text}」が2回書かれています")]
    Repeated {
        /// The word, as written the second time.
        text: String,
    },
    /// A card UID with something besides hex digits.
    #[error("カードUIDは16進数（0〜9, A〜F）で書いてください（例: 04A1B2C3D4E5F6）")]
    BadCardUid,
    /// A card UID of the wrong length.
    #[error("カードUIDは16進数で8〜20桁（偶数桁）です（この値は{digits}桁）")]
    CardUidLength {
        /// Hex digits found.
        digits: usize,
    },
    /// Not a device id.
    #[error("端末IDには英数字と . _ - が使えます（1〜64文字、先頭は英数字）")]
    BadDeviceId,
    /// The same resident twice in one file.
    #[error("{first_line}行目と同じ人です（ふりがなと生年月日が同じ）")]
    DuplicateResident {
        /// Where the resident appeared first.
        first_line: u64,
    },
    /// Two residents with the same reading and no birth dates.
    #[error("{first_line}行目と同じふりがなで、どちらも生年月日がないため区別できません")]
    AmbiguousResident {
        /// Where the other resident is.
        first_line: u64,
    },
    /// The same card twice in one file.
    #[error("{first_line}行目と同じカードです（カードは1人に1枚）")]
    DuplicateCard {
        /// Where the card appeared first.
        first_line: u64,
    },
    /// More cards in one cell than a person may have.
    #[error("カードは1人{max}枚までです")]
    TooManyCards {
        /// Most cards a person may have.
        max: usize,
    },
    /// A guardian's cells without a name or an address.
    #[error("保護者を書くときは氏名とメールアドレスの両方が必要です")]
    GuardianIncomplete,
    /// Not an e-mail address.
    #[error("メールアドレスとして読めません（例: hanako@example.jp）")]
    BadEmail,
    /// Not a guardian's mail policy.
    #[error("「{text}」は通知の設定として読めません（毎回、その日最初、なし）")]
    UnknownPolicy {
        /// The policy, as written.
        text: String,
    },
    /// A resident id that is not a number.
    #[error("利用者IDは数字で書いてください")]
    BadResidentId,
    /// Not a checkup judgement.
    #[error(
        "「{text}」は判定として読めません（異常なし・A、要注意・要経過観察・B・C、要受診・要精密検査・D・E）"
    )]
    UnknownJudgement {
        /// The judgement, as written.
        text: String,
    },
    /// The same test twice in one checkup.
    #[error("同じ健診の同じ項目が{first_line}行目にもあります")]
    DuplicateItem {
        /// Where the item appeared first.
        first_line: u64,
    },
    /// Too many results in one checkup.
    #[error("1回の健診の項目が多すぎます（{max}項目まで）")]
    TooManyItems {
        /// Most items in one checkup.
        max: usize,
    },
}
