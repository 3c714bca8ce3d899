//! The terminal: completion scripts, which ask `catalog` itself for the
//! candidates at each Tab (so provider names follow the config file), and
//! `--help`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::providers::builtin;
use crate::common::RunExt as _;
use crate::common::{catalog, cleared_vars, fresh_dir};

/// The built-in provider names, in table order.
fn builtin_names() -> Vec<String> {
    builtin().iter().map(|spec| spec.name.clone()).collect()
}

/// A config directory (for `XDG_CONFIG_HOME`) whose `catalog/config.toml` is `text`.
fn config_home(text: &str) -> PathBuf {
    let home = fresh_dir("config");
    fs::create_dir_all(home.join("catalog")).unwrap();
    fs::write(home.join("catalog/config.toml"), text).unwrap();
    home
}

fn lab(name: &str) -> String {
    format!("[providers.{name}]\nurl = \"http://127.0.0.1:9/v1/models\"\n")
}

/// What bash offers for the last of `words` with the script of
/// `catalog completions bash` sourced, as its Tab would: `catalog` first on
/// the PATH, no keys, `XDG_CONFIG_HOME` at `config_home`. Also returns
/// what the completion printed on stderr (the terminal, at a real Tab).
fn bash_offers(words: &[&str], config_home: &Path) -> (Vec<String>, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_catalog"));
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(concat!(
            "source <(catalog completions bash) || exit 1\n",
            "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1))\n",
            "_clap_complete_catalog catalog \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n",
            "printf '%s\\n' \"${COMPREPLY[@]}\"\n",
        ))
        .arg("bash")
        .args(words);
    for var in cleared_vars() {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", config_home).env(
        "PATH",
        format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let offered = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (offered, String::from_utf8(out.stderr).unwrap())
}

fn offers(words: &[&str], config_home: &Path) -> Vec<String> {
    let (offered, stderr) = bash_offers(words, config_home);
    assert_eq!(stderr, "", "completing {words:?} printed on the terminal");
    offered
}

#[test]
fn completion_scripts_hand_every_tab_to_catalog_for_every_shell() {
    for (shell, registers, asks) in [
        (
            "bash",
            "complete -o nospace -o bashdefault -o nosort -F _clap_complete_catalog catalog",
            "CATALOG_COMPLETE=\"bash\" \\\n        \"catalog\" -- \"${words[@]}\"",
        ),
        ("zsh", "#compdef catalog", "CATALOG_COMPLETE=\"zsh\""),
        (
            "fish",
            "complete --keep-order --exclusive --command catalog",
            "(CATALOG_COMPLETE=fish catalog -- (commandline",
        ),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName catalog",
            "$env:CATALOG_COMPLETE = \"powershell\"",
        ),
        (
            "elvish",
            "set edit:completion:arg-completer[catalog]",
            "CATALOG_COMPLETE=\"elvish\" catalog --",
        ),
    ] {
        let text = String::from_utf8(catalog().args(["completions", shell]).ok_stdout()).unwrap();
        assert!(
            text.contains(registers),
            "{shell} script lacks {registers:?}:\n{text}"
        );
        assert!(text.contains(asks), "{shell} script lacks {asks:?}:\n{text}");
        // The names come at each Tab, not from the script.
        assert!(!text.contains("openrouter"), "{shell}");
    }
    catalog().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn provider_completion_offers_the_built_in_names_and_the_config_files() {
    let home = config_home(&lab("mylab"));
    let mut all = builtin_names();
    all.push("mylab".into());
    assert_eq!(offers(&["catalog", "fetch", "-p", ""], &home), all);
    assert_eq!(offers(&["catalog", "fetch", "-p", "hu"], &home), ["hug"]);
    assert_eq!(
        offers(&["catalog", "count", "--provider", "my"], &home),
        ["mylab"]
    );
    assert_eq!(
        offers(&["catalog", "snapshot", "--dir", "s", "-p", "op"], &home),
        ["openrouter"]
    );
    assert_eq!(
        offers(&["catalog", "cache", "clear", "-p", "gr"], &home),
        ["groq"]
    );
    // After a comma, the next name of the list.
    assert_eq!(
        offers(&["catalog", "fetch", "-p", "hug,op"], &home),
        ["hug,openrouter"]
    );
    // An alias only when no name matches.
    assert_eq!(offers(&["catalog", "fetch", "-p", "hf"], &home), ["hf"]);
    assert_eq!(
        offers(&["catalog", "fetch", "-p", "zz"], &home),
        Vec::<String>::new()
    );
    // The rest of the line still completes.
    assert_eq!(offers(&["catalog", "fe"], &home), ["fetch"]);
    assert_eq!(
        offers(&["catalog", "fetch", "-f", ""], &home),
        ["json", "ndjson", "csv"]
    );
}

#[test]
fn provider_completion_follows_the_config_file_as_it_changes() {
    let home = config_home(&lab("mylab"));
    assert_eq!(offers(&["catalog", "fetch", "-p", "my"], &home), ["mylab"]);
    fs::write(home.join("catalog/config.toml"), lab("yourlab")).unwrap();
    assert_eq!(
        offers(&["catalog", "fetch", "-p", "my"], &home),
        Vec::<String>::new()
    );
    assert_eq!(offers(&["catalog", "fetch", "-p", "yo"], &home), ["yourlab"]);
    // The config file named on the line being completed wins, in either form.
    let other = fresh_dir("config").join("other.toml");
    fs::write(&other, lab("otherlab")).unwrap();
    let other = other.to_str().unwrap();
    assert_eq!(
        offers(&["catalog", "--config", other, "fetch", "-p", "ot"], &home),
        ["otherlab"]
    );
    let flag = format!("--config={other}");
    assert_eq!(
        offers(&["catalog", "count", &flag, "-p", "ot"], &home),
        ["otherlab"]
    );
}

#[test]
fn provider_completion_offers_the_built_in_names_when_the_config_file_is_malformed() {
    let home = config_home("[providers.x]\nshape = \"soap\"\n");
    assert_eq!(offers(&["catalog", "fetch", "-p", ""], &home), builtin_names());
    assert_eq!(
        offers(
            &["catalog", "--config", "/nonexistent/c.toml", "fetch", "-p", "gr"],
            &home
        ),
        ["groq"]
    );
}

#[test]
fn provider_completion_describes_each_providers_key_for_zsh_and_fish() {
    // fish (and zsh, powershell) show a description beside each candidate.
    let describe = |key: Option<&str>| {
        let mut cmd = catalog();
        cmd.env("CATALOG_COMPLETE", "fish")
            .args(["--", "catalog", "fetch", "-p", ""]);
        if let Some(key) = key {
            cmd.env("GROQ_API_KEY", key);
        }
        String::from_utf8(cmd.ok_stdout()).unwrap()
    };
    let text = describe(None);
    assert!(text.contains("groq\tkey required: set GROQ_API_KEY\n"), "{text}");
    assert!(text.contains("hug\tkey optional\n"), "{text}");
    let text = describe(Some("gsk-1"));
    assert!(text.contains("groq\tkey set (GROQ_API_KEY)\n"), "{text}");
    assert!(!text.contains("gsk-1"), "never the key itself");
}

#[test]
fn completions_and_the_man_page_ignore_a_malformed_config_file() {
    let bad = fresh_dir("config").join("bad.toml");
    fs::write(&bad, "[providers.x]\nshape = \"soap\"\n").unwrap();
    let home = config_home("not toml at all [");
    for doc in [&["completions", "bash"][..], &["completions", "zsh"], &["man"]] {
        let from_flag = catalog().arg("--config").arg(&bad).args(doc).ok_stdout();
        let from_env = catalog().env("CATALOG_CONFIG", &bad).args(doc).ok_stdout();
        let from_home = catalog().env("XDG_CONFIG_HOME", &home).args(doc).ok_stdout();
        assert!(from_flag.len() > 200, "{doc:?}");
        assert_eq!(from_flag, from_env, "{doc:?}");
        assert_eq!(from_flag, from_home, "{doc:?}");
    }
    // While a command that needs the table says what is wrong.
    catalog()
        .env("XDG_CONFIG_HOME", &home)
        .arg("providers")
        .assert()
        .code(2);
}

fn help(args: &[&str]) -> String {
    String::from_utf8(catalog().args(args).ok_stdout()).unwrap()
}

/// The section headings of a help text (`Name:` alone on its line).
fn headings(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_suffix(':'))
        .filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.contains(". "))
        .collect()
}

#[test]
fn a_commands_help_shows_its_own_options_before_the_global_ones() {
    const GLOBAL_FLAGS: [&str; 5] = [
        "-v, --verbose",
        "--color <WHEN>",
        "--config <PATH>",
        "-h, --help",
        "-V, --version",
    ];
    for cmd in [
        &["fetch"][..],
        &["count"],
        &["ls"],
        &["show"],
        &["snapshot"],
        &["diff"],
        &["changes"],
        &["history"],
        &["providers"],
        &["cache", "ls"],
        &["cache", "clear"],
        &["completions"],
        &["man"],
    ] {
        for flag in ["-h", "--help"] {
            let text = help(&[cmd, &[flag]].concat());
            let (own, global) = text
                .split_once("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{cmd:?} {flag}: no global heading:\n{text}"));
            for g in GLOBAL_FLAGS {
                assert!(!own.contains(g), "{cmd:?} {flag}: {g} before the global heading");
                assert!(global.contains(g), "{cmd:?} {flag}: {g} missing");
            }
            // After the global options only the closing text: no option of the command's own.
            let own_flags_after = global
                .lines()
                .filter(|l| (l.starts_with("  -") && !l.starts_with("   ")) || l.starts_with("      --"))
                .filter(|l| !GLOBAL_FLAGS.iter().any(|g| l.trim_start().starts_with(g)))
                .count();
            assert_eq!(own_flags_after, 0, "{cmd:?} {flag}:\n{global}");
        }
    }
    let fetch = help(&["fetch", "-h"]);
    assert_eq!(
        headings(&fetch)[..9],
        [
            "Providers",
            "Harvest",
            "Output",
            "Selection",
            "Cache",
            "Incremental",
            "Database",
            "Display",
            "Global options"
        ]
    );
    // fetch's output flags under Output, not in Harvest.
    let output = fetch
        .split_once("\nOutput:\n")
        .unwrap()
        .1
        .split_once("\n\n")
        .unwrap()
        .0;
    for flag in ["-f, --format", "-o, --output", "--raw", "--fields", "--csv-safe"] {
        assert!(output.contains(flag), "{flag} not under Output:\n{fetch}");
    }
    assert_eq!(
        headings(&help(&["diff", "-h"]))[..3],
        ["Arguments", "Options", "Global options"]
    );
    assert_eq!(headings(&help(&["-h"]))[..2], ["Commands", "Global options"]);
    // --version still prints the version, from any command.
    assert!(help(&["fetch", "-V"]).starts_with("catalog-fetch "));
}

#[test]
fn help_lists_the_environment_variables_in_short_and_every_one_in_full() {
    for cmd in [&[][..], &["fetch"], &["count"], &["ls"], &["show"], &["snapshot"]] {
        let short = help(&[cmd, &["-h"]].concat());
        let env = short
            .split_once("\nEnvironment")
            .unwrap_or_else(|| panic!("{cmd:?}:\n{short}"))
            .1;
        for var in [
            "HF_TOKEN",
            "CATALOG_<NAME>_URL",
            "HF_ENDPOINT",
            "CATALOG_CONFIG",
            "CATALOG_CACHE_DIR",
            "NO_COLOR",
            "RUST_LOG",
        ] {
            assert!(env.contains(var), "{cmd:?} -h lacks {var}");
        }
        assert!(
            !short.contains("GROQ_API_KEY (required)"),
            "{cmd:?} -h is the short list"
        );
        assert!(short.contains("catalog providers"), "{cmd:?}");

        let full = help(&[cmd, &["--help"]].concat());
        let env = full
            .split_once("\nEnvironment:\n")
            .unwrap_or_else(|| panic!("{cmd:?}:\n{full}"))
            .1;
        // One line per built-in provider, with its key variables as the table has them.
        for spec in builtin() {
            let line = env
                .lines()
                .find(|l| l.split_whitespace().next() == Some(spec.name.as_str()))
                .unwrap_or_else(|| panic!("{cmd:?} --help has no key line for {}", spec.name));
            let expected = format!(
                "{}{}",
                spec.key_env.join(", "),
                if spec.needs_key { " (required)" } else { "" }
            );
            assert_eq!(line.trim()[spec.name.len()..].trim(), expected, "{cmd:?}");
            if let Some(base) = &spec.base_env {
                assert!(env.contains(&format!("\n  {base} ")), "{cmd:?} lacks {base}");
            }
        }
        for var in [
            "CATALOG_<NAME>_URL",
            "CATALOG_CONFIG",
            "CATALOG_CACHE_DIR",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "TMPDIR",
            "HTTPS_PROXY",
            "NO_PROXY",
            "COLUMNS",
            "LINES",
            "NO_COLOR",
            "RUST_LOG",
            "CATALOG_COMPLETE",
            "CATALOG_TEST_*",
        ] {
            assert!(env.contains(var), "{cmd:?} --help lacks {var}");
        }
    }
    // The exit codes stay, signals included.
    for flag in ["-h", "--help"] {
        assert!(help(&[flag]).contains("130, 143, 129  stopped by Ctrl-C, SIGTERM, SIGHUP"));
    }
    // And the man page has the full list.
    let man = help(&["man"]);
    assert!(man.contains("GROQ_API_KEY (required)") && man.contains("CATALOG_COMPLETE"));
}
