//! Dates as municipal lists write them, Japanese era dates included; the
//! era conversion is written out here (see [`parse_date`]).

use jiff::civil::{Date, date};

use super::text::{fold_width, is_space};

/// A date that could not be read. Its `Display` is the message for staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not written as any date format we know.
    #[error("日付として読めません（例: 1941-04-01, 昭和16年4月1日）")]
    Unreadable,
    /// Readable, but no such day (2月30日, 13月).
    #[error("存在しない日付です")]
    NoSuchDay,
    /// An era date outside its era.
    #[error("{written}は{era}の期間外です（正しくは{actual}）")]
    OutsideEra {
        /// The date as read, e.g. 昭和64年1月8日.
        written: String,
        /// The era written, e.g. 昭和.
        era: &'static str,
        /// The same day in its own era, e.g. 平成元年1月8日.
        actual: String,
    },
    /// Before 1873-01-01 (明治6年1月1日).
    #[error("1873年（明治6年）より前の日付は扱えません")]
    TooEarly,
}

struct Era {
    name: &'static str,
    letter: char,
    /// Square ligature, as in Windows-31J (㍾ ㍽ ㍼ ㍻) and Unicode 12 (㋿).
    ligature: char,
    /// The Gregorian year of 元年.
    first_year: i16,
    first_day: Date,
    last_day: Option<Date>,
}

const EARLIEST: Date = date(1873, 1, 1);

const ERAS: &[Era] = &[
    Era {
        name: "明治",
        letter: 'M',
        ligature: '㍾',
        first_year: 1868,
        first_day: EARLIEST,
        last_day: Some(date(1912, 7, 29)),
    },
    Era {
        name: "大正",
        letter: 'T',
        ligature: '㍽',
        first_year: 1912,
        first_day: date(1912, 7, 30),
        last_day: Some(date(1926, 12, 24)),
    },
    Era {
        name: "昭和",
        letter: 'S',
        ligature: '㍼',
        first_year: 1926,
        first_day: date(1926, 12, 25),
        last_day: Some(date(1989, 1, 7)),
    },
    Era {
        name: "平成",
        letter: 'H',
        ligature: '㍻',
        first_year: 1989,
        first_day: date(1989, 1, 8),
        last_day: Some(date(2019, 4, 30)),
    },
    Era {
        name: "令和",
        letter: 'R',
        ligature: '㋿',
        first_year: 2019,
        first_day: date(2019, 5, 1),
        last_day: None,
    },
];

impl Era {
    fn contains(&self, day: Date) -> bool {
        day >= self.first_day && self.last_day.is_none_or(|last| day <= last)
    }

    /// The era's prefix at the start of `text`, and the rest.
    fn strip<'t>(&self, text: &'t str) -> Option<&'t str> {
        let first_kanji = self.name.chars().next()?;
        text.strip_prefix(self.name)
            .or_else(|| text.strip_prefix(self.ligature))
            .or_else(|| text.strip_prefix(first_kanji))
            .or_else(|| text.strip_prefix(self.letter))
            .or_else(|| text.strip_prefix(self.letter.to_ascii_lowercase()))
    }
}

/// Reads a date as municipal lists write it: Western (`1941-04-01`,
/// `1941/4/1`, `1941.4.1`, `1941年4月1日`, `19410401`) or Japanese era
/// (`昭和16年4月1日`, `昭和16年4月1日生`, `S16.4.1`, `s16/4/1`, `昭16-4-1`,
/// `㍼16.4.1`, `平成元年1月8日`, `R元.5.1`). Full-width digits and spaces are
/// fine.
///
/// Eras, from the days each began:
///
/// | era  | letter | 元年 | first day  | last day   |
/// |------|--------|------|------------|------------|
/// | 明治 | M      | 1868 | (1873-01-01, see below) | 1912-07-29 |
/// | 大正 | T      | 1912 | 1912-07-30 | 1926-12-24 |
/// | 昭和 | S      | 1926 | 1926-12-25 | 1989-01-07 |
/// | 平成 | H      | 1989 | 1989-01-08 | 2019-04-30 |
/// | 令和 | R      | 2019 | 2019-05-01 | —          |
///
/// An era date outside its era (昭和64年1月8日, 平成31年5月1日) is refused
/// with the right name for the day ([`DateError::OutsideEra`]). Japan took
/// up the Gregorian calendar on 明治6年1月1日 (1873-01-01); dates before it
/// were lunisolar and cannot be converted by arithmetic, so no date before
/// 1873 is accepted, in either notation ([`DateError::TooEarly`]). There is
/// no upper bound: this function does not know today's date.
///
/// ```
/// use jiff::civil::date;
/// use mimamori_center::import::parse_date;
///
/// assert_eq!(parse_date("昭和16年4月1日"), Ok(date(1941, 4, 1)));
/// assert_eq!(parse_date("Ｒ元.５.１"), Ok(date(2019, 5, 1)));
/// assert_eq!(
///     parse_date("昭和64年1月8日").unwrap_err().to_string(),
///     "昭和64年1月8日は昭和の期間外です（正しくは平成元年1月8日）"
/// );
/// ```
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let folded: String = fold_width(text).chars().filter(|&c| !is_space(c)).collect();
    let folded = folded.strip_suffix('生').unwrap_or(&folded);
    for era in ERAS {
        if let Some(rest) = era.strip(folded) {
            return era_date(era, rest);
        }
    }
    western_date(folded)
}

/// The day in its era, `平成元年1月8日`; `None` before 1873.
pub(super) fn era_name(day: Date) -> Option<String> {
    let era = ERAS.iter().rev().find(|era| era.contains(day))?;
    let year = day.year() - era.first_year + 1;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Some(format!(
        "{}{year}年{}月{}日",
        era.name,
        day.month(),
        day.day()
    ))
}

fn era_date(era: &Era, rest: &str) -> Result<Date, DateError> {
    let (year, month, day) = split_ymd(rest).ok_or(DateError::Unreadable)?;
    let year: i16 = if year == "元" {
        1
    } else {
        number(year, 1, 2).ok_or(DateError::Unreadable)?
    };
    if year == 0 {
        return Err(DateError::Unreadable);
    }
    let month = number(month, 1, 2).ok_or(DateError::Unreadable)?;
    let day = number(day, 1, 2).ok_or(DateError::Unreadable)?;
    let gregorian = era.first_year + year - 1;
    let result = calendar_day(gregorian, month, day)?;
    if era.contains(result) {
        return Ok(result);
    }
    let actual = era_name(result).ok_or(DateError::TooEarly)?;
    let written_year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Err(DateError::OutsideEra {
        written: format!("{}{written_year}年{month}月{day}日", era.name),
        era: era.name,
        actual,
    })
}

fn western_date(text: &str) -> Result<Date, DateError> {
    let (year, month, day) = if text.len() == 8 && text.chars().all(|c| c.is_ascii_digit()) {
        (&text[..4], &text[4..6], &text[6..])
    } else {
        split_ymd(text).ok_or(DateError::Unreadable)?
    };
    let year = number(year, 4, 4).ok_or(DateError::Unreadable)?;
    let month = number(month, 1, 2).ok_or(DateError::Unreadable)?;
    let day = number(day, 1, 2).ok_or(DateError::Unreadable)?;
    calendar_day(year, month, day)
}

/// `16年4月1日` / `16年4月1` / `16.4.1` / `16/4/1` / `16-4-1` into its three
/// parts (the separator must be the same twice).
fn split_ymd(text: &str) -> Option<(&str, &str, &str)> {
    if let Some((year, rest)) = text.split_once('年') {
        let (month, day) = rest.split_once('月')?;
        let day = day.strip_suffix('日').unwrap_or(day);
        return Some((year, month, day));
    }
    let separator = text.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = text.split(separator);
    let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    match parts {
        (year, month, day, None) => Some((year, month, day)),
        _ => None,
    }
}

/// ASCII digits only, `min..=max` of them.
fn number<T: std::str::FromStr>(text: &str, min: usize, max: usize) -> Option<T> {
    if (min..=max).contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn calendar_day(year: i16, month: i8, day: i8) -> Result<Date, DateError> {
    let result = Date::new(year, month, day).map_err(|_| DateError::NoSuchDay)?;
    if result < EARLIEST {
        return Err(DateError::TooEarly);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Date {
        parse_date(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn western_forms() {
        for text in [
            "1941-04-01",
            "1941/4/1",
            "1941.4.1",
            "1941年4月1日",
            "19410401",
            "１９４１／０４／０１",
            " 1941-4-1 ",
        ] {
            assert_eq!(ok(text), date(1941, 4, 1), "{text}");
        }
    }

    #[test]
    fn era_forms() {
        for text in [
            "昭和16年4月1日",
            "昭和16年4月1日生",
            "昭和１６年４月１日",
            "昭和 16年 4月 1日",
            "昭和16年4月1",
            "S16.4.1",
            "s16.4.1",
            "Ｓ１６．４．１",
            "S16/04/01",
            "昭16-4-1",
            "㍼16.4.1",
        ] {
            assert_eq!(ok(text), date(1941, 4, 1), "{text}");
        }
    }

    #[test]
    fn every_era_converts() {
        assert_eq!(ok("明治45年7月29日"), date(1912, 7, 29));
        assert_eq!(ok("M44.1.1"), date(1911, 1, 1));
        assert_eq!(ok("大正元年7月30日"), date(1912, 7, 30));
        assert_eq!(ok("T15.12.24"), date(1926, 12, 24));
        assert_eq!(ok("昭和元年12月25日"), date(1926, 12, 25));
        assert_eq!(ok("昭和64年1月7日"), date(1989, 1, 7));
        assert_eq!(ok("平成元年1月8日"), date(1989, 1, 8));
        assert_eq!(ok("H1.1.8"), date(1989, 1, 8));
        assert_eq!(ok("平成31年4月30日"), date(2019, 4, 30));
        assert_eq!(ok("令和元年5月1日"), date(2019, 5, 1));
        assert_eq!(ok("R1.5.1"), date(2019, 5, 1));
        assert_eq!(ok("令和7年11月29日"), date(2025, 11, 29));
    }

    #[test]
    fn era_dates_outside_their_era_name_the_right_era() {
        let outside = |text: &str| match parse_date(text) {
            Err(DateError::OutsideEra { actual, .. }) => actual,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(outside("昭和64年1月8日"), "平成元年1月8日");
        assert_eq!(outside("平成31年5月1日"), "令和元年5月1日");
        assert_eq!(outside("平成元年1月7日"), "昭和64年1月7日");
        assert_eq!(outside("大正15年12月25日"), "昭和元年12月25日");
        assert_eq!(outside("明治45年7月30日"), "大正元年7月30日");
        assert_eq!(outside("昭和70年1月1日"), "平成7年1月1日");
        assert_eq!(outside("令和元年4月30日"), "平成31年4月30日");
        assert_eq!(
            parse_date("S64.1.8").unwrap_err().to_string(),
            "昭和64年1月8日は昭和の期間外です（正しくは平成元年1月8日）"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_date("1941-02-30"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("昭和16年13月1日"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("明治5年12月2日"), Err(DateError::TooEarly));
        assert_eq!(parse_date("1872-12-31"), Err(DateError::TooEarly));
        for text in [
            "",
            "昭和",
            "昭和0年1月1日",
            "昭和16年",
            "S16.4",
            "S16.4.1.2",
            "S16/4.1",
            "41-4-1",
            "1941-4",
            "1941-04-001",
            "昭和十六年四月一日",
            "X16.4.1",
            "15067",
        ] {
            assert_eq!(parse_date(text), Err(DateError::Unreadable), "{text:?}");
        }
    }

    #[test]
    fn era_names() {
        assert_eq!(era_name(date(1941, 4, 1)).unwrap(), "昭和16年4月1日");
        assert_eq!(era_name(date(2019, 5, 1)).unwrap(), "令和元年5月1日");
        assert_eq!(era_name(date(1872, 12, 31)), None);
    }
}
