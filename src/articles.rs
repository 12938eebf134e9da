//! Article pages: where an entry's quotable text comes from when its feed carries only a
//! summary, and what the page says of itself (byline, site name, canonical URL).
//!
//! Owns the policy: a page is fetched once with the feeds' own client (user agent, timeouts,
//! body cap), kept in the store, used as it is while younger than [`PAGE_FRESH_FOR`], then
//! re-fetched conditionally (ETag / Last-Modified); a failed fetch keeps what was learnt
//! before. Also quote fidelity (does a picked excerpt still appear on its page?).
//!
//! Does not own: the HTTP client and the async runtime (borrowed from `app`, made once per
//! command), the cache table (`store::pages`), extraction (`extract`). Never prints: what went
//! wrong on the way comes back as warnings, for the CLI to print and the picker to show.
//!
//! ```text
//! entry ──► own full text? ──► suggestions
//!       └─► link ──► cache fresh? ──► page ──► suggestions (else the entry's own text)
//!                    └─► fetch (conditional) ──► extract ──► cache
//! ```

use chrono::{DateTime, Utc};
use tokio::runtime::Runtime;

use crate::excerpt::suggestions_from_text;
use crate::fetch::{FetchRequest, Fetched, Fetcher};
use crate::links::HttpUrl;
use crate::model::{EntryDetail, PickedItem};
use crate::render::Warning;
use crate::store::{PageRow, Store, StoreError};

/// A cached page younger than this is used as it is.
pub(crate) const PAGE_FRESH_FOR: chrono::Duration = chrono::Duration::days(1);

/// A result, and what went wrong on the way to it (each a sentence for the editor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WithWarnings<T> {
    /// What was found.
    pub value: T,
    /// Why it is less than it could be (an article page that could not be fetched ...).
    pub warnings: Vec<String>,
}

/// Article pages, fetched with a borrowed client on a borrowed runtime.
pub(crate) struct ArticlePages<'a> {
    fetcher: &'a Fetcher,
    runtime: tokio::runtime::Handle,
}

impl<'a> ArticlePages<'a> {
    /// Pages fetched with `fetcher` (the feeds' client) on `runtime`.
    pub(crate) fn new(fetcher: &'a Fetcher, runtime: &'a Runtime) -> Self {
        ArticlePages { fetcher, runtime: runtime.handle().clone() }
    }

    /// Pages fetched with `fetcher` on the runtime of `handle`, from a thread outside it (the
    /// desk's blocking pool).
    pub(crate) fn with_handle(fetcher: &'a Fetcher, handle: tokio::runtime::Handle) -> Self {
        ArticlePages { fetcher, runtime: handle }
    }

    /// The numbered excerpt suggestions of an entry (1 = the first paragraph): its own full
    /// text when the feed carries it, else its article page's, else its summary's.
    pub(crate) fn suggestions(
        &self,
        store: &mut Store,
        entry: &EntryDetail,
        now: DateTime<Utc>,
    ) -> Result<WithWarnings<Vec<String>>, StoreError> {
        let mut warnings = Vec::new();
        if entry.content_html.is_some() {
            let own = suggestions_from_text(&entry.text);
            if !own.is_empty() {
                return Ok(WithWarnings { value: own, warnings });
            }
        }
        // Only a summary: the article page has the text worth quoting.
        if let Some(url) = store.entry_link(entry.id)? {
            let page = self.page(store, &url, now)?;
            warnings = page.warnings;
            if let Some(text) = page.value.and_then(|p| p.text) {
                let from_page = suggestions_from_text(&text);
                if !from_page.is_empty() {
                    return Ok(WithWarnings { value: from_page, warnings });
                }
            }
        }
        Ok(WithWarnings { value: suggestions_from_text(&entry.text), warnings })
    }

    /// The article page at `url` with what it says of itself, from the cache (younger than
    /// [`PAGE_FRESH_FOR`]) or fetched (conditionally when it was fetched before) and cached.
    /// `None` for a link that is no http(s) URL.
    pub(crate) fn page(
        &self,
        store: &mut Store,
        url: &str,
        now: DateTime<Utc>,
    ) -> Result<WithWarnings<Option<PageRow>>, StoreError> {
        let cached = store.page(url)?;
        if let Some(p) = &cached
            && is_fresh(p, now)
        {
            return Ok(WithWarnings { value: cached, warnings: Vec::new() });
        }
        let Ok(parsed) = HttpUrl::parse(url) else {
            return Ok(WithWarnings { value: None, warnings: Vec::new() });
        };
        let req = FetchRequest {
            url: parsed.into_url(),
            etag: cached.as_ref().and_then(|p| p.etag.clone()),
            last_modified: cached.as_ref().and_then(|p| p.last_modified.clone()),
        };
        let answer = self.runtime.block_on(self.fetcher.fetch(&req)).map_err(|e| e.to_string());
        let page = page_after_fetch(url, cached, answer, now);
        let warnings = page
            .error
            .iter()
            .map(|e| format!("could not fetch the article {url}: {e}; using the feed's own text"))
            .collect();
        store.save_page(&page)?;
        Ok(WithWarnings { value: Some(page), warnings })
    }

    /// Quote fidelity: re-fetches each picked article (never from the cache) and warns about
    /// any excerpt that no longer appears in it, or that cannot be checked.
    pub(crate) fn check_quotes(&self, picks: &[PickedItem]) -> Vec<Warning> {
        let mut warnings = Vec::new();
        for p in picks {
            let (Some(excerpt), Some(url)) = (p.excerpt.as_deref(), p.entry.url.as_deref()) else {
                continue;
            };
            let name = format!("item {} {:?}", p.position, p.entry.title.as_deref().unwrap_or(url));
            let Ok(parsed) = HttpUrl::parse(url) else { continue };
            let req = FetchRequest { url: parsed.into_url(), etag: None, last_modified: None };
            let problem = match self.runtime.block_on(self.fetcher.fetch(&req)) {
                Ok(f) if (200..300).contains(&f.status) => {
                    let page = crate::html_text::html_to_text(&String::from_utf8_lossy(&f.body));
                    (!crate::quotes::quote_appears(excerpt, &page))
                        .then(|| format!("the excerpt no longer appears in {url}"))
                }
                Ok(f) => {
                    Some(format!("cannot check the excerpt: {url} answered HTTP {}", f.status))
                }
                Err(e) => Some(format!("cannot check the excerpt: {url}: {e}")),
            };
            if let Some(problem) = problem {
                warnings.push(Warning(format!("{name}: {problem}")));
            }
        }
        warnings
    }
}

/// Whether a cached page is used as it is, without asking the site.
fn is_fresh(page: &PageRow, now: DateTime<Utc>) -> bool {
    now - page.fetched_at < PAGE_FRESH_FOR
}

/// The page to cache after asking for `url` (with the validators of `cached`, if any): the
/// new page; the cached one, confirmed, on 304; on a failure, what was learnt before with the
/// failure recorded.
fn page_after_fetch(
    url: &str,
    cached: Option<PageRow>,
    answer: Result<Fetched, String>,
    now: DateTime<Utc>,
) -> PageRow {
    let failed = |cached: Option<PageRow>, final_url: Option<String>, status, error| PageRow {
        url: url.to_string(),
        final_url,
        fetched_at: now,
        status,
        etag: None,
        last_modified: None,
        error: Some(error),
        // What was learnt before stays usable.
        ..cached.unwrap_or_else(|| PageRow {
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
    match answer {
        Ok(f) if f.status == 304 && cached.is_some() => {
            PageRow { fetched_at: now, ..cached.expect("checked") }
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
        Ok(f) => failed(
            cached,
            Some(f.final_url.to_string()),
            Some(f.status),
            format!("HTTP {}", f.status),
        ),
        Err(e) => failed(cached, None, None, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        crate::timefmt::parse_rfc3339(s).unwrap()
    }

    fn cached(fetched_at: &str) -> PageRow {
        PageRow {
            url: "https://x.example/a".into(),
            final_url: Some("https://x.example/a".into()),
            fetched_at: at(fetched_at),
            status: Some(200),
            etag: Some("\"v1\"".into()),
            last_modified: None,
            text: Some("The text.".into()),
            error: None,
            byline: Some("Rosa Diaz".into()),
            site_name: None,
            canonical_url: None,
            published_time: None,
        }
    }

    fn answer(status: u16) -> Result<Fetched, String> {
        Ok(Fetched {
            status,
            final_url: url::Url::parse("https://x.example/a").unwrap(),
            moved_permanently_to: None,
            etag: None,
            last_modified: None,
            content_type: None,
            cache_control: None,
            expires: None,
            date: None,
            retry_after: None,
            body: Vec::new(),
        })
    }

    #[test]
    fn a_page_younger_than_a_day_is_fresh() {
        let p = cached("2024-11-27T09:00:00Z");
        assert!(is_fresh(&p, at("2024-11-28T08:59:00Z")));
        assert!(!is_fresh(&p, at("2024-11-28T09:00:00Z")));
    }

    #[test]
    fn not_modified_keeps_the_cached_page_and_renews_it() {
        let now = at("2024-11-29T09:00:00Z");
        let p = page_after_fetch(
            "https://x.example/a",
            Some(cached("2024-11-27T09:00:00Z")),
            answer(304),
            now,
        );
        assert_eq!(p, PageRow { fetched_at: now, ..cached("2024-11-27T09:00:00Z") });
    }

    #[test]
    fn a_failed_refetch_keeps_what_was_learnt_and_records_why() {
        let now = at("2024-11-29T09:00:00Z");
        let p = page_after_fetch(
            "https://x.example/a",
            Some(cached("2024-11-27T09:00:00Z")),
            Err("connection refused".into()),
            now,
        );
        assert_eq!(p.error.as_deref(), Some("connection refused"));
        assert_eq!(p.text.as_deref(), Some("The text."));
        assert_eq!(p.byline.as_deref(), Some("Rosa Diaz"));
        assert_eq!((p.etag, p.fetched_at), (None, now), "no validator for a page not had");
        let first = page_after_fetch("https://x.example/a", None, answer(404), now);
        assert_eq!((first.status, first.error.as_deref()), (Some(404), Some("HTTP 404")));
        assert_eq!(first.text, None);
    }
}
