//! Where excerpt suggestions come from: the entry's own full text when the feed carries it;
//! otherwise its article page, fetched politely (same client, limits and user agent as feeds)
//! once, cached in the database, and re-fetched conditionally after a day.

use chrono::Utc;
use url::Url;

use crate::links::HttpUrl;

use crate::config::Config;
use crate::excerpt::suggestions_from_text;
use crate::fetch::FetchRequest;
use crate::model::EntryDetail;
use crate::store::{PageRow, Store};

/// A cached page younger than this is used as it is.
const PAGE_FRESH_FOR: chrono::Duration = chrono::Duration::days(1);

/// The numbered excerpt suggestions of an entry (1 = the first paragraph).
pub(crate) fn suggestions(
    config: &Config,
    store: &mut Store,
    entry: &EntryDetail,
) -> anyhow::Result<Vec<String>> {
    if entry.content_html.is_some() {
        let own = suggestions_from_text(&entry.text);
        if !own.is_empty() {
            return Ok(own);
        }
    }
    // Only a summary: the article page has the text worth quoting.
    if let Some(url) = store.entry_link(entry.id)?
        && let Some(text) = article_text(config, store, &url)?
    {
        let from_page = suggestions_from_text(&text);
        if !from_page.is_empty() {
            return Ok(from_page);
        }
    }
    Ok(suggestions_from_text(&entry.text))
}

/// Quote fidelity: re-fetches each picked article and warns about any excerpt that no longer
/// appears in it (or that cannot be checked).
pub(crate) fn check_quotes(
    config: &Config,
    picks: &[crate::model::PickedItem],
) -> anyhow::Result<Vec<crate::render::Warning>> {
    let fetcher = super::fetcher(config)?;
    let rt = super::runtime()?;
    let mut warnings = Vec::new();
    for p in picks {
        let (Some(excerpt), Some(url)) = (p.excerpt.as_deref(), p.entry.url.as_deref()) else {
            continue;
        };
        let name = format!("item {} {:?}", p.position, p.entry.title.as_deref().unwrap_or(url));
        let Ok(parsed) = Url::parse(url) else { continue };
        let req = FetchRequest { url: parsed, etag: None, last_modified: None };
        let problem = match rt.block_on(fetcher.fetch(&req)) {
            Ok(f) if (200..300).contains(&f.status) => {
                let page = crate::html_text::html_to_text(&String::from_utf8_lossy(&f.body));
                (!crate::quotes::quote_appears(excerpt, &page))
                    .then(|| format!("the excerpt no longer appears in {url}"))
            }
            Ok(f) => Some(format!("cannot check the excerpt: {url} answered HTTP {}", f.status)),
            Err(e) => Some(format!("cannot check the excerpt: {url}: {e}")),
        };
        if let Some(problem) = problem {
            warnings.push(crate::render::Warning(format!("{name}: {problem}")));
        }
    }
    Ok(warnings)
}

/// The main text of the article at `url`, from the cache or the web. `None` when it cannot be
/// had (the reason is kept in the cache and printed).
fn article_text(config: &Config, store: &mut Store, url: &str) -> anyhow::Result<Option<String>> {
    Ok(article_page(config, store, url)?.and_then(|p| p.text))
}

/// The article page at `url` with what it says of itself, from the cache (younger than a day)
/// or fetched politely (conditionally when it was fetched before) and cached.
pub(crate) fn article_page(
    config: &Config,
    store: &mut Store,
    url: &str,
) -> anyhow::Result<Option<PageRow>> {
    let cached = store.page(url)?;
    let now = Utc::now();
    if let Some(p) = &cached
        && now - p.fetched_at < PAGE_FRESH_FOR
    {
        return Ok(cached);
    }
    let Ok(parsed) = HttpUrl::parse(url).map(HttpUrl::into_url) else { return Ok(None) };
    let fetcher = super::fetcher(config)?;
    let rt = super::runtime()?;
    let req = FetchRequest {
        url: parsed.clone(),
        etag: cached.as_ref().and_then(|p| p.etag.clone()),
        last_modified: cached.as_ref().and_then(|p| p.last_modified.clone()),
    };
    let failed = |final_url: Option<String>, status: Option<u16>, error: String| PageRow {
        url: url.to_string(),
        final_url,
        fetched_at: now,
        status,
        etag: None,
        last_modified: None,
        error: Some(error),
        // What was learnt before stays usable.
        ..cached.clone().unwrap_or_else(|| PageRow {
            url: url.to_string(),
            final_url: None,
            fetched_at: now,
            status: None,
            etag: None,
            last_modified: None,
            text: None,
            error: None,
            byline: None,
            site_name: None,
            canonical_url: None,
            published_time: None,
        })
    };
    let page = match rt.block_on(fetcher.fetch(&req)) {
        Ok(f) if f.status == 304 && cached.is_some() => {
            PageRow { fetched_at: now, ..cached.clone().expect("checked") }
        }
        Ok(f) if (200..300).contains(&f.status) => {
            let html = String::from_utf8_lossy(&f.body).into_owned();
            let article = crate::extract::extract(&html, Some(f.final_url.as_str()));
            let error = article.as_ref().err().map(ToString::to_string);
            let article = article.unwrap_or_default();
            PageRow {
                url: url.to_string(),
                final_url: Some(f.final_url.to_string()),
                fetched_at: now,
                status: Some(f.status),
                etag: f.etag,
                last_modified: f.last_modified,
                text: Some(article.text()),
                error,
                byline: article.byline,
                site_name: article.site_name,
                canonical_url: article.canonical_url,
                published_time: article.published_time,
            }
        }
        Ok(f) => {
            failed(Some(f.final_url.to_string()), Some(f.status), format!("HTTP {}", f.status))
        }
        Err(e) => failed(None, None, e.to_string()),
    };
    if let Some(e) = &page.error {
        eprintln!("roundup: could not fetch the article {url}: {e}; using the feed's own text");
    }
    store.save_page(&page)?;
    Ok(Some(page))
}
