//! `feeds.toml` → [`Config`]. [`Config::parse`] does every check on the text alone; [`Config::load`]
//! only reads the file and resolves paths against its folder. Errors name the file, line and key.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::timefmt::parse_duration;

mod split;

/// No feed is polled more often than this, whatever its settings or headers say.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// The user agent sent when the config sets none: names roundup and where to reach its makers.
pub(crate) fn default_user_agent() -> String {
    format!("roundup/{} (+https://github.com/roundup-rs/roundup)", env!("CARGO_PKG_VERSION"))
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The file it came from (for messages and for `feeds add`).
    pub path: PathBuf,
    pub settings: Settings,
    /// The roundup post itself: its default title, templates and limits.
    pub roundup: RoundupSettings,
    /// The `[desk]` table: who may use `roundup desk`.
    pub desk: DeskSettings,
    pub feeds: Vec<FeedConfig>,
    /// The `[blog]` table: where `roundup push` sends the post, if anywhere.
    pub blog: Option<BlogConfig>,
}

/// The `[blog]` table: the blog `roundup push` sends the week's post to. It holds no secret:
/// the Application Password or token comes from an environment variable or the `credentials`
/// file (see `push::credentials`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlogConfig {
    /// Which API, and where.
    pub kind: BlogKind,
    /// The user the Application Password belongs to (self-hosted WordPress).
    pub user: Option<String>,
    /// A file holding the password or token, readable by its owner only.
    pub credentials: Option<PathBuf>,
}

/// Which blogging API `roundup push` speaks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BlogKind {
    /// A self-hosted WordPress at `url`: its REST API, with an Application Password.
    WordPress { url: Url },
    /// A site hosted on WordPress.com (`site`: its address or numeric id), through the public
    /// API at `api` (`https://public-api.wordpress.com/` unless set), with an OAuth2 token.
    WordPressCom { site: String, api: Url },
}

impl BlogConfig {
    /// The blog's identity in the database: its kind and address (never a credential).
    pub(crate) fn identity(&self) -> String {
        match &self.kind {
            BlogKind::WordPress { url } => format!("wordpress {url}"),
            BlogKind::WordPressCom { site, .. } => format!("wordpress.com {site}"),
        }
    }
}

/// The `[roundup]` table: what the weekly post looks like; every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoundupSettings {
    /// Title of a new week's roundup.
    pub title: String,
    /// The editor's name, for the post and (later) the published feeds.
    pub author: Option<String>,
    /// Folder whose files override the built-in templates, file by file.
    pub templates: PathBuf,
    /// Folder that drafts are written to.
    pub drafts: PathBuf,
    /// Fair dealing: an excerpt longer than this many words is flagged...
    pub excerpt_max_words: usize,
    /// ...and so is one longer than this share of the article's words.
    pub excerpt_max_share: f64,
    /// Where readers find the published roundup (absolute links in feeds and pages).
    pub base_url: Url,
    /// Folder that `publish` regenerates and `serve` serves.
    pub public: PathBuf,
    /// How many roundups the output feeds carry, newest first.
    pub feed_entries: usize,
    /// The published site's name, in page titles, headings and the feeds' titles (default: the
    /// title).
    pub site_name: String,
    /// One sentence saying what the site is, for the feeds and the pages' descriptions
    /// (default: `SITE_NAME: the weekly roundup`).
    pub description: String,
    /// The language the roundup is written in, a BCP 47 tag such as `en-GB` (pages' `lang`,
    /// Atom's `xml:lang`, RSS `<language>`).
    pub language: String,
    /// How old a late arrival may be: an entry first seen in a week but dated before it counts
    /// as that week's when dated no more than this before the week starts.
    pub late_horizon: Duration,
}

impl RoundupSettings {
    fn defaults(dir: &Path) -> RoundupSettings {
        RoundupSettings {
            title: "That was the week that was".into(),
            author: None,
            templates: dir.join("templates"),
            drafts: dir.join("data/drafts"),
            excerpt_max_words: 120,
            excerpt_max_share: 0.2,
            base_url: Url::parse("http://127.0.0.1:8080/").expect("static URL"),
            public: dir.join("data/public"),
            feed_entries: 20,
            site_name: "That was the week that was".into(),
            description: "That was the week that was: the weekly roundup".into(),
            language: "en".into(),
            late_horizon: Duration::from_secs(14 * 86_400),
        }
    }
}

/// The `[desk]` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DeskSettings {
    /// The Argon2 hash (PHC string) of the desk's password, as `roundup desk --set-password`
    /// writes it; the environment's `ROUNDUP_DESK_PASSWORD_HASH` wins over it.
    pub password_hash: Option<String>,
}

/// Everything but the feed list; every field has a default.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// SQLite database, resolved against the config file's folder.
    pub database: PathBuf,
    /// Time zone in which weeks start on Monday 00:00.
    pub timezone: Tz,
    /// Default poll interval (at least [`MIN_INTERVAL`]).
    pub interval: Duration,
    pub connect_timeout: Duration,
    /// Limit for one whole request, body included.
    pub timeout: Duration,
    /// Largest body read, after decompression.
    pub max_body: u64,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    pub user_agent: String,
    /// Whether links from feeds may reach private addresses (`private_networks`).
    pub private_networks: crate::netguard::PrivateNetworks,
}

impl Settings {
    fn defaults(dir: &Path) -> Settings {
        Settings {
            database: dir.join("data/roundup.sqlite3"),
            timezone: chrono_tz::Europe::London,
            interval: Duration::from_secs(3600),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 15 * 1024 * 1024,
            concurrency: 16,
            per_host: 2,
            user_agent: default_user_agent(),
            private_networks: crate::netguard::PrivateNetworks::Refuse,
        }
    }
}

/// One `[[feeds]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeedConfig {
    /// Stable slug: rows are keyed on it, so the URL may change without orphaning entries.
    pub id: crate::model::FeedId,
    pub url: Url,
    pub name: Option<String>,
    pub tags: Vec<String>,
    /// This feed's poll interval; `None` means the default.
    pub interval: Option<Duration>,
}

/// A configuration error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key at fault, e.g. `feeds[3].url`, when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    settings: Option<RawSettings>,
    #[serde(default)]
    roundup: Option<RawRoundup>,
    #[serde(default)]
    desk: Option<RawDesk>,
    /// `None` when the file has no `feeds`, and when `split` read them a table at a time.
    feeds: Option<Vec<RawFeed>>,
    #[serde(default)]
    blog: Option<Spanned<RawBlog>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlog {
    kind: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    site: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    credentials: Option<Spanned<String>>,
    // Named so that a secret written here gets a message saying where it goes instead.
    password: Option<Spanned<toml::Value>>,
    application_password: Option<Spanned<toml::Value>>,
    token: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRoundup {
    title: Option<Spanned<String>>,
    author: Option<String>,
    templates: Option<Spanned<String>>,
    drafts: Option<Spanned<String>>,
    excerpt_max_words: Option<Spanned<i64>>,
    excerpt_max_share: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    public: Option<Spanned<String>>,
    feed_entries: Option<Spanned<i64>>,
    site_name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    late_horizon: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDesk {
    password_hash: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
    private_networks: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    id: Spanned<String>,
    url: Spanned<String>,
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    interval: Option<Spanned<String>>,
}

impl Config {
    /// Reads and checks `path`. Relative paths inside are taken from the file's folder.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            key: None,
            // A newcomer running the installed binary away from the repository lands here:
            // say how to point it at the file (issue 9 item 13).
            message: format!(
                "cannot read the config file: {e} (name it with --config FILE or the \
                 ROUNDUP_CONFIG environment variable; the default is feeds.toml in the \
                 current folder)"
            ),
        })?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Config::parse(&text, path, dir)
    }

    /// Checks `text` (the contents of `file`), resolving relative paths against `dir`.
    pub(crate) fn parse(text: &str, file: &Path, dir: &Path) -> Result<Config, ConfigError> {
        let lines = LineIndex::new(text);
        let at = |span: std::ops::Range<usize>, key: String, message: String| ConfigError {
            file: file.to_path_buf(),
            line: Some(lines.line_of(span.start)),
            key: Some(key),
            message,
        };
        // The feeds are checked as they are read, a table at a time (`split`), so a long file's
        // raw tables are never all held; the first error among them is said after the
        // settings' and the roundup's, as when they were checked last.
        let mut checked = CheckedFeeds::default();
        let raw = match split::parse_in_pieces(text, &mut |f, n| checked.take(f, n, &lines, &at)) {
            Some(raw) => raw,
            None => {
                checked = CheckedFeeds::default();
                let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
                    file: file.to_path_buf(),
                    line: e.span().map(|s| lines.line_of(s.start)),
                    key: None,
                    message: e.message().trim().to_string(),
                })?;
                let feeds = raw.feeds.take().unwrap_or_default();
                let n = feeds.len();
                for f in feeds {
                    checked.take(f, n, &lines, &at);
                }
                raw
            }
        };

        let mut settings = Settings::defaults(dir);
        let s = raw.settings.unwrap_or_default();
        if let Some(db) = s.database {
            let p = PathBuf::from(db.get_ref());
            if p.as_os_str().is_empty() {
                return Err(at(db.span(), "settings.database".into(), "must not be empty".into()));
            }
            settings.database = if p.is_absolute() { p } else { dir.join(p) };
        }
        if let Some(tz) = s.timezone {
            settings.timezone = tz.get_ref().parse::<Tz>().map_err(|_| {
                at(
                    tz.span(),
                    "settings.timezone".into(),
                    format!(
                        "unknown time zone {:?} (use an IANA name such as \"Europe/London\")",
                        tz.get_ref()
                    ),
                )
            })?;
        }
        let duration = |v: &Spanned<String>, key: &str| {
            parse_duration(v.get_ref()).map_err(|m| at(v.span(), key.into(), m))
        };
        if let Some(v) = &s.interval {
            settings.interval = duration(v, "settings.interval")?;
            check_interval(settings.interval)
                .map_err(|m| at(v.span(), "settings.interval".into(), m))?;
        }
        for (v, key, slot) in [
            (&s.connect_timeout, "settings.connect_timeout", &mut settings.connect_timeout),
            (&s.timeout, "settings.timeout", &mut settings.timeout),
        ] {
            if let Some(v) = v {
                *slot = duration(v, key)?;
                if slot.is_zero() {
                    return Err(at(v.span(), key.into(), "must be more than zero".into()));
                }
            }
        }
        if let Some(v) = &s.max_body {
            settings.max_body =
                parse_size(v.get_ref()).map_err(|m| at(v.span(), "settings.max_body".into(), m))?;
            if settings.max_body == 0 {
                return Err(at(
                    v.span(),
                    "settings.max_body".into(),
                    "must be more than zero".into(),
                ));
            }
        }
        let count = |v: &Spanned<i64>, key: &str, max: i64| {
            let n = *v.get_ref();
            if (1..=max).contains(&n) {
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            } else {
                Err(at(v.span(), key.into(), format!("must be between 1 and {max}, not {n}")))
            }
        };
        if let Some(v) = &s.concurrency {
            settings.concurrency = count(v, "settings.concurrency", 1024)?;
        }
        if let Some(v) = &s.per_host {
            settings.per_host = count(v, "settings.per_host", 1024)?;
        }
        if let Some(v) = s.user_agent {
            if v.get_ref().trim().is_empty() || v.get_ref().contains(['\r', '\n']) {
                return Err(at(
                    v.span(),
                    "settings.user_agent".into(),
                    "must be one non-empty line".into(),
                ));
            }
            settings.user_agent = v.into_inner();
        }
        if let Some(v) = s.private_networks {
            use crate::netguard::PrivateNetworks;
            settings.private_networks = match v.get_ref().as_str() {
                "refuse" => PrivateNetworks::Refuse,
                "allow" => PrivateNetworks::Allow,
                other => {
                    return Err(at(
                        v.span(),
                        "settings.private_networks".into(),
                        format!("must be \"refuse\" or \"allow\", not {other:?}"),
                    ));
                }
            };
        }

        let mut roundup = RoundupSettings::defaults(dir);
        let r = raw.roundup.unwrap_or_default();
        if let Some(t) = r.title {
            if t.get_ref().trim().is_empty() {
                return Err(at(t.span(), "roundup.title".into(), "must not be empty".into()));
            }
            roundup.title = t.into_inner();
        }
        roundup.author = r.author.filter(|a| !a.trim().is_empty());
        for (v, key, slot) in [
            (&r.templates, "roundup.templates", &mut roundup.templates),
            (&r.drafts, "roundup.drafts", &mut roundup.drafts),
            (&r.public, "roundup.public", &mut roundup.public),
        ] {
            if let Some(v) = v {
                let p = PathBuf::from(v.get_ref());
                if p.as_os_str().is_empty() {
                    return Err(at(v.span(), key.into(), "must not be empty".into()));
                }
                *slot = if p.is_absolute() { p } else { dir.join(p) };
            }
        }
        if let Some(v) = &r.excerpt_max_words {
            roundup.excerpt_max_words = count(v, "roundup.excerpt_max_words", 10_000)?;
        }
        if let Some(v) = &r.base_url {
            let mut url = parse_feed_url(v.get_ref())
                .map_err(|m| at(v.span(), "roundup.base_url".into(), m))?;
            if !url.path().ends_with('/') {
                // A base without its trailing slash would lose its last segment in joins.
                url.set_path(&format!("{}/", url.path()));
            }
            roundup.base_url = url;
        }
        if let Some(v) = &r.late_horizon {
            roundup.late_horizon = duration(v, "roundup.late_horizon")?;
        }
        if let Some(v) = &r.feed_entries {
            roundup.feed_entries = count(v, "roundup.feed_entries", 1000)?;
        }
        if let Some(v) = &r.excerpt_max_share {
            roundup.excerpt_max_share = parse_share(v.get_ref())
                .map_err(|m| at(v.span(), "roundup.excerpt_max_share".into(), m))?;
        }
        let line = |v: &Spanned<String>, key: &str| {
            one_line(v.get_ref())
                .ok_or_else(|| at(v.span(), key.into(), "must be one non-empty line".into()))
        };
        roundup.site_name = match &r.site_name {
            Some(v) => line(v, "roundup.site_name")?,
            None => roundup.title.clone(),
        };
        roundup.description = match &r.description {
            Some(v) => line(v, "roundup.description")?,
            None => format!("{}: the weekly roundup", roundup.site_name),
        };
        if let Some(v) = &r.language {
            if !is_language_tag(v.get_ref()) {
                return Err(at(
                    v.span(),
                    "roundup.language".into(),
                    "must be a language tag such as \"en\" or \"en-GB\"".into(),
                ));
            }
            roundup.language = v.get_ref().clone();
        }

        if let Some(e) = checked.error {
            return Err(e);
        }
        let feeds = checked.feeds;
        let blog = match raw.blog {
            Some(b) => Some(parse_blog(b, dir, &at)?),
            None => None,
        };

        let mut desk = DeskSettings::default();
        if let Some(hash) = raw.desk.and_then(|d| d.password_hash) {
            check_password_hash(hash.get_ref())
                .map_err(|m| at(hash.span(), "desk.password_hash".into(), m))?;
            desk.password_hash = Some(hash.into_inner());
        }
        Ok(Config { path: file.to_path_buf(), settings, roundup, desk, feeds, blog })
    }

    /// The poll interval of one feed.
    pub(crate) fn interval_of(&self, feed: &FeedConfig) -> Duration {
        feed.interval.unwrap_or(self.settings.interval)
    }
}

/// The `[[feeds]]` tables checked so far, in order, up to the first that is wrong.
#[derive(Default)]
struct CheckedFeeds {
    feeds: Vec<FeedConfig>,
    /// Each id and the line it is on, for duplicates.
    seen: HashMap<String, usize>,
    /// The first wrong table's error: nothing after it is checked.
    error: Option<ConfigError>,
}

impl CheckedFeeds {
    /// Checks the next of `all` tables; `at` locates an error.
    fn take(
        &mut self,
        f: RawFeed,
        all: usize,
        lines: &LineIndex,
        at: &impl Fn(std::ops::Range<usize>, String, String) -> ConfigError,
    ) {
        if self.error.is_some() {
            return;
        }
        if self.feeds.is_empty() {
            // Room for all at once: growing by doubling held two copies at each step.
            self.feeds.reserve_exact(all);
            self.seen.reserve(all);
        }
        let i = self.feeds.len();
        match check_feed(i, f, &mut self.seen, lines, at) {
            Ok(feed) => self.feeds.push(feed),
            Err(e) => self.error = Some(e),
        }
    }
}

/// The `i`th `[[feeds]]` table, checked; `seen` holds the ids before it and their lines.
fn check_feed(
    i: usize,
    f: RawFeed,
    seen: &mut HashMap<String, usize>,
    lines: &LineIndex,
    at: &impl Fn(std::ops::Range<usize>, String, String) -> ConfigError,
) -> Result<FeedConfig, ConfigError> {
    let id = f.id.get_ref().clone();
    if let Err(m) = check_slug(&id) {
        return Err(at(f.id.span(), format!("feeds[{i}].id"), m));
    }
    if let Some(first) = seen.insert(id.clone(), lines.line_of(f.id.span().start)) {
        return Err(at(
            f.id.span(),
            format!("feeds[{i}].id"),
            format!("duplicate feed id {id:?} (first used on line {first})"),
        ));
    }
    let url = parse_feed_url(f.url.get_ref())
        .map_err(|m| at(f.url.span(), format!("feeds[{i}].url"), m))?;
    let interval = match &f.interval {
        Some(v) => {
            let key = || format!("feeds[{i}].interval");
            let d = parse_duration(v.get_ref()).map_err(|m| at(v.span(), key(), m))?;
            check_interval(d).map_err(|m| at(v.span(), key(), m))?;
            Some(d)
        }
        None => None,
    };
    let name = f.name.filter(|n| !n.trim().is_empty());
    Ok(FeedConfig { id: id.into(), url, name, tags: f.tags, interval })
}

/// A text setting that must be one non-empty line: trimmed, or `None`.
fn one_line(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && !text.contains(|c: char| c.is_control())).then(|| text.to_string())
}

/// Whether `tag` has the shape of a BCP 47 language tag: a 2–3 letter language, then subtags
/// of 1–8 letters or digits (`en`, `en-GB`, `cy`, `zh-Hant-TW`).
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang = parts.next().unwrap_or_default();
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A share written as a percentage: `"20 %"`, `"20%"`, `"12.5%"`.
fn parse_share(s: &str) -> Result<f64, String> {
    let bad = || format!("bad share {s:?} (write a percentage, e.g. \"20 %\")");
    let n: f64 = s.trim().strip_suffix('%').ok_or_else(bad)?.trim().parse().map_err(|_| bad())?;
    if !(n > 0.0 && n <= 100.0) {
        return Err(format!("{s:?} must be more than 0 % and at most 100 %"));
    }
    Ok(n / 100.0)
}

/// The `[blog]` table, checked; `at` locates an error.
fn parse_blog(
    raw: Spanned<RawBlog>,
    dir: &Path,
    at: &impl Fn(std::ops::Range<usize>, String, String) -> ConfigError,
) -> Result<BlogConfig, ConfigError> {
    let span = raw.span();
    let b = raw.into_inner();
    for (secret, key) in [
        (&b.password, "blog.password"),
        (&b.application_password, "blog.application_password"),
        (&b.token, "blog.token"),
    ] {
        if let Some(v) = secret {
            return Err(at(
                v.span(),
                key.into(),
                "credentials never go in the feeds file: put the Application Password or token \
                 in the ROUNDUP_BLOG_PASSWORD (or ROUNDUP_BLOG_TOKEN) environment variable, or \
                 in a file only you can read named by blog.credentials"
                    .into(),
            ));
        }
    }
    let text = |v: &Spanned<String>, key: &str| {
        one_line(v.get_ref())
            .ok_or_else(|| at(v.span(), key.into(), "must be one non-empty line".into()))
    };
    let Some(kind) = &b.kind else {
        return Err(at(
            span,
            "blog.kind".into(),
            "missing: \"wordpress\" (a self-hosted WordPress) or \"wordpress.com\"".into(),
        ));
    };
    let kind = match kind.get_ref().as_str() {
        "wordpress" => {
            let Some(url) = &b.url else {
                return Err(at(
                    span,
                    "blog.url".into(),
                    "missing: the blog's address, e.g. \"https://blog.example.org/\"".into(),
                ));
            };
            let mut parsed =
                parse_feed_url(url.get_ref()).map_err(|m| at(url.span(), "blog.url".into(), m))?;
            if !parsed.path().ends_with('/') {
                parsed.set_path(&format!("{}/", parsed.path()));
            }
            parsed.set_query(None);
            parsed.set_fragment(None);
            if let Some(site) = &b.site {
                return Err(at(
                    site.span(),
                    "blog.site".into(),
                    "is for kind = \"wordpress.com\"; a self-hosted blog is named by url".into(),
                ));
            }
            BlogKind::WordPress { url: parsed }
        }
        "wordpress.com" => {
            let Some(site) = &b.site else {
                return Err(at(
                    span,
                    "blog.site".into(),
                    "missing: the site's address, e.g. \"example.wordpress.com\"".into(),
                ));
            };
            let site = text(site, "blog.site")?;
            if !site.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
                return Err(at(
                    b.site.as_ref().map_or(span.clone(), Spanned::span),
                    "blog.site".into(),
                    format!(
                        "{site:?} is not a site: use its address without https:// (e.g. \
                         \"example.wordpress.com\") or its numeric id"
                    ),
                ));
            }
            let api = match &b.api {
                Some(v) => {
                    let mut u = parse_feed_url(v.get_ref())
                        .map_err(|m| at(v.span(), "blog.api".into(), m))?;
                    if !u.path().ends_with('/') {
                        u.set_path(&format!("{}/", u.path()));
                    }
                    u
                }
                None => Url::parse("https://public-api.wordpress.com/").expect("static URL"),
            };
            BlogKind::WordPressCom { site, api }
        }
        other => {
            return Err(at(
                kind.span(),
                "blog.kind".into(),
                format!("must be \"wordpress\" or \"wordpress.com\", not {other:?}"),
            ));
        }
    };
    let user = match &b.user {
        Some(v) => Some(text(v, "blog.user")?),
        None => None,
    };
    let credentials = match &b.credentials {
        Some(v) => {
            let p = PathBuf::from(v.get_ref());
            if p.as_os_str().is_empty() {
                return Err(at(v.span(), "blog.credentials".into(), "must not be empty".into()));
            }
            Some(if p.is_absolute() { p } else { dir.join(p) })
        }
        None => None,
    };
    Ok(BlogConfig { kind, user, credentials })
}

/// Checks that `hash` is an Argon2 hash in PHC form (`$argon2id$v=19$...`), as
/// `roundup desk --set-password` writes it.
pub(crate) fn check_password_hash(hash: &str) -> Result<(), String> {
    match argon2::password_hash::PasswordHash::new(hash) {
        Ok(h) if h.algorithm.as_str().starts_with("argon2") => Ok(()),
        _ => {
            Err("is not an Argon2 password hash (set it with `roundup desk --set-password`)".into())
        }
    }
}

pub(crate) fn parse_feed_url(s: &str) -> Result<Url, String> {
    crate::links::HttpUrl::parse(s).map(Url::from).map_err(|e| e.to_string())
}

/// Feed ids are slugs: ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub(crate) fn check_slug(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a valid id: use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"
        ))
    }
}

fn check_interval(d: Duration) -> Result<(), String> {
    if d < MIN_INTERVAL {
        return Err(format!(
            "{} is too often: feeds are polled at most every {}",
            crate::timefmt::format_duration(d),
            crate::timefmt::format_duration(MIN_INTERVAL)
        ));
    }
    Ok(())
}

/// Byte offset → 1-based line, by binary search over the line starts (a feeds file can list
/// thousands of feeds; counting newlines from the top for each would be quadratic).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let breaks = text.bytes().filter(|b| *b == b'\n').count();
        let mut starts = Vec::with_capacity(breaks + 1);
        starts.push(0);
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|start| *start <= pos)
    }
}

/// Parses a byte size: `15 MiB`, `512KiB`, `2MB`, `1048576`.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("bad size {s:?} (expected e.g. \"15 MiB\")"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        other => return Err(format!("bad size {s:?}: unknown unit {other:?} (use KiB, MiB, GiB)")),
    };
    Ok(n.saturating_mul(mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("feeds.toml"), Path::new("/srv/roundup"))
    }

    #[test]
    fn line_numbers_are_one_based_and_count_every_newline() {
        let lines = LineIndex::new("a\nbb\n\nc");
        assert_eq!([0, 1, 2, 4, 5, 6].map(|p| lines.line_of(p)), [1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn a_file_of_only_ids_names_and_urls_is_valid_with_every_default() {
        let c =
            parse("[[feeds]]\nid = \"lgiu\"\nname = \"LGIU\"\nurl = \"https://lgiu.org/feed/\"\n")
                .unwrap();
        assert_eq!(c.feeds.len(), 1);
        assert_eq!(c.settings.database, PathBuf::from("/srv/roundup/data/roundup.sqlite3"));
        assert_eq!(c.settings.interval, Duration::from_secs(3600));
        assert_eq!(c.settings.concurrency, 16);
        assert_eq!(c.settings.per_host, 2);
        assert_eq!(c.settings.max_body, 15 * 1024 * 1024);
        assert_eq!(c.settings.timezone, chrono_tz::Europe::London);
        assert!(c.settings.user_agent.starts_with("roundup/"));
        assert!(c.settings.user_agent.contains("https://"));
    }

    #[test]
    fn private_networks_are_refused_unless_allowed_and_nothing_else_is_accepted() {
        use crate::netguard::PrivateNetworks;
        assert_eq!(parse("").unwrap().settings.private_networks, PrivateNetworks::Refuse);
        let allow = parse("[settings]\nprivate_networks = \"allow\"\n").unwrap();
        assert_eq!(allow.settings.private_networks, PrivateNetworks::Allow);
        let refuse = parse("[settings]\nprivate_networks = \"refuse\"\n").unwrap();
        assert_eq!(refuse.settings.private_networks, PrivateNetworks::Refuse);
        let e = parse("[settings]\n\nprivate_networks = \"yes\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("settings.private_networks"));
        assert!(e.message.contains("\"refuse\" or \"allow\""), "{e}");
    }

    #[test]
    fn errors_when_a_key_is_unknown_naming_its_line() {
        let e = parse("[settings]\ninterval = \"1h\"\nintervall = \"2h\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("intervall"), "{e}");
        assert!(e.to_string().starts_with("feeds.toml:3"), "{e}");
    }

    #[test]
    fn errors_when_a_feed_key_is_unknown() {
        let e = parse("[[feeds]]\nid = \"a\"\nurl = \"https://a.example/\"\nurll = \"x\"\n")
            .unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("urll"), "{e}");
    }

    #[test]
    fn errors_when_ids_repeat_naming_both_lines() {
        let e = parse(
            "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/\"\n\n[[feeds]]\nid = \"a\"\nurl = \"https://b.example/\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(6));
        assert_eq!(e.key.as_deref(), Some("feeds[1].id"));
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn errors_keep_their_order_with_feeds_checked_as_they_are_read() {
        // A wrong feed before a wrong setting: the setting is said, as settings come first.
        let e = parse(
            "[[feeds]]\nid = \"a b\"\nurl = \"https://a.example/\"\n\n[settings]\ntimezone = \"Mars\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("settings.timezone")), "{e}");
        // A feed that fails its checks, then one whose TOML is wrong: the TOML, from the whole
        // file.
        let e = parse(
            "[[feeds]]\nid = \"a b\"\nurl = \"https://a.example/\"\n[[feeds]]\nid = \"c\"\nurl = \"https://c.example/\"\nurll = 1\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(7), None), "{e}");
        assert!(e.message.contains("urll"), "{e}");
        // Two wrong feeds: the first.
        let e = parse(
            "[[feeds]]\nid = \"a\"\nurl = \"ftp://a.example/\"\n[[feeds]]\nid = \"b b\"\nurl = \"https://b.example/\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("feeds[0].url")), "{e}");
    }

    #[test]
    fn errors_when_a_url_is_not_http() {
        let e = parse("[[feeds]]\nid = \"a\"\nurl = \"ftp://a.example/feed\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("feeds[0].url"));
        assert!(e.message.contains("http"), "{e}");
        assert!(parse("[[feeds]]\nid = \"a\"\nurl = \"not a url\"\n").is_err());
    }

    #[test]
    fn errors_when_a_duration_is_bad_or_below_the_floor() {
        let e = parse("[settings]\ninterval = \"soon\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("settings.interval")));
        let e = parse("[[feeds]]\nid = \"a\"\nurl = \"https://a.example/\"\ninterval = \"5m\"\n")
            .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("feeds[0].interval"));
        assert!(e.message.contains("15m"), "{e}");
    }

    #[test]
    fn errors_when_an_id_is_not_a_slug_or_missing() {
        assert!(parse("[[feeds]]\nid = \"a b\"\nurl = \"https://a.example/\"\n").is_err());
        let e = parse("[[feeds]]\nurl = \"https://a.example/\"\n").unwrap_err();
        assert!(e.message.contains("id"), "{e}");
    }

    #[test]
    fn the_roundup_table_has_defaults_and_checks_its_values() {
        let c = parse("").unwrap();
        assert_eq!(c.roundup.excerpt_max_words, 120);
        assert_eq!(c.roundup.templates, PathBuf::from("/srv/roundup/templates"));
        assert_eq!(c.roundup.drafts, PathBuf::from("/srv/roundup/data/drafts"));
        assert_eq!(c.roundup.public, PathBuf::from("/srv/roundup/data/public"));
        assert_eq!(c.roundup.feed_entries, 20);
        let c = parse("[roundup]\nbase_url = \"https://news.example/roundup\"\n").unwrap();
        assert_eq!(c.roundup.base_url.as_str(), "https://news.example/roundup/");
        assert!(parse("[roundup]\nbase_url = \"ftp://x\"\n").is_err());
        let c = parse(
            "[roundup]\ntitle = \"That was the local government week that was\"\nexcerpt_max_share = \"12.5 %\"\n",
        )
        .unwrap();
        assert_eq!(c.roundup.title, "That was the local government week that was");
        assert!((c.roundup.excerpt_max_share - 0.125).abs() < 1e-9);
        let e = parse("[roundup]\nexcerpt_max_share = \"0.2\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("roundup.excerpt_max_share")));
        assert!(parse("[roundup]\ntitel = \"x\"\n").is_err());
    }

    #[test]
    fn the_sites_name_description_and_language_have_defaults_and_are_checked() {
        let c = parse("[roundup]\ntitle = \"The week\"\n").unwrap();
        assert_eq!(c.roundup.site_name, "The week");
        assert_eq!(c.roundup.description, "The week: the weekly roundup");
        assert_eq!(c.roundup.language, "en");
        let c = parse(
            "[roundup]\nsite_name = \" LG week \"\ndescription = \"Picked.\"\nlanguage = \"en-GB\"\n",
        )
        .unwrap();
        assert_eq!(
            (c.roundup.site_name.as_str(), c.roundup.description.as_str()),
            ("LG week", "Picked.")
        );
        assert_eq!(c.roundup.language, "en-GB");
        for (text, line, key) in [
            ("[roundup]\n\nlanguage = \"English\"\n", 3, "roundup.language"),
            ("[roundup]\nlanguage = \"en_GB\"\n", 2, "roundup.language"),
            ("[roundup]\nsite_name = \"  \"\n", 2, "roundup.site_name"),
            ("[roundup]\ndescription = \"a\\nb\"\n", 2, "roundup.description"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{text}");
        }
    }

    #[test]
    fn settings_override_defaults_and_paths_resolve_from_the_config_folder() {
        let c = parse(
            "[settings]\ndatabase = \"state/r.db\"\ntimezone = \"America/New_York\"\nmax_body = \"1 MiB\"\nconcurrency = 4\nper_host = 1\ntimeout = \"5s\"\n",
        )
        .unwrap();
        assert_eq!(c.settings.database, PathBuf::from("/srv/roundup/state/r.db"));
        assert_eq!(c.settings.max_body, 1024 * 1024);
        assert_eq!((c.settings.concurrency, c.settings.per_host), (4, 1));
        assert_eq!(c.settings.timeout, Duration::from_secs(5));
        assert!(parse("[settings]\ntimezone = \"Mars/Olympus\"\n").is_err());
        assert!(parse("[settings]\nconcurrency = 0\n").is_err());
    }

    #[test]
    fn sizes_parse_binary_and_decimal_units() {
        assert_eq!(parse_size("15 MiB").unwrap(), 15 * 1024 * 1024);
        assert_eq!(parse_size("512KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("2MB").unwrap(), 2_000_000);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("ten MiB").is_err());
        assert!(parse_size("1 PB").is_err());
    }

    #[test]
    fn the_late_horizon_defaults_to_14_days_and_takes_a_duration() {
        let c = parse("").unwrap();
        assert_eq!(c.roundup.late_horizon, Duration::from_secs(14 * 86_400));
        let c = parse("[roundup]\nlate_horizon = \"3d\"\n").unwrap();
        assert_eq!(c.roundup.late_horizon, Duration::from_secs(3 * 86_400));
        let e = parse("[roundup]\nlate_horizon = \"soon\"\n").unwrap_err();
        assert!(e.to_string().contains("roundup.late_horizon"), "{e}");
    }

    #[test]
    fn a_blog_table_names_a_self_hosted_wordpress_or_a_wordpress_com_site() {
        let c = parse(
            "[blog]\nkind = \"wordpress\"\nurl = \"https://blog.example.org/news\"\n\
             user = \"editor\"\ncredentials = \"secrets/blog\"\n",
        )
        .unwrap();
        let blog = c.blog.unwrap();
        let url = Url::parse("https://blog.example.org/news/").unwrap();
        assert_eq!(blog.kind, BlogKind::WordPress { url });
        assert_eq!(blog.user.as_deref(), Some("editor"));
        assert_eq!(blog.credentials, Some(PathBuf::from("/srv/roundup/secrets/blog")));
        assert_eq!(blog.identity(), "wordpress https://blog.example.org/news/");
        let c =
            parse("[blog]\nkind = \"wordpress.com\"\nsite = \"example.wordpress.com\"\n").unwrap();
        let api = Url::parse("https://public-api.wordpress.com/").unwrap();
        let site = "example.wordpress.com".to_string();
        assert_eq!(c.blog.unwrap().kind, BlogKind::WordPressCom { site, api });
        assert!(parse("").unwrap().blog.is_none());
    }

    #[test]
    fn a_secret_in_the_blog_table_is_refused_with_where_it_goes() {
        let e =
            parse("[blog]\nkind = \"wordpress\"\nurl = \"https://b.example/\"\npassword = \"x\"\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains(":4: blog.password: credentials never go in the feeds file"), "{e}");
        assert!(e.contains("ROUNDUP_BLOG_PASSWORD"), "{e}");
        assert!(!e.contains("\"x\""), "{e}");
        let e = parse("[blog]\nkind = \"blogger\"\n").unwrap_err().to_string();
        assert!(e.contains("blog.kind: must be \"wordpress\" or \"wordpress.com\""), "{e}");
        let e = parse("[blog]\nkind = \"wordpress\"\n").unwrap_err().to_string();
        assert!(e.contains("blog.url: missing"), "{e}");
        let e = parse("[blog]\nkind = \"wordpress.com\"\nsite = \"https://x.example/\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("blog.site"), "{e}");
    }
}
