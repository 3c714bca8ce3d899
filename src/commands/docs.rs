//! `catalog completions SHELL` and `catalog man`: documentation generated
//! from the command line's own definition.

use std::io::{self, Write as _};

use clap::CommandFactory as _;

use crate::cli::Cli;

/// The completion script on stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "catalog", &mut out);
    out.flush()?;
    Ok(())
}

/// The man page (roff) on stdout.
pub(super) fn man() -> anyhow::Result<()> {
    let cmd = Cli::command();
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // Each subcommand's options as its own section of the page.
        writeln!(out, ".SH \"CATALOG {}\"", sub.get_name().to_ascii_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone());
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    out.flush()?;
    Ok(())
}
