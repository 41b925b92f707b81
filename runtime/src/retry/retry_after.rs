//! `Retry-After` (RFC 9110 §10.2.3): a number of seconds or an HTTP-date.

use std::time::{Duration, SystemTime};

/// The delay a `Retry-After` value asks for, measured from `now`. A date in
/// the past means "now" (zero); an unparseable value is ignored (`None`).
pub(crate) fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Huge values saturate instead of failing: the cap decides later.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        httpdate::parse_http_date("Thu, 26 Nov 2026 12:00:00 GMT").expect("valid date")
    }

    #[test]
    fn seconds_form() {
        assert_eq!(parse("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(
            parse("99999999999999999999999", now()),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn http_date_forms() {
        assert_eq!(
            parse("Thu, 26 Nov 2026 12:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        // RFC 850 and asctime forms are obsolete but must be accepted.
        assert_eq!(
            parse("Thursday, 26-Nov-26 12:01:00 GMT", now()),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse("Thu Nov 26 12:00:05 2026", now()),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse("Thu, 26 Nov 2026 11:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage_is_ignored() {
        for value in ["", "-5", "1.5", "soon", "Thu, 99 Nov 2026 12:00:00 GMT"] {
            assert_eq!(parse(value, now()), None, "{value:?}");
        }
    }
}
