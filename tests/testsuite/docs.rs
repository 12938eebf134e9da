//! The README against the binary, so that they cannot drift apart (issue 9 item 12): the
//! command table names every subcommand and every one of its flags, and nothing the binary
//! lacks; the sample draft is the one the draft tests render.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::support::{BIN, fixture, run_command};

/// Options every subcommand takes, documented once below the table.
const GLOBAL: &[&str] = &["--config", "--db", "--help", "-h", "--version", "-V"];

fn readme() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `roundup ARGS --help`'s stdout.
fn help(args: &[&str]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--help");
    let run = run_command(cmd);
    run.success();
    run.stdout
}

/// The lines of a help text's `NAME:` section (up to the next blank line).
fn section<'a>(help: &'a str, name: &str) -> Vec<&'a str> {
    help.lines().skip_while(|l| *l != name).skip(1).take_while(|l| !l.trim().is_empty()).collect()
}

/// One option of a command: its long name and its short one, if any.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Flag {
    long: String,
    short: Option<String>,
}

/// Each command of the binary (`fetch`, `feeds list`, …) with its own options, found by
/// walking `--help`.
fn binary_commands() -> BTreeMap<String, BTreeSet<Flag>> {
    fn walk(path: Vec<&str>, out: &mut BTreeMap<String, BTreeSet<Flag>>) {
        let text = help(&path);
        let subcommands: Vec<&str> = section(&text, "Commands:")
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|c| *c != "help")
            .collect();
        if !path.is_empty() && subcommands.is_empty() {
            let flags = section(&text, "Options:")
                .iter()
                .filter_map(|l| {
                    let words: Vec<&str> =
                        l.split_whitespace().take(2).map(|w| w.trim_end_matches(',')).collect();
                    match words[..] {
                        [short, long, ..] if !short.starts_with("--") && long.starts_with("--") => {
                            Some(Flag { long: long.into(), short: Some(short.into()) })
                        }
                        [long, ..] if long.starts_with("--") => {
                            Some(Flag { long: long.into(), short: None })
                        }
                        _ => None,
                    }
                })
                .filter(|f| !GLOBAL.contains(&f.long.as_str()))
                .collect();
            out.insert(path.join(" "), flags);
        }
        for sub in subcommands {
            let mut deeper = path.clone();
            deeper.push(sub);
            walk(deeper, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(Vec::new(), &mut out);
    out
}

/// Each `roundup …` command in the README's command table with the flags written beside it.
fn readme_table(readme: &str) -> BTreeMap<String, BTreeSet<String>> {
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| command |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() > 10, "README.md has no command table (`| command | what it does |`)");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in table {
        // The first cell's code spans, e.g. `roundup feeds add URL [--id ID] [--name NAME]`.
        for span in row.split('`').skip(1).step_by(2) {
            let Some(rest) = span.strip_prefix("roundup ") else { continue };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let name: Vec<&str> = words
                .iter()
                .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
                .copied()
                .collect();
            let flags = words
                .iter()
                .flat_map(|w| w.split(['[', ']', '|', '\\', '=']))
                .filter(|w| w.starts_with('-') && w.len() > 1)
                .map(str::to_string);
            out.entry(name.join(" ")).or_default().extend(flags);
        }
    }
    out
}

#[test]
fn the_readme_command_table_names_every_subcommand_and_flag_and_nothing_else() {
    let readme = readme();
    let binary = binary_commands();
    let table = readme_table(&readme);
    let mut wrong = Vec::new();
    for (command, flags) in &binary {
        let Some(documented) = table.get(command) else {
            wrong.push(format!("`roundup {command}` is not in the README's command table"));
            continue;
        };
        for flag in flags {
            // Either name will do (`-o FILE` for `--output`).
            if !documented.contains(&flag.long)
                && !flag.short.as_ref().is_some_and(|s| documented.contains(s))
            {
                wrong.push(format!(
                    "`roundup {command} {}` is not in the README's table",
                    flag.long
                ));
            }
        }
    }
    for (command, flags) in &table {
        let Some(real) = binary.get(command) else {
            wrong.push(format!("the README's table has `roundup {command}`, which does not exist"));
            continue;
        };
        for flag in flags {
            if !real.iter().any(|f| f.long == *flag || f.short.as_ref() == Some(flag)) {
                wrong.push(format!(
                    "the README's table has `roundup {command} {flag}`, which does not exist"
                ));
            }
        }
    }
    for global in ["`--config FILE`", "`ROUNDUP_CONFIG`", "`--db FILE`", "`ROUNDUP_DB`"] {
        if !readme.contains(global) {
            wrong.push(format!("the README does not mention {global}"));
        }
    }
    assert!(wrong.is_empty(), "README.md and --help disagree:\n{}", wrong.join("\n"));
}

#[test]
fn the_readme_sample_draft_is_what_the_draft_tests_render() {
    let readme = readme();
    let sample: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != "```markdown")
        .skip(1)
        .take_while(|l| *l != "```")
        .collect();
    assert!(sample.len() > 5, "README.md has no ```markdown sample draft");
    // The scripted commands above it make this draft: the words they give it are in it.
    let script: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("roundup candidates"))
        .take_while(|l| *l != "```")
        .filter(|l| l.starts_with("roundup pick") || l.starts_with("roundup edit"))
        .collect();
    assert!(!script.is_empty(), "README.md has no scripted `roundup pick` / `roundup edit`");
    let sample_text = sample.join("\n");
    for line in script {
        for words in line.split('"').skip(1).step_by(2) {
            assert!(
                sample_text.contains(words),
                "README.md: `{line}` gives {words:?}, which its sample draft does not show"
            );
        }
    }
    let golden_path = fixture("draft/week48.md");
    let golden = std::fs::read_to_string(&golden_path).unwrap();
    // Every line of the sample, in order, is a line of the golden draft; `...` stands for
    // lines left out.
    let mut lines = golden.lines();
    for line in sample.iter().filter(|l| l.trim() != "...") {
        assert!(
            lines.any(|g| g == *line),
            "README.md's sample draft has {line:?}, which {} does not (in that order): \
             update the sample from it",
            golden_path.display()
        );
    }
}

/// The README's `## Security` section, up to the next `## ` heading.
fn security_section(readme: &str) -> String {
    let start = readme.find("\n## Security\n").expect("README.md has a `## Security` section");
    let body = &readme[start + 1..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 4);
    body[..end].to_string()
}

/// Names of every `#[test]` function in `src/` and `tests/testsuite/`.
fn test_names() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                let mut test_attribute_seen = false;
                for line in text.lines().map(str::trim) {
                    if line == "#[test]" || line.starts_with("#[tokio::test") {
                        test_attribute_seen = true;
                    } else if test_attribute_seen
                        && let Some(rest) =
                            line.strip_prefix("fn ").or_else(|| line.strip_prefix("async fn "))
                    {
                        out.insert(rest.split('(').next().unwrap_or("").to_string());
                        test_attribute_seen = false;
                    }
                }
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeSet::new();
    walk(&root.join("src"), &mut out);
    walk(&root.join("tests/testsuite"), &mut out);
    out
}

/// The Security section names the test that shows each promise (issue 10, item 9): every name
/// it cites is a test that exists, so the section cannot drift from the suite.
#[test]
fn every_test_the_security_section_cites_exists() {
    let section = security_section(&readme());
    let tests = test_names();
    let cited: BTreeSet<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            w.matches('_').count() >= 2
                && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    assert!(cited.len() >= 30, "the Security section cites only {} tests: {cited:?}", cited.len());
    let missing: Vec<&&str> = cited.iter().filter(|name| !tests.contains(**name)).collect();
    assert!(
        missing.is_empty(),
        "README.md's Security section cites tests that do not exist: {missing:?}"
    );
    assert!(tests.contains("every_test_the_security_section_cites_exists"));
}

/// Every image the README shows (`![words](path)`) is a PNG in the repository, and the desk's
/// picture is the browser test's screenshot (`desk_browser::README_SCREENSHOT`, refreshed by
/// `ROUNDUP_BLESS=1 cargo test --test testsuite desk_browser`).
#[test]
fn every_image_the_readme_shows_is_a_png_in_the_repository() {
    let readme = readme();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let images: Vec<&str> = readme
        .split("![")
        .skip(1)
        .filter_map(|rest| rest.split_once("](")?.1.split(')').next())
        .collect();
    for image in &images {
        assert!(!image.contains("://"), "the README shows an image from elsewhere: {image}");
        let path = root.join(image);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("README image {image}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "README image {image} is not a PNG");
    }
    let desk = crate::desk_browser::README_SCREENSHOT;
    if readme.contains("## The desk") {
        assert!(images.contains(&desk), "the README's desk section shows no {desk}: {images:?}");
    }
}
