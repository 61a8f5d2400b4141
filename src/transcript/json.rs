//! Podcasting 2.0 JSON transcripts: `{"version": "1.0.0", "segments": [{"speaker",
//! "startTime", "endTime", "body"}]}`.
//!
//! Lenient: a bare list of segments, `start`/`end`/`text` spellings, times as numbers, numeric
//! strings or clocks, a missing end (the next start), a speaker given only when it changes.
//! Many publishers emit one word per segment; such files are merged into readable lines — at a
//! change of speaker, the end of a sentence, a pause over a second, or about two lines of text
//! — and each line keeps its words' times in [`Segment::words`].

use serde_json::Value;

use super::util::{join_token, parse_time_value, strip_tags};
use super::{finish, Segment, Word};
use crate::error::{Error, Result};

/// A pause longer than this starts a new line.
const MAX_GAP: f64 = 1.0;
/// A line this long ends at the next comma, …
const SOFT_CHARS: usize = 70;
/// … and at the next word once this long.
const HARD_CHARS: usize = 120;
/// A line never spans more than this many seconds.
const MAX_SECONDS: f64 = 15.0;

struct Item {
    start: f64,
    end: Option<f64>,
    speaker: Option<String>,
    body: String,
}

pub fn parse_json(text: &str) -> Result<Vec<Segment>> {
    let what = "Podcasting 2.0 JSON transcript";
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| Error::parse(what, format!("it is not JSON ({e})")))?;
    let list = match &value {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("segments") {
            Some(Value::Array(a)) => a,
            _ => return Err(Error::parse(what, "it has no \"segments\" list")),
        },
        _ => return Err(Error::parse(what, "it has no \"segments\" list")),
    };

    let mut items: Vec<Item> = Vec::with_capacity(list.len());
    for v in list {
        let Value::Object(o) = v else { continue };
        let field = |names: &[&str]| names.iter().find_map(|n| o.get(*n));
        let Some(start) = field(&["startTime", "start", "start_time"]).and_then(time) else {
            continue;
        };
        let end = field(&["endTime", "end", "end_time"]).and_then(time);
        let body = match field(&["body", "text"]) {
            Some(Value::String(s)) => strip_tags(s),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if body.is_empty() {
            continue;
        }
        let speaker = match field(&["speaker"]) {
            Some(Value::String(s)) => Some(strip_tags(s)).filter(|s| !s.is_empty()),
            _ => None,
        };
        items.push(Item {
            start,
            end,
            speaker,
            body,
        });
    }
    if items.is_empty() && !list.is_empty() {
        return Err(Error::parse(
            what,
            "none of its segments has a start time and text",
        ));
    }
    items.sort_by(|a, b| a.start.total_cmp(&b.start));
    // A missing end is the next start (or the start itself, for the last).
    for i in 0..items.len() {
        if items[i].end.is_none() {
            let next = items.get(i + 1).map_or(items[i].start, |n| n.start);
            items[i].end = Some(next);
        }
    }
    // A speaker given only when it changes carries on.
    let mut current: Option<String> = None;
    for it in &mut items {
        match &it.speaker {
            Some(s) => current = Some(s.clone()),
            None => it.speaker = current.clone(),
        }
    }

    let single = items
        .iter()
        .filter(|i| i.body.split_whitespace().count() <= 1)
        .count();
    let word_level = items.len() >= 2 && single * 10 >= items.len() * 6;
    let mut segments = if word_level {
        merge_words(&items)
    } else {
        items
            .into_iter()
            .map(|i| Segment {
                start: i.start,
                end: i.end.unwrap_or(i.start).max(i.start),
                speaker: i.speaker,
                text: i.body,
                estimated: false,
                words: Vec::new(),
            })
            .collect()
    };
    finish(&mut segments);
    Ok(segments)
}

fn time(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|t| t.is_finite() && *t >= 0.0),
        Value::String(s) => parse_time_value(s),
        _ => None,
    }
}

fn ends_sentence(token: &str) -> bool {
    let t = token.trim_end_matches(['"', '\'', '”', '’', ')', ']', '»']);
    t.ends_with(['.', '?', '!', '…'])
}

fn merge_words(items: &[Item]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut line: Option<Segment> = None;
    for it in items {
        let end = it.end.unwrap_or(it.start).max(it.start);
        if let Some(cur) = &line {
            let last = cur.words.last().expect("a line has a word");
            let attaches = it
                .body
                .starts_with([',', '.', ';', ':', '!', '?', ')', '…', '’', '”']);
            let len = cur.text.chars().count();
            let breaks = it.speaker != cur.speaker
                || it.start - last.end > MAX_GAP
                || (!attaches && ends_sentence(&last.text))
                || (!attaches && len >= SOFT_CHARS && last.text.ends_with([',', ';', ':']))
                || (!attaches && len >= HARD_CHARS)
                || (!attaches && end - cur.start > MAX_SECONDS);
            if breaks {
                out.extend(line.take());
            }
        }
        let cur = line.get_or_insert_with(|| Segment {
            start: it.start,
            end,
            speaker: it.speaker.clone(),
            ..Default::default()
        });
        join_token(&mut cur.text, &it.body);
        cur.end = cur.end.max(end);
        cur.words.push(Word {
            start: it.start,
            end,
            text: it.body.clone(),
        });
    }
    out.extend(line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_segments_stay_as_they_are() {
        let j = r#"{"version":"1.0.0","segments":[
            {"speaker":"Ada","startTime":0,"endTime":2.5,"body":"Hello and welcome."},
            {"speaker":"Ben","startTime":"2.5","endTime":"00:00:04.000","body":"Thanks &amp; hi."},
            {"startTime":4.5,"body":"Carrying on."}]}"#;
        let s = parse_json(j).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].text, "Thanks & hi.");
        assert_eq!(s[1].end, 4.0);
        assert_eq!(s[2].speaker.as_deref(), Some("Ben"));
        assert_eq!(s[2].end, 4.5);
        assert!(s.iter().all(|s| s.words.is_empty()));
    }

    #[test]
    fn words_are_merged_into_lines_that_keep_word_times() {
        let mut segs = Vec::new();
        let words = [
            ("Ada", "Well", 0.0),
            ("Ada", ",", 0.3),
            ("Ada", "hello", 0.4),
            ("Ada", "there.", 0.8),
            ("Ada", "Next", 1.2),
            ("Ada", "line", 1.5),
            ("Ada", "after", 3.5), // a pause
            ("Ben", "Hi", 4.0),
        ];
        for (who, w, t) in words {
            segs.push(format!(
                r#"{{"speaker":"{who}","startTime":{t},"endTime":{},"body":"{w}"}}"#,
                t + 0.25
            ));
        }
        let j = format!(r#"{{"version":"1.0.0","segments":[{}]}}"#, segs.join(","));
        let s = parse_json(&j).unwrap();
        let lines: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(lines, ["Well, hello there.", "Next line", "after", "Hi"]);
        assert_eq!(s[0].words.len(), 4);
        assert_eq!((s[0].start, s[0].end), (0.0, 1.05));
        assert_eq!(s[0].words[2].start, 0.4);
        assert_eq!(s[3].speaker.as_deref(), Some("Ben"));
    }

    #[test]
    fn broken_files() {
        assert!(parse_json("{").is_err());
        assert!(parse_json(r#"{"version":"1.0.0"}"#)
            .unwrap_err()
            .to_string()
            .contains("segments"));
        assert!(parse_json(r#"[{"body":"no time"}]"#).is_err());
        let s = parse_json(r#"[{"start":"x","body":"a"},{"start":-1,"body":"b"},{"start":1,"end":0.5,"body":"c"}]"#).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].end, 1.0);
    }
}
