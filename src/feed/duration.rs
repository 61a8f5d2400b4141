//! `itunes:duration` and its many spellings.

/// Parses itunes:duration-style text into seconds: `HH:MM:SS`, `MM:SS`, `SS` (each with an
/// optional fraction, `.` or `,`), surrounding spaces, and unit forms such as `90 min`,
/// `1h 2m 3s`, `1 hour 30 minutes`, `45m`, `2700 sec`. Minutes and seconds after the first
/// field must be below 60. Returns `None` for anything else (negative, empty, garbage), so a
/// value is never a guess.
pub fn parse_duration(text: &str) -> Option<f64> {
    if let Some(v) = plain_clock(text.as_bytes()) {
        return Some(v);
    }
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let v = if t.contains(':') {
        clock(t)?
    } else if t
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        number(t)?
    } else {
        units(t)?
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// The common shapes, without allocating: `SS`, `MM:SS`, `H:MM:SS` (digits only, fields after
/// the first below 60). Anything else goes to the general path.
fn plain_clock(b: &[u8]) -> Option<f64> {
    let mut fields = [0u64; 3];
    let mut count = 0;
    let mut digits = 0;
    for &c in b {
        if c.is_ascii_digit() {
            if digits == 9 {
                return None;
            }
            fields[count] = fields[count] * 10 + u64::from(c - b'0');
            digits += 1;
        } else if c == b':' && digits > 0 && count < 2 {
            count += 1;
            digits = 0;
        } else {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    if count > 0 && (digits != 2 || fields[1..=count].iter().any(|&f| f >= 60)) {
        return None;
    }
    if count > 0 && b.iter().position(|&c| c == b':').is_some_and(|p| p > 6) {
        return None;
    }
    let secs = fields[..=count].iter().fold(0u64, |acc, &f| acc * 60 + f);
    Some(secs as f64)
}

fn number(s: &str) -> Option<f64> {
    let s = s.replace(',', ".");
    if s.is_empty() || s.starts_with('.') || s.ends_with('.') || s.matches('.').count() > 1 {
        return None;
    }
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    s.parse().ok()
}

fn clock(t: &str) -> Option<f64> {
    let parts: Vec<&str> = t.split(':').map(str::trim).collect();
    if parts.len() > 3 {
        return None;
    }
    let (last, fields) = parts.split_last()?;
    let mut total = 0.0;
    for (i, f) in fields.iter().enumerate() {
        if f.is_empty() || f.len() > 6 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: f64 = f.parse().ok()?;
        if i > 0 && n >= 60.0 {
            return None;
        }
        total = total * 60.0 + n;
    }
    let s = number(last)?;
    if s >= 60.0 || last.split(['.', ',']).next()?.len() > 2 {
        return None;
    }
    Some(total * 60.0 + s)
}

/// "1h 2m 3s", "90 min", "1 hour 30 minutes", "1.5 hours".
fn units(t: &str) -> Option<f64> {
    let lower = t.to_ascii_lowercase();
    let mut total = 0.0;
    let mut rest = lower.as_str();
    let mut seen = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let n_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n_len == 0 {
            return None;
        }
        let n = number(&rest[..n_len])?;
        rest = rest[n_len..].trim_start();
        let u_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..u_len];
        rest = &rest[u_len..];
        let mult = match unit {
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            _ => return None,
        };
        total += n * mult;
        seen += 1;
    }
    (seen > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration as d;

    #[test]
    fn forms() {
        assert_eq!(d("01:02:03"), Some(3723.0));
        assert_eq!(d("1:02:03.5"), Some(3723.5));
        assert_eq!(d("62:03"), Some(3723.0));
        assert_eq!(d("4:25"), Some(265.0));
        assert_eq!(d(" 3600 "), Some(3600.0));
        assert_eq!(d("3600.25"), Some(3600.25));
        assert_eq!(d("90 min"), Some(5400.0));
        assert_eq!(d("1h 2m 3s"), Some(3723.0));
        assert_eq!(d("1 hour, 30 minutes"), Some(5400.0));
        assert_eq!(d("1.5 hours"), Some(5400.0));
        assert_eq!(d("0"), Some(0.0));
        assert_eq!(d("00:00:05,5"), Some(5.5));
    }

    #[test]
    fn nonsense() {
        for s in [
            "",
            "  ",
            "abc",
            "-5",
            "1:2:3:4",
            "1:60:00",
            "1:00:60",
            "1::00",
            "12 parsecs",
            "1.2.3",
            ":30",
            "30:",
            "NaN",
            "inf",
            "1:234",
        ] {
            assert_eq!(d(s), None, "{s:?}");
        }
    }
}
