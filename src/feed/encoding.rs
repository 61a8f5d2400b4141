//! Turning a feed's bytes into UTF-8 text the XML parsers can trust.
//!
//! Order of evidence: a byte-order mark, then the XML declaration's `encoding`, then UTF-8.
//! Declarations lie in both directions, so a document that is valid UTF-8 with non-ASCII
//! characters is read as UTF-8 whatever it declares, and a document that claims (or is assumed
//! to be) UTF-8 but is not is read byte by byte as windows-1252 where it is invalid. The XML
//! declaration is removed from the result so the parser cannot re-decode the text.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// The document as UTF-8, without BOM or XML declaration, plus notes on repairs made.
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub notes: Vec<String>,
}

pub(crate) fn decode_document(bytes: &[u8]) -> Decoded<'_> {
    let mut notes = Vec::new();
    // 1. Byte-order marks.
    let (declared, body): (Option<&'static Encoding>, &[u8]) =
        if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            (Some(UTF_8), rest)
        } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
            return utf16(rest, UTF_16LE, notes);
        } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
            return utf16(rest, UTF_16BE, notes);
        } else if bytes.starts_with(&[b'<', 0]) {
            return utf16(bytes, UTF_16LE, notes);
        } else if bytes.starts_with(&[0, b'<']) {
            return utf16(bytes, UTF_16BE, notes);
        } else {
            (None, bytes)
        };

    // 2. The XML declaration (ASCII-compatible encodings only at this point).
    let decl = xml_declaration(body);
    let declared = declared.or_else(|| {
        let label = declaration_encoding(&body[decl.clone()?])?;
        let enc = Encoding::for_label(label.trim_ascii());
        if enc.is_none() {
            notes.push(format!(
                "unknown encoding \"{}\" declared; read as UTF-8",
                String::from_utf8_lossy(label)
            ));
        }
        enc
    });
    let body_after_decl = match decl {
        Some(r) => &body[r.end..],
        None => body,
    };

    // 3. Decode.
    let enc = match declared {
        // A declaration we could read in ASCII cannot really be UTF-16.
        Some(e) if e == UTF_16LE || e == UTF_16BE => UTF_8,
        Some(e) => e,
        None => UTF_8,
    };
    let text = if enc == UTF_8 {
        utf8_or_1252(body_after_decl, &mut notes)
    } else {
        match std::str::from_utf8(body_after_decl) {
            Ok(s) if !s.is_ascii() => {
                notes.push(format!(
                    "the feed declares {} but is UTF-8; read as UTF-8",
                    enc.name()
                ));
                Cow::Borrowed(s)
            }
            _ => {
                let (s, _) = enc.decode_without_bom_handling(body_after_decl);
                s
            }
        }
    };
    Decoded { text, notes }
}

fn utf16<'a>(bytes: &'a [u8], enc: &'static Encoding, notes: Vec<String>) -> Decoded<'a> {
    let (s, _) = enc.decode_without_bom_handling(bytes);
    let s = s.into_owned();
    // Drop the declaration (which names UTF-16) now that the text is UTF-8.
    let range = xml_declaration(s.as_bytes());
    let text = match range {
        Some(r) => s[r.end..].to_string(),
        None => s,
    };
    Decoded {
        text: Cow::Owned(text),
        notes,
    }
}

/// Valid UTF-8 as is; otherwise every invalid byte is read as windows-1252.
fn utf8_or_1252<'a>(bytes: &'a [u8], notes: &mut Vec<String>) -> Cow<'a, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            notes.push("the feed is not valid UTF-8; invalid bytes read as windows-1252".into());
            let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
            let mut rest = bytes;
            loop {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let good = e.valid_up_to();
                        // SAFETY-free: from_utf8 guarantees this prefix is valid.
                        out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                        let bad_len = e.error_len().unwrap_or(rest.len() - good).max(1);
                        let bad = &rest[good..good + bad_len];
                        let (s, _) = WINDOWS_1252.decode_without_bom_handling(bad);
                        out.push_str(&s);
                        rest = &rest[good + bad_len..];
                    }
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Byte range of a leading `<?xml …?>` declaration (after optional whitespace).
fn xml_declaration(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..];
    if head.len() < 6 || !head[..5].eq_ignore_ascii_case(b"<?xml") || !is_space(head[5]) {
        return None;
    }
    let window = &head[..head.len().min(1024)];
    let end = window.windows(2).position(|w| w == b"?>")?;
    Some(start..start + end + 2)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The value of `encoding="…"` in a declaration.
fn declaration_encoding(decl: &[u8]) -> Option<&[u8]> {
    let pos = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[pos + 8..];
    let rest = &rest[rest.iter().position(|b| !is_space(*b))?..];
    let rest = rest.strip_prefix(b"=")?;
    let rest = &rest[rest.iter().position(|b| !is_space(*b))?..];
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let rest = &rest[1..];
    let end = rest.iter().position(|b| *b == quote)?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_declaration() {
        let d = decode_document(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>");
        assert_eq!(d.text.trim(), "<rss/>");
        assert!(d.notes.is_empty());
    }

    #[test]
    fn latin1_declared() {
        let d = decode_document(b"<?xml version='1.0' encoding='ISO-8859-1'?><t>caf\xE9</t>");
        assert_eq!(d.text, "<t>caf\u{e9}</t>");
    }

    #[test]
    fn latin1_declared_but_utf8() {
        let d =
            decode_document("<?xml version='1.0' encoding='ISO-8859-1'?><t>café</t>".as_bytes());
        assert_eq!(d.text, "<t>café</t>");
        assert_eq!(d.notes.len(), 1);
    }

    #[test]
    fn utf8_declared_but_1252() {
        let d = decode_document(
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>caf\xE9 \x93q\x94 \xE2\x80\x94</t>",
        );
        assert_eq!(d.text, "<t>caf\u{e9} \u{201c}q\u{201d} \u{2014}</t>");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>é</t>";
        let mut le: Vec<u8> = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode_document(&le).text, "<t>é</t>");
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode_document(&be).text, "<t>é</t>");
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        for b in [
            &b""[..],
            b"\xFF",
            b"\xFE",
            b"<",
            b"<\0",
            b"<?xml ",
            b"<?xml encoding=",
            b"\xEF\xBB",
        ] {
            let _ = decode_document(b);
        }
    }
}
