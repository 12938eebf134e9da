//! Editing feeds.toml in place with toml_edit, so that every comment and the layout the editor
//! wrote survive `feeds add` and `feeds import`. Written to a temporary file and renamed, so a
//! crash never leaves half a file.

use std::path::Path;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
use url::Url;

use crate::config::{Config, FeedConfig};

/// Why the feeds file could not be changed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedsFileError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not valid TOML: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: `feeds` is not an array of [[feeds]] tables")]
    Shape { path: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("the edited file would be invalid: {0}")]
    Invalid(String),
}

/// Appends `feeds` as `[[feeds]]` tables at the end of the file, keeping everything else.
pub(crate) fn append_feeds(path: &Path, feeds: &[FeedConfig]) -> Result<(), FeedsFileError> {
    edit_file(path, |text| with_feeds_appended(text, feeds))
}

/// Sets `[desk] password_hash` in the feeds file at `path`, keeping everything else.
pub(crate) fn set_desk_password_hash(path: &Path, hash: &str) -> Result<(), FeedsFileError> {
    edit_file(path, |text| with_desk_password_hash(text, hash))
}

/// Reads the feeds file at `path`, applies `edit` to its text, checks that roundup would still
/// accept the result, and only then replaces the file atomically.
fn edit_file(
    path: &Path,
    edit: impl FnOnce(&str) -> Result<String, EditError>,
) -> Result<(), FeedsFileError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| FeedsFileError::Read { path: p.clone(), source })?;
    let edited = edit(&text).map_err(|e| match e {
        EditError::Toml(message) => FeedsFileError::Toml { path: p.clone(), message },
        EditError::Shape => FeedsFileError::Shape { path: p.clone() },
    })?;
    // Never write a file that roundup itself would refuse.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Config::parse(&edited, path, dir).map_err(|e| FeedsFileError::Invalid(e.to_string()))?;
    crate::atomic_write::write_atomic(path, edited.as_bytes())
        .map(drop)
        .map_err(|source| FeedsFileError::Write { path: p, source })
}

fn with_desk_password_hash(text: &str, hash: &str) -> Result<String, EditError> {
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| EditError::Toml(e.to_string()))?;
    let desk = doc.entry("desk").or_insert(Item::Table(Table::new()));
    let desk = desk.as_table_mut().ok_or(EditError::Shape)?;
    desk.insert("password_hash", value(hash));
    Ok(doc.to_string())
}

enum EditError {
    Toml(String),
    Shape,
}

fn with_feeds_appended(text: &str, feeds: &[FeedConfig]) -> Result<String, EditError> {
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| EditError::Toml(e.to_string()))?;
    // In a file of nothing but comments, toml_edit holds them as the document's trailing text,
    // which would put them after the new feeds: keep them above instead.
    let mut header = None;
    if doc.as_table().is_empty() {
        header = doc.trailing().as_str().map(str::to_string).filter(|t| !t.trim().is_empty());
        if header.is_some() {
            doc.set_trailing("");
        }
    }
    let list = doc.entry("feeds").or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let list = list.as_array_of_tables_mut().ok_or(EditError::Shape)?;
    for f in feeds {
        let mut t = Table::new();
        if let Some(header) = header.take() {
            t.decor_mut().set_prefix(format!("{}\n\n", header.trim_end()));
        }
        t.insert("id", value(f.id.as_str()));
        if let Some(name) = &f.name {
            t.insert("name", value(name.as_str()));
        }
        t.insert("url", value(f.url.as_str()));
        if !f.tags.is_empty() {
            let mut tags = Array::new();
            for tag in &f.tags {
                tags.push(tag.as_str());
            }
            t.insert("tags", value(tags));
        }
        list.push(t);
    }
    Ok(doc.to_string())
}

/// A slug for a new feed, from its title (else its host), not in `taken`.
pub(crate) fn unique_slug(title: &str, url: &Url, taken: &[&str]) -> String {
    let source = if title.trim().is_empty() { url.host_str().unwrap_or("feed") } else { title };
    let mut slug = String::new();
    for c in source.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-').to_string();
    let slug = if slug.is_empty() { "feed".to_string() } else { slug };
    if !taken.contains(&slug.as_str()) {
        return slug;
    }
    (2..)
        .map(|n| format!("{slug}-{n}"))
        .find(|s| !taken.contains(&s.as_str()))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_the_desk_password_keeps_the_rest_and_replaces_an_old_hash() {
        let text = "# Mine\n[[feeds]]\nid = \"lgiu\"\nurl = \"https://lgiu.org/feed/\"\n";
        let hash = crate::desk::hash_password("pw").unwrap();
        let out = with_desk_password_hash(text, &hash).ok().unwrap();
        assert!(out.starts_with(text), "{out}");
        let c = Config::parse(&out, Path::new("f.toml"), Path::new(".")).unwrap();
        assert_eq!(c.desk.password_hash.as_deref(), Some(hash.as_str()));
        let again = crate::desk::hash_password("pw2").unwrap();
        let out = with_desk_password_hash(&out, &again).ok().unwrap();
        assert_eq!(out.matches("password_hash").count(), 1);
        let bad = Config::parse(
            "[desk]\npassword_hash = \"secret\"\n",
            Path::new("f.toml"),
            Path::new("."),
        );
        let e = bad.unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("desk.password_hash")), "{e}");
    }

    #[test]
    fn appending_keeps_comments_and_existing_entries() {
        let text = "# My feeds\n[settings]\ninterval = \"2h\" # slow down\n\n# LGIU first\n[[feeds]]\nid = \"lgiu\"\nurl = \"https://lgiu.org/feed/\"\n";
        let f = FeedConfig {
            id: "gds".into(),
            url: Url::parse("https://gds.blog.gov.uk/feed/").unwrap(),
            name: Some("GDS \"blog\"".into()),
            tags: vec!["govuk".into()],
            interval: None,
        };
        let out = with_feeds_appended(text, &[f]).ok().unwrap();
        assert!(out.starts_with(text), "{out}");
        assert!(out.contains("id = \"gds\""));
        let c = Config::parse(&out, Path::new("f.toml"), Path::new(".")).unwrap();
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[1].name.as_deref(), Some("GDS \"blog\""));
        assert_eq!(c.feeds[1].tags, ["govuk"]);
    }

    #[test]
    fn appending_to_a_file_of_only_comments_keeps_them_at_the_top() {
        let f = FeedConfig {
            id: "a".into(),
            url: Url::parse("https://a.example/feed").unwrap(),
            name: None,
            tags: vec![],
            interval: None,
        };
        let out = with_feeds_appended("# My feeds\n# (none yet)\n", &[f]).ok().unwrap();
        assert!(out.starts_with("# My feeds\n# (none yet)\n\n[[feeds]]\nid = \"a\"\n"), "{out}");
        let out = with_feeds_appended("", &[]).ok().unwrap();
        assert_eq!(out, "");
    }

    #[test]
    fn slugs_come_from_titles_and_never_collide() {
        let u = Url::parse("https://www.lgiu.org/feed/").unwrap();
        assert_eq!(
            unique_slug("LGIU: Local Government Information Unit", &u, &[]),
            "lgiu-local-government-information-unit"
        );
        assert_eq!(unique_slug("", &u, &[]), "www-lgiu-org");
        assert_eq!(unique_slug("LGIU", &u, &["lgiu", "lgiu-2"]), "lgiu-3");
    }
}
