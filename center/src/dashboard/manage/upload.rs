//! Reading a `multipart/form-data` form (RFC 7578): the card form sends a
//! certificate file, which a plain form cannot. Only what the dashboard's
//! forms send is understood: parts with a `Content-Disposition: form-data;
//! name="…"` header, text fields and one file each.

use std::collections::HashMap;

/// A multipart form: text fields by name, and files' bytes by field name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Multipart {
    /// Text fields (lossy UTF-8).
    pub fields: HashMap<String, String>,
    /// Fields that carried a file name: their bytes.
    pub files: HashMap<String, Vec<u8>>,
}

/// The boundary of a `Content-Type: multipart/form-data; boundary=…`.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

fn param(disposition: &str, name: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Parses a body; `Err` names what is wrong.
pub fn parse(body: &[u8], boundary: &str) -> Result<Multipart, String> {
    let delimiter = format!("--{boundary}");
    let mut form = Multipart::default();
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("no part in the form")?;
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(form);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("a part boundary is not followed by a line break".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a part has no header end")?;
        let head = String::from_utf8_lossy(&body[at..head_end]);
        let content = head_end + 4;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), content)
            .ok_or("the form ends without its closing boundary")?;
        let disposition = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.trim().to_owned())
            })
            .ok_or("a part has no Content-Disposition")?;
        let name = param(&disposition, "name").ok_or("a part has no name")?;
        let bytes = body[content..next].to_vec();
        if param(&disposition, "filename").is_some() {
            form.files.insert(name, bytes);
        } else {
            form.fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
        at = next + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_a_binary_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"cert\"; filename=\"c.der\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x30\x82\r\n\x00\xff\r\n--XyZ--\r\n";
        let form = parse(body, "XyZ").unwrap();
        assert_eq!(form.fields["csrf"], "abc");
        assert_eq!(form.files["cert"], b"\x30\x82\r\n\x00\xff");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
    }

    #[test]
    fn broken_forms_are_refused() {
        assert!(parse(b"nothing here", "XyZ").is_err());
        assert!(
            parse(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
                "XyZ"
            )
            .is_err()
        );
        assert!(parse(b"--XyZ\r\nX: y\r\n\r\nv\r\n--XyZ--", "XyZ").is_err());
    }
}
