//! Harvesting one provider from Rust, with the `catalog` library.
//!
//! ```sh
//! cargo run --example library -- hug 20          # the first 20 Hub models
//! cargo run --example mock -- -- cargo run --example library -- openrouter   # against the local mock
//! ```
//!
//! The provider's URL and key come from the environment exactly as for the
//! command line (`CATALOG_<NAME>_URL`, `HF_TOKEN`, `GROQ_API_KEY`, ...).

use catalog::config::{ProcessEnv, Settings};
use catalog::harvest::{harvest, HarvestOptions, Limit, Start, Status, Target};
use catalog::http::{Http, RetryPolicy};
use catalog::progress::{End, Progress};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "hug".to_owned());
    // A number of models, or `all`.
    let limit = args
        .next()
        .map(|n| n.parse::<Limit>())
        .transpose()
        .map_err(anyhow::Error::msg)?;

    // The same provider table and environment rules as the binary.
    let settings = Settings::load(None, &ProcessEnv)?;
    let spec = settings
        .table
        .iter()
        .find(|p| p.answers_to(&name))
        .ok_or_else(|| anyhow::anyhow!("unknown provider {name}"))?;
    let target = Target::resolve(spec, &ProcessEnv)?;
    let http = Http::new(RetryPolicy::default())?;
    let opts = HarvestOptions {
        limit,
        ..HarvestOptions::default()
    };

    // Records arrive page by page (deliver_at 0: each page as it comes);
    // here they are simply collected.
    let mut records = Vec::new();
    // `false`: nothing is written to stdout until the bar is gone.
    let progress = Progress::new(true, false);
    let bar = progress.bar(&name, target.limit(&opts));
    let outcome = harvest(&http, &target, &opts, Start::fresh(), 0, &bar, |page| {
        records.extend(page.into_records());
        std::future::ready(true)
    })
    .await;
    bar.end(if outcome.failed() { End::Failed } else { End::Done });
    progress.clear();
    if let Status::Failed(e) = &outcome.status {
        anyhow::bail!("{name}: {e}");
    }

    println!("{} models from {name} in {} pages", records.len(), outcome.pages);
    let mut priced: Vec<_> = records.iter().filter(|r| r.price_input.is_some()).collect();
    priced.sort_by(|a, b| {
        a.price_input
            .partial_cmp(&b.price_input)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for r in priced.iter().take(5) {
        let price = r.price_input.map(|p| p.to_string()).unwrap_or_default();
        println!("{:>10} USD/1M in  {}", price, r.id);
    }
    for r in records.iter().take(5).filter(|_| priced.is_empty()) {
        println!("{}  {}", r.id, r.task.as_deref().unwrap_or("-"));
    }
    Ok(())
}
