//! Cell-level normalisation: full-width ASCII, readings in hiragana, phone
//! numbers, times of day, one-line text.

use mimamori_protocol::TimeOfDay;

use super::error::ErrorKind;

/// Full-width ASCII (０-９, Ａ-Ｚ, ：, －…) to ASCII and the ideographic space
/// to a space; everything else unchanged.
pub(super) fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Spaces of every kind, as spreadsheets contain them.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

/// The cell without spaces around it.
pub(super) fn trim(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// One line of text of at most `max` characters (names, districts, titles).
pub(super) fn one_line(text: &str, max: usize) -> Result<String, ErrorKind> {
    if text.chars().any(char::is_control) {
        return Err(ErrorKind::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(ErrorKind::TooLong { max });
    }
    Ok(text.to_owned())
}

/// Text of at most `max` characters that may span lines (addresses).
pub(super) fn paragraph(text: &str, max: usize) -> Result<String, ErrorKind> {
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ErrorKind::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(ErrorKind::TooLong { max });
    }
    Ok(text.to_owned())
}

/// Half-width katakana ｦ (U+FF66) to ﾝ (U+FF9D), as hiragana.
const HALF_WIDTH_KANA: &str = "をぁぃぅぇぉゃゅょっーあいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん";

/// A reading in hiragana: katakana (full- or half-width) become hiragana,
/// voicing marks written apart (ｶﾞ, か゛) are joined, runs of spaces become
/// one ASCII space. Allowed besides hiragana: ー, ・ and spaces (not line
/// breaks or tabs).
pub(super) fn to_hiragana(text: &str) -> Result<String, ErrorKind> {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_control() {
            return Err(ErrorKind::ControlCharacter);
        }
        if is_space(c) {
            pending_space = !out.is_empty();
            continue;
        }
        let kana = match c {
            '\u{3041}'..='\u{3096}' | 'ゝ' | 'ゞ' | 'ー' | '・' => c,
            '\u{30A1}'..='\u{30F6}' | 'ヽ' | 'ヾ' => {
                char::from_u32(u32::from(c) - 0x60).ok_or(ErrorKind::BadKana { ch: c })?
            }
            '\u{FF66}'..='\u{FF9D}' => {
                let index = (u32::from(c) - 0xFF66) as usize;
                HALF_WIDTH_KANA
                    .chars()
                    .nth(index)
                    .ok_or(ErrorKind::BadKana { ch: c })?
            }
            '\u{FF65}' => '・',
            // Voicing marks: half-width, spacing and combining.
            '\u{FF9E}' | '\u{309B}' | '\u{3099}' | '\u{FF9F}' | '\u{309C}' | '\u{309A}' => {
                let semi = matches!(c, '\u{FF9F}' | '\u{309C}' | '\u{309A}');
                let joined = match out.pop() {
                    Some(base) if !pending_space => voice(base, semi),
                    _ => None,
                };
                out.push(joined.ok_or(ErrorKind::BadKana { ch: c })?);
                continue;
            }
            _ => return Err(ErrorKind::BadKana { ch: c }),
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(kana);
    }
    Ok(out)
}

/// か + ゛ → が, は + ゜ → ぱ, う + ゛ → ゔ.
fn voice(base: char, semi: bool) -> Option<char> {
    let code = u32::from(base);
    let voiced = match (base, semi) {
        ('う', false) => 'ゔ',
        ('ゝ', false) => 'ゞ',
        // か き く け こ さ し す せ そ た ち (voiced: +1)
        ('\u{304B}'..='\u{3062}', false) if (code - 0x304B) % 2 == 0 => char::from_u32(code + 1)?,
        // つ て と (after っ the parity shifts)
        ('つ' | 'て' | 'と', false) => char::from_u32(code + 1)?,
        // は ひ ふ へ ほ: +1 voiced, +2 half-voiced
        ('\u{306F}'..='\u{307D}', _) if (code - 0x306F) % 3 == 0 => {
            char::from_u32(code + if semi { 2 } else { 1 })?
        }
        _ => return None,
    };
    Some(voiced)
}

/// The reading without spaces: two readings name the same person when
/// their keys are equal (やまだ はなこ, やまだはなこ).
pub(super) fn kana_key(kana: &str) -> String {
    kana.chars().filter(|&c| c != ' ').collect()
}

/// A phone number as digits and single hyphens: full-width digits and the
/// many dashes people type (－, ‐, ―, −, ー) become ASCII, parentheses
/// around an area code become hyphens, spaces go. 10 or 11 digits, starting
/// with 0.
pub(super) fn phone(text: &str) -> Result<String, ErrorKind> {
    let mut out = String::new();
    for c in fold_width(text).chars() {
        match c {
            '0'..='9' => out.push(c),
            '-' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}' | 'ー' | 'ｰ' => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
            }
            c if is_space(c) => {}
            _ => return Err(ErrorKind::PhoneCharacter { ch: c }),
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    let count = out.chars().filter(char::is_ascii_digit).count();
    if !(10..=11).contains(&count) {
        return Err(ErrorKind::PhoneDigits { count });
    }
    if !out.starts_with('0') {
        return Err(ErrorKind::PhoneStart);
    }
    Ok(out)
}

/// A time of day: `09:00`, `9:00`, `9:00:00` (seconds must be zero, as
/// Excel writes them), `9時`, `9時30分`; full-width digits too.
pub(super) fn time_of_day(text: &str) -> Result<TimeOfDay, ErrorKind> {
    let folded: String = fold_width(text).chars().filter(|&c| !is_space(c)).collect();
    let number = |part: &str| -> Option<u8> {
        if (1..=2).contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let parsed = if let Some(rest) = folded.strip_suffix('分') {
        rest.split_once('時')
            .and_then(|(h, m)| Some((number(h)?, number(m)?)))
    } else if let Some(h) = folded.strip_suffix('時') {
        number(h).map(|h| (h, 0))
    } else {
        let parts: Vec<&str> = folded.split(':').collect();
        match parts.as_slice() {
            [h, m] if m.len() == 2 => number(h).zip(number(m)),
            [h, m, "00"] if m.len() == 2 => number(h).zip(number(m)),
            _ => None,
        }
    };
    parsed
        .and_then(|(h, m)| TimeOfDay::new(h, m))
        .ok_or(ErrorKind::BadTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn katakana_of_every_width_becomes_hiragana() {
        assert_eq!(to_hiragana("ヤマダ　ハナコ").unwrap(), "やまだ はなこ");
        assert_eq!(to_hiragana("ﾔﾏﾀﾞ ﾊﾅｺ").unwrap(), "やまだ はなこ");
        assert_eq!(to_hiragana("ｼﾞｮﾝ･ﾎﾟｰﾙ").unwrap(), "じょん・ぽーる");
        assert_eq!(
            to_hiragana("  すずき   いちろう ").unwrap(),
            "すずき いちろう"
        );
        assert_eq!(to_hiragana("ヴァイオレット").unwrap(), "ゔぁいおれっと");
        assert_eq!(to_hiragana("ｳﾞｧ").unwrap(), "ゔぁ");
        assert_eq!(to_hiragana("ﾂﾞﾃﾞﾄﾞﾁﾞ").unwrap(), "づでどぢ");
        assert_eq!(to_hiragana("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟﾎﾞ").unwrap(), "ぱぴぷぺぽぼ");
        assert_eq!(to_hiragana("か\u{3099}").unwrap(), "が");
    }

    #[test]
    fn every_half_width_voicing_matches_full_width() {
        for (half, full) in [
            ("ｶﾞｷﾞｸﾞｹﾞｺﾞ", "がぎぐげご"),
            ("ｻﾞｼﾞｽﾞｾﾞｿﾞ", "ざじずぜぞ"),
            ("ﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ", "だぢづでど"),
            ("ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ", "ばびぶべぼ"),
        ] {
            assert_eq!(to_hiragana(half).unwrap(), full);
        }
    }

    #[test]
    fn kana_refuses_what_is_not_kana() {
        assert_eq!(to_hiragana("山田"), Err(ErrorKind::BadKana { ch: '山' }));
        assert_eq!(to_hiragana("yamada"), Err(ErrorKind::BadKana { ch: 'y' }));
        assert_eq!(to_hiragana("ﾏﾞ"), Err(ErrorKind::BadKana { ch: 'ﾞ' }));
        assert_eq!(to_hiragana("ﾟ"), Err(ErrorKind::BadKana { ch: 'ﾟ' }));
        assert_eq!(to_hiragana("っﾞ"), Err(ErrorKind::BadKana { ch: 'ﾞ' }));
        assert_eq!(
            to_hiragana("やまだ\nはなこ"),
            Err(ErrorKind::ControlCharacter)
        );
    }

    #[test]
    fn phones_keep_digits_and_hyphens() {
        assert_eq!(phone("０３－１２３４－５６７８").unwrap(), "03-1234-5678");
        assert_eq!(phone("090ー1234ー5678").unwrap(), "090-1234-5678");
        assert_eq!(phone("(0123)45-6789").unwrap(), "0123-45-6789");
        assert_eq!(phone("0123(45)6789").unwrap(), "0123-45-6789");
        assert_eq!(phone("03 1234 5678").unwrap(), "0312345678");
        assert_eq!(
            phone("03-1234-567"),
            Err(ErrorKind::PhoneDigits { count: 9 })
        );
        assert_eq!(
            phone("090-1234-56789"),
            Err(ErrorKind::PhoneDigits { count: 12 })
        );
        assert_eq!(phone("3-1234-56789"), Err(ErrorKind::PhoneStart));
        assert_eq!(
            phone("03-1234-5678内線"),
            Err(ErrorKind::PhoneCharacter { ch: '内' })
        );
    }

    #[test]
    fn times() {
        let t = |s: &str| time_of_day(s).map(|t| t.to_string());
        assert_eq!(t("09:00").unwrap(), "09:00");
        assert_eq!(t("9:05").unwrap(), "09:05");
        assert_eq!(t("９：３０").unwrap(), "09:30");
        assert_eq!(t("8:30:00").unwrap(), "08:30");
        assert_eq!(t("10時").unwrap(), "10:00");
        assert_eq!(t("10時15分").unwrap(), "10:15");
        for bad in ["24:00", "9:5", "9:00:30", "0900", "9", "", "12:60"] {
            assert_eq!(t(bad), Err(ErrorKind::BadTime), "{bad}");
        }
    }
}
