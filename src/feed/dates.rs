//! Dates as feeds really write them.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses RFC 822/2822 dates as real feeds write them (optional weekday, single-digit days,
/// full or abbreviated month names, two-digit years, named or numeric zones, no zone, extra
/// spaces, `AM`/`PM`) and RFC 3339 / ISO 8601 (`2024-03-05T10:00:00Z`, with or without
/// zone or seconds, or a bare date). Returns unix seconds; `None` when the text is not a date
/// (never a guess at a wrong day).
pub fn parse_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() < 6 || t.len() > 100 {
        return None;
    }
    let b = t.as_bytes();
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return parse_iso(t);
    }
    // chrono (an optimized dependency) reads well-formed RFC 2822 quickly; ours does the rest.
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(d.timestamp());
    }
    parse_rfc822(t)
}

fn parse_iso(t: &str) -> Option<i64> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    // One separator between date and time, no spaces before the zone.
    let t: String = if t.len() > 10 && matches!(t.as_bytes()[10], b't' | b' ' | b'T') {
        let (date, time) = (&t[..10], &t[11..]);
        format!("{date}T{}", time.split_whitespace().collect::<String>())
    } else {
        t.to_string()
    };
    // Lower-case zone designator, or a zone written as +hhmm / +hh.
    let t = t
        .strip_suffix(['z', 'Z'])
        .map_or(t.clone(), |s| format!("{s}+00:00"));
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&t, fmt) {
            return Some(d.timestamp());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(d.and_utc().timestamp());
        }
    }
    if t.len() == 10 {
        if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
            return Some(d.and_time(NaiveTime::MIN).and_utc().timestamp());
        }
    }
    None
}

fn parse_rfc822(t: &str) -> Option<i64> {
    let mut day: Option<u32> = None;
    let mut month: Option<u32> = None;
    let mut year: Option<i32> = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut offset: Option<i32> = None; // seconds east of UTC
    let mut pm: Option<bool> = None;

    // "(PST)"-style comments are ignored; commas and "-" between date parts are separators.
    let mut cleaned = String::with_capacity(t.len());
    let mut depth = 0;
    for c in t.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            ',' => cleaned.push(' '),
            _ => cleaned.push(c),
        }
    }

    for tok in cleaned.split_whitespace() {
        let first = tok.as_bytes()[0];
        if first.is_ascii_digit() && tok.contains(':') {
            if time.is_some() {
                return None;
            }
            // A zone may be glued on: "10:00:00Z", "10:00:00+0100", "10:00:00GMT".
            let split = tok
                .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
                .unwrap_or(tok.len());
            time = Some(parse_hms(&tok[..split])?);
            let zone = &tok[split..];
            if !zone.is_empty() {
                offset = Some(parse_zone(zone)?);
            }
        } else if first.is_ascii_digit() && tok.contains('-') && month.is_none() {
            // "5-Mar-2024"
            let mut parts = tok.split('-');
            day = Some(parts.next()?.parse().ok()?);
            month = Some(month_number(parts.next()?)?);
            year = Some(parse_year(parts.next()?)?);
            if parts.next().is_some() {
                return None;
            }
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = tok.parse().ok()?;
            if tok.len() >= 3 {
                if year.is_some() {
                    return None;
                }
                year = Some(parse_year(tok)?);
            } else if day.is_none() && n >= 1 {
                day = Some(n);
            } else if year.is_none() {
                year = Some(parse_year(tok)?);
            } else {
                return None;
            }
        } else if let Some(m) = month_number(tok.trim_end_matches('.')) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if is_weekday(tok) {
            continue;
        } else if tok.eq_ignore_ascii_case("am") || tok.eq_ignore_ascii_case("a.m.") {
            pm = Some(false);
        } else if tok.eq_ignore_ascii_case("pm") || tok.eq_ignore_ascii_case("p.m.") {
            pm = Some(true);
        } else if tok.eq_ignore_ascii_case("at") {
            continue;
        } else if time.is_some() && offset.is_none() {
            offset = Some(parse_zone(tok)?);
        } else {
            return None;
        }
    }

    let (mut h, mi, s) = time.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if (1..12).contains(&h) => h += 12,
        Some(false) if h == 12 => h = 0,
        Some(_) if h == 0 || h > 12 => return None,
        _ => {}
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let naive = date.and_hms_opt(h, mi, s)?;
    let off = FixedOffset::east_opt(offset.unwrap_or(0))?;
    let dt = off.from_local_datetime(&naive).single()?;
    Some(dt.with_timezone(&Utc).timestamp())
}

fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split(':');
    let h: u32 = num(parts.next()?)?;
    let m: u32 = num(parts.next()?)?;
    let sec = match parts.next() {
        Some(p) => {
            let whole = p.split('.').next()?;
            num(whole)?
        }
        None => 0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some((h, m, sec.min(59)))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_year(s: &str) -> Option<i32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = s.parse().ok()?;
    match s.len() {
        // RFC 2822 §4.3: 00–49 are 2000–2049, 50–99 are 1950–1999.
        2 => Some(if n < 50 { 2000 + n } else { 1900 + n }),
        3 => Some(1900 + n),
        4 if (1900..=2200).contains(&n) => Some(n),
        _ => None,
    }
}

fn month_number(s: &str) -> Option<u32> {
    if s.len() < 3 || !s.is_ascii() {
        return None;
    }
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = s.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|n| n.starts_with(&lower) || (lower == "sept" && n.starts_with("sep")))
        .map(|i| i as u32 + 1)
}

fn is_weekday(s: &str) -> bool {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = s.trim_end_matches('.').to_ascii_lowercase();
    lower.len() >= 2
        && (NAMES.iter().any(|n| n.starts_with(&lower))
            || matches!(lower.as_str(), "tues" | "thur" | "thurs"))
}

/// A zone as seconds east of UTC: `+0100`, `-05:00`, `+01`, `GMT`, `UT`, `UTC`, `Z`, the US
/// zones of RFC 822, a few common others, `GMT+2`/`UTC-0500`.
fn parse_zone(z: &str) -> Option<i32> {
    let z = z.trim();
    if let Some(rest) = z.strip_prefix(['+', '-']) {
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            3 => (
                digits[..1].parse::<i32>().ok()?,
                digits[1..].parse::<i32>().ok()?,
            ),
            4 => (
                digits[..2].parse::<i32>().ok()?,
                digits[2..].parse::<i32>().ok()?,
            ),
            _ => return None,
        };
        if h > 14 || m > 59 {
            return None;
        }
        return Some(sign * (h * 3600 + m * 60));
    }
    let upper = z.to_ascii_uppercase();
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return parse_zone(rest);
            }
        }
    }
    let hours = match upper.as_str() {
        "GMT" | "UT" | "UTC" | "Z" | "WET" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "AKST" => -9,
        "AKDT" => -8,
        "HST" => -10,
        "AST" => -4,
        "ADT" => -3,
        "NST" => return Some(-(3 * 3600 + 1800)),
        "NDT" => return Some(-(2 * 3600 + 1800)),
        "BST" | "CET" | "WEST" | "MET" => 1,
        "CEST" | "EET" | "MEST" | "SAST" => 2,
        "EEST" | "MSK" => 3,
        "IST" => return Some(5 * 3600 + 1800),
        "JST" | "KST" => 9,
        "AWST" | "HKT" | "SGT" => 8,
        "ACST" => return Some(9 * 3600 + 1800),
        "ACDT" => return Some(10 * 3600 + 1800),
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        "NZDT" => 13,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_709_632_800; // 2024-03-05T10:00:00Z

    #[test]
    fn rfc822_variants() {
        for s in [
            "Tue, 05 Mar 2024 10:00:00 GMT",
            "Tue, 5 Mar 2024 10:00:00 +0000",
            "5 Mar 2024 10:00:00 UT",
            "Tue,  5 Mar 2024   10:00:00   Z",
            "Tuesday, 05 March 2024 10:00:00 GMT",
            "Tue, 05 Mar 24 10:00:00 GMT",
            "Tue, 05 Mar 2024 05:00:00 EST",
            "Tue, 05 Mar 2024 03:00:00 PDT",
            "Tue, 05 Mar 2024 11:00:00 +01:00",
            "Tue, 05 Mar 2024 10:00 GMT",
            "Tue, 05 Mar 2024 10:00:00",
            "Tue, 05 Mar 2024 10:00:00 GMT+0000",
            "Tue, 05 Mar 2024 05:00:00 -0500 (EST)",
            "tue, 05 mar 2024 10:00:00 gmt",
            "Mar 5, 2024 10:00:00 GMT",
            "Tue, 05 Mar 2024 10:00:00.000 GMT",
            "05-Mar-2024 10:00:00 GMT",
            "Tue, 05 Mar 2024 10:00 AM GMT",
        ] {
            assert_eq!(parse_date(s), Some(T), "{s}");
        }
        assert_eq!(
            parse_date("Tue, 05 Mar 2024 10:00 PM GMT"),
            Some(T + 12 * 3600)
        );
    }

    #[test]
    fn iso_variants() {
        for s in [
            "2024-03-05T10:00:00Z",
            "2024-03-05T10:00:00.123Z",
            "2024-03-05T11:00:00+01:00",
            "2024-03-05T11:00:00+0100",
            "2024-03-05 10:00:00",
            "2024-03-05T10:00:00z",
            "2024-03-05T10:00Z",
            "2024-03-05T10:00",
            "2024-03-05 11:00:00 +01:00",
        ] {
            assert_eq!(parse_date(s), Some(T), "{s}");
        }
        assert_eq!(parse_date("2024-03-05"), Some(T - 10 * 3600));
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "yesterday",
            "Tue, 31 Feb 2024 10:00:00 GMT",
            "Tue, 05 Mar 2024 25:00:00 GMT",
            "Tue, 05 Foo 2024 10:00:00 GMT",
            "Tue, 05 Mar 2024 10:00:00 NOTAZONE",
            "2024-13-05T10:00:00Z",
            "12345",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }
}
