//! `roundup feeds list|add|import|export`: the feed list, in the database and in feeds.toml.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use url::Url;

use super::{Exit, fetcher, load_config, runtime};
use crate::cli::{Cli, FeedsCommand};
use crate::config::{Config, FeedConfig};
use crate::fetch::FetchRequest;
use crate::model::FeedId;
use crate::store::FeedListing;

pub(crate) fn feeds(cli: &Cli, cmd: &FeedsCommand) -> anyhow::Result<Exit> {
    match cmd {
        FeedsCommand::List { json } => feeds_list(cli, *json),
        FeedsCommand::Add { url, id, name } => feeds_add(cli, url, id.as_deref(), name.as_deref()),
        FeedsCommand::Import { file } => feeds_import(cli, file),
        FeedsCommand::Export => {
            let config = load_config(cli)?;
            print!("{}", crate::opml::write(&config.feeds, "roundup feeds"));
            Ok(Exit::Ok)
        }
    }
}

fn feeds_list(cli: &Cli, json: bool) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let store = super::open_store_to_read(cli, &config)?;
    // Only the ids are needed from here on: a 100,000-feed file's URLs and names go before the
    // rows come (issue 11).
    let ids: Vec<FeedId> = config.feeds.iter().map(|f| f.id.clone()).collect();
    drop(config);
    // Each stored row goes straight to its place in the file's order: no scan per feed (that
    // was quadratic) and no second copy of the rows (issue 11).
    let position: HashMap<&str, usize> =
        ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut slots: Vec<Option<FeedListing>> = Vec::new();
    slots.resize_with(ids.len(), || None);
    store.each_feed_listing(|l| {
        if let Some(&i) = position.get(l.id.as_str()) {
            slots[i] = Some(l);
        }
    })?;
    let listing = || slots.iter().flatten();
    if json {
        super::print_json(&listing().collect::<Vec<_>>())?;
        return Ok(Exit::Ok);
    }
    print_table(
        [
            "ID".into(),
            "LAST FETCH".into(),
            "STATUS".into(),
            "ERRORS".into(),
            "NEXT DUE".into(),
            "ENTRIES".into(),
            "NOTES".into(),
        ],
        || listing().map(listing_cells),
    )?;
    Ok(Exit::Ok)
}

/// One line of `feeds list`'s table.
fn listing_cells(l: &FeedListing) -> [Cow<'_, str>; 7] {
    let mut notes = Vec::new();
    if l.gone {
        notes.push("GONE (410): polling stopped".to_string());
    }
    if let Some(d) = &l.discovered_url {
        notes.push(format!("feed found on page: {d}"));
    } else if let Some(m) = &l.moved_to {
        notes.push(format!("moved permanently to {m}"));
    }
    match &l.last_error {
        // A success that left something out (see `Store::record_polls`).
        Some(e) if l.error_count == 0 => notes.push(format!("last poll: {e}")),
        Some(e) => notes.push(format!("last error: {e}")),
        None => {}
    }
    [
        Cow::Borrowed(l.id.as_str()),
        l.last_fetch_at.as_deref().unwrap_or("never").into(),
        l.last_status.map_or("-".into(), |s| s.to_string().into()),
        l.error_count.to_string().into(),
        if l.gone { "never".into() } else { l.next_due_at.as_deref().unwrap_or("now").into() },
        l.entries.to_string().into(),
        notes.join("; ").into(),
    ]
}

/// Prints `header` and the `rows` (made twice: once for the column widths, once to print)
/// as aligned columns, a line at a time: a table of 100,000 feeds is never held whole.
fn print_table<'a, const N: usize, R: Iterator<Item = [Cow<'a, str>; N]>>(
    header: [Cow<'a, str>; N],
    rows: impl Fn() -> R,
) -> std::io::Result<()> {
    let mut widths = [0usize; N];
    for row in std::iter::once(header.clone()).chain(rows()) {
        for (w, cell) in widths.iter_mut().zip(&row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = String::new();
    for row in std::iter::once(header).chain(rows()) {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    out.flush()
}

/// Fetches `url`; when it is an HTML page, finds the feed it advertises. Gives the feed's URL
/// and title.
fn resolve_feed_url(config: &Config, url: &Url) -> anyhow::Result<(Url, Option<String>)> {
    let rt = runtime()?;
    let fetcher = fetcher(config)?;
    // The editor named this page: its own origin is trusted, what it advertises is not.
    fetcher.trust(url);
    rt.block_on(async {
        let first = fetcher
            .fetch(&FetchRequest { url: url.clone(), etag: None, last_modified: None })
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        if !(200..300).contains(&first.status) {
            bail!("{url} answered HTTP {}", first.status);
        }
        let base = first.moved_permanently_to.clone().unwrap_or_else(|| url.clone());
        match crate::parse::parse_feed(&first.body, Some(&first.final_url), first.charset().as_deref()) {
            Ok(feed) => Ok((base, feed.title)),
            Err(crate::parse::ParseError::Html) => {
                let html = String::from_utf8_lossy(&first.body).into_owned();
                let links = crate::discover::feed_links(&html, &first.final_url);
                let page_title = crate::discover::page_title(&html);
                let link = links.into_iter().next().ok_or_else(|| {
                    anyhow!("{url} is an HTML page that advertises no feed (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)")
                })?;
                let second = fetcher
                    .fetch(&FetchRequest { url: link.url.clone(), etag: None, last_modified: None })
                    .await
                    .with_context(|| format!("{url} advertises {}, which cannot be fetched", link.url))?;
                let feed = crate::parse::parse_feed(&second.body, Some(&second.final_url), second.charset().as_deref())
                    .with_context(|| format!("{url} advertises {}, which is not a readable feed", link.url))?;
                let found = second.moved_permanently_to.unwrap_or(link.url);
                Ok((found, feed.title.or(link.title).or(page_title)))
            }
            Err(e) => Err(anyhow!(e).context(format!("{url} is not a feed"))),
        }
    })
}

fn feeds_add(cli: &Cli, url: &str, id: Option<&str>, name: Option<&str>) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let url = crate::config::parse_feed_url(url).map_err(|m| anyhow!(m))?;
    let (feed_url, title) = resolve_feed_url(&config, &url)?;
    if let Some(existing) = config.feeds.iter().find(|f| f.url == feed_url || f.url == url) {
        bail!("{} is already in {} as {:?}", feed_url, config.path.display(), existing.id);
    }
    let taken: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    let id = match id {
        Some(id) => {
            crate::config::check_slug(id).map_err(|m| anyhow!(m))?;
            if taken.contains(&id) {
                bail!("id {id:?} is already used in {}", config.path.display());
            }
            id.to_string()
        }
        None => crate::feeds_file::unique_slug(title.as_deref().unwrap_or(""), &feed_url, &taken),
    };
    let name = name.map(str::to_string).or(title);
    let feed = FeedConfig {
        id: id.clone().into(),
        url: feed_url.clone(),
        name,
        tags: vec![],
        interval: None,
    };
    crate::feeds_file::append_feeds(&config.path, std::slice::from_ref(&feed))?;
    if feed_url != url {
        println!("roundup: {url} is a page; its feed is {feed_url}");
    }
    println!("roundup: added {id:?} ({feed_url}) to {}", config.path.display());
    Ok(Exit::Ok)
}

fn feeds_import(cli: &Cli, file: &Path) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let outlines = crate::opml::read(&text)
        .with_context(|| format!("{} is not usable OPML", file.display()))?;
    let mut taken: Vec<String> = config.feeds.iter().map(|f| f.id.to_string()).collect();
    let mut added = Vec::new();
    let mut skipped = 0;
    let mut known_urls: HashSet<String> =
        config.feeds.iter().map(|f| f.url.as_str().to_string()).collect();
    for o in outlines {
        let Ok(url) = crate::config::parse_feed_url(&o.xml_url) else {
            eprintln!(
                "roundup: {}: skipping outline with unusable xmlUrl {:?}",
                file.display(),
                o.xml_url
            );
            skipped += 1;
            continue;
        };
        if !known_urls.insert(url.as_str().to_string()) {
            skipped += 1;
            continue;
        }
        let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
        let id = crate::feeds_file::unique_slug(o.title.as_deref().unwrap_or(""), &url, &refs);
        taken.push(id.clone());
        added.push(FeedConfig { id: id.into(), url, name: o.title, tags: o.tags, interval: None });
    }
    if !added.is_empty() {
        crate::feeds_file::append_feeds(&config.path, &added)?;
    }
    println!(
        "roundup: imported {} feed{} into {} ({skipped} already there or unusable)",
        added.len(),
        if added.len() == 1 { "" } else { "s" },
        config.path.display()
    );
    Ok(Exit::Ok)
}
