//! [`Price`]: USD per 1M tokens, from the provider's own decimal digits.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A price in USD per 1M tokens.
///
/// Built only through decimal arithmetic on the provider's own digits, then
/// rounded to 12 significant digits, so `"0.00000045"` USD per token is exactly
/// `0.45` and DeepInfra's `2.5999999999999996` is `2.6`. Negative inputs (the
/// `-1` "variable price" sentinel) are unknown, not free.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Price(f64);

impl Price {
    /// Significant digits kept; more than any real price has, fewer than the
    /// 15-17 where binary float noise lives.
    const SIGNIFICANT: usize = 12;

    /// Parses a decimal string (`"0.00000045"`, `"3900"`, `"1e-6"`) and
    /// multiplies it by `10^shift`. `None` for anything that is not a finite,
    /// non-negative number.
    #[must_use]
    pub fn from_decimal(text: &str, shift: i32) -> Option<Price> {
        let text = text.trim();
        if text.is_empty() || text.starts_with('-') {
            return None;
        }
        // Moving the decimal point is exact on the digits; the single rounding
        // happens when the shifted literal is parsed.
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        if !mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'+')
        {
            return None;
        }
        let literal = format!("{mantissa}e{}", exp.checked_add(shift)?);
        let value: f64 = literal.parse().ok()?;
        Price::round(value)
    }

    /// Converts a JSON number already in some unit, multiplying by `10^shift`.
    #[must_use]
    pub fn from_f64(value: f64, shift: i32) -> Option<Price> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        // Rust prints the shortest string that round-trips, so these digits are
        // what the provider wrote.
        Price::from_decimal(&format!("{value:e}"), shift)
    }

    /// Reads a price from a JSON value that may be a number or a decimal string.
    #[must_use]
    pub fn from_json(value: &serde_json::Value, shift: i32) -> Option<Price> {
        match value {
            serde_json::Value::Number(n) => n.as_f64().and_then(|v| Price::from_f64(v, shift)),
            serde_json::Value::String(s) => Price::from_decimal(s, shift),
            _ => None,
        }
    }

    fn round(value: f64) -> Option<Price> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let rounded: f64 = format!("{value:.prec$e}", prec = Price::SIGNIFICANT - 1)
            .parse()
            .ok()?;
        Some(Price(rounded))
    }

    /// The value in USD per 1M tokens.
    #[must_use]
    pub fn usd_per_million(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shortest round-trip form, the same digits serde_json writes.
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Price::from_f64(v, 0).ok_or_else(|| serde::de::Error::custom(format!("{v} is not a price")))
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Whole prices are written as integers (`0`, `3`) like a person would.
        if self.0.fract() == 0.0 && self.0 < 9.0e15 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked above"
            )]
            return s.serialize_u64(self.0 as u64);
        }
        s.serialize_f64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_token_decimal_string_becomes_exact_per_million_price() {
        assert_eq!(Price::from_decimal("0.00000045", 6).unwrap().to_string(), "0.45");
        assert_eq!(Price::from_decimal("0.0000025", 6).unwrap().to_string(), "2.5");
        assert_eq!(Price::from_decimal("0", 6).unwrap().to_string(), "0");
    }

    #[test]
    fn float_noise_is_rounded_away() {
        assert_eq!(
            Price::from_f64(2.599_999_999_999_999_6, 0).unwrap().to_string(),
            "2.6"
        );
        assert_eq!(
            Price::from_f64(0.789_999_999_999_999_9, 0).unwrap().to_string(),
            "0.79"
        );
    }

    #[test]
    fn integer_sub_units_are_shifted_exactly() {
        assert_eq!(Price::from_f64(3900.0, -4).unwrap().to_string(), "0.39");
        assert_eq!(Price::from_f64(30000.0, -4).unwrap().to_string(), "3");
    }

    #[test]
    fn negative_and_garbage_prices_are_unknown() {
        assert_eq!(Price::from_decimal("-1", 6), None);
        assert_eq!(Price::from_decimal("abc", 6), None);
        assert_eq!(Price::from_decimal("", 6), None);
        assert_eq!(Price::from_f64(f64::NAN, 0), None);
    }

    #[test]
    fn whole_prices_serialize_as_integers() {
        let p = Price::from_decimal("0.000003", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "3");
        let p = Price::from_decimal("0.00000045", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "0.45");
    }
}
