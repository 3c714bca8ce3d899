//! [`Timestamp`]: seconds since the Unix epoch, read and written as RFC 3339
//! without a date library.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// Seconds since the Unix epoch, written as RFC 3339 UTC (`2025-11-04T08:25:31Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `0000-01-01T00:00:00Z`: RFC 3339 has four-digit years.
    pub const MIN: Timestamp = Timestamp(-62_167_219_200);
    /// `9999-12-31T23:59:59Z`.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// `secs` since the epoch, when RFC 3339 can write it (years 0000 to
    /// 9999); a time outside is no time a model was made, and unknown.
    #[must_use]
    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        (Timestamp::MIN.0..=Timestamp::MAX.0)
            .contains(&secs)
            .then_some(Timestamp(secs))
    }

    /// The current time.
    #[must_use]
    pub fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Parses RFC 3339 / ISO 8601 (`2025-11-04T08:25:31.000Z`,
    /// `2024-01-01T00:00:00+02:00`, `2024-01-01`). Fractions are dropped.
    #[must_use]
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.trim().as_bytes();
        // Every field is a fixed run of ASCII digits.
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            b.get(r)?.iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        if b.len() == 10 {
            return Timestamp::from_unix(days * 86_400);
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let offset = match b.get(i) {
            None | Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                let o = oh * 3600 + om * 60;
                if *sign == b'+' {
                    o
                } else {
                    -o
                }
            }
            _ => return None,
        };
        Timestamp::from_unix(days * 86_400 + h * 3600 + mi * 60 + s - offset)
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` for years 0 to 9999, written digit by digit:
    /// every record carries two timestamps, and the formatting machinery
    /// showed in profiles.
    pub(crate) fn rfc3339(self) -> Option<[u8; 20]> {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a digit")]
                let digit = (v % 10) as u8;
                out[i] = b'0' + digit;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, secs / 3600);
        put(14, 2, secs % 3600 / 60);
        put(17, 2, secs % 60);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.rfc3339() {
            // ASCII digits and separators only.
            return f.write_str(std::str::from_utf8(&bytes).unwrap_or_default());
        }
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time")))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(bytes) => s.serialize_str(std::str::from_utf8(&bytes).unwrap_or_default()),
            None => s.collect_str(self),
        }
    }
}

// Howard Hinnant's days-from-civil algorithms (public domain), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_rfc_3339_cannot_write_are_unknown() {
        assert_eq!(Timestamp::from_unix(253_402_300_800), None, "year 10000");
        assert_eq!(Timestamp::from_unix(i64::MIN), None);
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59-05:00"),
            None,
            "year 10000 in UTC"
        );
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59Z")
                .map(|t| t.to_string())
                .as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(
            Timestamp::parse("0000-01-01T00:00:00+01:00"),
            None,
            "year -1 in UTC"
        );
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        let t = Timestamp::parse("2025-11-04T08:25:31.000Z").unwrap();
        assert_eq!(t.to_string(), "2025-11-04T08:25:31Z");
        assert_eq!(Timestamp(1_721_692_800).to_string(), "2024-07-23T00:00:00Z");
        assert_eq!(
            Timestamp::parse("2024-07-23T02:00:00+02:00"),
            Some(Timestamp(1_721_692_800))
        );
        assert_eq!(Timestamp::parse("2024-07-23"), Some(Timestamp(1_721_692_800)));
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(253_402_300_799).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp(253_402_300_800).to_string(), "10000-01-01T00:00:00Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            serde_json::to_string(&Timestamp(1_721_692_800)).unwrap(),
            "\"2024-07-23T00:00:00Z\""
        );
        assert_eq!(Timestamp::parse("not a date"), None);
        assert_eq!(Timestamp::parse("2024-07-2aT00:00:00Z"), None);
        assert_eq!(Timestamp::parse("2024-07-23T00:0+:00Z"), None);
        assert_eq!(Timestamp::parse("+024-07-23"), None);
        assert_eq!(Timestamp::parse("2024-13-01T00:00:00Z"), None);
    }
}
