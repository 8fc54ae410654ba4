//! Bytes to text: UTF-8 (with or without BOM) or Shift_JIS (Windows-31J).

use encoding_rs::{DecoderResult, SHIFT_JIS};

use super::error::{ErrorKind, ImportError};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How an import file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceEncoding {
    /// UTF-8 without a byte order mark (also plain ASCII).
    Utf8,
    /// UTF-8 with a byte order mark (Excel's 「CSV UTF-8」).
    Utf8WithBom,
    /// Shift_JIS as Windows writes it (Windows-31J / CP932, with the NEC and
    /// IBM extensions): Excel's 「CSV（コンマ区切り）」 in Japan.
    ShiftJis,
}

/// Decodes an import file: UTF-8 when it is valid UTF-8 (a byte order mark
/// is dropped), else Shift_JIS (Windows-31J). Line ends come out as `\n`
/// whether the file had CRLF, LF or CR alone, also inside quoted fields.
///
/// A file that is neither is refused with the byte offset of the first byte
/// that Shift_JIS cannot read ([`ErrorKind::NotText`]); a file with a UTF-8
/// byte order mark is not tried as Shift_JIS ([`ErrorKind::BadUtf8`]); UTF-16
/// (with its byte order mark) is refused as such ([`ErrorKind::Utf16`]).
pub fn decode_text(bytes: &[u8]) -> Result<(String, SourceEncoding), ImportError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportError::file(ErrorKind::Utf16));
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        let text = std::str::from_utf8(rest).map_err(|e| {
            ImportError::file(ErrorKind::BadUtf8 {
                offset: UTF8_BOM.len() + e.valid_up_to(),
            })
        })?;
        (text.to_owned(), SourceEncoding::Utf8WithBom)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), SourceEncoding::Utf8)
    } else {
        (decode_shift_jis(bytes)?, SourceEncoding::ShiftJis)
    };
    Ok((normalize_line_ends(text), encoding))
}

/// Shift_JIS without replacement characters: the first malformed byte is an
/// error naming its offset.
fn decode_shift_jis(bytes: &[u8]) -> Result<String, ImportError> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(capacity);
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(bytes.len() - read_total + 16),
            DecoderResult::Malformed(bad, after) => {
                let offset = read_total - usize::from(after) - usize::from(bad);
                return Err(ImportError::file(ErrorKind::NotText { offset }));
            }
        }
    }
}

fn normalize_line_ends(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_utf8() {
        let (text, encoding) = decode_text(b"a,b\r\nc,d\r\n").unwrap();
        assert_eq!(text, "a,b\nc,d\n");
        assert_eq!(encoding, SourceEncoding::Utf8);
    }

    #[test]
    fn shift_jis_offsets_point_at_the_bad_byte() {
        // 氏名 in Shift_JIS is 8E 81 96 BC; 0xA0 is not Shift_JIS, and
        // the bytes are not UTF-8 either.
        let err = decode_text(b"\x8E\x81\x96\xBC,\xA0").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotText { offset: 5 });
        let (text, encoding) = decode_text(b"\x8E\x81\x96\xBC").unwrap();
        assert_eq!(
            (text.as_str(), encoding),
            ("氏名", SourceEncoding::ShiftJis)
        );
    }

    #[test]
    fn a_lone_lead_byte_at_the_end_is_an_error() {
        let err = decode_text(b"\x8E\x81\x96").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotText { offset: 2 });
    }

    #[test]
    fn bom_files_are_not_tried_as_shift_jis() {
        let err = decode_text(b"\xEF\xBB\xBFab\xFF").unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadUtf8 { offset: 5 });
    }

    #[test]
    fn utf16_is_refused() {
        let err = decode_text(b"\xFF\xFEa\x00").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Utf16);
    }

    #[test]
    fn lone_carriage_returns_are_line_ends() {
        assert_eq!(decode_text(b"a\rb\r\n").unwrap().0, "a\nb\n");
    }
}
