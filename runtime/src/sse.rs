//! Server-sent events: the `text/event-stream` format parsed by the WHATWG
//! HTML standard's rules, incrementally, from chunks as they arrive.
//!
//! Lines end with CR LF, LF or CR (a CR LF split across two chunks counts
//! once); a leading byte order mark is dropped; `:` starts a comment; a
//! field's value loses one leading space; `data` lines join with LF; an
//! empty line dispatches the event (none when no `data` came); an `id`
//! holding NUL is ignored; `retry` counts only when it is all digits; an
//! event the stream ends in the middle of is dropped.

use std::time::Duration;

/// One event of a stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// The event's type: its `event` field, `message` when it had none.
    pub event: String,
    /// Its `data` lines, joined with LF.
    pub data: String,
    /// The last event id the stream set, at this event (sent back as
    /// `Last-Event-ID` when reconnecting); `None` while none was set.
    pub id: Option<String>,
    /// The reconnection delay the stream asked for, at this event.
    pub retry: Option<Duration>,
}

/// Turns the bytes of an event stream into [`Event`]s.
///
/// ```
/// use clientgen_runtime::sse::EventParser;
///
/// let mut parser = EventParser::default();
/// let mut events = Vec::new();
/// parser.feed(b": keep-alive\ndata: {\"n\": 1}\nid: 7\n\nda", &mut events);
/// parser.feed(b"ta: two\ndata: lines\r\n\r\n", &mut events);
/// assert_eq!(events[0].data, "{\"n\": 1}");
/// assert_eq!(events[0].id.as_deref(), Some("7"));
/// assert_eq!(events[1].data, "two\nlines");
/// ```
#[derive(Clone, Debug, Default)]
pub struct EventParser {
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// Whether a whole line was read (a byte order mark counts only at the
    /// start of the first).
    past_first_line: bool,
    /// The last chunk ended with CR: an LF starting the next one ends
    /// nothing.
    after_cr: bool,
    data: String,
    /// Whether a `data` field came since the last dispatch.
    has_data: bool,
    event: String,
    last_id: Option<String>,
    retry: Option<Duration>,
}

impl EventParser {
    /// Parses `chunk`, appending the events it completes to `events`.
    pub fn feed(&mut self, chunk: &[u8], events: &mut Vec<Event>) {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
            let (line, after) = rest.split_at(end);
            if self.partial.is_empty() {
                self.line(line, events);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, events);
            }
            rest = match after {
                [b'\r', b'\n', tail @ ..] => tail,
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, tail @ ..] => tail,
                [] => &[],
            };
        }
        self.partial.extend_from_slice(rest);
    }

    /// The last event id the stream set, if any.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the stream asked for, if any.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Handles one line, without its end.
    fn line(&mut self, line: &[u8], events: &mut Vec<Event>) {
        let line = if self.past_first_line {
            line
        } else {
            self.past_first_line = true;
            line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line)
        };
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&byte| byte == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
                self.has_data = true;
            }
            b"event" => self.event = String::from_utf8_lossy(value).into_owned(),
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Digits beyond what fits in a u64 are an absurd delay: the
                // longest one.
                let millis = std::str::from_utf8(value)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(millis));
            }
            _ => {}
        }
    }

    /// Dispatches the event gathered so far, if it has data, and starts the
    /// next.
    fn dispatch(&mut self, events: &mut Vec<Event>) {
        let event = std::mem::take(&mut self.event);
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        events.push(Event {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
            retry: self.retry,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]]) -> (Vec<Event>, EventParser) {
        let mut parser = EventParser::default();
        let mut events = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut events);
        }
        (events, parser)
    }

    fn datas(events: &[Event]) -> Vec<&str> {
        events.iter().map(|event| event.data.as_str()).collect()
    }

    #[test]
    fn the_standards_examples() {
        // Comment, multi-line data, event types, an id that carries on.
        let text = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\nevent: add\ndata: 73857293\n\ndata: YHOO\ndata: +2\ndata: 10\n\n";
        let (events, parser) = parse_in(&[text]);
        assert_eq!(
            datas(&events),
            [
                "first event",
                "second event",
                " third event",
                "73857293",
                "YHOO\n+2\n10"
            ]
        );
        assert_eq!(events[0].id.as_deref(), Some("1"));
        assert_eq!(
            events[1].id.as_deref(),
            Some(""),
            "`id` alone sets it empty"
        );
        assert_eq!(events[3].event, "add");
        assert_eq!(events[4].event, "message");
        assert_eq!(parser.last_event_id(), Some(""));
        // `data` without a value is an empty line of data; an event with
        // none is not dispatched.
        let (events, _) = parse_in(&[b"data\n\ndata\ndata\n\ndata:\n"]);
        assert_eq!(datas(&events), ["", "\n"]);
        let (events, _) = parse_in(&[b"event: ping\n\nid: 3\n\n"]);
        assert!(events.is_empty());
    }

    #[test]
    fn every_line_ending_and_every_split_give_the_same_events() {
        let text = "\u{feff}data: a\r\ndata: b\rid: é\n\r\n: c\rretry: 1500\ndata: ü\n\n";
        let (whole, _) = parse_in(&[text.as_bytes()]);
        assert_eq!(datas(&whole), ["a\nb", "ü"]);
        assert_eq!(whole[0].id.as_deref(), Some("é"));
        assert_eq!(whole[1].retry, Some(Duration::from_millis(1500)));
        let bytes = text.as_bytes();
        for first in 0..bytes.len() {
            for second in first..bytes.len() {
                let (split, _) =
                    parse_in(&[&bytes[..first], &bytes[first..second], &bytes[second..]]);
                assert_eq!(split, whole, "split at {first} and {second}");
            }
        }
    }

    #[test]
    fn odd_fields_are_ignored() {
        let (events, parser) = parse_in(&[
            b"retry: 10s\nretry:\nid: a\0b\nfoo: bar\ndata:x\n\nretry: 99999999999999999999999\n",
        ]);
        assert_eq!(datas(&events), ["x"]);
        assert_eq!(events[0].retry, None);
        assert_eq!(events[0].id, None);
        assert_eq!(parser.retry(), Some(Duration::from_millis(u64::MAX)));
    }

    #[test]
    fn an_event_cut_off_by_the_end_of_the_stream_is_dropped() {
        let (events, _) = parse_in(&[b"data: done\n\ndata: half"]);
        assert_eq!(datas(&events), ["done"]);
    }

    #[test]
    fn a_byte_order_mark_counts_only_at_the_start() {
        let (events, _) = parse_in(&[
            b"",
            "\u{feff}data: a\n\n".as_bytes(),
            "\u{feff}data: b\n\n".as_bytes(),
        ]);
        assert_eq!(
            datas(&events),
            ["a"],
            "a later BOM makes a field named `\u{feff}data`"
        );
    }
}
