//! `roundup entries` (stored entries, filtered) and `roundup parse` (one feed document, offline).

use std::io::Write;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use url::Url;

use super::{Exit, load_config};
use crate::cli::{Cli, EntriesArgs, ParseArgs, PruneArgs};
use crate::store::EntryFilter;
use crate::timefmt::parse_duration;
use crate::week::IsoWeek;

pub(crate) fn entries(cli: &Cli, args: &EntriesArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = super::open_store_to_read(cli, &config)?;
    let mut filter = EntryFilter {
        feed: args.feed.clone(),
        search: args.search.clone(),
        limit: args.limit,
        ..Default::default()
    };
    if let Some(since) = &args.since {
        let d = parse_duration(since).map_err(|m| anyhow!("--since: {m}"))?;
        filter.since =
            Some(Utc::now() - chrono::Duration::from_std(d).context("--since is too long")?);
    }
    if let Some(week) = &args.week {
        let w = IsoWeek::parse(week).map_err(|m| anyhow!("--week: {m}"))?;
        filter.week = Some(w.span(config.settings.timezone, config.roundup.late_horizon));
    }
    if let Some(feed) = &args.feed
        && !config.feeds.iter().any(|f| f.id == feed.as_str())
    {
        bail!("no feed with id {feed:?} in {}", config.path.display());
    }
    let rows = store.entries(&filter)?;
    if args.json {
        super::print_json(&rows)?;
        return Ok(Exit::Ok);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:>6}  {}  {:<16}  {}{}",
            r.id,
            r.published.format("%Y-%m-%d"),
            r.feed,
            r.title.as_deref().unwrap_or("(untitled)"),
            r.author.as_deref().map(|a| format!(" — {a}")).unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

/// `roundup prune`: removes old entries no roundup holds, then compacts the database.
pub(crate) fn prune(cli: &Cli, args: &PruneArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let d = parse_duration(&args.older_than).map_err(|m| anyhow!("--older-than: {m}"))?;
    let cutoff = Utc::now() - chrono::Duration::from_std(d).context("--older-than is too long")?;
    let mut store = super::open_store(cli, &config)?;
    let size = |s: &crate::store::Store| s.file_bytes();
    let before = size(&store)?;
    let report = store.prune(cutoff, args.dry_run)?;
    let when = crate::timefmt::rfc3339(cutoff);
    if args.dry_run {
        println!(
            "roundup: would remove {} entries dated before {when} ({} kept: picked into a roundup); nothing removed (--dry-run)",
            report.removed, report.kept_picked
        );
        return Ok(Exit::Ok);
    }
    let after = size(&store)?;
    println!(
        "roundup: removed {} entries dated before {when} ({} kept: picked into a roundup); database {} → {}",
        report.removed,
        report.kept_picked,
        megabytes(before),
        megabytes(after)
    );
    Ok(Exit::Ok)
}

fn megabytes(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let mb = bytes as f64 / 1e6;
    format!("{mb:.1} MB")
}

pub(crate) fn parse_file(args: &ParseArgs) -> anyhow::Result<Exit> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let base = match &args.base {
        Some(b) => {
            Some(Url::parse(b).with_context(|| format!("--base {b:?} is not an absolute URL"))?)
        }
        None => None,
    };
    let feed = crate::parse::parse_feed(&bytes, base.as_ref(), None)
        .with_context(|| format!("{} is not a readable feed", args.file.display()))?;
    let report = crate::parse::ParseReport::new(&feed);
    if feed.entries_dropped > 0 {
        eprintln!(
            "roundup: {}: {}",
            args.file.display(),
            crate::parse::dropped_note(feed.entries_dropped)
        );
    }
    if args.json {
        super::print_json(&report)?;
        return Ok(Exit::Ok);
    }
    println!("{}", report.feed.title.as_deref().unwrap_or("(untitled feed)"));
    if let Some(link) = &report.feed.link {
        println!("{link}");
    }
    println!("{} entries", report.entries.len());
    for e in &report.entries {
        println!(
            "  {}  {}  {}",
            e.published.as_deref().or(e.updated.as_deref()).unwrap_or("(undated)           "),
            e.title.as_deref().unwrap_or("(untitled)"),
            e.link.as_deref().unwrap_or("")
        );
    }
    Ok(Exit::Ok)
}
