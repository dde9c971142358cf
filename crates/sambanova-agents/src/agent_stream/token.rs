//! Access tokens and their expiry, and the secrets the login needs. None of them prints.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::{ApiKey, Error};

/// An agent-stream access token (a JWT) and when it expires. It prints as `<redacted>`; its
/// value is sent as a sensitive header only.
///
/// The expiry is read from the token's `exp` claim (decoded, not verified: checking the
/// signature is the server's job). Only for a token without one does the login's answer
/// count: its `access_token_expire_time` when it names its UTC offset, or an OAuth2-style
/// `expires_in`. The backend writes that time as a naive local time of the server's zone
/// (`2026-12-02 16:32:33`), which could be hours off here, so a time without an offset is
/// ignored.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sambanova_agents::agent_stream::AccessToken;
///
/// // header.{"exp":4102444800}.signature
/// let token = AccessToken::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln").unwrap();
/// assert_eq!(token.expires_at(), Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800)));
/// assert!(format!("{token:?}").starts_with("AccessToken { value: <redacted>"));
/// assert!(!token.expires_within(Duration::from_secs(60), SystemTime::now()));
///
/// // An opaque token: no known expiry.
/// assert_eq!(AccessToken::new("opaque").unwrap().expires_at(), None);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    key: ApiKey,
    expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// Wraps a token, reading its expiry from the JWT `exp` claim when there is one. Fails if
    /// the token is empty or cannot be sent in an HTTP header (the error does not repeat it).
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        let key = ApiKey::new(token).map_err(|_| {
            Error::config("the access token is empty or holds characters HTTP does not allow")
        })?;
        let expires_at = jwt_expiry(key.expose_secret());
        Ok(AccessToken { key, expires_at })
    }

    /// Fills in the expiry the token does not carry: from an ISO 8601 `expire_time` that
    /// names its offset, else from an OAuth2-style `expires_in` (seconds from `now`).
    pub(crate) fn with_fallback_expiry(
        mut self,
        expire_time: Option<&str>,
        expires_in: Option<f64>,
        now: SystemTime,
    ) -> Self {
        if self.expires_at.is_none() {
            let zoned = expire_time.filter(|time| names_its_offset(time));
            self.expires_at = zoned.and_then(parse_datetime).or_else(|| {
                expires_in
                    .filter(|seconds| (0.0..=1e10).contains(seconds))
                    .map(|seconds| now + Duration::from_secs_f64(seconds))
            });
        }
        self
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether the token expires within `margin` of `now` (never, if its expiry is unknown).
    pub fn expires_within(&self, margin: Duration, now: SystemTime) -> bool {
        self.expires_at
            .is_some_and(|at| at.duration_since(now).is_ok_and(|left| left <= margin) || at <= now)
    }

    /// The token itself, for a caller that stores it (a CLI's token file, say).
    pub fn expose_secret(&self) -> &str {
        self.key.expose_secret()
    }

    pub(crate) fn key(&self) -> &ApiKey {
        &self.key
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &format_args!("<redacted>"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A password: kept out of every `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The `exp` claim of a JWT, without verifying anything.
fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let claims: serde_json::Value = serde_json::from_slice(&base64url_decode(payload)?).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    if !(0.0..=1e11).contains(&exp) {
        return None;
    }
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(exp))
}

/// Base64url, padding optional (JWT segments carry none; RFC 7515 §2). The `base64` crate is in
/// every reqwest build already (hyper-util's proxy support), so this costs nothing to compile.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT
        .decode(text)
        .ok()
}

/// An ISO 8601 date-time (`2026-01-01T12:00:00`, with optional fraction and `Z` or `±HH:MM`;
/// without an offset it is taken as UTC).
///
/// Why it stays hand-written: the backend's `access_token_expire_time` is `YYYY-MM-DD HH:MM:SS`
/// (a space, no offset), which is not RFC 3339, so `chrono`'s `parse_from_rfc3339` rejects it,
/// and `httpdate` reads only HTTP dates. chrono's naive parser would take it, but it would be a
/// dependency (and a build cost) for this one fallback: the expiry normally comes from the
/// token's `exp` claim. The cases it accepts and refuses are tested below.
fn parse_datetime(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let mut date_parts = date.split('-');
    let (year, month, day) = (
        number(date_parts.next()?)?,
        number(date_parts.next()?)?,
        number(date_parts.next()?)?,
    );
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hour, minute, second) = (
        number(rest.get(0..2)?)?,
        number(rest.get(3..5)?)?,
        number(rest.get(6..8)?)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" {
        return None;
    }
    let mut tail = rest.get(8..)?;
    if let Some(fraction) = tail.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        tail = &fraction[digits..];
    }
    let offset = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tail.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let hours = number(tail.get(1..3)?)?;
            let minutes = number(tail.get(3..).map(|m| m.trim_start_matches(':'))?)?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second.min(60)
            - offset;
    let seconds = u64::try_from(seconds).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Whether a date-time ends with `Z` or a `±HH:MM` offset (after the time of day).
fn names_its_offset(text: &str) -> bool {
    let text = text.trim();
    text.get(10..).is_some_and(|time| {
        time.ends_with(['Z', 'z']) || time.get(1..).is_some_and(|t| t.contains(['+', '-']))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn jwt_expiry_is_read_without_verification() {
        // {"sub":"demo","exp":1700000000}
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIiwiZXhwIjoxNzAwMDAwMDAwfQ.x";
        assert_eq!(jwt_expiry(token), Some(at(1_700_000_000)));
        for odd in [
            "",
            "a.b",
            "a.!!.c",
            "a.e30.c",
            "a.b.c.d",
            "a.eyJleHAiOiJzb29uIn0.c",
        ] {
            assert_eq!(jwt_expiry(odd), None, "{odd}");
        }
    }

    #[test]
    fn the_captured_login_token_expires_one_day_after_issue() {
        // The access token of a real login: {"session_uuid":…,"exp":1796200353.880873,"sub":"1"}.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX3V1aWQiOiJjNjYwMGVhMC1iZGE4LTQ0OWMtOThhMy02ZGNkODNjMTcxZDgiLCJleHAiOjE3OTYyMDAzNTMuODgwODczLCJzdWIiOiIxIn0.l9QvLGv6Q4YjqjXMRV4pHG0l8f052JPWzjaAlwbU9aw";
        let expiry = jwt_expiry(token).unwrap();
        let seconds = expiry.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(seconds.as_secs(), 1_796_200_353);
        // Its answer said "2026-12-02 16:32:33": the server's UTC+8, 8 hours off read as UTC.
        let naive = parse_datetime("2026-12-02 16:32:33").unwrap();
        assert_eq!(
            naive.duration_since(expiry).unwrap().as_secs(),
            8 * 3600 - 1
        );
    }

    #[test]
    fn offsets_are_recognised() {
        for zoned in [
            "2026-12-02T08:32:33Z",
            "2026-12-02 16:32:33+08:00",
            "2026-12-02T03:32:33-05:00",
        ] {
            assert!(names_its_offset(zoned), "{zoned}");
        }
        for naive in [
            "2026-12-02 16:32:33",
            "2026-12-02T16:32:33.5",
            "",
            "2026-12-02",
        ] {
            assert!(!names_its_offset(naive), "{naive}");
        }
    }

    #[test]
    fn iso_dates_with_and_without_offsets() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(at(0)));
        assert_eq!(
            parse_datetime("2023-11-14T22:13:20Z"),
            Some(at(1_700_000_000))
        );
        assert_eq!(
            parse_datetime("2023-11-14 23:13:20.123456+01:00"),
            Some(at(1_700_000_000))
        );
        assert_eq!(
            parse_datetime("2023-11-14T22:13:20"),
            Some(at(1_700_000_000))
        );
        for odd in [
            "",
            "2023-13-01T00:00:00Z",
            "2023-11-14",
            "2023-11-14T22:13:20Q",
            "ß",
        ] {
            assert_eq!(parse_datetime(odd), None, "{odd}");
        }
    }

    #[test]
    fn expiry_margin() {
        let token = AccessToken::new("opaque").unwrap().with_fallback_expiry(
            Some("2023-11-14T22:13:20Z"),
            None,
            at(0),
        );
        let margin = Duration::from_secs(60);
        assert!(!token.expires_within(margin, at(1_700_000_000 - 61)));
        assert!(token.expires_within(margin, at(1_700_000_000 - 59)));
        assert!(token.expires_within(margin, at(1_700_000_000 + 10)));
        assert!(!format!("{token:?}").contains("opaque"));
        let relative =
            AccessToken::new("opaque")
                .unwrap()
                .with_fallback_expiry(None, Some(1800.0), at(1000));
        assert_eq!(relative.expires_at(), Some(at(2800)));
        // The backend's naive local time could be hours off: not trusted.
        let naive = AccessToken::new("opaque").unwrap().with_fallback_expiry(
            Some("2026-12-02 16:32:33"),
            None,
            at(0),
        );
        assert_eq!(naive.expires_at(), None);
        let odd = AccessToken::new("opaque").unwrap().with_fallback_expiry(
            Some("soon"),
            Some(f64::NAN),
            at(1000),
        );
        assert_eq!(odd.expires_at(), None);
    }
}
