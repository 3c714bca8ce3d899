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
        Timestamp::parse_utc(text.as_bytes()).or_else(|| Timestamp::parse_any(text))
    }

    /// [`Timestamp::parse`] of every layout it reads.
    fn parse_any(text: &str) -> Option<Timestamp> {
        let b = text.trim().as_bytes();
        // Every field is a fixed run of ASCII digits.
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            b.get(r)?.iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if b.len() == 10 {
            return Timestamp::from_fields(y, mo, d, 0, 0, 0, 0);
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
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
        Timestamp::from_fields(y, mo, d, h, mi, s, offset)
    }

    /// The time the fields of a reading name (`offset`: seconds east of
    /// UTC), when each is in its range.
    fn from_fields(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, offset: i64) -> Option<Timestamp> {
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        Timestamp::from_unix(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset)
    }

    /// [`Timestamp::parse`] of the two layouts the Hub writes (every model
    /// has two: `2025-11-04T08:25:31.000Z`, or no fraction), read at fixed
    /// places; `None` for any other text, which [`Timestamp::parse_any`]
    /// then decides. It accepts nothing that one would not, with the same
    /// value (a test mutates both layouts byte by byte). The general
    /// reading was 3.5 % of a Hub harvest's instructions (325 a time:
    /// trimming, a fold a field, checked indexing).
    fn parse_utc(b: &[u8]) -> Option<Timestamp> {
        let b: &[u8; 20] = match b.len() {
            20 if b[19] == b'Z' => b[..20].try_into().ok()?,
            24 if b[19] == b'.' && b[23] == b'Z' && b[20..23].iter().all(u8::is_ascii_digit) => {
                b[..20].try_into().ok()?
            }
            _ => return None,
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        // The digits' values (a byte that is no digit comes out above 9),
        // checked all at once: a test and a branch for each was half the
        // cost again.
        let v = |i: usize| b[i].wrapping_sub(b'0');
        #[rustfmt::skip]
        let n = [v(0), v(1), v(2), v(3), v(5), v(6), v(8), v(9), v(11), v(12), v(14), v(15), v(17), v(18)];
        if n.iter().fold(0, |m, &x| m.max(x)) > 9 {
            return None;
        }
        let two = |i: usize| i64::from(n[i]) * 10 + i64::from(n[i + 1]);
        let (y, mo, d) = (two(0) * 100 + two(2), two(4), two(6));
        Timestamp::from_fields(y, mo, d, two(8), two(10), two(12), 0)
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
        // Two digits at a time from a table: a division and a remainder by
        // 10 for every digit were 1.4 % of a Hub harvest's instructions.
        const PAIRS: &[u8; 200] = b"\
            0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, v: i64| {
            // Every value put is in 0..100 (the year's halves included).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..100")]
            let i = v as usize * 2;
            out[at..at + 2].copy_from_slice(&PAIRS[i..i + 2]);
        };
        put(0, y / 100);
        put(2, y % 100);
        put(5, m);
        put(8, d);
        put(11, secs / 3600);
        put(14, secs % 3600 / 60);
        put(17, secs % 60);
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
    fn the_hubs_layouts_are_read_at_fixed_places_as_the_general_reading_reads_them() {
        // 2025-11-04T08:25:31Z
        let t = Some(Timestamp(1_762_244_731));
        assert_eq!(Timestamp::parse_utc(b"2025-11-04T08:25:31.000Z"), t);
        assert_eq!(Timestamp::parse_utc(b"2025-11-04T08:25:31Z"), t);
        assert_eq!(Timestamp::parse("2025-11-04T08:25:31.000Z"), t);
        // Other layouts are left to the general reading.
        assert_eq!(Timestamp::parse_utc(b"2025-11-04T08:25:31+00:00"), None);
        assert_eq!(Timestamp::parse("2025-11-04T08:25:31+00:00"), t);
        assert_eq!(Timestamp::parse_utc(b" 2025-11-04T08:25:31Z"), None);
        assert_eq!(Timestamp::parse(" 2025-11-04T08:25:31Z"), t);
        // Every byte of both layouts replaced by each of these, and the
        // edges of every field: the fixed reading either declines or agrees.
        let bytes = b"0123456789-:.TtZz +/a";
        let bases = [
            "2025-11-04T08:25:31.000Z",
            "2025-11-04T08:25:31Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:60.999Z",
            "2024-02-29T23:59:59Z",
        ];
        let mut fixed = 0;
        for base in bases {
            for at in 0..base.len() {
                for &c in bytes {
                    let mut m = base.as_bytes().to_vec();
                    m[at] = c;
                    let text = std::str::from_utf8(&m).unwrap();
                    if let Some(t) = Timestamp::parse_utc(&m) {
                        fixed += 1;
                        assert_eq!(Some(t), Timestamp::parse_any(text), "{text}");
                    }
                }
            }
        }
        // Digits for digits at least: the fixed reading did the work.
        assert!(fixed > 500, "{fixed}");
        for bad in [
            "2025-13-04T08:25:31Z",
            "2025-11-32T08:25:31Z",
            "2025-11-04T24:00:00Z",
            "2025-11-04T08:60:00Z",
        ] {
            assert_eq!(Timestamp::parse_utc(bad.as_bytes()), None, "{bad}");
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_second_of_a_span_is_written_as_the_formatter_writes_it() {
        // The table-driven `rfc3339` against `format!` over days spanning
        // leap years and the ends of the years RFC 3339 writes.
        for secs in (Timestamp::MIN.0..Timestamp::MIN.0 + 3 * 86_400)
            .chain((-86_400 * 800..86_400 * 800).step_by(86_399))
            .chain(Timestamp::MAX.0 - 3 * 86_400..=Timestamp::MAX.0)
        {
            let t = Timestamp(secs);
            let days = secs.div_euclid(86_400);
            let s = secs.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let want = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s % 3600 / 60,
                s % 60
            );
            assert_eq!(std::str::from_utf8(&t.rfc3339().unwrap()).unwrap(), want);
        }
    }

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
