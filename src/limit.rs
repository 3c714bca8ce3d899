//! `--limit N|all`: a leaf of its own, so the command line and the engine
//! both name it without either depending on the other.

/// How many models a harvest may take (`--limit N|all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Every model the listing has, whatever the provider's default limit.
    All,
    /// At most this many (1 or more).
    Models(u64),
}

impl std::str::FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Limit, String> {
        if s.eq_ignore_ascii_case("all") {
            return Ok(Limit::All);
        }
        match s.parse::<u64>() {
            // Zero would harvest nothing; "no limit" has its own word.
            Ok(0) => Err("0 would harvest nothing: use 1 or more, or `all` for every model".into()),
            Ok(n) => Ok(Limit::Models(n)),
            Err(_) => Err("expected a number of models (1 or more) or `all`".into()),
        }
    }
}
