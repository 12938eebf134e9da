//! What `roundup push` remembers of the blog: the post each week was pushed to (its id, its
//! `modified_gmt` and its fields as the blog answered the last push, so the next push can tell
//! whether the post was changed on the blog since), and the blog's term ids by name. Rows are
//! keyed by the blog (its kind and address), so pointing `[blog]` at another blog starts afresh
//! instead of updating a post id that means something else there.
//!
//! Holds no credentials: nothing here comes from the `[blog]` table but its address.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::roundups::ensure_roundup;
use super::{Store, StoreError};
use crate::timefmt::rfc3339;
use crate::week::IsoWeek;

/// The post a week was last pushed to, on one blog.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PushedPost {
    /// The post's id on the blog.
    pub post_id: u64,
    /// `modified_gmt` as the blog answered the last push, exactly.
    pub modified_gmt: String,
    /// The post's status then (`draft`, `pending`, `future`, `publish`).
    pub status: String,
    /// The post's address on the blog.
    pub link: Option<String>,
    /// The post's fields as the blog answered (JSON, `push::decide::RemotePost`).
    pub remote: String,
    /// When it was first pushed.
    pub pushed_at: DateTime<Utc>,
}

/// A blog taxonomy roundup fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taxonomy {
    Tags,
    Categories,
}

impl Taxonomy {
    /// Its name in the REST API's routes (`/wp/v2/tags`) and in this table.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Taxonomy::Tags => "tags",
            Taxonomy::Categories => "categories",
        }
    }
}

/// A blog's id as SQLite stores it: ids are positive and far below `i64::MAX`.
fn id_to_sql(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// A stored id back; a negative one (never written) reads as 0, an id no blog uses.
fn id_from_sql(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

impl Store {
    /// The post `week` was pushed to on `blog`, if it was.
    pub(crate) fn pushed_post(
        &self,
        week: IsoWeek,
        blog: &str,
    ) -> Result<Option<PushedPost>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT b.post_id, b.modified_gmt, b.status, b.link, b.remote, b.pushed_at
                 FROM blog_posts b JOIN roundups r ON r.id = b.roundup_id
                 WHERE r.week = ?1 AND b.blog = ?2",
                params![week, blog],
                |r| {
                    Ok(PushedPost {
                        post_id: id_from_sql(r.get(0)?),
                        modified_gmt: r.get(1)?,
                        status: r.get(2)?,
                        link: r.get(3)?,
                        remote: r.get(4)?,
                        pushed_at: super::sql::time(r, 5)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Records that `week` (started as `default_title` if need be) is on `blog` as `post`:
    /// a new row on the first push, the same row moved on afterwards (the first push time is
    /// kept).
    pub(crate) fn record_push(
        &mut self,
        week: IsoWeek,
        default_title: &str,
        blog: &str,
        post: &PushedPost,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let roundup = ensure_roundup(tx, week, default_title, now)?;
            tx.execute(
                "INSERT INTO blog_posts (roundup_id, blog, post_id, modified_gmt, status, link,
                                         remote, pushed_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (roundup_id, blog) DO UPDATE SET
                     post_id = excluded.post_id, modified_gmt = excluded.modified_gmt,
                     status = excluded.status, link = excluded.link, remote = excluded.remote,
                     updated_at = excluded.updated_at",
                params![
                    roundup.id,
                    blog,
                    id_to_sql(post.post_id),
                    post.modified_gmt,
                    post.status,
                    post.link,
                    post.remote,
                    rfc3339(now)
                ],
            )?;
            Ok(())
        })
    }

    /// The cached id of the term `name` (matched without regard to case) on `blog`.
    pub(crate) fn blog_term(
        &self,
        blog: &str,
        taxonomy: Taxonomy,
        name: &str,
    ) -> Result<Option<u64>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT term_id FROM blog_terms WHERE blog = ?1 AND taxonomy = ?2 AND name = ?3",
                params![blog, taxonomy.as_str(), name.to_lowercase()],
                |r| r.get(0).map(id_from_sql),
            )
            .optional()
        })
    }

    /// Caches the id of the term `name` on `blog`.
    pub(crate) fn cache_blog_term(
        &mut self,
        blog: &str,
        taxonomy: Taxonomy,
        name: &str,
        term_id: u64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO blog_terms (blog, taxonomy, name, term_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (blog, taxonomy, name) DO UPDATE SET term_id = excluded.term_id",
                params![blog, taxonomy.as_str(), name.to_lowercase(), id_to_sql(term_id)],
            )?;
            Ok(())
        })
    }

    /// Forgets a cached term id (the term was deleted on the blog).
    pub(crate) fn forget_blog_term(
        &mut self,
        blog: &str,
        taxonomy: Taxonomy,
        name: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM blog_terms WHERE blog = ?1 AND taxonomy = ?2 AND name = ?3",
                params![blog, taxonomy.as_str(), name.to_lowercase()],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{APPLICATION_ID, migrations::MIGRATIONS};

    fn post(id: u64, modified: &str) -> PushedPost {
        PushedPost {
            post_id: id,
            modified_gmt: modified.into(),
            status: "draft".into(),
            link: Some(format!("https://blog.example/?p={id}")),
            remote: "{}".into(),
            pushed_at: "2026-11-29T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_push_is_recorded_per_week_and_blog_and_a_second_keeps_the_first_time() {
        let now: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let (_dir, mut store) = crate::store::test_store(now);
        let week = IsoWeek::parse("2026-W48").unwrap();
        assert_eq!(store.pushed_post(week, "wordpress https://a.example/").unwrap(), None);
        store.record_push(week, "T", "wordpress https://a.example/", &post(7, "m1"), now).unwrap();
        let later = now + chrono::Duration::hours(1);
        store
            .record_push(week, "T", "wordpress https://a.example/", &post(7, "m2"), later)
            .unwrap();
        let got = store.pushed_post(week, "wordpress https://a.example/").unwrap().unwrap();
        assert_eq!((got.post_id, got.modified_gmt.as_str(), got.pushed_at), (7, "m2", now));
        assert_eq!(store.pushed_post(week, "wordpress https://b.example/").unwrap(), None);
    }

    #[test]
    fn term_ids_are_cached_by_name_whatever_its_case() {
        let now: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let (_dir, mut store) = crate::store::test_store(now);
        store.cache_blog_term("b", Taxonomy::Tags, "Housing", 12).unwrap();
        assert_eq!(store.blog_term("b", Taxonomy::Tags, "housing").unwrap(), Some(12));
        assert_eq!(store.blog_term("b", Taxonomy::Categories, "housing").unwrap(), None);
        store.forget_blog_term("b", Taxonomy::Tags, "HOUSING").unwrap();
        assert_eq!(store.blog_term("b", Taxonomy::Tags, "housing").unwrap(), None);
    }

    #[test]
    fn a_database_from_before_push_opens_with_its_roundup_and_can_record_a_push() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.sqlite3");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..4] {
                step.apply(&conn).unwrap();
            }
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 4;
                 INSERT INTO roundups (week, title, created_at, updated_at)
                 VALUES ('2026-W48', 'Old week', '2026-11-23T00:00:00Z', '2026-11-23T00:00:00Z');"
            ))
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let week = IsoWeek::parse("2026-W48").unwrap();
        assert_eq!(store.find_roundup(week).unwrap().unwrap().title, "Old week");
        let now: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        store.record_push(week, "New title", "b", &post(3, "m"), now).unwrap();
        assert_eq!(store.pushed_post(week, "b").unwrap().unwrap().post_id, 3);
        assert_eq!(store.find_roundup(week).unwrap().unwrap().title, "Old week");
    }
}
