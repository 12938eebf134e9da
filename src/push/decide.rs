//! The pure decisions of `roundup push`, without I/O: what the post sent looks like
//! ([`Outgoing`]), whether to create, update or refuse ([`plan`]) given what was pushed last
//! and what the blog holds now, what changed on the blog ([`changed_fields`]), what the blog
//! removed from the HTML it was sent ([`removed_markup`]), and when a post is dated
//! ([`parse_when`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The status a push asks for (`--status`). WordPress's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Saved, not visible to readers: the default.
    Draft,
    /// Waiting for an editor's review on the blog.
    Pending,
    /// Scheduled: published by WordPress at `--date`.
    Future,
    /// Published now.
    Publish,
}

impl Status {
    /// The REST API's name for it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Pending => "pending",
            Status::Future => "future",
            Status::Publish => "publish",
        }
    }
}

/// The post as roundup sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    pub title: String,
    /// The HTML body (the draft without title, intro, tags and categories).
    pub content: String,
    /// The intro, as plain text.
    pub excerpt: String,
    /// `None` (no `--status`): a new post is a draft, an update keeps the blog's status (a
    /// correction to a published post stays published).
    pub status: Option<Status>,
    /// The post's date (UTC), when asked for with `--date`.
    pub date_gmt: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
}

/// A post as the blog answered for it (`context=edit`): the fields roundup sets, raw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RemotePost {
    pub id: u64,
    pub status: String,
    /// Exactly as the blog sent it: compared, never parsed.
    pub modified_gmt: String,
    pub link: Option<String>,
    pub title: String,
    pub content: String,
    pub excerpt: String,
    pub tags: Vec<u64>,
    pub categories: Vec<u64>,
}

/// What a push does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// A new post.
    Create,
    /// The post pushed before, with this id.
    Update(u64),
}

/// Why a push is refused (exit 1; `--overwrite` goes ahead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// Someone changed the post on the blog since the last push.
    #[error(
        "post {id} was changed on the blog since the last push ({}): pushing would overwrite \
         that; copy the changes into roundup (`roundup edit`, `roundup pick`), or push with \
         --overwrite to replace them",
        changed.join(", ")
    )]
    ChangedOnBlog { id: u64, changed: Vec<&'static str> },
    /// The post is published on the blog.
    #[error(
        "post {id} is already published on the blog{}; a push would change what readers see: \
         push with --overwrite to correct it",
        link.as_deref().map(|l| format!(" ({l})")).unwrap_or_default()
    )]
    Published { id: u64, link: Option<String> },
    /// The post pushed before is no longer on the blog (deleted, or in the trash).
    #[error(
        "post {id} is no longer on the blog (deleted or in the trash); push with --overwrite \
         to make a new one"
    )]
    Gone { id: u64 },
}

/// Create, update, or refuse: `last` is the post as the blog answered the last push (none
/// before the first push), `now` the same post as the blog holds it now (`None` when it is
/// gone or in the trash).
pub(crate) fn plan(
    last: Option<&RemotePost>,
    now: Option<&RemotePost>,
    overwrite: bool,
) -> Result<Plan, Refusal> {
    let Some(last) = last else { return Ok(Plan::Create) };
    let Some(now) = now.filter(|p| p.status != "trash") else {
        return if overwrite { Ok(Plan::Create) } else { Err(Refusal::Gone { id: last.id }) };
    };
    if overwrite {
        return Ok(Plan::Update(now.id));
    }
    if now.modified_gmt != last.modified_gmt {
        let mut changed = changed_fields(last, now);
        if changed.is_empty() {
            // Saved without a visible change (or a field roundup does not set).
            changed.push("saved, other fields");
        }
        return Err(Refusal::ChangedOnBlog { id: now.id, changed });
    }
    if now.status == "publish" || now.status == "private" {
        return Err(Refusal::Published { id: now.id, link: now.link.clone() });
    }
    Ok(Plan::Update(now.id))
}

/// The fields of `now` that differ from `before`, by name.
pub(crate) fn changed_fields(before: &RemotePost, now: &RemotePost) -> Vec<&'static str> {
    let sorted = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    };
    let mut out = Vec::new();
    if before.title != now.title {
        out.push("title");
    }
    if before.content != now.content {
        out.push("content");
    }
    if before.excerpt != now.excerpt {
        out.push("excerpt");
    }
    if before.status != now.status {
        out.push("status");
    }
    if sorted(&before.tags) != sorted(&now.tags) {
        out.push("tags");
    }
    if sorted(&before.categories) != sorted(&now.categories) {
        out.push("categories");
    }
    out
}

/// What `returned` lacks of the markup in `sent` (the HTML roundup sent and the HTML the blog
/// kept): elements, attributes and link targets that are fewer in `returned`, described in
/// words (`2 <time> elements`, `the cite attribute of 1 <blockquote>`, `the link to
/// https://…`). Empty when nothing was removed; markup the blog added (wpautop's paragraphs)
/// does not count.
pub(crate) fn removed_markup(sent: &str, returned: &str) -> Vec<String> {
    let (sent, returned) = (MarkupCount::of(sent), MarkupCount::of(returned));
    let mut out = Vec::new();
    for (name, n) in &sent.elements {
        let kept = returned.elements.get(name).copied().unwrap_or(0);
        if kept < *n {
            let gone = n - kept;
            out.push(format!("{gone} <{name}> element{}", if gone == 1 { "" } else { "s" }));
        }
    }
    for ((name, attr), n) in &sent.attributes {
        // An element that is gone took its attributes with it.
        let element_loss = sent.elements[name] - returned.elements.get(name).copied().unwrap_or(0);
        let kept = returned.attributes.get(&(name.clone(), attr.clone())).copied().unwrap_or(0);
        if kept + element_loss < *n {
            let gone = n - kept - element_loss;
            out.push(format!("the {attr} attribute of {gone} <{name}>"));
        }
    }
    for (href, n) in &sent.links {
        let kept = returned.links.get(href).copied().unwrap_or(0);
        if kept < *n {
            out.push(format!("the link to {href}"));
        }
    }
    out
}

/// How many of each element, element attribute and link target a fragment holds.
#[derive(Debug, Default)]
struct MarkupCount {
    elements: BTreeMap<String, usize>,
    attributes: BTreeMap<(String, String), usize>,
    links: BTreeMap<String, usize>,
}

impl MarkupCount {
    fn of(html: &str) -> MarkupCount {
        let doc = scraper::Html::parse_fragment(html);
        let mut count = MarkupCount::default();
        for node in doc.root_element().descendants() {
            let Some(el) = node.value().as_element() else { continue };
            let name = el.name().to_string();
            if name == "html" {
                continue;
            }
            *count.elements.entry(name.clone()).or_default() += 1;
            for (attr, value) in el.attrs() {
                *count.attributes.entry((name.clone(), attr.to_string())).or_default() += 1;
                if name == "a" && attr == "href" {
                    *count.links.entry(value.to_string()).or_default() += 1;
                }
            }
        }
        count
    }
}

/// `--date WHEN`: RFC 3339 (`2026-12-01T09:00:00Z`, `…+01:00`), or a local date and time in
/// the configured time zone (`2026-12-01 09:00`, `2026-12-01T09:00`).
pub(crate) fn parse_when(when: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let when = when.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(when) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(when, format) {
            return tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    format!("{when:?} does not exist in {tz} (a clock change skips it)")
                });
        }
    }
    Err(format!(
        "{when:?} is not a date and time: use e.g. \"2026-12-01 09:00\" (in {tz}) or \
         \"2026-12-01T09:00:00Z\""
    ))
}

/// Checks `--status` against `--date`: `future` needs a date after `now` (WordPress publishes
/// a "future" post dated in the past at once).
pub(crate) fn check_schedule(
    status: Status,
    date: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match (status, date) {
        (Status::Future, None) => {
            Err("--status future needs --date WHEN, the time WordPress publishes it".into())
        }
        (Status::Future, Some(d)) if d <= now => Err(format!(
            "--date {} is not in the future: WordPress would publish the post at once (use \
             --status publish for that)",
            crate::timefmt::rfc3339(d)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(modified: &str) -> RemotePost {
        RemotePost {
            id: 7,
            status: "draft".into(),
            modified_gmt: modified.into(),
            link: Some("https://blog.example/?p=7".into()),
            title: "T".into(),
            content: "<p>c</p>".into(),
            excerpt: "e".into(),
            tags: vec![1, 2],
            categories: vec![3],
        }
    }

    #[test]
    fn the_first_push_creates_and_a_later_one_updates_the_same_post() {
        assert_eq!(plan(None, None, false), Ok(Plan::Create));
        let last = post("2026-11-29T10:00:00");
        assert_eq!(plan(Some(&last), Some(&last.clone()), false), Ok(Plan::Update(7)));
    }

    #[test]
    fn a_post_changed_on_the_blog_is_refused_naming_what_changed_unless_overwrite() {
        let last = post("2026-11-29T10:00:00");
        let mut now = post("2026-11-29T11:00:00");
        now.title = "Retitled".into();
        now.tags = vec![2, 1, 9];
        let refused = plan(Some(&last), Some(&now), false).unwrap_err();
        assert_eq!(refused, Refusal::ChangedOnBlog { id: 7, changed: vec!["title", "tags"] });
        assert!(refused.to_string().contains("(title, tags)"), "{refused}");
        assert_eq!(plan(Some(&last), Some(&now), true), Ok(Plan::Update(7)));
        // The same terms in another order are no change.
        now.tags = vec![2, 1];
        now.title = "T".into();
        now.excerpt = "edited".into();
        let refused = plan(Some(&last), Some(&now), false).unwrap_err();
        assert_eq!(refused, Refusal::ChangedOnBlog { id: 7, changed: vec!["excerpt"] });
    }

    #[test]
    fn a_published_post_is_only_updated_with_overwrite() {
        let mut last = post("m");
        last.status = "publish".into();
        let refused = plan(Some(&last), Some(&last.clone()), false).unwrap_err();
        assert!(matches!(refused, Refusal::Published { id: 7, .. }), "{refused}");
        assert_eq!(plan(Some(&last), Some(&last.clone()), true), Ok(Plan::Update(7)));
    }

    #[test]
    fn a_post_gone_from_the_blog_is_refused_and_made_again_with_overwrite() {
        let last = post("m");
        assert_eq!(plan(Some(&last), None, false), Err(Refusal::Gone { id: 7 }));
        let mut trashed = last.clone();
        trashed.status = "trash".into();
        assert_eq!(plan(Some(&last), Some(&trashed), false), Err(Refusal::Gone { id: 7 }));
        assert_eq!(plan(Some(&last), None, true), Ok(Plan::Create));
    }

    #[test]
    fn removed_markup_names_elements_attributes_and_links_the_blog_dropped() {
        let sent = "<p>A <time datetime=\"2026\">then</time></p>\
                    <blockquote cite=\"https://a.example/x\"><p>q</p></blockquote>\
                    <p><a href=\"https://a.example/x#:~:text=q\">x</a></p><script>1</script>";
        let kept = "<p>A then</p><blockquote><p>q</p></blockquote>\
                    <p><a href=\"https://a.example/x#:~:text=q\">x</a></p>1";
        assert_eq!(
            removed_markup(sent, kept),
            vec!["1 <script> element", "1 <time> element", "the cite attribute of 1 <blockquote>"]
        );
        let no_link = "<p>A <time datetime=\"2026\">then</time></p>\
                       <blockquote cite=\"https://a.example/x\"><p>q</p></blockquote><p>x</p>\
                       <script>1</script>";
        assert_eq!(
            removed_markup(sent, no_link),
            vec!["1 <a> element", "the link to https://a.example/x#:~:text=q"]
        );
    }

    #[test]
    fn markup_the_blog_adds_or_re_spells_is_no_removal() {
        let sent = "<blockquote cite=\"https://a.example/?a=1&amp;b=2\">\nq\n</blockquote>";
        let autop = "<blockquote cite='https://a.example/?a=1&#038;b=2'><p>q</p></blockquote>";
        assert!(removed_markup(sent, autop).is_empty(), "{:?}", removed_markup(sent, autop));
    }

    #[test]
    fn a_date_is_rfc_3339_or_local_to_the_configured_zone() {
        let london = chrono_tz::Europe::London;
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(parse_when("2026-12-01T09:00:00Z", london), Ok(utc("2026-12-01T09:00:00Z")));
        assert_eq!(parse_when("2026-07-01 09:00", london), Ok(utc("2026-07-01T08:00:00Z")));
        assert!(parse_when("next tuesday", london).unwrap_err().contains("not a date"));
    }

    #[test]
    fn future_needs_a_date_after_now_and_nothing_else_does() {
        let now: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let later = now + chrono::Duration::days(1);
        let earlier = now - chrono::Duration::days(1);
        assert!(check_schedule(Status::Future, None, now).unwrap_err().contains("--date"));
        assert!(check_schedule(Status::Future, Some(earlier), now).is_err());
        assert_eq!(check_schedule(Status::Future, Some(later), now), Ok(()));
        assert_eq!(check_schedule(Status::Draft, None, now), Ok(()));
        assert_eq!(check_schedule(Status::Publish, Some(earlier), now), Ok(()));
    }
}
