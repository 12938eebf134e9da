//! The editor's commands: candidates, pick / unpick / skip, picks, excerpts, edit, draft, and the
//! interactive `week`. Wires the store, the excerpt source and the renderer together.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;

use super::{Exit, Web, load_config, open_store};
use crate::articles::WithWarnings;
use crate::cli::{
    CandidatesArgs, Cli, DraftArgs, DraftFormat, EditArgs, EntryArgs, ExcerptsArgs, PickArgs,
    PicksArgs, WeekArg, WeekArgs,
};
use crate::config::Config;
use crate::model::{PickChange, RoundupEdit, RoundupStatus, comma_list};
use crate::render::{self, Format, Renderer};
use crate::store::Store;
use crate::week::IsoWeek;

/// The week a command is about: `--week`, else the current week in the configured time zone.
pub(crate) fn resolve_week(arg: &WeekArg, config: &Config) -> anyhow::Result<IsoWeek> {
    match &arg.week {
        Some(w) => IsoWeek::parse(w).map_err(|m| anyhow!("--week: {m}")),
        None => Ok(IsoWeek::containing(Utc::now(), config.settings.timezone)),
    }
}

pub(crate) fn candidates(cli: &Cli, args: &CandidatesArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let store = super::open_store_to_read(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    let span = week.span(config.settings.timezone, config.roundup.late_horizon);
    let list = store.candidates(&span, args.all)?;
    if args.json {
        super::print_json(&list)?;
        return Ok(Exit::Ok);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{week}: {} candidates", list.len())?;
    for c in &list {
        let mark = match c.triage {
            crate::model::Triage::New => " ",
            crate::model::Triage::Picked => "*",
            crate::model::Triage::Skipped => "-",
        };
        writeln!(
            out,
            "{mark}{:>6}  {}  {:<20}  {}{}{}",
            c.id,
            c.published.format("%Y-%m-%d"),
            truncate(&c.outlet, 20),
            c.title.as_deref().unwrap_or("(untitled)"),
            c.author.as_deref().map(|a| format!(" — {a}")).unwrap_or_default(),
            if c.late { "  (arrived late)" } else { "" }
        )?;
    }
    Ok(Exit::Ok)
}

/// Readers see a published week as it was published: a change is a correction that reaches them
/// with the next `publish`. Says so.
fn remind_if_published(store: &Store, week: IsoWeek) -> anyhow::Result<()> {
    if store.find_roundup(week)?.is_some_and(|r| r.status == RoundupStatus::Published) {
        println!(
            "roundup: {week} is published; readers see this correction after `roundup publish --week {week}`"
        );
    }
    Ok(())
}

/// What was found, after printing what went wrong on the way as warnings.
fn warned<T>(found: WithWarnings<T>) -> T {
    for w in &found.warnings {
        eprintln!("roundup: {w}");
    }
    found.value
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

pub(crate) fn pick(cli: &Cli, args: &PickArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    let web = Web::new(&config)?;
    let excerpt = match &args.excerpt_para {
        Some(paras) => {
            let entry =
                store.entry(args.entry)?.ok_or(crate::store::PickError::NoEntry(args.entry))?;
            let suggestions = warned(web.articles().suggestions(&mut store, &entry, Utc::now())?);
            let quote = paras.quote(&suggestions).map_err(|n| {
                let of = if paras.numbers().len() > 1 { format!(" (paragraph {n})") } else { String::new() };
                anyhow!(
                    "--excerpt-para {paras}{of}: entry {} has {} excerpt suggestions (see `roundup excerpts {}`)",
                    args.entry,
                    suggestions.len(),
                    args.entry
                )
            })?;
            Some(quote)
        }
        None => args.excerpt.clone(),
    };
    let change = PickChange {
        excerpt,
        lead: args.lead.clone(),
        note: args.note.clone(),
        section: args.section.clone(),
        position: args.position,
        expected_revision: None,
    };
    let picked = store.pick(week, &config.roundup.title, args.entry, &change, Utc::now())?;
    println!(
        "roundup: picked {} into {week} at position {}: {}",
        args.entry,
        picked.position,
        picked.entry.title.as_deref().unwrap_or("(untitled)")
    );
    // Attribution: a feed that names no author may be named by the article page's byline.
    if picked.entry.author.is_none()
        && let Some(link) = store.entry_link(args.entry)?
        && let Some(page) = warned(web.articles().page(&mut store, &link, Utc::now())?)
        && let Some(byline) = page.byline
    {
        println!("roundup: the feed names no author; the article page says {byline:?}");
    }
    remind_if_published(&store, week)?;
    Ok(Exit::Ok)
}

pub(crate) fn unpick(cli: &Cli, args: &EntryArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    store.unpick(week, args.entry, Utc::now())?;
    println!("roundup: took {} out of {week}", args.entry);
    remind_if_published(&store, week)?;
    Ok(Exit::Ok)
}

pub(crate) fn skip(cli: &Cli, args: &EntryArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    store.skip(week, args.entry, Utc::now())?;
    println!("roundup: skipped {} (not shown as a candidate again)", args.entry);
    Ok(Exit::Ok)
}

pub(crate) fn picks(cli: &Cli, args: &PicksArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let store = super::open_store_to_read(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    let picks = store.picks(week)?;
    if args.json {
        super::print_json(&picks)?;
        return Ok(Exit::Ok);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{week}: {} picks", picks.len())?;
    for p in &picks {
        writeln!(
            out,
            "{:>3}. {:>6}  {}{}: {}",
            p.position,
            p.entry.id,
            p.section.as_deref().map(|s| format!("[{s}] ")).unwrap_or_default(),
            p.entry.outlet,
            p.entry.title.as_deref().unwrap_or("(untitled)")
        )?;
    }
    Ok(Exit::Ok)
}

pub(crate) fn excerpts(cli: &Cli, args: &ExcerptsArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let entry = store.entry(args.entry)?.ok_or(crate::store::PickError::NoEntry(args.entry))?;
    let web = Web::new(&config)?;
    let suggestions = warned(web.articles().suggestions(&mut store, &entry, Utc::now())?);
    if args.json {
        let numbered: Vec<serde_json::Value> = suggestions
            .iter()
            .enumerate()
            .map(|(i, p)| serde_json::json!({"n": i + 1, "text": p, "words": p.split_whitespace().count()}))
            .collect();
        super::print_json(&numbered)?;
        return Ok(Exit::Ok);
    }
    if suggestions.is_empty() {
        println!(
            "roundup: entry {} has no text to quote; write an excerpt with --excerpt",
            args.entry
        );
    }
    for (i, p) in suggestions.iter().enumerate() {
        println!("[{}] {p}\n", i + 1);
    }
    Ok(Exit::Ok)
}

pub(crate) fn edit(cli: &Cli, args: &EditArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let week = resolve_week(&args.week, &config)?;
    let edit = RoundupEdit {
        title: args.title.clone(),
        intro: args.intro.clone(),
        outro: args.outro.clone(),
        tags: args.tags.as_deref().map(comma_list),
        categories: args.categories.as_deref().map(comma_list),
        expected_revision: None,
    };
    if edit.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        bail!("--title must not be empty");
    }
    let r = store.edit_roundup(week, &config.roundup.title, &edit, Utc::now())?;
    println!("roundup: {week}: {:?}", r.title);
    remind_if_published(&store, week)?;
    Ok(Exit::Ok)
}

/// A week's draft, rendered and linted but not yet written.
pub(crate) struct Draft {
    /// The draft's text.
    pub(crate) text: String,
    /// What an editor should fix before publishing, and links the draft had to drop.
    pub(crate) warnings: Vec<render::Warning>,
}

/// Renders the draft of `week` in `format` and lints it; writes nothing.
pub(crate) fn render_draft(
    config: &Config,
    store: &mut Store,
    week: IsoWeek,
    format: Format,
) -> anyhow::Result<Draft> {
    let roundup = if store.is_read_only() {
        // Nothing can be started in a read-only database: a week never started drafts as a
        // fresh one would.
        store.find_roundup(week)?.unwrap_or_else(|| crate::model::Roundup {
            id: 0,
            week,
            title: config.roundup.title.clone(),
            intro: None,
            outro: None,
            tags: vec![],
            categories: vec![],
            status: crate::model::RoundupStatus::Draft,
            published_at: None,
        })
    } else {
        store.roundup(week, &config.roundup.title, Utc::now())?
    };
    let items = store.picks(week)?;
    let featured: Vec<(String, String)> = store
        .recently_featured(week, 10)?
        .into_iter()
        .map(|(w, link)| (w.to_string(), link))
        .collect();
    let renderer = Renderer::new(&config.roundup.templates)?;
    let rendered = renderer.render(&roundup, &items, format)?;
    let mut warnings = render::lint(
        &roundup,
        &items,
        &featured,
        &render::LintLimits {
            max_words: config.roundup.excerpt_max_words,
            max_share: config.roundup.excerpt_max_share,
        },
    );
    warnings.extend(rendered.warnings);
    Ok(Draft { text: rendered.text, warnings })
}

/// Writes `draft` to `output` (or the drafts folder, named by the week; `-` is stdout); returns
/// the path written (None for stdout).
pub(crate) fn write_draft(
    config: &Config,
    draft: &Draft,
    week: IsoWeek,
    format: Format,
    output: Option<&std::path::Path>,
) -> anyhow::Result<Option<PathBuf>> {
    let path = match output {
        Some(p) if p.as_os_str() == "-" => {
            std::io::stdout().write_all(draft.text.as_bytes())?;
            return Ok(None);
        }
        Some(p) => p.to_path_buf(),
        None => config.roundup.drafts.join(format!("{week}.{}", format.extension())),
    };
    crate::atomic_write::write_output(&path, draft.text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// `roundup draft`. With `--strict`, every check runs first (the lint and, when asked, the
/// quotes), and a failing one is an error: nothing is written, so a draft on disk always passed
/// the checks it was drafted with (issue 9, item 8).
pub(crate) fn draft(cli: &Cli, args: &DraftArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    // To stdout, a draft only reads; to a file, it starts the week's roundup if need be.
    let to_stdout = args.output.as_deref().is_some_and(|o| o.as_os_str() == "-");
    let mut store = if to_stdout {
        super::open_store_to_read(cli, &config)?
    } else {
        open_store(cli, &config)?
    };
    let week = resolve_week(&args.week, &config)?;
    let format = match args.format {
        DraftFormat::Markdown => Format::Markdown,
        DraftFormat::Html => Format::Html,
    };
    let mut draft = render_draft(&config, &mut store, week, format)?;
    if args.check_quotes {
        draft.warnings.extend(Web::new(&config)?.articles().check_quotes(&store.picks(week)?));
    }
    if args.strict && !draft.warnings.is_empty() {
        for w in &draft.warnings {
            eprintln!("roundup: error: {w}");
        }
        let n = draft.warnings.len();
        eprintln!(
            "roundup: error: --strict: no draft written ({n} {} to fix)",
            if n == 1 { "problem" } else { "problems" }
        );
        return Ok(Exit::SomeFailed);
    }
    for w in &draft.warnings {
        eprintln!("roundup: warning: {w}");
    }
    if let Some(path) = write_draft(&config, &draft, week, format, args.output.as_deref())? {
        println!("{}", path.display());
    }
    Ok(Exit::Ok)
}

pub(crate) fn week(cli: &Cli, args: &WeekArgs) -> anyhow::Result<Exit> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!(
            "roundup: `roundup week` is interactive and needs a terminal.\n\
             Without one, use the scriptable commands: `roundup fetch`, `roundup candidates`,\n\
             `roundup pick ENTRY [--excerpt-para N] [--lead TEXT] [--note TEXT]`, `roundup skip ENTRY`,\n\
             `roundup edit --intro TEXT` and `roundup draft`."
        );
        return Ok(Exit::Fatal);
    }
    let config = load_config(cli)?;
    let week = resolve_week(&args.week, &config)?;
    // The week's exit code follows its fetch's: 1 when feeds failed (or the fetch could not
    // run), so a script sees that the list may be incomplete (issue 9, item 3).
    let mut exit = Exit::Ok;
    let mut failing = None;
    if !args.no_fetch {
        // A failed fetch (another run holds the lock, the network is down) should not keep the
        // editor from the entries already stored.
        let fetch_args = crate::cli::FetchArgs { force: args.force, feed: None, quiet: false };
        match super::poll::fetch_run(cli, &fetch_args) {
            Ok(fetched) => {
                exit = fetched.exit;
                failing = fetched.failing;
            }
            Err(e) => {
                eprintln!(
                    "roundup: warning: could not fetch first ({}); showing what is stored",
                    crate::error_chain::one_line(e.as_ref())
                );
                exit = Exit::SomeFailed;
            }
        }
    }
    let mut store = open_store(cli, &config)?;
    if args.no_fetch {
        failing = super::poll::Failing::stored(&store.feed_states()?, &config);
    }
    let web = Web::new(&config)?;
    let articles = web.articles();
    let notice = failing.map(|f| f.to_string());
    crate::picker::run_with(&config, &mut store, week, notice, &mut |store, entry| {
        let found = articles.suggestions(store, entry, Utc::now())?;
        Ok(crate::picker::Suggested { paragraphs: found.value, warnings: found.warnings })
    })?;
    if store.picks(week)?.is_empty() {
        println!("roundup: no picks for {week}, so no draft written");
        return Ok(exit);
    }
    let draft = render_draft(&config, &mut store, week, Format::Markdown)?;
    for w in &draft.warnings {
        eprintln!("roundup: warning: {w}");
    }
    if let Some(path) = write_draft(&config, &draft, week, Format::Markdown, None)? {
        println!("roundup: draft written to {}", path.display());
    }
    Ok(exit)
}
