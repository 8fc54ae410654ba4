//! CSV for municipal reporting: UTF-8 with a byte-order mark, so that
//! Excel on a municipal PC opens the Japanese text correctly; CRLF lines.
//! A cell that a spreadsheet would read as a formula (it begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) is written with a `'` in
//! front, so that text typed by anyone (a note, a name) never runs.

/// Writes a header and rows as CSV bytes with a BOM.
pub fn to_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut bytes);
        writer.write_record(header)?;
        for row in rows {
            writer.write_record(row.iter().map(|cell| neutralise(cell).into_owned()))?;
        }
        writer.flush()?;
    }
    Ok(bytes)
}

/// `cell`, or `'` and `cell` when a spreadsheet would take it for a
/// formula.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        let bytes = to_csv(
            &["メモ"],
            [
                vec!["=HYPERLINK(\"http://evil\")".into()],
                vec!["+81 859".into()],
                vec!["-1".into()],
                vec!["@SUM(A1)".into()],
                vec!["\tx".into()],
                vec!["ふつう".into()],
            ],
        )
        .unwrap();
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "メモ\r\n\"'=HYPERLINK(\"\"http://evil\"\")\"\r\n'+81 859\r\n'-1\r\n'@SUM(A1)\r\n'\tx\r\nふつう\r\n"
        );
    }

    #[test]
    fn bom_quotes_and_crlf() {
        let bytes = to_csv(
            &["氏名", "記録"],
            [vec!["山田 花子".into(), "玄関で \"元気\", と".into()]],
        )
        .unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "氏名,記録\r\n山田 花子,\"玄関で \"\"元気\"\", と\"\r\n"
        );
    }
}
