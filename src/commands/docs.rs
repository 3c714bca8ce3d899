//! `catalog completions SHELL` and `catalog man`: documentation generated
//! from the command line's own definition, and the answers to the
//! completion scripts' questions.
//!
//! The completion scripts are clap_complete's dynamic ones: at each Tab the
//! shell runs `CATALOG_COMPLETE=<shell> catalog -- <the words so far>`, and
//! [`complete_if_asked`] answers from the command line's definition. So
//! `-p`/`--provider` offers the providers in effect at that moment, the
//! built-in table plus the user's config file as it is then, and a script
//! written once keeps up with the config file. A missing or malformed
//! config file leaves the built-in names; completing never prints an error.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write as _};
use std::path::PathBuf;

use clap::CommandFactory as _;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::Cli;
use crate::config::{Env as _, ProcessEnv, Settings};

/// The variable the completion scripts set when they ask for candidates.
pub const COMPLETE_VAR: &str = "CATALOG_COMPLETE";

/// When a completion script is asking (`CATALOG_COMPLETE` is set), prints
/// the candidates for the words after `--` and exits; otherwise returns at
/// once. Call it first thing, before anything is written to stdout.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(completing_command)
        .var(COMPLETE_VAR)
        .bin("catalog")
        .completer("catalog")
        .complete();
}

/// The command line with its value completers: every `--provider` offers
/// the provider names.
fn completing_command() -> clap::Command {
    fn attach(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|arg| {
            if arg.get_long() == Some("provider") {
                arg.add(ArgValueCompleter::new(provider_candidates))
            } else {
                arg
            }
        })
        .mut_subcommands(attach)
    }
    attach(Cli::command())
}

/// The providers whose name starts with `current` (aliases too, hidden
/// unless only an alias matches), each with what its key needs.
fn provider_candidates(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str().map(str::to_ascii_lowercase) else {
        return Vec::new();
    };
    let config = config_on_line(std::env::args_os());
    let settings = Settings::load(config.as_deref(), &ProcessEnv).unwrap_or_else(|_| Settings::builtin());
    let builtin = Settings::builtin();
    let mut found = Vec::new();
    for spec in &settings.table {
        let key_set = spec.key_env.iter().find(|var| ProcessEnv.var(var).is_some());
        let mut help = match (key_set, spec.key_env.first()) {
            (Some(var), _) => format!("key set ({var})"),
            (None, Some(var)) if spec.needs_key => format!("key required: set {var}"),
            (None, _) if spec.needs_key => "key required".to_owned(),
            _ => "key optional".to_owned(),
        };
        if !builtin.table.iter().any(|b| b.name == spec.name) {
            help.push_str("; from the config file");
        }
        if spec.name.starts_with(&current) {
            found.push(CompletionCandidate::new(&spec.name).help(Some(help.clone().into())));
        }
        for alias in spec.aliases.iter().filter(|a| a.starts_with(&current)) {
            found.push(
                CompletionCandidate::new(alias)
                    .help(Some(format!("alias of {}", spec.name).into()))
                    .hide(true),
            );
        }
    }
    found
}

/// The `--config PATH` of the command line being completed (the words after
/// the first `--`), so names come from the file that line would use.
fn config_on_line(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut words = args.into_iter().skip_while(|a| a != "--").skip(1);
    let mut found = None;
    while let Some(word) = words.next() {
        if word == "--config" {
            found = words.next().map(PathBuf::from);
        } else if let Some(path) = word.to_str().and_then(|w| w.strip_prefix("--config=")) {
            found = Some(PathBuf::from(path));
        }
    }
    found
}

/// The completion script on stdout: a few lines that hand every Tab to
/// `catalog` itself (see the module docs).
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap_complete::Shell;
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::PowerShell => &Powershell,
        Shell::Elvish => &Elvish,
        other => anyhow::bail!("no completion script for {other}"),
    };
    let mut script = Vec::new();
    completer.write_registration(COMPLETE_VAR, "catalog", "catalog", "catalog", &mut script)?;
    if shell == Shell::Zsh {
        // Autoloaded from a `_catalog` file on $fpath, the script is the body
        // of `_catalog` and runs at the first Tab: complete that Tab too,
        // instead of only registering for the next one. Sourced, it does not run.
        script.extend_from_slice(
            b"if [ \"$funcstack[1]\" = \"_catalog\" ]; then\n    _clap_dynamic_completer_catalog \"$@\"\nfi\n",
        );
    }
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_config_of_the_line_being_completed_is_found_in_either_form() {
        assert_eq!(
            config_on_line(words("catalog -- catalog --config a.toml fetch -p hu")),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            config_on_line(words("catalog -- catalog fetch --config=b.toml -p")),
            Some(PathBuf::from("b.toml"))
        );
        // Before the `--`: the completer's own arguments, not the line's.
        assert_eq!(
            config_on_line(words("catalog --config c.toml -- catalog fetch -p")),
            None
        );
        assert_eq!(config_on_line(words("catalog -- catalog fetch -p")), None);
    }
}
