//! Article pages fetched for excerpts: their validators and extracted main text, so a page is
//! fetched once (and then only conditionally), not on every `excerpts`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::timefmt::{parse_rfc3339, rfc3339};

/// A cached article page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageRow {
    pub url: String,
    pub final_url: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The extracted main text, paragraphs separated by a blank line.
    pub text: Option<String>,
    pub error: Option<String>,
    /// What the page says of itself.
    pub byline: Option<String>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub published_time: Option<String>,
}

impl Store {
    /// The cached page for `url`, if it was ever fetched.
    pub(crate) fn page(&self, url: &str) -> Result<Option<PageRow>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT url, final_url, fetched_at, status, etag, last_modified, text, error,
                        byline, site_name, canonical_url, published_time
                 FROM pages WHERE url = ?1",
                [url],
                |r| {
                    Ok(PageRow {
                        url: r.get(0)?,
                        final_url: r.get(1)?,
                        fetched_at: r
                            .get::<_, String>(2)
                            .map(|s| parse_rfc3339(&s).unwrap_or_default())?,
                        status: r.get(3)?,
                        etag: r.get(4)?,
                        last_modified: r.get(5)?,
                        text: r.get(6)?,
                        error: r.get(7)?,
                        byline: r.get(8)?,
                        site_name: r.get(9)?,
                        canonical_url: r.get(10)?,
                        published_time: r.get(11)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Stores (or replaces) a fetched page.
    pub(crate) fn save_page(&mut self, p: &PageRow) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO pages (url, final_url, fetched_at, status, etag, last_modified, text, error,
                                    byline, site_name, canonical_url, published_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (url) DO UPDATE SET final_url = ?2, fetched_at = ?3, status = ?4,
                    etag = ?5, last_modified = ?6, text = ?7, error = ?8, byline = ?9,
                    site_name = ?10, canonical_url = ?11, published_time = ?12",
                params![
                    p.url,
                    p.final_url,
                    rfc3339(p.fetched_at),
                    p.status,
                    p.etag,
                    p.last_modified,
                    p.text,
                    p.error,
                    p.byline,
                    p.site_name,
                    p.canonical_url,
                    p.published_time
                ],
            )?;
            Ok(())
        })
    }
}
