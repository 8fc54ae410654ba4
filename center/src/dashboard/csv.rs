//! CSV for municipal reporting: UTF-8 with a byte-order mark, so that
//! Excel on a municipal PC opens the Japanese text correctly; CRLF lines.

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
            writer.write_record(&row)?;
        }
        writer.flush()?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
