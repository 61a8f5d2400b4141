//! Clock times as people and file formats write them.

/// Parses `HH:MM:SS(.mmm)`, `MM:SS(.mmm)` or `SS(.mmm)`; `,` is accepted before the fraction.
/// Returns seconds, or `None` when the text is not a time.
pub fn parse_clock(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (whole, frac) = match text.find(['.', ',']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let parts: Vec<&str> = whole.split(':').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    // Minutes and seconds after the first field must be below 60.
    if nums.iter().skip(1).any(|&n| n >= 60) {
        return None;
    }
    // Absurd hour counts are not a time (and must not overflow).
    let secs = nums
        .iter()
        .try_fold(0u64, |acc, &n| acc.checked_mul(60)?.checked_add(n))? as f64;
    let frac = match frac {
        None => 0.0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u64>().ok()? as f64 / 10f64.powi(f.len() as i32)
        }
        Some(_) => return None,
    };
    Some(secs + frac)
}

/// Formats seconds as `m:ss` or `h:mm:ss` (what a player shows).
pub fn format_clock(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds.floor() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_files_use() {
        assert_eq!(parse_clock("00:04:25"), Some(265.0));
        assert_eq!(parse_clock("1:00"), Some(60.0));
        assert_eq!(parse_clock("01:02.500"), Some(62.5));
        assert_eq!(parse_clock("00:00:01,250"), Some(1.25));
        assert_eq!(parse_clock("75.5"), Some(75.5));
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in ["", "a:10", "1:75", "1::2", "10:00:00:00", "1.2.3", "1:2x"] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_like_a_player() {
        assert_eq!(format_clock(0.0), "0:00");
        assert_eq!(format_clock(65.9), "1:05");
        assert_eq!(format_clock(3725.0), "1:02:05");
        assert_eq!(format_clock(f64::NAN), "0:00");
    }
}
