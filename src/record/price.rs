//! [`Price`]: USD per 1M tokens (or per the [`Unit`] of `price_other`), from
//! the provider's own decimal digits.

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
        if let Some(negative) = text.strip_prefix('-') {
            // `-0` is zero, as it is to every JSON reader; any other negative
            // number is a sentinel (`-1`: variable price), not a price.
            let zero = !negative.is_empty()
                && negative.bytes().all(|b| matches!(b, b'0' | b'.'))
                && negative.bytes().any(|b| b == b'0');
            return zero.then_some(Price(0.0));
        }
        if text.is_empty() {
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
        if value == 0.0 && mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
            // Too small for a float: a price, but not a free one.
            return None;
        }
        Price::round(value)
    }

    /// Converts a JSON number already in some unit, multiplying by `10^shift`.
    #[must_use]
    pub fn from_f64(value: f64, shift: i32) -> Option<Price> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        if value == 0.0 {
            // -0.0 included.
            return Some(Price(0.0));
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
        let rounded = Price::to_significant(value, Price::SIGNIFICANT)?;
        Some(Price(Price::snap(rounded)))
    }

    fn to_significant(value: f64, digits: usize) -> Option<f64> {
        format!("{value:.prec$e}", prec = digits - 1).parse().ok()
    }

    /// Undoes single-precision artifacts that survive 12 digits: DeepInfra
    /// writes a cache price of 0.03 as `0.0299999997`. Across 2,825 real
    /// price values every genuine price has at most 6 significant digits, so
    /// a value within 10^-(k+5) (relative) of a k-digit value, k <= 6, is that
    /// value; anything further off (1/48 = 0.0208333333333, 8.38323353293,
    /// 14.6484375) is kept as it is.
    fn snap(value: f64) -> f64 {
        if value == 0.0 {
            return value;
        }
        for k in 1..=Price::SNAP_DIGITS {
            let Some(short) = Price::to_significant(value, k) else {
                continue;
            };
            #[allow(
                clippy::cast_possible_wrap,
                clippy::cast_possible_truncation,
                reason = "k <= 6"
            )]
            let tolerance = 10f64.powi(-(k as i32 + 5));
            if ((value - short) / value).abs() <= tolerance {
                return short;
            }
        }
        value
    }

    /// The most significant digits a price is snapped to (see [`Price::snap`]).
    const SNAP_DIGITS: usize = 6;

    /// Whether using the model at this price costs nothing.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0 == 0.0
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

/// A unit prices are stated in besides tokens, one documented vocabulary
/// (the README's schema lists each with its providers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// USD per input image.
    ImageInput,
    /// USD per generated image.
    ImageOutput,
    /// USD per 1M generated image tokens.
    ImageOutputTokens,
    /// USD per 1M input audio tokens.
    AudioInput,
    /// USD per 1M generated audio tokens.
    AudioOutput,
    /// USD per 1M cached input audio tokens read.
    AudioCacheRead,
    /// USD per minute of input audio.
    AudioMinute,
    /// USD per 1M characters (text to speech).
    Characters,
    /// USD per 1M tokens written to a prompt cache kept for an hour.
    CacheWrite1h,
    /// USD per 1M internal reasoning tokens.
    Reasoning,
    /// USD per web search.
    WebSearch,
    /// USD per request.
    Request,
}

impl Unit {
    /// Every unit, in the order they are written.
    pub const ALL: [Unit; 12] = [
        Unit::ImageInput,
        Unit::ImageOutput,
        Unit::ImageOutputTokens,
        Unit::AudioInput,
        Unit::AudioOutput,
        Unit::AudioCacheRead,
        Unit::AudioMinute,
        Unit::Characters,
        Unit::CacheWrite1h,
        Unit::Reasoning,
        Unit::WebSearch,
        Unit::Request,
    ];

    /// The key in `price_other`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Unit::ImageInput => "image_input",
            Unit::ImageOutput => "image_output",
            Unit::ImageOutputTokens => "image_output_tokens",
            Unit::AudioInput => "audio_input",
            Unit::AudioOutput => "audio_output",
            Unit::AudioCacheRead => "audio_cache_read",
            Unit::AudioMinute => "audio_minute",
            Unit::Characters => "characters",
            Unit::CacheWrite1h => "cache_write_1h",
            Unit::Reasoning => "reasoning",
            Unit::WebSearch => "web_search",
            Unit::Request => "request",
        }
    }

    /// What one price in this unit buys, for people: a price `p` is
    /// `p USD per <this>`.
    #[must_use]
    pub const fn per(self) -> &'static str {
        match self {
            Unit::ImageInput => "input image",
            Unit::ImageOutput => "generated image",
            Unit::ImageOutputTokens => "1M generated image tokens",
            Unit::AudioInput => "1M input audio tokens",
            Unit::AudioOutput => "1M generated audio tokens",
            Unit::AudioCacheRead => "1M cached input audio tokens read",
            Unit::AudioMinute => "minute of input audio",
            Unit::Characters => "1M characters",
            Unit::CacheWrite1h => "1M tokens written to a prompt cache kept for an hour",
            Unit::Reasoning => "1M internal reasoning tokens",
            Unit::WebSearch => "web search",
            Unit::Request => "request",
        }
    }

    /// The unit named `name`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.name() == name)
    }
}

/// Prices in units other than tokens (`price_other`): at most one per
/// unit, kept in [`Unit::ALL`] order so equal prices give equal text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceOther(Vec<(Unit, Price)>);

impl PriceOther {
    /// No price in another unit.
    #[must_use]
    pub const fn new() -> PriceOther {
        PriceOther(Vec::new())
    }

    /// Sets the price of `unit` (a `None` price leaves it unknown).
    pub fn set(&mut self, unit: Unit, price: Option<Price>) {
        let Some(price) = price else { return };
        match self.0.binary_search_by_key(&unit, |(u, _)| *u) {
            Ok(i) => self.0[i].1 = price,
            Err(i) => self.0.insert(i, (unit, price)),
        }
    }

    /// The price of `unit`, if stated.
    #[must_use]
    pub fn get(&self, unit: Unit) -> Option<Price> {
        self.0.iter().find(|(u, _)| *u == unit).map(|(_, p)| *p)
    }

    /// The stated prices, in unit order.
    pub fn iter(&self) -> impl Iterator<Item = (Unit, Price)> + '_ {
        self.0.iter().copied()
    }

    /// Whether no price in another unit is stated.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for PriceOther {
    /// `unit=value;...` (the CSV cell).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (unit, price)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{}={price}", unit.name())?;
        }
        Ok(())
    }
}

impl Serialize for PriceOther {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (unit, price) in &self.0 {
            m.serialize_entry(unit.name(), price)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for PriceOther {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: Option<std::collections::BTreeMap<String, Price>> = Option::deserialize(d)?;
        let mut other = PriceOther::new();
        for (name, price) in map.unwrap_or_default() {
            // A unit this version does not know is left out, not an error:
            // files written by a newer version stay readable.
            if let Some(unit) = Unit::parse(&name) {
                other.set(unit, Some(price));
            }
        }
        Ok(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_precision_artifacts_snap_to_the_price_the_vendor_states() {
        for (artifact, price) in [
            (0.029_999_999_7, "0.03"),
            (0.130_000_000_2, "0.13"),
            (0.200_000_000_6, "0.2"),
            (0.079_999_999_3, "0.08"),
            (0.070_000_002, "0.07"),
            (0.010_000_000_2, "0.01"),
            (0.260_000_006, "0.26"),
            (0.020_000_000_000_000_004, "0.02"),
        ] {
            assert_eq!(
                Price::from_f64(artifact, 0).unwrap().to_string(),
                price,
                "{artifact}"
            );
        }
    }

    #[test]
    fn genuinely_precise_prices_keep_their_digits() {
        for (value, kept) in [
            ("8.38323353293", "8.38323353293"),
            ("0.0208333333333", "0.0208333333333"),
            ("14.6484375", "14.6484375"),
            ("16.6667", "16.6667"),
            ("0.00000838323353293413", "8.38323353293"),
        ] {
            let shift = if value.starts_with("0.0000") { 6 } else { 0 };
            assert_eq!(
                Price::from_decimal(value, shift).unwrap().to_string(),
                kept,
                "{value}"
            );
        }
    }

    #[test]
    fn other_units_keep_their_order_and_read_back() {
        let mut o = PriceOther::new();
        o.set(Unit::WebSearch, Price::from_decimal("0.01", 0));
        o.set(Unit::ImageInput, Price::from_decimal("0.003", 0));
        o.set(Unit::Request, None);
        assert_eq!(o.to_string(), "image_input=0.003;web_search=0.01");
        let text = serde_json::to_string(&o).unwrap();
        assert_eq!(text, r#"{"image_input":0.003,"web_search":0.01}"#);
        let back: PriceOther = serde_json::from_str(&text).unwrap();
        assert_eq!(back, o);
    }

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
    fn a_price_too_small_for_a_float_is_unknown_not_free() {
        let tiny = format!("0.{}1", "0".repeat(5000));
        assert_eq!(Price::from_decimal(&tiny, 6), None);
        assert_eq!(Price::from_decimal("1e-400", 0), None);
        assert_eq!(Price::from_decimal("0.000", 6), Some(Price(0.0)));
    }

    #[test]
    fn minus_zero_is_zero_in_text_and_in_numbers() {
        assert_eq!(Price::from_decimal("-0", 6), Some(Price(0.0)));
        assert_eq!(Price::from_decimal("-0.0", 6), Some(Price(0.0)));
        assert_eq!(Price::from_f64(-0.0, 0), Some(Price(0.0)));
        let p: Price = serde_json::from_str("-0.0").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "0");
        assert_eq!(Price::from_decimal("-", 6), None);
        assert_eq!(Price::from_decimal("-1", 6), None);
    }

    #[test]
    fn whole_prices_serialize_as_integers() {
        let p = Price::from_decimal("0.000003", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "3");
        let p = Price::from_decimal("0.00000045", 6).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "0.45");
    }
}
