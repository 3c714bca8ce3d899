//! What a run stopped by a signal says: whether a paged harvest kept a
//! checkpoint, and the exact command that continues it.

use std::ffi::OsString;

use crate::cache::Checkpoint;
use crate::config::Config;
use crate::http::Secret;
use crate::pipeline::Resumable;
use crate::term::{count, sanitize};

/// What the command was, taken before it runs (the run consumes its
/// configuration).
pub(super) struct Stop {
    kind: Kind,
    resumable: Option<Resumable>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `fetch`, `snapshot`: `--resume` continues them.
    Resumes,
    /// `count`, `ls`, `show`: harvest, but have no `--resume`.
    Count(&'static str),
    /// Harvests nothing.
    Other,
}

impl Stop {
    pub(super) fn of(config: &Config) -> Stop {
        let (kind, run) = match config {
            Config::Fetch(f) => (Kind::Resumes, Some(&f.run)),
            Config::Snapshot(s) => (Kind::Resumes, Some(&s.run)),
            Config::Count(c) => (Kind::Count("count"), Some(&c.run)),
            Config::Ls(l) => (Kind::Count("ls"), Some(&l.run)),
            Config::Show(s) => (Kind::Count("show"), Some(&s.run)),
            Config::Compare(c) => (Kind::Count("compare"), Some(&c.run)),
            _ => (Kind::Other, None),
        };
        Stop {
            kind,
            resumable: run.map(Resumable::of),
        }
    }

    /// The lines to say once the run was stopped by `what` ("interrupted",
    /// "terminated", "hung up"); `args` is the command line as typed.
    pub(super) fn lines(&self, what: &str, args: &[OsString]) -> Vec<String> {
        let Some(r) = &self.resumable else {
            return vec![format!("{what}: stopped")];
        };
        let mut lines = vec![match self.kind {
            Kind::Count(_) => format!("{what}: stopped"),
            _ => format!(
                "{what}: stopped; the output was left as it was (an unfinished file is removed, a previous one kept)"
            ),
        }];
        let kept = r.kept();
        if r.cache.is_none() {
            lines.push("nothing can be resumed: --no-cache keeps no checkpoint".into());
            return lines;
        }
        if r.incremental {
            lines.push(
                "nothing to resume: an incremental harvest is run again, and fetches only what changed since the cached one"
                    .into(),
            );
            return lines;
        }
        if kept.is_empty() {
            lines.push(
                "nothing can be resumed: no checkpoint was kept (a paged harvest keeps one once its first pages are written)"
                    .into(),
            );
            return lines;
        }
        lines.extend(kept.iter().map(checkpoint_line));
        match self.kind {
            Kind::Count(command) => lines.push(format!(
                "{command} does not resume (run again, it starts over): `catalog fetch` with the same providers and flags and --resume continues it"
            )),
            _ => match resume_command(args, &r.secrets) {
                Some(cmd) => {
                    lines.push("to continue from it, run the same command with --resume:".into());
                    lines.push(format!("  {cmd}"));
                }
                None => lines.push("to continue from it, run the same command with --resume".into()),
            },
        }
        lines
    }
}

/// `hug: checkpoint kept in the cache after 3 pages (300 models)`.
fn checkpoint_line((provider, cp): &(String, Checkpoint)) -> String {
    sanitize(&format!(
        "{provider}: checkpoint kept in the cache after {} ({})",
        count(cp.pages, "page", "pages"),
        count(cp.models, "model", "models")
    ))
}

/// The command line `args` with `--resume` added (before a `--`, once),
/// quoted for a POSIX shell so that it can be pasted as printed. `None` when
/// it cannot be printed as it is: an argument that is not UTF-8 or holds a
/// control character, or one that holds a secret (a URL with user info, a
/// key of the run).
fn resume_command(args: &[OsString], secrets: &[Secret]) -> Option<String> {
    let mut words = Vec::with_capacity(args.len() + 1);
    for arg in args {
        let word = arg.to_str()?;
        if word.chars().any(char::is_control)
            || has_userinfo(word)
            || secrets.iter().any(|k| k.found_in(word))
        {
            return None;
        }
        words.push(word);
    }
    if words.is_empty() {
        return None;
    }
    let end = words.iter().position(|w| *w == "--").unwrap_or(words.len());
    if !words[1..end].contains(&"--resume") {
        words.insert(end, "--resume");
    }
    Some(words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" "))
}

/// Whether `text` holds a URL with user info (`https://user:secret@host`).
fn has_userinfo(text: &str) -> bool {
    text.match_indices("://").any(|(at, sep)| {
        let rest = &text[at + sep.len()..];
        let authority = rest
            .split(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .next()
            .unwrap_or("");
        authority.contains('@')
    })
}

/// `word` as a POSIX shell reads it back: as it is when it holds only
/// characters no shell treats specially, else in single quotes.
fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%^".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_resume_command_is_the_same_command_with_resume_added_once() {
        let none: &[Secret] = &[];
        assert_eq!(
            resume_command(&args(&["catalog", "fetch", "-p", "hug", "-o", "hf.json"]), none).as_deref(),
            Some("catalog fetch -p hug -o hf.json --resume")
        );
        assert_eq!(
            resume_command(&args(&["catalog", "fetch", "--resume", "-p", "hug"]), none).as_deref(),
            Some("catalog fetch --resume -p hug"),
            "not twice"
        );
        assert_eq!(
            resume_command(
                &args(&[
                    "./catalog",
                    "-v",
                    "fetch",
                    "--search",
                    "it's a model",
                    "-o",
                    "my file.json"
                ]),
                none
            )
            .as_deref(),
            Some(r"./catalog -v fetch --search 'it'\''s a model' -o 'my file.json' --resume")
        );
        assert_eq!(
            resume_command(&args(&["catalog", "fetch", "--search", "", "--", "x"]), none).as_deref(),
            Some("catalog fetch --search '' --resume -- x"),
            "before the end of the options"
        );
        assert_eq!(
            resume_command(&args(&["catalog", "fetch", "-o", "$(rm -rf ~)`x`;|&*?!"]), none).as_deref(),
            Some("catalog fetch -o '$(rm -rf ~)`x`;|&*?!' --resume")
        );
    }

    #[test]
    fn a_command_holding_a_secret_or_a_control_character_is_not_printed() {
        let none: &[Secret] = &[];
        assert_eq!(
            resume_command(
                &args(&["catalog", "fetch", "--config", "https://me:pw@example.com/c.toml"]),
                none
            ),
            None
        );
        assert_eq!(
            resume_command(&args(&["catalog", "fetch", "-o", "a\u{1b}[31m"]), none),
            None
        );
        let key = [Secret::new("hf_SENTINEL_0123".into())];
        assert_eq!(
            resume_command(
                &args(&["catalog", "fetch", "--search", "x hf_SENTINEL_0123"]),
                &key
            ),
            None
        );
        assert!(resume_command(&args(&["catalog", "fetch", "--search", "hf_other"]), &key).is_some());
        assert!(
            !has_userinfo("https://example.com/a@b"),
            "an @ in the path is no user info"
        );
        assert!(has_userinfo("--url=http://user@host:8080/"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt as _;
            let bad = vec![OsString::from("catalog"), OsString::from_vec(vec![0xff, b'x'])];
            assert_eq!(resume_command(&bad, none), None);
        }
    }
}
