//! `roundup publish`: the public folder (archive pages, index, `feed.atom`, `feed.rss`,
//! `feed.json`, `links.atom`) from real fetched feeds and picks, through the real binary. The
//! fixture feeds are the draft tests' (`tests/fixtures/draft/`, dated in 2024-W48; any entry may
//! be picked into any week) plus `tests/fixtures/publish/odd.atom`, whose titles hold `&`, `]]>`,
//! quotes and non-BMP characters.
//!
//! Every feed passes a validity check run here (well-formed XML read to the end with quick-xml,
//! only XML 1.0 characters, the required Atom / RSS / JSON Feed elements, RFC 3339 / RFC 822
//! dates, unique ids, absolute URLs) and, when Python's feedparser is installed, feedparser reads
//! it with no bozo flag (without it, that part is skipped with `support::cannot_check`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::support::*;

const W48: &str = "2024-W48";
const W49: &str = "2024-W49";
const BASE: &str = "https://news.example/roundup/";
const TITLE: &str = "The local government week";
const AUTHOR: &str = "Sam Editor";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// The weeks' dates, as page and feed entry titles carry them after the roundup's title.
const W48_DATES: &str = "25 November – 1 December 2024";
const W49_DATES: &str = "2 – 8 December 2024";

// Feeds the fixture server serves at `/doc/{id}` (see `support::FeedFixture`).
const LGIU: FeedFixture = ("lgiu", "draft/lgiu.xml", "application/rss+xml", Some("LGIU"));
const LOCALGOV: FeedFixture =
    ("localgov", "draft/localgov.atom", "application/atom+xml", Some("LocalGov"));
const COMMS: FeedFixture =
    ("comms", "draft/comms.xml", "application/rss+xml", Some("Comms Corner"));
const ODD: FeedFixture = ("odd", "publish/odd.atom", "application/atom+xml", None);

/// The editor's desk: the fixture server, a config polling `feeds` and publishing to
/// `public/` under [`BASE`], and one fetch done.
struct Desk {
    _server: FixtureServer,
    env: TestEnv,
}

impl Desk {
    fn start(feeds: &[FeedFixture]) -> Desk {
        Desk::start_with(feeds, "")
    }

    /// As [`Desk::start`], with `extra` lines in the `[roundup]` table.
    fn start_with(feeds: &[FeedFixture], extra: &str) -> Desk {
        let server = FixtureServer::start();
        let head = format!(
            "[settings]\ntimezone = \"Europe/London\"\n\n[roundup]\ntitle = \"{TITLE}\"\n\
             author = \"{AUTHOR}\"\nbase_url = \"{BASE}\"\npublic = \"public\"\n\
             drafts = \"drafts\"\ntemplates = \"templates\"\n{extra}"
        );
        let config = serve_fixture_feeds(&server, &head, feeds);
        let env = TestEnv::new(&config);
        env.fetch(&[]).success();
        Desk { _server: server, env }
    }

    /// The stored entry whose title starts with `title`.
    #[track_caller]
    fn entry(&self, title: &str) -> Value {
        let entries = self.env.entries(&[]);
        let found: Vec<_> = entries
            .iter()
            .filter(|e| e["title"].as_str().is_some_and(|t| t.starts_with(title)))
            .cloned()
            .collect();
        assert_eq!(found.len(), 1, "one entry titled {title:?} in {entries:#?}");
        found.into_iter().next().unwrap()
    }

    /// `roundup ARGS --week WEEK`, which must succeed.
    #[track_caller]
    fn ok(&self, week: &str, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--week", week]);
        let run = self.env.run(&all);
        run.success();
        run
    }

    /// Picks the entry titled `title` into `week`, with `args`.
    #[track_caller]
    fn pick(&self, week: &str, title: &str, args: &[&str]) {
        let id = self.entry(title)["id"].as_i64().expect("id").to_string();
        let mut all = vec!["pick", id.as_str()];
        all.extend_from_slice(args);
        self.ok(week, &all);
    }

    #[track_caller]
    fn publish(&self, week: &str) -> Run {
        self.ok(week, &["publish"])
    }

    fn public(&self) -> PathBuf {
        self.env.dir().join("public")
    }

    #[track_caller]
    fn read(&self, file: &str) -> String {
        let path = self.public().join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every file of the public folder (relative path, text).
    fn all_files(&self) -> Vec<(String, String)> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(dir).expect("read public folder") {
                let path = e.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap().display().to_string();
                    out.push((rel, std::fs::read_to_string(&path).expect("UTF-8 file")));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.public(), &self.public(), &mut out);
        out.sort();
        out
    }
}

/// Two roundups as an editor makes them: 2024-W48 (two picks, titled, tagged) published first,
/// then 2024-W49 (two picks).
fn two_weeks() -> Desk {
    let d = Desk::start(&[LGIU, LOCALGOV, COMMS]);
    d.pick(
        W48,
        "Council budgets under pressure",
        &["--excerpt-para", "2", "--note", "Grim reading."],
    );
    d.pick(W48, "Housing waiting lists", &["--lead", "A record, and not a good one."]);
    d.ok(
        W48,
        &[
            "edit",
            "--title",
            "Budgets and housing",
            "--tags",
            "budgets,housing",
            "--categories",
            "Roundups",
        ],
    );
    d.publish(W48);
    d.pick(W49, "Five things (not) to post", &["--note", "Bins, again."]);
    d.pick(W49, "Devolution deals", &[]);
    d.ok(W49, &["edit", "--title", "Bins and deals", "--intro", "A shorter week."]);
    d.publish(W49);
    d
}

// ------------------------------------------------------------------------------------------
// A small XML tree and the validity checks
// ------------------------------------------------------------------------------------------

/// An element: qualified name, attributes (unescaped), text (unescaped, all text children
/// joined) and child elements.
#[derive(Debug, Default, Clone)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    #[track_caller]
    fn one(&self, name: &str) -> &Node {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "<{}> has {} <{name}>: {self:#?}", self.name, all.len());
        all[0]
    }

    /// Every element below (and including) this one.
    fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }
}

/// Whether XML 1.0 allows `c`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn element(e: &BytesStart<'_>) -> Node {
    let name = e.name().into_inner().to_string();
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap_or_else(|err| panic!("bad attribute on <{name}>: {err}"));
            let key = a.key.into_inner().to_string();
            let value =
                quick_xml::escape::unescape(&a.value).expect("value unescapes").into_owned();
            (key, value)
        })
        .collect();
    Node { name, attrs, ..Default::default() }
}

/// Parses `text` to the end: panics unless it is one well-formed XML document of XML 1.0
/// characters. Gives the root element.
#[track_caller]
fn parse_xml(file: &str, text: &str) -> Node {
    if let Some(c) = text.chars().find(|c| !xml_char(*c)) {
        panic!("{file}: holds {c:?}, which XML 1.0 forbids");
    }
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Node::default()];
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!("{file}: not well-formed at {}: {e}", reader.error_position())
        });
        match event {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let n = element(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().expect("an open element").children.push(n);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::CData(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().expect("a valid character reference").expect("a char")
                } else {
                    match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("{file}: undefined entity &{other};"),
                    }
                };
                assert!(xml_char(resolved), "{file}: a reference to {resolved:?}");
                stack.last_mut().unwrap().text.push(resolved);
            }
            Event::DocType(_) => panic!("{file}: a feed needs no DOCTYPE"),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    assert_eq!(stack.len(), 1, "{file}: unclosed elements");
    let doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "{file}: one root element");
    assert!(doc.text.trim().is_empty(), "{file}: text outside the root element");
    doc.children.into_iter().next().unwrap()
}

#[track_caller]
fn absolute(what: &str, url: &str) {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("{what}: {url:?} is not absolute: {e}"));
    assert!(matches!(u.scheme(), "http" | "https"), "{what}: {url:?}");
}

#[track_caller]
fn rfc3339(what: &str, s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{what}: {s:?} is not RFC 3339: {e}"))
}

/// One entry of a feed, as the checks read it.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    title: String,
    link: String,
    updated: String,
    /// The content (HTML), unescaped from the XML / JSON.
    content: String,
    categories: Vec<String>,
    /// links.atom's `atom:source`: (title, link).
    source: Option<(String, Option<String>)>,
}

/// Checks an Atom feed; gives its entries.
#[track_caller]
fn check_atom(file: &str, text: &str) -> Vec<Entry> {
    let feed = parse_xml(file, text);
    assert_eq!(feed.name, "feed", "{file}");
    assert_eq!(feed.attr("xmlns"), Some(ATOM_NS), "{file}");
    assert!(!feed.one("id").text.is_empty(), "{file}: feed id");
    assert!(!feed.one("title").text.is_empty(), "{file}: feed title");
    rfc3339(&format!("{file}: feed updated"), &feed.one("updated").text);
    let selfs: Vec<_> =
        feed.all("link").into_iter().filter(|l| l.attr("rel") == Some("self")).collect();
    assert_eq!(selfs.len(), 1, "{file}: one rel=self link");
    assert_eq!(selfs[0].attr("href"), Some(format!("{BASE}{file}").as_str()), "{file}");
    let mut nodes = Vec::new();
    feed.walk(&mut nodes);
    for n in nodes.iter().filter(|n| n.name == "link") {
        absolute(&format!("{file}: link"), n.attr("href").expect("link href"));
    }
    let mut ids = HashSet::new();
    let entries: Vec<Entry> = feed
        .all("entry")
        .into_iter()
        .map(|e| {
            let id = e.one("id").text.clone();
            assert!(!id.is_empty(), "{file}: entry id");
            assert!(ids.insert(id.clone()), "{file}: id {id} twice");
            let updated = e.one("updated").text.clone();
            rfc3339(&format!("{file}: entry updated"), &updated);
            rfc3339(&format!("{file}: entry published"), &e.one("published").text);
            let link = e
                .all("link")
                .into_iter()
                .find(|l| l.attr("rel").is_none_or(|r| r == "alternate"))
                .and_then(|l| l.attr("href"))
                .expect("an alternate link")
                .to_string();
            let content = e.one("content");
            assert_eq!(content.attr("type"), Some("html"), "{file}");
            Entry {
                id,
                title: e.one("title").text.clone(),
                link,
                updated,
                content: content.text.clone(),
                categories: e
                    .all("category")
                    .into_iter()
                    .map(|c| c.attr("term").expect("term").to_string())
                    .collect(),
                source: e.all("source").first().map(|s| {
                    (
                        s.one("title").text.clone(),
                        s.all("link").first().and_then(|l| l.attr("href")).map(str::to_string),
                    )
                }),
            }
        })
        .collect();
    assert!(!entries.is_empty(), "{file}: no entries");
    entries
}

/// Checks an RSS 2.0 feed; gives its items (`updated` is the pubDate).
#[track_caller]
fn check_rss(file: &str, text: &str) -> Vec<Entry> {
    let rss = parse_xml(file, text);
    assert_eq!(rss.name, "rss", "{file}");
    assert_eq!(rss.attr("version"), Some("2.0"), "{file}");
    let channel = rss.one("channel");
    assert!(!channel.one("title").text.is_empty(), "{file}: channel title");
    absolute("channel link", &channel.one("link").text);
    assert!(!channel.one("description").text.is_empty(), "{file}: channel description");
    let this = channel.one("atom:link");
    assert_eq!(this.attr("rel"), Some("self"), "{file}");
    assert_eq!(this.attr("href"), Some(format!("{BASE}{file}").as_str()), "{file}");
    assert_eq!(rss.attr("xmlns:atom"), Some(ATOM_NS), "{file}");
    chrono::DateTime::parse_from_rfc2822(&channel.one("lastBuildDate").text)
        .expect("lastBuildDate is RFC 822");
    let mut guids = HashSet::new();
    channel
        .all("item")
        .into_iter()
        .map(|i| {
            let link = i.one("link").text.clone();
            absolute("item link", &link);
            let guid = i.one("guid");
            assert!(guids.insert(guid.text.clone()), "{file}: guid {} twice", guid.text);
            if guid.attr("isPermaLink") != Some("false") {
                absolute("permalink guid", &guid.text);
            }
            let date = i.one("pubDate").text.clone();
            let parsed = chrono::DateTime::parse_from_rfc2822(&date)
                .unwrap_or_else(|e| panic!("{file}: pubDate {date:?}: {e}"));
            assert!(date.ends_with(" +0000"), "{date}");
            Entry {
                id: guid.text.clone(),
                title: i.one("title").text.clone(),
                link,
                updated: parsed.to_rfc3339(),
                content: i.one("description").text.clone(),
                categories: i.all("category").into_iter().map(|c| c.text.clone()).collect(),
                source: None,
            }
        })
        .collect()
}

/// Checks a JSON Feed 1.1; gives its items (`updated` is date_modified).
#[track_caller]
fn check_json(file: &str, text: &str) -> Vec<Entry> {
    let feed: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(feed["title"].as_str().is_some_and(|t| !t.is_empty()));
    absolute("home_page_url", feed["home_page_url"].as_str().expect("home_page_url"));
    assert_eq!(feed["feed_url"].as_str(), Some(format!("{BASE}{file}").as_str()));
    let mut ids = HashSet::new();
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let id = i["id"].as_str().expect("id").to_string();
            assert!(ids.insert(id.clone()), "{file}: id {id} twice");
            let url = i["url"].as_str().expect("url").to_string();
            absolute("item url", &url);
            rfc3339("date_published", i["date_published"].as_str().expect("date_published"));
            let updated = i["date_modified"].as_str().expect("date_modified").to_string();
            rfc3339("date_modified", &updated);
            Entry {
                id,
                title: i["title"].as_str().expect("title").to_string(),
                link: url,
                updated,
                content: i["content_html"].as_str().expect("content_html").to_string(),
                categories: i["tags"]
                    .as_array()
                    .map(|t| t.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                source: None,
            }
        })
        .collect()
}

/// The four feeds checked: (feed.atom, feed.rss, feed.json, links.atom) entries.
#[track_caller]
fn check_all(d: &Desk) -> [Vec<Entry>; 4] {
    [
        check_atom("feed.atom", &d.read("feed.atom")),
        check_rss("feed.rss", &d.read("feed.rss")),
        check_json("feed.json", &d.read("feed.json")),
        check_atom("links.atom", &d.read("links.atom")),
    ]
}

/// HTML text decoded (`&amp;` → `&`…), for finding plain text in HTML content.
fn html_text(html: &str) -> String {
    html_escape::decode_html_entities(html).into_owned()
}

// ------------------------------------------------------------------------------------------
// Python: feedparser, and expat as a second XML parser
// ------------------------------------------------------------------------------------------

/// Reads each feed with feedparser. Released feedparser (6.0) reads no JSON Feed (its JSON
/// parser is unreleased): then `feed.json` is read with Python's own `json` module into the same
/// shape, and `reader` says so.
const FEEDPARSER: &str = r#"
import importlib.util, json, sys, feedparser
has_json = importlib.util.find_spec("feedparser.parsers.json") is not None
out = {}
for path in sys.argv[1:]:
    name = path.rsplit('/', 1)[-1]
    if name.endswith(".json") and not has_json:
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        out[name] = {
            "bozo": False, "error": None, "version": j.get("version", "").replace("https://jsonfeed.org/version/", "json").replace(".", ""),
            "reader": "python json (feedparser " + feedparser.__version__ + " reads no JSON Feed)",
            "title": j.get("title"),
            "entries": [
                {"id": i.get("id"), "title": i.get("title"), "link": i.get("url"),
                 "date": i.get("date_modified") or i.get("date_published"),
                 "parsed": bool(i.get("date_published")), "content": i.get("content_html"),
                 "source": None}
                for i in j.get("items", [])
            ],
        }
        continue
    headers = {"content-type": "application/feed+json"} if name.endswith(".json") else {}
    d = feedparser.parse(path, response_headers=headers)
    out[name] = {
        "reader": "feedparser " + feedparser.__version__,
        "bozo": bool(d.bozo),
        "error": repr(d.get("bozo_exception")),
        "version": d.version,
        "title": d.feed.get("title"),
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "link": e.get("link"),
                "date": e.get("updated") or e.get("published"),
                "parsed": bool(e.get("updated_parsed") or e.get("published_parsed")),
                "content": (e.get("content") or [{}])[0].get("value") or e.get("summary"),
                "source": (e.get("source") or {}).get("title"),
            }
            for e in d.entries
        ],
    }
print(json.dumps(out))
"#;

/// feedparser's reading of the four feeds, keyed by file name; `None` (with a notice) when
/// feedparser is not installed.
fn feedparser(d: &Desk) -> Option<Value> {
    if !python_has(&["feedparser"]) {
        cannot_check(
            "feedparser's reading of the feeds",
            "Python's feedparser is not installed (`python3 -m pip install feedparser`)",
        );
        return None;
    }
    let files: Vec<String> = ["feed.atom", "feed.rss", "feed.json", "links.atom"]
        .iter()
        .map(|f| d.public().join(f).display().to_string())
        .collect();
    let out = Command::new("python3")
        .arg("-c")
        .arg(FEEDPARSER)
        .args(&files)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "feedparser script: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).expect("feedparser script prints JSON"))
}

/// Python's expat parses each XML feed (a second, independent well-formedness check).
fn expat_parses(d: &Desk) {
    if !python_has(&["xml.etree.ElementTree"]) {
        cannot_check("expat's well-formedness check", "python3 is not available");
        return;
    }
    for f in ["feed.atom", "feed.rss", "links.atom"] {
        let out = Command::new("python3")
            .args(["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])"])
            .arg(d.public().join(f))
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{f}: expat: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The W3C Feed Validation Service's own code (`../shared/tools/feedvalidator`, or the
/// `validate` script in `ROUNDUP_FEEDVALIDATOR`) on the three XML feeds, as if served under
/// [`BASE`]: each error and warning the online service would show, one per line, or `None`
/// (after [`cannot_check`]) when the validator or the Python packages it needs are missing.
fn feed_validator(d: &Desk) -> Option<String> {
    let script = match std::env::var_os("ROUNDUP_FEEDVALIDATOR") {
        Some(path) => PathBuf::from(path),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/feedvalidator/validate")
        }
    };
    if !script.is_file() {
        cannot_check(
            "the W3C feed validator",
            &format!(
                "no {} (../shared/tools beside the repository, or set ROUNDUP_FEEDVALIDATOR)",
                script.display()
            ),
        );
        return None;
    }
    if !python_has(&["lxml", "html5lib", "rdflib"]) {
        cannot_check(
            "the W3C feed validator",
            "Python's lxml, html5lib or rdflib is missing (`python3 -m pip install lxml html5lib rdflib`)",
        );
        return None;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(&script).args(["--base", BASE]);
    for f in ["feed.atom", "feed.rss", "links.atom"] {
        cmd.arg(d.public().join(f));
    }
    let run = run_command(cmd);
    assert!(matches!(run.code, Some(0 | 1)), "the validator did not run\n{run}");
    let public = format!("{}/", d.public().display());
    Some(run.stdout.replace(&public, ""))
}

// ------------------------------------------------------------------------------------------
// The tests
// ------------------------------------------------------------------------------------------

/// Issue 9 item 11: links.atom had 17 warnings (no `updated` in any `atom:source`, one
/// `updated` shared by every entry).
#[test]
fn two_published_roundups_pass_the_w3c_feed_validator_without_warnings() {
    let d = two_weeks();
    let Some(report) = feed_validator(&d) else { return };
    assert_eq!(
        report,
        "feed.atom: 0 errors, 0 warnings\nfeed.rss: 0 errors, 0 warnings\nlinks.atom: 0 errors, 0 warnings\n",
        "the W3C feed validator's report"
    );
}

#[test]
fn two_published_roundups_pass_the_validity_checks_and_feedparser() {
    let d = two_weeks();
    let w48 = format!("{BASE}{W48}/");
    let w49 = format!("{BASE}{W49}/");

    let [atom, rss, json, links] = check_all(&d);
    for (name, entries) in [("feed.atom", &atom), ("feed.rss", &rss), ("feed.json", &json)] {
        let shape: Vec<(&str, &str, &str)> =
            entries.iter().map(|e| (e.id.as_str(), e.title.as_str(), e.link.as_str())).collect();
        let (t49, t48) =
            (format!("Bins and deals · {W49_DATES}"), format!("Budgets and housing · {W48_DATES}"));
        assert_eq!(
            shape,
            [
                (w49.as_str(), t49.as_str(), w49.as_str()),
                (w48.as_str(), t48.as_str(), w48.as_str())
            ],
            "{name}: both roundups, newest first"
        );
        assert!(entries[1].content.contains("Council budgets under pressure"), "{name}");
        assert!(entries[1].content.contains("Grim reading."), "{name}");
        assert!(entries[0].content.contains("A shorter week."), "{name}");
        assert!(!entries[0].content.contains("<script"), "{name}");
    }
    assert_eq!(atom[1].categories, ["Roundups", "budgets", "housing"]);
    assert_eq!(rss[1].categories, ["Roundups", "budgets", "housing"]);
    assert_eq!(json[1].categories, ["Roundups", "budgets", "housing"]);
    // The content's links are absolute.
    assert!(atom[1].content.contains("href=\"https://lgiu.example/"), "{}", atom[1].content);

    // The linkblog: four picks, each linking the original post, with its blog as source.
    assert_eq!(links.len(), 4, "{links:#?}");
    let titles: Vec<&str> = links.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Five things (not) to post when the bins are late",
            "Devolution deals: who signed what",
            "Council budgets under pressure",
            "Housing waiting lists hit a record",
        ]
    );
    assert_eq!(links[0].link, "https://commscorner.example/2024/11/bins-are-late");
    assert!(links[0].id.starts_with(&format!("{w49}#entry-")), "{}", links[0].id);
    assert_eq!(
        links[0].source,
        Some(("Comms Corner".to_string(), Some("https://commscorner.example/".to_string())))
    );
    assert!(links[0].content.contains("Bins, again."), "{}", links[0].content);
    assert!(links[3].content.contains("A record, and not a good one."), "{}", links[3].content);
    assert!(links[2].content.contains("<blockquote"), "the excerpt: {}", links[2].content);

    // The pages: an index and an archive page per roundup, each advertising the four feeds.
    let index = d.read("index.html");
    let page = d.read(&format!("{W48}/index.html"));
    for (name, html) in [("index.html", &index), ("archive page", &page)] {
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{name}: {html}");
        for (file, media_type) in [
            ("feed.atom", "application/atom+xml"),
            ("feed.rss", "application/rss+xml"),
            ("feed.json", "application/feed+json"),
            ("links.atom", "application/atom+xml"),
        ] {
            let needle = format!("<link rel=\"alternate\" type=\"{media_type}\"");
            let line = html
                .lines()
                .find(|l| l.starts_with(&needle) && l.contains(&format!("href=\"{BASE}{file}\"")));
            assert!(line.is_some(), "{name} advertises {file}: {html}");
        }
        assert!(!html.contains("<script"), "{name}");
    }
    assert!(index.find("Bins and deals").unwrap() < index.find("Budgets and housing").unwrap());
    assert!(index.contains("href=\"2024-W48/\""), "{index}");
    assert!(page.contains("<main>") && page.contains("<h1>Budgets and housing</h1>"), "{page}");
    assert!(page.contains(&format!("<link rel=\"canonical\" href=\"{w48}\">")), "{page}");
    assert!(page.contains("href=\"../2024-W49/\" rel=\"next\""), "{page}");
    assert!(d.public().join(W49).join("index.html").is_file());

    expat_parses(&d);
    let Some(parsed) = feedparser(&d) else { return };
    for file in ["feed.atom", "feed.rss", "feed.json", "links.atom"] {
        let f = &parsed[file];
        assert_eq!(f["bozo"], false, "{file}: feedparser flags it: {}", f["error"]);
        let entries = f["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), if file == "links.atom" { 4 } else { 2 }, "{file}: {f:#}");
        for e in entries {
            for field in ["id", "title", "link", "date", "content"] {
                assert!(
                    e[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{file}: feedparser finds no {field}: {e:#}"
                );
            }
            assert_eq!(e["parsed"], true, "{file}: feedparser parses the date: {e:#}");
        }
        if file != "links.atom" {
            assert_eq!(entries[0]["title"], format!("Bins and deals · {W49_DATES}"), "{file}");
            assert_eq!(entries[1]["title"], format!("Budgets and housing · {W48_DATES}"), "{file}");
            assert_eq!(entries[1]["link"], w48.as_str(), "{file}");
            assert_eq!(entries[1]["id"], w48.as_str(), "{file}");
            assert!(entries[1]["content"].as_str().unwrap().contains("Grim reading."), "{file}");
        } else {
            assert_eq!(entries[0]["source"], "Comms Corner", "{file}");
        }
    }
    assert_eq!(parsed["feed.atom"]["version"], "atom10");
    assert_eq!(parsed["feed.rss"]["version"], "rss20");
    assert_eq!(parsed["feed.json"]["version"], "json11");
}

#[test]
fn hostile_text_leaves_every_feed_well_formed_and_survives_exactly() {
    let d = Desk::start(&[ODD, LGIU]);
    let odd = d.entry("Rates & reserves");
    let entry_title = odd["title"].as_str().unwrap().to_string();
    assert!(entry_title.contains("]]>") && entry_title.contains('🦀'), "{entry_title}");
    let note = "Note & <b>bold</b> ]]> \u{1}bell\u{7} 🦀 𝔘";
    let excerpt = "Excerpt ]]> & < \u{1b}esc 😀 done";
    let lead = "Lead <i> & ]]> \u{2}x 🦀";
    d.pick(W48, "Rates & reserves", &["--note", note, "--excerpt", excerpt, "--lead", lead]);
    d.pick(W48, "Council budgets", &[]);
    let title = "Rates & <reserves> ]]> \u{1}\u{7}ctl 🦀 𝔘 \"q\" 'a'";
    d.ok(W48, &["edit", "--title", title, "--tags", "a&b,<c>,]]>🦀"]);
    d.publish(W48);
    let strip = |s: &str| s.chars().filter(|c| xml_char(*c)).collect::<String>();

    for (file, text) in d.all_files() {
        if let Some(c) = text.chars().find(|c| !xml_char(*c)) {
            panic!("{file} holds {c:?}");
        }
    }
    expat_parses(&d);
    let [atom, rss, json, links] = check_all(&d);
    let want_title = strip(title);
    assert_eq!(want_title, "Rates & <reserves> ]]> ctl 🦀 𝔘 \"q\" 'a'");
    for (name, entries) in [("feed.atom", &atom), ("feed.rss", &rss), ("feed.json", &json)] {
        assert_eq!(entries.len(), 1, "{name}");
        let e = &entries[0];
        assert_eq!(
            e.title,
            format!("{want_title} · {W48_DATES}"),
            "{name}: the title survives exactly, with the week"
        );
        assert_eq!(e.categories, ["a&b", "<c>", "]]>🦀"], "{name}");
        let text = html_text(&e.content);
        for want in [strip(note), strip(excerpt), strip(lead), entry_title.clone()] {
            assert!(text.contains(&want), "{name}: {want:?} not in {text}");
        }
    }
    let odd_link = links.iter().find(|e| e.title == entry_title).expect("the odd pick");
    assert_eq!(odd_link.link, "https://odd.example/rates?a=1&b=2");
    assert_eq!(
        odd_link.source,
        Some(("Odd & Ends <blog> 🦀".to_string(), Some("https://odd.example/".to_string())))
    );
    let text = html_text(&odd_link.content);
    for want in [strip(note), strip(excerpt), strip(lead)] {
        assert!(text.contains(&want), "links.atom: {want:?} not in {text}");
    }
    if let Some(report) = feed_validator(&d) {
        assert_eq!(
            report,
            "feed.atom: 0 errors, 0 warnings\nfeed.rss: 0 errors, 0 warnings\nlinks.atom: 0 errors, 0 warnings\n",
            "the W3C feed validator's report"
        );
    }
    // The pages escape it too.
    let page = d.read(&format!("{W48}/index.html"));
    assert!(page.contains("<h1>Rates &amp; &lt;reserves&gt; ]]&gt; ctl 🦀 𝔘"), "{page}");

    if let Some(parsed) = feedparser(&d) {
        for file in ["feed.atom", "feed.rss", "feed.json", "links.atom"] {
            assert_eq!(parsed[file]["bozo"], false, "{file}: {}", parsed[file]["error"]);
        }
        let with_week = format!("{want_title} · {W48_DATES}");
        assert_eq!(parsed["feed.atom"]["entries"][0]["title"], with_week.as_str());
        assert_eq!(parsed["feed.json"]["entries"][0]["title"], with_week.as_str());
    }
}

#[test]
fn a_republished_correction_keeps_its_id_with_a_newer_updated() {
    let d = Desk::start(&[LGIU, COMMS]);
    d.pick(W48, "Council budgets", &[]);
    d.ok(W48, &["edit", "--title", "Budgets week"]);
    let first = d.publish(W48);
    assert!(first.stdout.starts_with("roundup: published 2024-W48"), "{first}");
    let [atom, rss, json, links] = check_all(&d);
    let (id, updated) = (atom[0].id.clone(), atom[0].updated.clone());
    let link_ids: Vec<String> = links.iter().map(|e| e.id.clone()).collect();
    let published_before = d.read("feed.atom");

    // The correction: a new title, and a note on the pick made before publishing is kept.
    d.ok(W48, &["edit", "--title", "Budgets week (corrected)"]);
    let again = d.publish(W48);
    assert!(again.stdout.starts_with("roundup: re-published 2024-W48"), "{again}");
    let [atom2, rss2, json2, links2] = check_all(&d);
    assert_eq!(atom2.len(), 1, "no duplicate: {atom2:#?}");
    assert_eq!(atom2[0].id, id);
    assert_eq!(atom2[0].title, format!("Budgets week (corrected) · {W48_DATES}"));
    assert!(rfc3339("new", &atom2[0].updated) > rfc3339("old", &updated), "{atom2:#?}");
    assert_eq!((rss2.len(), &rss2[0].id), (1, &rss[0].id));
    assert_eq!(rss2[0].updated, rss[0].updated, "pubDate is the first publication");
    assert_eq!((json2.len(), &json2[0].id), (1, &json[0].id));
    assert!(rfc3339("new", &json2[0].updated) > rfc3339("old", &json[0].updated));
    assert_eq!(links2.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), link_ids);
    let published_tag = |text: &str| {
        let start = text.find("<published>").unwrap();
        text[start..start + 40].to_string()
    };
    assert_eq!(published_tag(&d.read("feed.atom")), published_tag(&published_before));
    let page = d.read(&format!("{W48}/index.html"));
    assert!(page.contains("; corrected <time"), "{page}");

    // Changing a published week's picks is a correction in the making: readers see the
    // published snapshot until the next publish.
    let before = d.read("feed.atom");
    let id = d.entry("Five things")["id"].as_i64().unwrap().to_string();
    let run = d.env.run(&["pick", &id, "--week", W48, "--note", "A late addition."]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("readers see this correction after `roundup publish"), "{run}");
    assert_eq!(d.read("feed.atom"), before, "nothing public changes before publish");
}

#[test]
fn a_draft_never_appears_in_any_public_file() {
    let d = Desk::start(&[LGIU, COMMS]);
    d.pick(W48, "Council budgets", &[]);
    d.publish(W48);
    d.pick(W49, "Five things (not) to post", &["--note", "DRAFT-ONLY-NOTE"]);
    d.ok(W49, &["edit", "--title", "Draft-only title"]);
    d.ok(W49, &["draft"]);
    // Publishing W48 again regenerates everything; W49 is still a draft.
    d.publish(W48);
    assert!(!d.public().join(W49).exists());
    let files = d.all_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "2024-W48/index.html",
            "404.html",
            "feed.atom",
            "feed.json",
            "feed.rss",
            "index.html",
            "links.atom"
        ]
    );
    for (name, text) in &files {
        for draft in [W49, "DRAFT-ONLY-NOTE", "Draft-only title", "Five things"] {
            assert!(!text.contains(draft), "{name} shows the draft's {draft:?}");
        }
    }
    check_all(&d);
}

#[test]
fn a_week_without_picks_is_refused_and_nothing_is_written() {
    let d = Desk::start(&[LGIU]);
    let run = d.env.run(&["publish", "--week", W48]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("2024-W48 roundup has no picks"), "{run}");
    d.ok(W48, &["edit", "--title", "Empty"]);
    let run = d.env.run(&["publish", "--week", W48]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(!d.public().exists());
}

#[test]
fn readers_see_the_sites_name_language_and_each_weeks_dates() {
    let d = Desk::start_with(
        &[LGIU, LOCALGOV, COMMS],
        "site_name = \"LG Week\"\ndescription = \"The week's best local government writing.\"\n\
         language = \"en-GB\"\n",
    );
    d.pick(W48, "Council budgets under pressure", &["--excerpt-para", "2"]);
    d.pick(W48, "Housing waiting lists", &["--excerpt", "More than 1.3 million households"]);
    d.ok(
        W48,
        &["edit", "--intro", "Budgets and *housing*, with [a survey](https://lgiu.example/s)."],
    );
    d.publish(W48);
    d.pick(W49, "Five things (not) to post", &[]);
    d.publish(W49);

    let index = d.read("index.html");
    let page = d.read(&format!("{W48}/index.html"));
    for (name, html) in [("index", &index), ("page", &page)] {
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"), "{name}: {html}");
        assert!(html.contains(r#"<meta property="og:site_name" content="LG Week">"#), "{name}");
        assert!(html.contains(r#"<meta name="twitter:card" content="summary">"#), "{name}");
    }
    // The index: the site's name and description, each roundup with its intro.
    assert!(index.contains("<title>LG Week</title>") && index.contains("<h1>LG Week</h1>"));
    assert!(index.contains("<p>The week&#x27;s best local government writing.</p>"), "{index}");
    assert!(
        index.contains(
            "<p>Budgets and <em>housing</em>, with <a href=\"https://lgiu.example/s\" \
             rel=\"noopener noreferrer\">a survey</a>.</p>"
        ),
        "the intro, under its roundup\n{index}"
    );
    // A week's page: its title has the week's dates and the site's name; the intro describes it.
    assert!(page.contains(&format!("<title>{TITLE} · {W48_DATES} · LG Week</title>")), "{page}");
    assert!(
        page.contains(&format!("<meta property=\"og:title\" content=\"{TITLE} · {W48_DATES}\">"))
    );
    assert!(
        page.contains(
            r#"<meta property="og:description" content="Budgets and housing, with a survey.">"#
        ),
        "{page}"
    );
    assert!(page.contains(&format!("<meta property=\"og:url\" content=\"{BASE}{W48}/\">")));
    // Two weeks under the same title are told apart by their dates, in every feed.
    let atom = d.read("feed.atom");
    assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">"));
    assert!(atom.contains("<title type=\"text\">LG Week</title>"), "{atom}");
    assert!(atom.contains(&format!("<title type=\"text\">{TITLE} · {W49_DATES}</title>")));
    assert!(atom.contains(&format!("<title type=\"text\">{TITLE} · {W48_DATES}</title>")));
    let rss = d.read("feed.rss");
    assert!(rss.contains("<language>en-GB</language>"), "{rss}");
    assert!(
        rss.contains("<description>The week&apos;s best local government writing.</description>")
            || rss.contains("<description>The week's best local government writing.</description>"),
        "{rss}"
    );
    let json: Value = serde_json::from_str(&d.read("feed.json")).expect("JSON feed");
    assert_eq!(json["language"], "en-GB");
    assert_eq!(json["items"][0]["title"], format!("{TITLE} · {W49_DATES}"));
    // The page for a path that is not there names the site and leads home.
    let missing = d.read("404.html");
    assert!(missing.contains("<title>Not found · LG Week</title>"), "{missing}");
    assert!(missing.contains(&format!("<a href=\"{BASE}\">the front page</a>")), "{missing}");
    check_all(&d);
}

/// Issue 10, item 4: two publishes at once both land (the second waits for the first's lock,
/// here held by the test), a temp file a killed publish left is removed, and re-publishing an
/// unchanged week leaves `updated` (and so every feed) byte-identical.
#[test]
fn publishes_at_once_both_land_leftovers_go_and_an_unchanged_week_keeps_updated() {
    let d = Desk::start(&[LGIU, LOCALGOV, COMMS]);
    d.pick(W48, "Council budgets under pressure", &[]);
    d.pick(W49, "Devolution deals", &[]);
    let left = d.public().join(W48).join(".index.html.999999.tmp");
    std::fs::create_dir_all(left.parent().unwrap()).unwrap();
    std::fs::write(&left, "half a page from a killed publish").unwrap();

    let mut name = d.env.db.clone().into_os_string();
    name.push(".publish.lock");
    let held = std::fs::File::create(&name).unwrap();
    held.lock().unwrap();
    let mut first = d.env.spawn(&["publish", "--week", W48]);
    let mut second = d.env.spawn(&["publish", "--week", W49]);
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(first.is_running() && second.is_running(), "both wait for the publish lock");
    drop(held);
    let (a, b) = (first.finish(RUN_LIMIT), second.finish(RUN_LIMIT));
    a.success();
    b.success();
    let atom = d.read("feed.atom");
    for week in [W48, W49] {
        assert!(atom.contains(&format!("<id>{BASE}{week}/</id>")), "{week} in {atom}");
        assert!(d.read("index.html").contains(&format!("{week}/")), "{week} in the index");
    }
    assert!(!left.exists(), "the leftover temp file is removed");

    let again = d.publish(W49);
    assert!(again.stdout.contains("unchanged"), "{again}");
    assert_eq!(d.read("feed.atom"), atom, "an unchanged week keeps `updated`");
}
