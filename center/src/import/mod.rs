//! Municipal lists into the center: CSV files exported from spreadsheets,
//! read into validated records. Pure functions from bytes; nothing is
//! stored here.
//!
//! * [`decode_text`] — UTF-8 (with or without BOM) or Shift_JIS
//!   (Windows-31J, what Excel writes in Japan), line ends made `\n`.
//! * [`parse_residents`] — the residents list (利用者一覧) into
//!   [`NewResident`]s.
//! * [`parse_checkups`] — health-checkup results (健診結果), one row per
//!   item, into [`NewCheckup`]s grouped by person, day and checkup.
//! * [`parse_children`] — the children list (児童名簿), one row per child
//!   with up to two guardians, into [`ImportedChild`]ren.
//! * [`parse_date`] — dates as written in Japan, era dates included.
//!
//! Columns are found by their Japanese or English header, in any order; an
//! unknown header is a problem, not ignored. An import is all or nothing:
//! every row is checked, and on any problem the result is [`ImportErrors`],
//! listing every problem with its line (the header is line 1) and column,
//! in Japanese for the staff who fix the file.
//!
//! ```
//! use mimamori_center::import::parse_residents;
//! use mimamori_protocol::MedicationSlot;
//!
//! let csv = "氏名,フリガナ,地区,生年月日,服薬\n\
//!            山田 花子,ヤマダ　ハナコ,南部,昭和16年4月1日,\"朝,夕\"\n";
//! let residents = parse_residents(csv.as_bytes()).unwrap();
//! assert_eq!(residents[0].name_kana, "やまだ はなこ");
//! assert_eq!(residents[0].birth_date, Some(jiff::civil::date(1941, 4, 1)));
//! assert_eq!(
//!     residents[0].care_plan.medication_slots,
//!     [MedicationSlot::Morning, MedicationSlot::Evening]
//! );
//!
//! let csv = "氏名,ふりがな,地区,生年月日\n\
//!            山田 花子,やまだ はなこ,南部,昭和16年4月31日\n\
//!            鈴木 一郎,,北部,1941/4/1\n";
//! let errors = parse_residents(csv.as_bytes()).unwrap_err();
//! assert_eq!(
//!     errors.messages(),
//!     [
//!         "2行目「生年月日」: 存在しない日付です",
//!         "3行目「ふりがな」: 必須の項目が空欄です",
//!     ]
//! );
//! ```

mod checkups;
mod children;
mod date;
mod decode;
mod error;
mod residents;
mod table;
mod text;

pub use checkups::{
    MAX_ITEMS_PER_CHECKUP, MAX_UNIT_CHARS, NewCheckup, ResidentRef, parse_checkups,
};
pub use children::{
    DEFAULT_GUARDIAN_POLICY, ImportedChild, ImportedGuardian, MAX_CARDS_PER_CHILD, parse_children,
};
pub use date::{DateError, parse_date};
pub use decode::{SourceEncoding, decode_text};
pub use error::{ErrorKind, ImportError, ImportErrors};
pub use residents::{
    DEFAULT_DEADLINE, DEFAULT_REMINDER_AT, MAX_ADDRESS_CHARS, NewResident, parse_residents,
};
