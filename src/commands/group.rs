//! `--group-by canonical`, shared by `count` (one row per model) and `ls`
//! (the models' rows, a model's offers together): which providers serve each
//! canonical id, and the order of the models, most served first.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use crate::pipeline::Sink;
use crate::record::Record;

/// The providers and records of each canonical id.
#[derive(Debug, Default)]
pub(super) struct Groups {
    by_key: BTreeMap<String, Group>,
    /// Records without a canonical id.
    unkeyed: u64,
}

/// One canonical id's providers, and how many records (a provider may list
/// variants of one model).
#[derive(Debug, Default)]
pub(super) struct Group {
    pub(super) providers: BTreeSet<String>,
    pub(super) records: u64,
}

impl Groups {
    /// Counts `r` in its canonical id's group.
    pub(super) fn add(&mut self, r: &Record) {
        let Some(key) = &r.canonical_id else {
            self.unkeyed += 1;
            return;
        };
        let group = match self.by_key.get_mut(key.as_str()) {
            Some(g) => g,
            None => self.by_key.entry(key.to_string()).or_default(),
        };
        let provider: &str = &r.provider;
        if !group.providers.contains(provider) {
            group.providers.insert(provider.to_owned());
        }
        group.records += 1;
    }

    /// The groups, most providers first, then by canonical id.
    pub(super) fn ranked(&self) -> Vec<(&str, &Group)> {
        let mut ranked: Vec<(&str, &Group)> = self.by_key.iter().map(|(k, g)| (k.as_str(), g)).collect();
        ranked.sort_by(|a, b| {
            b.1.providers
                .len()
                .cmp(&a.1.providers.len())
                .then_with(|| a.0.cmp(b.0))
        });
        ranked
    }

    /// The group of `key`.
    pub(super) fn get(&self, key: &str) -> Option<&Group> {
        self.by_key.get(key)
    }

    /// Records without a canonical id.
    pub(super) fn unkeyed(&self) -> u64 {
        self.unkeyed
    }
}

impl Sink for Groups {
    fn put(&mut self, r: &Record) -> io::Result<()> {
        self.add(r);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::record::Timestamp;

    fn record(provider: &str, key: Option<&str>) -> Record {
        let mut r = Record::new(Arc::from(provider), "id", Arc::from("s"), Timestamp(0));
        r.canonical_id = key.map(Into::into);
        r
    }

    #[test]
    fn models_served_by_more_providers_rank_first_and_ties_go_by_id() {
        let mut g = Groups::default();
        for (p, k) in [
            ("a", Some("zeta")),
            ("b", Some("zeta")),
            ("a", Some("alpha")),
            ("a", Some("alpha")),
            ("c", Some("beta")),
            ("a", None),
        ] {
            g.add(&record(p, k));
        }
        let ranked: Vec<(&str, usize, u64)> = g
            .ranked()
            .into_iter()
            .map(|(k, g)| (k, g.providers.len(), g.records))
            .collect();
        assert_eq!(ranked, [("zeta", 2, 2), ("alpha", 1, 2), ("beta", 1, 1)]);
        assert_eq!(g.unkeyed(), 1);
        assert_eq!(g.get("alpha").unwrap().providers.len(), 1);
    }
}
