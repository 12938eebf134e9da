//! `roundup publish`: freezes the week's roundup (status published, a snapshot of what is
//! published) and regenerates the whole public folder from every published snapshot (see
//! [`crate::publish`]). The templates are tried on the would-be public folder first, so a broken
//! template override stops the command before anything is frozen or written.

use anyhow::Context;
use chrono::Utc;

use super::week::resolve_week;
use super::{Exit, database_path, load_config, open_store};
use crate::atomic_write::Wrote;
use crate::cli::{Cli, PublishArgs};
use crate::config::Config;
use crate::lock::PublishLock;
use crate::publish::{self, Site};
use crate::render::Renderer;
use crate::store::Store;
use crate::store::published::{PublishError, PublishOutcome, Published, Snapshot};
use crate::timefmt::rfc3339;
use crate::week::IsoWeek;
use std::path::Path;

/// How long a publish waits for another one to finish before giving up and saying so.
const PUBLISH_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) fn publish(cli: &Cli, args: &PublishArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let week = resolve_week(&args.week, &config)?;
    let report =
        publish_week(&config, &database_path(cli, &config), week, || open_store(cli, &config))?;
    let dir = &config.roundup.public;
    for left in &report.removed {
        println!("roundup: removed {}, left by an interrupted publish", left.display());
    }
    let written = report.written;
    let outcome = report.outcome;
    let p = &outcome.published;
    let links = p.snapshot.items.len();
    if outcome.republished && !outcome.changed {
        println!(
            "roundup: re-published {week} {:?} ({links} link{}) unchanged: first published {}, updated {} (kept)",
            p.snapshot.title,
            if links == 1 { "" } else { "s" },
            rfc3339(p.published_at),
            rfc3339(p.updated_at)
        );
    } else if outcome.republished {
        println!(
            "roundup: re-published {week} {:?} ({links} link{}): first published {}, updated {}",
            p.snapshot.title,
            if links == 1 { "" } else { "s" },
            rfc3339(p.published_at),
            rfc3339(p.updated_at)
        );
    } else {
        println!(
            "roundup: published {week} {:?} ({links} link{}) at {}",
            p.snapshot.title,
            if links == 1 { "" } else { "s" },
            rfc3339(p.published_at)
        );
    }
    println!("roundup: public folder {}", dir.display());
    let mut changed = 0;
    for (path, wrote) in &written {
        let what = match wrote {
            Wrote::Written => {
                changed += 1;
                "wrote"
            }
            Wrote::Unchanged => "unchanged",
        };
        println!("  {what:<9} {path}");
    }
    println!(
        "roundup: {changed} file{} written, {} unchanged",
        if changed == 1 { "" } else { "s" },
        written.len() - changed
    );
    Ok(Exit::Ok)
}

/// What a publish did: the week's outcome, leftovers removed, and each public file.
pub(crate) struct PublishReport {
    pub(crate) outcome: PublishOutcome,
    /// Files an interrupted publish had left, now removed.
    pub(crate) removed: Vec<std::path::PathBuf>,
    /// Each public file, and whether it was written or left unchanged.
    pub(crate) written: Vec<(String, Wrote)>,
}

/// Publishes `week` of the database at `db` (opened by `open` once the publish lock is held):
/// the code behind `roundup publish` and the desk's publish button. Prints nothing.
pub(crate) fn publish_week(
    config: &Config,
    db: &Path,
    week: IsoWeek,
    open: impl FnOnce() -> anyhow::Result<Store>,
) -> anyhow::Result<PublishReport> {
    // One publish at a time: a second one would build the public folder from the snapshots it
    // saw and could overwrite the first's (issue 10, item 4).
    let _lock = PublishLock::acquire(db, PUBLISH_WAIT)?;
    let mut store = open()?;
    let site = Site {
        title: config.roundup.site_name.clone(),
        description: config.roundup.description.clone(),
        language: config.roundup.language.clone(),
        author: config.roundup.author.clone(),
        base_url: config.roundup.base_url.clone(),
        feed_entries: config.roundup.feed_entries,
    };
    let renderer = Renderer::new(&config.roundup.templates)?;
    let now = Utc::now();

    // Try the templates on what the folder would hold before freezing anything.
    let Some(roundup) = store.find_roundup(week)? else {
        return Err(PublishError::NoPicks(week).into());
    };
    let picks = store.picks(week)?;
    if picks.is_empty() {
        return Err(PublishError::NoPicks(week).into());
    }
    let mut preview: Vec<Published> =
        store.published()?.into_iter().filter(|p| p.week != week).collect();
    preview.push(Published {
        week,
        published_at: now,
        updated_at: now,
        snapshot: Snapshot::of(&roundup, &picks),
    });
    publish::build(&site, &preview, &renderer)
        .context("cannot render the public folder; nothing was published")?;

    let outcome = store.publish(week, now)?;
    let files = publish::build(&site, &store.published()?, &renderer)?;
    let dir = &config.roundup.public;
    let removed = crate::atomic_write::remove_leftovers(dir)
        .with_context(|| format!("cannot clean the public folder {}", dir.display()))?;
    let written = publish::write_all(dir, &files)
        .with_context(|| format!("cannot write the public folder {}", dir.display()))?;
    Ok(PublishReport { outcome, removed, written })
}
