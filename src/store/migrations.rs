//! The schema, as append-only steps keyed on `PRAGMA user_version`. Never edit a step that has
//! shipped: add a new one at the end. Pragmas (WAL, foreign keys) are set in `Store::open`,
//! outside the steps. A step is SQL, or Rust where rows must be converted in ways SQL cannot
//! (step 7 deflates each entry's HTML).

use rusqlite::{Connection, params};

/// One step of the schema.
pub(crate) enum Step {
    /// SQL run as one batch.
    Sql(&'static str),
    /// Rust, for conversions SQL cannot do.
    Rust(fn(&Connection) -> rusqlite::Result<()>),
}

impl Step {
    /// Applies the step on `conn` (inside the caller's transaction).
    pub(crate) fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        match self {
            Step::Sql(sql) => conn.execute_batch(sql),
            Step::Rust(f) => f(conn),
        }
    }
}

/// Step N (1-based) takes a database from `user_version` N-1 to N.
pub(crate) const MIGRATIONS: &[Step] = &[
    // 1: feeds, entries (with full-text search) and fetch history.
    Step::Sql(
        r#"
CREATE TABLE feeds (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,           -- as configured in feeds.toml
    name            TEXT,
    title           TEXT,                    -- the feed document's own title
    site_url        TEXT,
    moved_to        TEXT,                    -- target of a 301/308: later polls go there
    discovered_url  TEXT,                    -- feed found on the HTML page at `url`
    etag            TEXT,                    -- exactly as received
    last_modified   TEXT,                    -- exactly as received
    last_fetch_at   TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,
    next_due_at     TEXT,
    retry_after_until TEXT,                  -- the server's Retry-After: no poll before it
    gone            INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE entries (
    id              INTEGER PRIMARY KEY,
    feed_id         TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identity        TEXT NOT NULL,
    url             TEXT,
    title           TEXT,
    author          TEXT,
    published       TEXT NOT NULL,           -- published, else updated, else first seen
    dated_by        TEXT NOT NULL CHECK (dated_by IN ('published', 'updated', 'first_seen')),
    updated         TEXT,
    summary_html    TEXT,
    content_html    TEXT,
    text            TEXT NOT NULL,
    categories      TEXT NOT NULL DEFAULT '[]',  -- JSON array
    content_hash    TEXT NOT NULL,
    first_seen      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    UNIQUE (feed_id, identity)
) STRICT;
CREATE INDEX entries_by_published ON entries (published DESC, id DESC);

-- Full-text search. Indexing is the costliest part of storing an entry, so it is not done
-- while polling: `Store::update_search_index` indexes the rows past `search_state.indexed_upto`
-- before any search (and `watch` does it between rounds), as lemon24/reader's update_search.
-- Rows already indexed are kept in step by the triggers below.
CREATE VIRTUAL TABLE entries_fts USING fts5(
    title, author, text,
    content = 'entries', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE search_state (
    one             INTEGER PRIMARY KEY CHECK (one = 1),
    indexed_upto    INTEGER NOT NULL         -- entries with id <= this are in entries_fts
) STRICT;
INSERT INTO search_state (one, indexed_upto) VALUES (1, 0);
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries
WHEN old.id <= (SELECT indexed_upto FROM search_state) BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, title, author, text)
    VALUES ('delete', old.id, old.title, old.author, old.text);
END;
CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, author, text ON entries
WHEN old.id <= (SELECT indexed_upto FROM search_state) BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, title, author, text)
    VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_fts (rowid, title, author, text)
    VALUES (new.id, new.title, new.author, new.text);
END;

CREATE TABLE fetches (
    id              INTEGER PRIMARY KEY,
    feed_id         TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL,
    url             TEXT NOT NULL,
    status          INTEGER,                 -- HTTP status; NULL when no answer came
    duration_ms     INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    new_entries     INTEGER NOT NULL,
    updated_entries INTEGER NOT NULL,
    error           TEXT
) STRICT;
CREATE INDEX fetches_by_feed ON fetches (feed_id, started_at DESC);
"#,
    ),
    // 2: the editor's week: roundups, their picks, triage decisions, and fetched article pages.
    Step::Sql(
        r#"
CREATE TABLE roundups (
    id              INTEGER PRIMARY KEY,
    week            TEXT NOT NULL UNIQUE,    -- ISO week, e.g. 2026-W48
    title           TEXT NOT NULL,
    intro           TEXT,
    outro           TEXT,
    tags            TEXT NOT NULL DEFAULT '[]',  -- JSON array
    categories      TEXT NOT NULL DEFAULT '[]',  -- JSON array
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    published_at    TEXT
) STRICT;

CREATE TABLE picks (
    roundup_id      INTEGER NOT NULL REFERENCES roundups(id) ON DELETE CASCADE,
    entry_id        INTEGER NOT NULL REFERENCES entries(id) ON DELETE RESTRICT,
    position        INTEGER NOT NULL,        -- 1-based order in the post
    section         TEXT,
    lead            TEXT,
    excerpt         TEXT,
    note            TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (roundup_id, entry_id)
) STRICT;
CREATE INDEX picks_by_entry ON picks (entry_id);

-- The editor's decision on a candidate: picked into a roundup, or skipped (not shown again).
CREATE TABLE triage (
    entry_id        INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('picked', 'skipped')),
    week            TEXT NOT NULL,
    decided_at      TEXT NOT NULL
) STRICT;

-- Article pages fetched for excerpts, with their validators and extracted text.
CREATE TABLE pages (
    url             TEXT PRIMARY KEY,
    final_url       TEXT,
    fetched_at      TEXT NOT NULL,
    status          INTEGER,
    etag            TEXT,
    last_modified   TEXT,
    text            TEXT,                    -- main text, paragraphs separated by a blank line
    error           TEXT
) STRICT;
"#,
    ),
    // 3: published roundups: a frozen snapshot of what was published, so later fetches that
    // change entries do not change published pages; first and last publication times.
    Step::Sql(
        r#"
CREATE TABLE published (
    roundup_id      INTEGER PRIMARY KEY REFERENCES roundups(id) ON DELETE CASCADE,
    week            TEXT NOT NULL UNIQUE,    -- ISO week, e.g. 2026-W48
    published_at    TEXT NOT NULL,           -- first publication; kept on re-publish
    updated_at      TEXT NOT NULL,           -- last publication (a correction moves it on)
    snapshot        TEXT NOT NULL            -- JSON: the roundup's fields and picks as published
) STRICT;
CREATE INDEX published_newest_first ON published (published_at DESC, week DESC);
"#,
    ),
    // 4: what an article page says of itself, for attribution: its byline when the feed names
    // no author, its site name when the feed has no title, its canonical URL instead of a
    // tracking-laden link.
    Step::Sql(
        r#"
ALTER TABLE pages ADD COLUMN byline TEXT;
ALTER TABLE pages ADD COLUMN site_name TEXT;
ALTER TABLE pages ADD COLUMN canonical_url TEXT;
ALTER TABLE pages ADD COLUMN published_time TEXT;
"#,
    ),
    // 5: `roundup push`: the blog post each week was pushed to (its id, and the post as the
    // blog answered, so a later push can tell what was changed there), and the ids of the
    // blog's tags and categories by name.
    Step::Sql(
        r#"
CREATE TABLE blog_posts (
    roundup_id      INTEGER NOT NULL REFERENCES roundups(id) ON DELETE CASCADE,
    blog            TEXT NOT NULL,           -- which blog: its kind and address
    post_id         INTEGER NOT NULL,        -- the post's id on that blog
    modified_gmt    TEXT NOT NULL,           -- exactly as the blog answered the last push
    status          TEXT NOT NULL,           -- the post's status then (draft, future, publish)
    link            TEXT,
    remote          TEXT NOT NULL,           -- JSON: the post's fields as the blog answered
    pushed_at       TEXT NOT NULL,           -- first push
    updated_at      TEXT NOT NULL,           -- last push
    PRIMARY KEY (roundup_id, blog)
) STRICT;
CREATE TABLE blog_terms (
    blog            TEXT NOT NULL,
    taxonomy        TEXT NOT NULL CHECK (taxonomy IN ('tags', 'categories')),
    name            TEXT NOT NULL,           -- lowercased: WordPress matches names so
    term_id         INTEGER NOT NULL,
    PRIMARY KEY (blog, taxonomy, name)
) STRICT;
"#,
    ),
    // 6: optimistic concurrency for the desk (issue 12): a pick's words and a roundup's fields
    // carry a revision, moved on by every change to them, so an edit made from a stale page
    // (another tab, the CLI, the picker) is refused instead of overwriting.
    Step::Sql(
        r#"
ALTER TABLE picks ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE roundups ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
"#,
    ),
    // 7: one copy of each text (issue 11). The summary and content are deflated together into
    // `body` (store/body.rs); the plain text is no longer stored (it is made again from the
    // HTML when read; `text_without_html` keeps it for an entry with no HTML); the full-text
    // index keeps no copy of its own (contentless, with deletes) nor word positions
    // (`detail = none`: which entries hold a word, not where), and is written in the same
    // transaction as the entry, so no search waits for it to catch up. An index on first_seen
    // serves a week's late arrivals.
    Step::Rust(compact_entries),
    // 8: each entry's body in a table of its own (issue 11). With the deflated body in the row
    // (about 1.5 KB), two entries filled a 4 KiB page, and what reads a week's entries or a
    // search's rows (titles, dates, links) read their bodies' pages too: `candidates` for a
    // week of a 1,000,000-entry database read 20 MB. The rows are about 300 bytes now, the
    // bodies read only where an entry's text is shown. Rewrites the entries table once.
    Step::Sql(
        r#"
CREATE TABLE entry_bodies (
    entry_id        INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    body            BLOB NOT NULL            -- store/body.rs: summary and content, deflated
) STRICT;
INSERT INTO entry_bodies (entry_id, body) SELECT id, body FROM entries WHERE body IS NOT NULL;
ALTER TABLE entries DROP COLUMN body;
"#,
    ),
    // 9: entry bodies' Zstandard dictionary (issue 11), trained once on the database's own first
    // bodies (store/dictionary.rs). Each frame packed with it names its id, the key here;
    // bodies packed before it stay as they are and read back as before.
    Step::Sql(
        r#"
CREATE TABLE body_dictionaries (
    id              INTEGER PRIMARY KEY,     -- the Zstandard dictionary id its frames name
    dictionary      BLOB NOT NULL,
    sha256          TEXT NOT NULL,           -- of `dictionary`: a damaged one is refused
    samples         INTEGER NOT NULL,        -- bodies it was trained on
    trained_at      TEXT NOT NULL
) STRICT;
"#,
    ),
    // 10: the full-text index gathers up to 8 MiB of new terms in memory before it writes them
    // as a segment, instead of 1 MiB (issue 11). A fetch's transaction holds up to 8 MB of
    // entry text (`poll::MAX_BATCH_BYTES`): at 1 MiB it was written as several small segments,
    // each merged again soon after. Measured (callgrind, 30,000 entries of 450 words, 1,500 a
    // transaction): 40 % fewer instructions in SQLite. The setting is kept in the database.
    Step::Sql("INSERT INTO entries_fts (entries_fts, rank) VALUES ('hashsize', 8388608);"),
    // 11: the full-text index merges its segments 8 at a level instead of 4 (issue 11). A cold
    // fetch writes a segment a transaction, and the merges that followed were a seventh of the
    // writer's samples (perf, 10,000 feeds). Timed with Python's SQLite, 60,000 entries of 450
    // words, 1,500 a transaction, three runs each: 5.64–5.74 s of CPU at 4, 4.57–5.52 s at 8,
    // 5.12–5.30 s at 16; a search for one word took as long at each setting. `watch`'s
    // housekeeping still merges the whole index daily. The setting is kept in the database.
    Step::Sql("INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', 8);"),
];

/// Step 7: see [`MIGRATIONS`].
fn compact_entries(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DROP TRIGGER entries_fts_delete;
         DROP TRIGGER entries_fts_update;
         DROP TABLE entries_fts;
         DROP TABLE search_state;
         CREATE VIRTUAL TABLE entries_fts USING fts5(
             title, author, text,
             content = '', contentless_delete = 1, detail = none,
             tokenize = 'unicode61 remove_diacritics 2'
         );
         INSERT INTO entries_fts (rowid, title, author, text)
         SELECT id, title, author, text FROM entries;
         ALTER TABLE entries ADD COLUMN body BLOB;",
    )?;
    // In id order, a slice at a time: nothing of the table is held in memory.
    let mut read = conn.prepare(
        "SELECT id, summary_html, content_html FROM entries WHERE id > ?1 ORDER BY id LIMIT 500",
    )?;
    let mut write = conn.prepare("UPDATE entries SET body = ?2 WHERE id = ?1")?;
    let mut after = 0i64;
    loop {
        let slice: Vec<(i64, Option<String>, Option<String>)> = read
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = slice.last() else { break };
        after = last.0;
        for (id, summary, content) in &slice {
            write.execute(params![
                id,
                super::body::pack(summary.as_deref(), content.as_deref(), None)
            ])?;
        }
    }
    // The text was made from the HTML (`update`), so it is dropped, except where there is no
    // HTML to make it again from.
    conn.execute_batch(
        "ALTER TABLE entries ADD COLUMN text_without_html TEXT;
         UPDATE entries SET text_without_html = text
         WHERE summary_html IS NULL AND content_html IS NULL AND text <> '';
         ALTER TABLE entries DROP COLUMN summary_html;
         ALTER TABLE entries DROP COLUMN content_html;
         ALTER TABLE entries DROP COLUMN text;
         CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
             DELETE FROM entries_fts WHERE rowid = old.id;
         END;
         CREATE INDEX entries_by_first_seen ON entries (first_seen);",
    )
}

/// The schema version this binary writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The first table holding a row whose foreign key points at a missing parent, if any.
pub(super) fn foreign_key_violation(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional()
}
