//! The loopback feed farm that `benches/fetch.rs` and `benches/scale.rs` share (included by
//! `#[path]` from both, so there is one farm): synthetic WordPress-like feeds (RSS 2.0, Atom,
//! JSON Feed) served on 127.0.0.1 .. 127.0.0.16 on one port, the plain concurrent download
//! they are measured against, and the launcher that times a roundup child.
//!
//! The feeds are made on demand from a seed, not held in memory: feed `i`'s spec, validators
//! and body come out the same each time from `(seed, i)`, so 100,000 feeds cost no more memory
//! than 1,000. Made bodies are kept gzipped only up to a byte budget ([`Farm::new`]'s
//! `cache_bytes`, filled before measuring by [`Farm::warm_cache`]), so that neither roundup nor
//! the baseline pays for making them; feeds beyond it are made again for each answer.
//!
//! The server counts what it answers, by status and peak requests in flight per host. Owns the
//! farm, the baseline and the child's measurement; not what a bench prints.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Loopback hosts the feeds are spread over: feed i lives on 127.0.0.(1 + i % HOSTS).
pub(crate) const HOSTS: usize = 16;
/// Requests in flight at once, overall and per host: written into the feeds.toml (they are
/// roundup's defaults) and used by the baseline download.
pub(crate) const CONCURRENCY: usize = 16;
pub(crate) const PER_HOST: usize = 2;
/// Response bodies are sent in chunks of this size.
const CHUNK: usize = 16 * 1024;

// deterministic randomness
// ------------------------------------------------------------------------------------------

/// One step of SplitMix64 (small, fast and good enough to make synthetic text): advances
/// `state` and returns the next number. The scale bench's entry generator uses it too.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64, seeded per stream so that feed i and entry j come out the same whatever else is
/// generated.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: &[u64]) -> Rng {
        let mut r = Rng(seed ^ 0x5EED_F00D_CAFE_BABE);
        for &s in stream {
            r.0 ^= s.wrapping_mul(0xA24B_AED4_963E_E407);
            r.0 = r.next();
        }
        r
    }

    fn next(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ------------------------------------------------------------------------------------------
// synthetic feeds
// ------------------------------------------------------------------------------------------

/// Vocabularies, `|`-separated, split once (see [`vocab`]).
const WORDS: &str = "the|of|and|to|in|is|that|for|it|as|with|on|not|this|are|or|from|at|which|\
    but|have|an|they|you|we|their|has|would|when|if|so|will|can|more|other|into|some|could|time|\
    these|two|then|first|now|like|our|over|after|also|many|before|through|back|years|where|much|\
    way|well|down|because|each|just|people|how|little|good|very|make|world|still|work|long|here|\
    between|both|life|under|never|day|same|another|know|while|last|great|old|year|system|data|\
    server|cache|query|latency|release|build|compiler|memory|thread|runtime|kernel|network|packet|\
    request|response|header|session|schema|index|table|column|migration|backup|replica|cluster|\
    container|deploy|pipeline|test|benchmark|profile|allocation|pointer|closure|iterator|module|\
    crate|library|function|loop|branch|commit|merge|patch|review|issue|bug|fix|regression|feature|\
    config|default|error|warning|trace|metric|dashboard|team|project|design|user|market|price|\
    budget|quarter|plan|roadmap|goal|report|study|paper|model|dataset|sample|garden|kitchen|recipe|\
    coffee|bread|travel|city|train|river|mountain|summer|winter|autumn|spring|weekend|morning|\
    evening|music|album|film|book|chapter|story|history|museum|photo|camera|light|colour|street|\
    village|island|coast|forest|bicycle|tea|oven|butter|soup|simple|fast|small|large|careful|quiet|\
    honest|strange|early|late|new|better|worse|quick|slow|clear|dark|bright|warm|cold|open";
/// Words outside ASCII, now and then, as real blogs have.
const ODD_WORDS: &str = "café|naïve|Zürich|résumé|façade|São Paulo|Kraków|smørrebrød|jalapeño|Ω|π|\
    crème brûlée|東京|Привет|über|Øresund|Ærø|Łódź";
const FIRST: &str = "Alice|Bruno|Chiara|Dmitri|Esther|Farah|Gustavo|Hana|Ivo|Joanna|Kenji|Lena|\
    Mateo|Nadia|Olu|Priya|Quinn|Rosa|Sven|Tariq|Uma|Vera|Wen|Yusuf|Zoë|Ngozi|Łukasz|Søren|José|Anaïs";
const LAST: &str = "Adams|Baptiste|Chen|Duarte|Evans|Fischer|García|Haddad|Ivanova|Jensen|\
    Kowalski|Lopez|Müller|Nakamura|O'Neill|Petrov|Quist|Rossi|Schmidt|Tanaka|Ueda|Virtanen|Wong|Xu|\
    Yilmaz|Zhang|Okafor|Nguyen";
const TOPICS: &str = "Rust|Python|Databases|Cooking|Travel|Photography|Linux|Security|Gardening|\
    Machine Learning|Cycling|Distributed Systems|Web|Music|Books|Economics|Open Source|Operations|\
    Science|History|Design|Running";
const BLOG_WORDS: &str =
    "Notes|Journal|Log|Musings|Dispatch|Weekly|Field Notes|Blog|Letters|Chronicle|Garden|Lab";
const CATEGORIES: &str = "Uncategorized|News|Tutorials|Releases|Opinion|Performance|\
    Announcements|Deep Dive|Meta|How-to|Reviews|Links|Interviews|Ideas|Weeknotes|Research|Recipes|\
    Photos|Talks|Tools";

struct Vocab {
    words: Vec<&'static str>,
    odd: Vec<&'static str>,
    first: Vec<&'static str>,
    last: Vec<&'static str>,
    topics: Vec<&'static str>,
    blog_words: Vec<&'static str>,
    categories: Vec<&'static str>,
}

fn vocab() -> &'static Vocab {
    static VOCAB: std::sync::OnceLock<Vocab> = std::sync::OnceLock::new();
    VOCAB.get_or_init(|| {
        let list = |s: &'static str| s.split('|').map(str::trim).collect();
        Vocab {
            words: list(WORDS),
            odd: list(ODD_WORDS),
            first: list(FIRST),
            last: list(LAST),
            topics: list(TOPICS),
            blog_words: list(BLOG_WORDS),
            categories: list(CATEGORIES),
        }
    })
}
const CODE: &[&str] = &[
    "fn main() {",
    "    let total: u64 = items.iter().map(|i| i.size).sum();",
    "    if a < b && b > c { return a & mask; }",
    "    println!(\"{total:?}\");",
    "}",
    "SELECT id, title FROM posts WHERE published < ? ORDER BY published DESC LIMIT 20;",
    "def fetch(url, etag=None):",
    "    return session.get(url, headers={'If-None-Match': etag}, timeout=30)",
    "$ cargo build --release && ./target/release/app --jobs 8",
    "curl -sI https://example.org/feed/ | grep -i etag",
    "<div class=\"wrapper\"><span>hello</span></div>",
    "const res = await fetch(url, { headers: { Accept: 'application/json' } });",
    "impl<T: Clone> From<&[T]> for Buffer<T> {",
];
const RSS_GENERATORS: &[&str] = &[
    "https://wordpress.org/?v=6.4.3",
    "https://wordpress.org/?v=6.5.5",
    "https://wordpress.org/?v=6.6.1",
];
const ATOM_GENERATORS: &[&str] = &[
    "<generator uri=\"https://gohugo.io/\" version=\"0.125.4\">Hugo</generator>",
    "<generator uri=\"https://jekyllrb.com/\" version=\"4.3.3\">Jekyll</generator>",
    "<generator version=\"7.00\" uri=\"http://www.blogger.com\">Blogger</generator>",
    "<generator>Ghost 5.82</generator>",
];
/// 2024-06-01T12:00:00Z: the newest entry of every feed is published near this.
const NEWEST: i64 = 1_717_243_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Rss => "RSS 2.0",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
    pub(crate) fn ext(self) -> &'static str {
        match self {
            Format::Rss => "xml",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=UTF-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// The gzipped bodies a farm may keep: `FARM_CACHE_MB` (default 512; 0 makes every answer
/// anew).
pub(crate) fn cache_bytes() -> anyhow::Result<u64> {
    match std::env::var("FARM_CACHE_MB") {
        Ok(v) => {
            let mb: u64 =
                v.trim().parse().with_context(|| format!("FARM_CACHE_MB={v:?} is not a number"))?;
            Ok(mb << 20)
        }
        Err(_) => Ok(512 << 20),
    }
}

/// What the farm says of one feed without making its body: enough to list it in a
/// feeds.toml, answer a conditional request and check what roundup stored.
pub(crate) struct FeedMeta {
    pub(crate) id: String,
    /// 0-based: served on 127.0.0.(host + 1).
    pub(crate) host: usize,
    pub(crate) format: Format,
    pub(crate) url: String,
    pub(crate) title: String,
    pub(crate) entries: usize,
    pub(crate) etag: String,
    pub(crate) last_modified: String,
    pub(crate) modified_at: i64,
}

fn xesc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn at(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).single().expect("timestamps in range")
}
fn rfc822(ts: i64) -> String {
    at(ts).format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}
fn http_date(ts: i64) -> String {
    at(ts).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
fn rfc3339(ts: i64) -> String {
    at(ts).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// HTML blocks (with their plain text) made once from the seed; entries draw from them, so
/// thousands of feeds are quick to build and still read like WordPress output.
struct Pool {
    blocks: Vec<(String, String)>,
}

impl Pool {
    fn new(seed: u64) -> Pool {
        let mut r = Rng::new(seed, &[0x9001]);
        Pool { blocks: (0..4000).map(|_| block(&mut r)).collect() }
    }
}

fn word(r: &mut Rng) -> &'static str {
    let v = vocab();
    let list = if r.unit() < 0.012 { &v.odd } else { &v.words };
    list[r.below(list.len())]
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// One sentence as (HTML, plain text).
fn sentence(r: &mut Rng, lo: usize, hi: usize, markup: bool) -> (String, String) {
    let n = r.range(lo, hi);
    let mut html: Vec<String> = (0..n).map(|_| word(r).to_string()).collect();
    html[0] = capitalise(&html[0]);
    let mut text = html.clone();
    if markup {
        let roll = r.unit();
        let k = r.below(n);
        if roll < 0.18 && n > 4 {
            let k = r.below(n - 2);
            let slug = text[k..k + 3].join("-").to_lowercase().replace(' ', "-");
            let href = format!("/{}/{:02}/{slug}/", r.range(2016, 2024), r.range(1, 12));
            html[k] = format!("<a href=\"{href}\">{}", html[k]);
            html[k + 2].push_str("</a>");
        } else if roll < 0.26 {
            html[k] = format!("<strong>{}</strong>", html[k]);
        } else if roll < 0.32 {
            html[k] = format!("<em>{}</em>", html[k]);
        } else if roll < 0.38 {
            html[k] = format!("<code>{}</code>", html[k]);
        } else if roll < 0.42 {
            html[k] = format!("&#8220;{}&#8221;", html[k]);
            text[k] = format!("\u{201c}{}\u{201d}", text[k]);
        } else if roll < 0.46 {
            html[k].push_str("&#8217;s");
            text[k].push_str("\u{2019}s");
        } else if roll < 0.49 {
            let w = word(r);
            html.push(format!("&amp; {w}"));
            text.push(format!("& {w}"));
        }
    }
    if r.unit() < 0.3 && n > 1 {
        let k = r.range(1, n - 1);
        html[k].push(',');
        text[k].push(',');
    }
    let (end_html, end_text) = *r.pick(&[
        (".", "."),
        (".", "."),
        (".", "."),
        ("?", "?"),
        ("!", "!"),
        ("&#8230;", "\u{2026}"),
    ]);
    (html.join(" ") + end_html, text.join(" ") + end_text)
}

fn paragraph(r: &mut Rng, lo: usize, hi: usize) -> (String, String) {
    let parts: Vec<_> = (0..r.range(lo, hi)).map(|_| sentence(r, 6, 24, true)).collect();
    let html = parts.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(" ");
    let text = parts.iter().map(|p| p.1.as_str()).collect::<Vec<_>>().join(" ");
    (html, text)
}

fn block(r: &mut Rng) -> (String, String) {
    let roll = r.unit();
    if roll < 0.55 {
        let (h, t) = paragraph(r, 2, 7);
        (format!("<p>{h}</p>"), t)
    } else if roll < 0.63 {
        let (h, t) = sentence(r, 3, 8, false);
        let level = *r.pick(&[2, 2, 3]);
        let id: String = t.to_lowercase().split_whitespace().take(4).collect::<Vec<_>>().join("-");
        let h = h.trim_end_matches(['.', '?', '!']).to_string();
        (format!("<h{level} class=\"wp-block-heading\" id=\"{}\">{h}</h{level}>", xesc(&id)), t)
    } else if roll < 0.71 {
        let tag = *r.pick(&["ul", "ol"]);
        let items: Vec<_> = (0..r.range(3, 7)).map(|_| sentence(r, 3, 12, true)).collect();
        let lis: String = items.iter().map(|i| format!("<li>{}</li>\n", i.0)).collect();
        let t = items.iter().map(|i| i.1.as_str()).collect::<Vec<_>>().join(" ");
        (format!("<{tag} class=\"wp-block-list\">\n{lis}</{tag}>"), t)
    } else if roll < 0.76 {
        let (h, t) = paragraph(r, 1, 3);
        let who = format!("{} {}", r.pick(&vocab().first), r.pick(&vocab().last));
        (
            format!(
                "<blockquote class=\"wp-block-quote\"><p>{h}</p><cite>{}</cite></blockquote>",
                xesc(&who)
            ),
            t,
        )
    } else if roll < 0.83 {
        let lines: Vec<String> =
            (0..r.range(3, 12)).map(|_| xesc(CODE[r.below(CODE.len())])).collect();
        (
            format!("<pre class=\"wp-block-code\"><code>{}</code></pre>", lines.join("\n")),
            String::new(),
        )
    } else if roll < 0.93 {
        let w = *r.pick(&[800, 1024, 1200, 1600]);
        let h = w * 9 / 16;
        let id = r.range(100, 99_999);
        let src = format!("/wp-content/uploads/2024/{:02}/img-{id}.jpg", r.range(1, 12));
        let small = src.replace(".jpg", "-300x169.jpg");
        let medium = src.replace(".jpg", "-768x432.jpg");
        let (cap, t) = sentence(r, 4, 12, true);
        (
            format!(
                "<figure class=\"wp-block-image size-large\"><img decoding=\"async\" loading=\"lazy\" \
                 width=\"{w}\" height=\"{h}\" src=\"{src}\" alt=\"\" class=\"wp-image-{id}\" \
                 srcset=\"{src} {w}w, {small} 300w, {medium} 768w\" sizes=\"(max-width: {w}px) 100vw, {w}px\" />\
                 <figcaption class=\"wp-element-caption\">{cap}</figcaption></figure>"
            ),
            t,
        )
    } else if roll < 0.95 {
        let rows: String = (0..r.range(2, 6))
            .map(|_| {
                format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", word(r), word(r), word(r))
            })
            .collect();
        (
            format!(
                "<figure class=\"wp-block-table\"><table><thead><tr><th>Name</th><th>Before</th>\
                 <th>After</th></tr></thead><tbody>{rows}</tbody></table></figure>"
            ),
            String::new(),
        )
    } else if roll < 0.97 {
        let video = format!("{:011x}", r.next() >> 20);
        (
            format!(
                "<figure class=\"wp-block-embed is-type-video\"><div class=\"wp-block-embed__wrapper\">\
                 <iframe title=\"Video\" width=\"640\" height=\"360\" src=\"/embed/{video}?feature=oembed\" \
                 frameborder=\"0\" allow=\"autoplay; encrypted-media\" allowfullscreen></iframe></div></figure>"
            ),
            String::new(),
        )
    } else {
        ("<hr class=\"wp-block-separator has-alpha-channel-opacity\"/>".into(), String::new())
    }
}

/// What a feed is like, before its entries are made.
struct Spec {
    idx: usize,
    format: Format,
    entries: usize,
    target_bytes: usize,
    interval: i64,
    title: String,
    topic: &'static str,
    authors: Vec<String>,
    categories: Vec<&'static str>,
    cdata: bool,
    yoast: bool,
    podcast: bool,
    generator: usize,
}

fn spec(seed: u64, idx: usize) -> Spec {
    let mut r = Rng::new(seed, &[1, idx as u64]);
    let u = r.unit();
    let format = if u < 0.05 {
        Format::Json
    } else if u < 0.35 {
        Format::Atom
    } else {
        Format::Rss
    };
    // Many blogs keep the default 10 items; the rest anywhere up to 50.
    let entries = if r.unit() < 0.35 { 10 } else { r.range(10, 50) };
    // Log-uniform between 20 and 150 KB.
    let target_bytes = 2f64.powf(14.3 + r.unit() * 2.9) as usize;
    let interval = *r.pick(&[5 * 3600, 12 * 3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400]);
    let topic = *r.pick(&vocab().topics);
    let owner = *r.pick(&vocab().first);
    let title = match r.below(4) {
        0 => format!("{owner}\u{2019}s {topic} {}", r.pick(&vocab().blog_words)),
        1 => format!("The {topic} {}", r.pick(&vocab().blog_words)),
        2 => format!("{topic} {} #{idx}", r.pick(&vocab().blog_words)),
        _ => format!("{topic} & {} {}", r.pick(&vocab().topics), r.pick(&vocab().blog_words)),
    };
    let authors = (0..*r.pick(&[1, 1, 1, 2, 3, 5]))
        .map(|_| format!("{} {}", r.pick(&vocab().first), r.pick(&vocab().last)))
        .collect();
    let mut categories: Vec<&'static str> = Vec::new();
    let want = r.range(3, 9);
    while categories.len() < want {
        let c = *r.pick(&vocab().categories);
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    Spec {
        idx,
        format,
        entries,
        target_bytes,
        interval,
        title,
        topic,
        authors,
        categories,
        cdata: r.unit() < 0.3,
        yoast: r.unit() < 0.4,
        podcast: format == Format::Rss && r.unit() < 0.1,
        generator: r.below(1 << 16),
    }
}

struct Entry {
    j: usize,
    /// XML-ready (entities such as `&#8217;` and `&amp;`), for RSS and Atom.
    title_xml: String,
    /// Plain text, for JSON Feed.
    title_text: String,
    link: String,
    post_id: usize,
    published: i64,
    author: String,
    categories: Vec<&'static str>,
    content: String,
    excerpt: String,
    comments: usize,
}

fn entry(seed: u64, s: &Spec, pool: &Pool, home: &str, j: usize) -> Entry {
    let mut r = Rng::new(seed, &[2, s.idx as u64, j as u64]);
    let n = r.range(4, 11);
    let mut xml: Vec<String> = (0..n).map(|_| capitalise(word(&mut r))).collect();
    let mut text = xml.clone();
    if r.unit() < 0.15 {
        let k = r.below(n);
        xml[k].push_str("&#8217;s");
        text[k].push_str("\u{2019}s");
    }
    if r.unit() < 0.1 {
        let k = r.below(n);
        xml.insert(k, "&amp;".into());
        text.insert(k, "&".into());
    }
    let slug: String = text
        .iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("-");
    let published = NEWEST - (s.entries - 1 - j) as i64 * s.interval + r.below(1800) as i64;
    // Item markup and excerpt cost roughly this much; the rest of the budget is content.
    let overhead = match s.format {
        Format::Rss => 1000,
        Format::Atom => 800,
        Format::Json => 600,
    };
    // Blocks are added until the budget is passed: aim half a block short.
    let budget = (s.target_bytes / s.entries).saturating_sub(overhead + 300).max(250);
    let (mut content, mut plain) = (Vec::new(), Vec::new());
    let mut size = 0;
    while size < budget || content.is_empty() {
        let (h, t) = &pool.blocks[r.below(pool.blocks.len())];
        size += h.len();
        content.push(h.as_str());
        if !t.is_empty() {
            plain.push(t.as_str());
        }
    }
    let excerpt = plain.join(" ").split_whitespace().take(55).collect::<Vec<_>>().join(" ");
    let month = at(published).format("%Y/%m");
    let mut categories = Vec::new();
    for _ in 0..r.range(1, 4).min(s.categories.len()) {
        let c = *r.pick(&s.categories);
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    Entry {
        j,
        title_xml: xml.join(" "),
        title_text: text.join(" "),
        // The index keeps every link (and so every link-based id) unique within its feed.
        link: format!("{home}{month}/{}-{j}/", if slug.is_empty() { "post" } else { &slug }),
        post_id: 1000 + j * 7 + s.idx % 7,
        published,
        author: s.authors[r.below(s.authors.len())].clone(),
        categories,
        content: content.join("\n\n"),
        excerpt,
        comments: r.below(40),
    }
}

fn render_rss(s: &Spec, home: &str, url: &str, es: &[Entry]) -> String {
    let mut out = String::with_capacity(s.target_bytes + 4096);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"\n\
         \txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n\
         \txmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"\n\
         \txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
         \txmlns:atom=\"http://www.w3.org/2005/Atom\"\n\
         \txmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"\n\
         \txmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\"\n\t>\n\n\
         <channel>\n\t<title>{title}</title>\n\
         \t<atom:link href=\"{url}\" rel=\"self\" type=\"application/rss+xml\" />\n\
         \t<link>{home}</link>\n\t<description>Thoughts on {topic}, mostly</description>\n\
         \t<lastBuildDate>{built}</lastBuildDate>\n\t<language>en-GB</language>\n\
         \t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\
         \t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n\
         \t<generator>{generator}</generator>\n\n\
         <image>\n\t<url>{home}wp-content/uploads/2023/01/icon-32x32.png</url>\n\
         \t<title>{title}</title>\n\t<link>{home}</link>\n\t<width>32</width>\n\t<height>32</height>\n</image> \n",
        title = xesc(&s.title),
        topic = xesc(s.topic),
        built = rfc822(es[0].published),
        generator = RSS_GENERATORS[s.generator % RSS_GENERATORS.len()],
    );
    for e in es {
        let cats: String = e
            .categories
            .iter()
            .map(|c| format!("\n\t\t<category><![CDATA[{c}]]></category>"))
            .collect();
        let footer = if s.yoast {
            format!(
                "\n<p>The post <a href=\"{}\">{}</a> appeared first on <a href=\"{home}\">{}</a>.</p>",
                e.link,
                e.title_xml,
                xesc(&s.title)
            )
        } else {
            String::new()
        };
        let enclosure = if s.podcast {
            format!(
                "\n<enclosure url=\"{home}media/episode-{}.mp3\" length=\"{}\" type=\"audio/mpeg\" />",
                e.j,
                2_000_000 + e.post_id * 977
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "\t<item>\n\t\t<title>{title}</title>\n\t\t<link>{link}</link>\n\
             \t\t\t\t\t<comments>{link}#respond</comments>\n\t\t\n\
             \t\t<dc:creator><![CDATA[{author}]]></dc:creator>\n\
             \t\t<pubDate>{date}</pubDate>{cats}\n\
             \t\t<guid isPermaLink=\"false\">{home}?p={post}</guid>\n\n\
             \t\t\t\t\t<description><![CDATA[{excerpt} [&#8230;]]]></description>\n\
             \t\t\t\t\t\t\t\t\t\t<content:encoded><![CDATA[{content}{footer}]]></content:encoded>\n\
             \t\t\t\t\t\n\t\t\t\t\t<wfw:commentRss>{link}feed/</wfw:commentRss>\n\
             \t\t\t<slash:comments>{comments}</slash:comments>{enclosure}\n\t\t\n\t\t\t</item>\n",
            title = e.title_xml,
            link = e.link,
            author = e.author,
            date = rfc822(e.published),
            post = e.post_id,
            excerpt = xesc(&e.excerpt),
            content = e.content,
            comments = e.comments,
        );
    }
    out.push_str("\t</channel>\n</rss>\n");
    out
}

fn render_atom(s: &Spec, home: &str, url: &str, es: &[Entry]) -> String {
    let mut out = String::with_capacity(s.target_bytes + 4096);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n\
         \x20 <title type=\"text\">{title}</title>\n  <subtitle>Writing about {topic}</subtitle>\n\
         \x20 <link href=\"{url}\" rel=\"self\" type=\"application/atom+xml\"/>\n\
         \x20 <link href=\"{home}\" rel=\"alternate\" type=\"text/html\"/>\n\
         \x20 <updated>{updated}</updated>\n  <id>{home}</id>\n  {generator}\n\
         \x20 <author><name>{author}</name><uri>{home}</uri></author>\n",
        title = xesc(&s.title),
        topic = xesc(s.topic),
        updated = rfc3339(es[0].published),
        generator = ATOM_GENERATORS[s.generator % ATOM_GENERATORS.len()],
        author = xesc(&s.authors[0]),
    );
    for e in es {
        let content = if s.cdata { format!("<![CDATA[{}]]>", e.content) } else { xesc(&e.content) };
        let cats: String = e
            .categories
            .iter()
            .map(|c| {
                format!(
                    "\n    <category term=\"{}\" label=\"{}\"/>",
                    c.to_lowercase().replace(' ', "-"),
                    xesc(c)
                )
            })
            .collect();
        let id = if s.generator % 2 == 1 {
            let h = Sha256::digest(format!("{}/{}", s.idx, e.j));
            let x: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!(
                "urn:uuid:{}-{}-{}-{}-{}",
                &x[..8],
                &x[8..12],
                &x[12..16],
                &x[16..20],
                &x[20..32]
            )
        } else {
            e.link.clone()
        };
        let _ = write!(
            out,
            "  <entry>\n    <title type=\"html\">{title}</title>\n\
             \x20   <link href=\"{link}\" rel=\"alternate\" type=\"text/html\" title=\"{title}\"/>\n\
             \x20   <published>{published}</published>\n    <updated>{updated}</updated>\n\
             \x20   <id>{id}</id>\n\
             \x20   <content type=\"html\" xml:base=\"{link}\">{content}</content>\n\
             \x20   <author>\n      <name>{author}</name>\n    </author>{cats}\n\
             \x20   <summary type=\"html\">{summary}</summary>\n  </entry>\n",
            title = xesc(&e.title_xml),
            link = e.link,
            published = rfc3339(e.published),
            updated = rfc3339(e.published + 600 * (e.j % 3) as i64),
            author = xesc(&e.author),
            summary = xesc(&xesc(&e.excerpt)),
        );
    }
    out.push_str("</feed>\n");
    out
}

fn render_json(s: &Spec, home: &str, url: &str, es: &[Entry]) -> String {
    let items: Vec<serde_json::Value> = es
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": format!("{home}?p={}", e.post_id),
                "url": e.link,
                "title": e.title_text,
                "content_html": e.content,
                "summary": e.excerpt,
                "date_published": rfc3339(e.published),
                "date_modified": rfc3339(e.published + 600 * (e.j % 3) as i64),
                "authors": [{ "name": e.author }],
                "tags": e.categories,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": s.title,
        "home_page_url": home,
        "feed_url": url,
        "description": format!("Writing about {}", s.topic),
        "language": "en",
        "authors": [{ "name": s.authors[0], "url": home }],
        "items": items,
    });
    serde_json::to_string_pretty(&doc).expect("JSON values serialise")
}

/// Where feed `idx` lives.
fn addresses(idx: usize, port: u16, format: Format) -> (usize, String, String) {
    let host = idx % HOSTS;
    let base = format!("http://127.0.0.{}:{port}", host + 1);
    let home = format!("{base}/blog/{idx}/");
    let url = format!("{base}/feeds/{idx}.{}", format.ext());
    (host, home, url)
}

/// Feed `idx`'s metadata, from its spec and its newest entry (no body is made).
fn meta(seed: u64, idx: usize, port: u16, pool: &Pool) -> FeedMeta {
    let s = spec(seed, idx);
    let (host, home, url) = addresses(idx, port, s.format);
    let modified_at = entry(seed, &s, pool, &home, s.entries - 1).published;
    // The body is a function of (seed, idx, port): so is its validator.
    let digest = Sha256::digest(format!("{seed}/{idx}/{port}"));
    let etag =
        format!("\"{}\"", digest[..10].iter().map(|b| format!("{b:02x}")).collect::<String>());
    FeedMeta {
        id: format!("f{idx:05}"),
        host,
        format: s.format,
        url,
        title: s.title,
        entries: s.entries,
        etag,
        last_modified: http_date(modified_at),
        modified_at,
    }
}

/// Feed `idx`'s document.
fn render(seed: u64, idx: usize, port: u16, pool: &Pool) -> String {
    let s = spec(seed, idx);
    let (_, home, url) = addresses(idx, port, s.format);
    // Newest first, as feeds are.
    let es: Vec<Entry> = (0..s.entries).rev().map(|j| entry(seed, &s, pool, &home, j)).collect();
    match s.format {
        Format::Rss => render_rss(&s, &home, &url, &es),
        Format::Atom => render_atom(&s, &home, &url, &es),
        Format::Json => render_json(&s, &home, &url, &es),
    }
}

pub(crate) fn gzip(body: &[u8]) -> Bytes {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    std::io::Write::write_all(&mut gz, body).expect("writing to memory");
    Bytes::from(gz.finish().expect("writing to memory"))
}

// ------------------------------------------------------------------------------------------
// the server
// ------------------------------------------------------------------------------------------

/// What the server saw since the last reset.
pub(crate) struct Stats {
    statuses: Mutex<BTreeMap<u16, u64>>,
    inflight: Vec<AtomicUsize>,
    peak: Vec<AtomicUsize>,
    inflight_all: AtomicUsize,
    peak_all: AtomicUsize,
    conditional: AtomicU64,
    gzip: AtomicU64,
    bytes: AtomicU64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    pub(crate) statuses: BTreeMap<u16, u64>,
    pub(crate) peak_by_host: Vec<usize>,
    pub(crate) peak_all: usize,
    pub(crate) conditional: u64,
    pub(crate) gzip: u64,
    pub(crate) bytes: u64,
}

impl Seen {
    pub(crate) fn peak_per_host(&self) -> usize {
        self.peak_by_host.iter().copied().max().unwrap_or(0)
    }
    pub(crate) fn statuses_text(&self) -> String {
        if self.statuses.is_empty() {
            return "none".into();
        }
        self.statuses.iter().map(|(s, n)| format!("{n}x{s}")).collect::<Vec<_>>().join(" ")
    }
}

impl Stats {
    fn new(hosts: usize) -> Stats {
        Stats {
            statuses: Mutex::new(BTreeMap::new()),
            inflight: (0..hosts).map(|_| AtomicUsize::new(0)).collect(),
            peak: (0..hosts).map(|_| AtomicUsize::new(0)).collect(),
            inflight_all: AtomicUsize::new(0),
            peak_all: AtomicUsize::new(0),
            conditional: AtomicU64::new(0),
            gzip: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn count(&self, status: u16) {
        *self.statuses.lock().expect("stats lock").entry(status).or_default() += 1;
    }

    pub(crate) fn reset(&self) {
        self.statuses.lock().expect("stats lock").clear();
        for (p, i) in self.peak.iter().zip(&self.inflight) {
            p.store(i.load(Ordering::SeqCst), Ordering::SeqCst);
        }
        self.peak_all.store(self.inflight_all.load(Ordering::SeqCst), Ordering::SeqCst);
        for c in [&self.conditional, &self.gzip, &self.bytes] {
            c.store(0, Ordering::SeqCst);
        }
    }

    pub(crate) fn seen(&self) -> Seen {
        Seen {
            statuses: self.statuses.lock().expect("stats lock").clone(),
            peak_by_host: self.peak.iter().map(|p| p.load(Ordering::SeqCst)).collect(),
            peak_all: self.peak_all.load(Ordering::SeqCst),
            conditional: self.conditional.load(Ordering::SeqCst),
            gzip: self.gzip.load(Ordering::SeqCst),
            bytes: self.bytes.load(Ordering::SeqCst),
        }
    }
}

/// The farm: `n` feeds made on demand from `seed`, what the server saw, and the gzipped bodies
/// kept so far.
pub(crate) struct Farm {
    pub(crate) seed: u64,
    pub(crate) n: usize,
    pub(crate) port: u16,
    /// Time to first byte of every answer.
    pub(crate) latency: Duration,
    pub(crate) stats: Stats,
    pool: Pool,
    /// Feed `i`'s gzipped body once made, while the budget lasts.
    cache: Vec<OnceLock<Bytes>>,
    /// Bytes the cache may still take.
    cache_left: AtomicI64,
}

impl Farm {
    /// A farm of `n` feeds on `port`, keeping at most `cache_bytes` of gzipped bodies.
    pub(crate) fn new(seed: u64, n: usize, port: u16, latency: Duration, cache_bytes: u64) -> Farm {
        Farm {
            seed,
            n,
            port,
            latency,
            stats: Stats::new(HOSTS),
            pool: Pool::new(seed),
            cache: (0..n).map(|_| OnceLock::new()).collect(),
            cache_left: AtomicI64::new(i64::try_from(cache_bytes).unwrap_or(i64::MAX)),
        }
    }

    /// Feed `idx`'s metadata.
    pub(crate) fn meta(&self, idx: usize) -> FeedMeta {
        meta(self.seed, idx, self.port, &self.pool)
    }

    /// Feed `idx`'s document, made now.
    pub(crate) fn body(&self, idx: usize) -> String {
        render(self.seed, idx, self.port, &self.pool)
    }

    /// Feed `idx`'s gzipped document: kept, or made (and kept while the budget lasts).
    fn gzipped(&self, idx: usize) -> Bytes {
        if let Some(b) = self.cache[idx].get() {
            return b.clone();
        }
        let made = gzip(self.body(idx).as_bytes());
        let len = made.len() as i64;
        if self.cache_left.fetch_sub(len, Ordering::SeqCst) >= len {
            return self.cache[idx].get_or_init(|| made).clone();
        }
        self.cache_left.fetch_add(len, Ordering::SeqCst);
        made
    }

    /// Makes and keeps the gzipped bodies, on every core, while the budget lasts; returns how
    /// many feeds are kept.
    pub(crate) fn warm_cache(&self) -> usize {
        let workers = std::thread::available_parallelism().map_or(2, |p| p.get()).clamp(1, 8);
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= self.n || self.cache_left.load(Ordering::SeqCst) <= 0 {
                            return;
                        }
                        self.gzipped(i);
                    }
                });
            }
        });
        self.cache.iter().filter(|c| c.get().is_some()).count()
    }

    /// How many feeds are kept gzipped, and their bytes.
    pub(crate) fn kept(&self) -> (usize, u64) {
        self.cache
            .iter()
            .filter_map(OnceLock::get)
            .fold((0, 0), |(n, bytes), b| (n + 1, bytes + b.len() as u64))
    }

    /// The feed at `/feeds/<file>` on `host`; a feed asked of the wrong host is not found.
    fn lookup(&self, host: usize, file: &str) -> Option<(usize, FeedMeta)> {
        let (num, ext) = file.split_once('.')?;
        let idx = num.parse::<usize>().ok().filter(|&i| i < self.n)?;
        let meta = self.meta(idx);
        (meta.host == host && meta.format.ext() == ext).then_some((idx, meta))
    }

    /// Every feed's URL and host, in order (what the baseline download fetches).
    pub(crate) fn targets(&self) -> Vec<(String, usize)> {
        (0..self.n)
            .map(|i| {
                let (host, _, url) = addresses(i, self.port, spec(self.seed, i).format);
                (url, host)
            })
            .collect()
    }
}

/// One request in flight on one host, from the handler's start until its body has been handed
/// to the connection (the guard travels with the body stream).
struct InFlight {
    farm: Arc<Farm>,
    host: usize,
}

impl InFlight {
    fn begin(farm: Arc<Farm>, host: usize) -> InFlight {
        let s = &farm.stats;
        let now = s.inflight[host].fetch_add(1, Ordering::SeqCst) + 1;
        s.peak[host].fetch_max(now, Ordering::SeqCst);
        let all = s.inflight_all.fetch_add(1, Ordering::SeqCst) + 1;
        s.peak_all.fetch_max(all, Ordering::SeqCst);
        InFlight { farm, host }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.farm.stats.inflight[self.host].fetch_sub(1, Ordering::SeqCst);
        self.farm.stats.inflight_all.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct HostCtx {
    farm: Arc<Farm>,
    host: usize,
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// If-None-Match decides when present; otherwise an If-Modified-Since not older than the
/// feed's Last-Modified.
fn not_modified(feed: &FeedMeta, inm: Option<&str>, ims: Option<&str>) -> bool {
    if let Some(inm) = inm {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == feed.etag);
    }
    ims.and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok())
        .is_some_and(|d| d.timestamp() >= feed.modified_at)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    header_str(headers, header::ACCEPT_ENCODING).is_some_and(|v| {
        v.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            name.eq_ignore_ascii_case("gzip") && q > 0.0
        })
    })
}

async fn serve_feed(
    State(cx): State<HostCtx>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let guard = InFlight::begin(cx.farm.clone(), cx.host);
    if !cx.farm.latency.is_zero() {
        tokio::time::sleep(cx.farm.latency).await;
    }
    let stats = &cx.farm.stats;
    let Some((idx, feed)) = cx.farm.lookup(cx.host, &file) else {
        stats.count(404);
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let inm = header_str(&headers, header::IF_NONE_MATCH);
    let ims = header_str(&headers, header::IF_MODIFIED_SINCE);
    if inm.is_some() || ims.is_some() {
        stats.conditional.fetch_add(1, Ordering::Relaxed);
    }
    let etag = HeaderValue::from_str(&feed.etag).expect("ASCII etag");
    let last_modified = HeaderValue::from_str(&feed.last_modified).expect("ASCII date");
    if not_modified(&feed, inm, ims) {
        stats.count(304);
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, etag);
        r.headers_mut().insert(header::LAST_MODIFIED, last_modified);
        return r;
    }
    let gzip = accepts_gzip(&headers);
    // Made off the server's threads when not kept (rendering takes a millisecond or two).
    let farm = cx.farm.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        if gzip { farm.gzipped(idx) } else { Bytes::from(farm.body(idx)) }
    })
    .await
    .expect("making a feed does not panic");
    stats.count(200);
    stats.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    if gzip {
        stats.gzip.fetch_add(1, Ordering::Relaxed);
    }
    let len = bytes.len();
    let chunks: Vec<Bytes> =
        (0..len).step_by(CHUNK).map(|i| bytes.slice(i..(i + CHUNK).min(len))).collect();
    let stream = futures_util::stream::iter(chunks.into_iter().map(move |c| {
        let _in_flight_until_sent = &guard;
        Ok::<_, Infallible>(c)
    }));
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, feed.format.content_type())
        .header(header::CONTENT_LENGTH, len)
        .header(header::ETAG, etag)
        .header(header::LAST_MODIFIED, last_modified)
        .header(header::VARY, "Accept-Encoding");
    if gzip {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
    }
    builder.body(Body::from_stream(stream)).expect("a valid response")
}

async fn not_found(State(cx): State<HostCtx>) -> Response {
    let _guard = InFlight::begin(cx.farm.clone(), cx.host);
    cx.farm.stats.count(404);
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// Binds 127.0.0.1 .. 127.0.0.HOSTS on one free port (trying a few ports if another process
/// holds the first one on some address).
pub(crate) fn bind_hosts(
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<(u16, Vec<tokio::net::TcpListener>)> {
    let mut last_error = None;
    for _ in 0..20 {
        let attempt = rt.block_on(async {
            let first =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
            let port = first.local_addr()?.port();
            let mut all = vec![first];
            for h in 2..=HOSTS as u8 {
                all.push(
                    tokio::net::TcpListener::bind(SocketAddr::from((
                        Ipv4Addr::new(127, 0, 0, h),
                        port,
                    )))
                    .await?,
                );
            }
            Ok::<_, std::io::Error>((port, all))
        });
        match attempt {
            Ok(ok) => return Ok(ok),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.expect("tried at least once"))
        .context("cannot bind 127.0.0.1..127.0.0.16 on one port")
}

pub(crate) struct Server {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub(crate) fn start_server(
    rt: &tokio::runtime::Runtime,
    farm: &Arc<Farm>,
    listeners: Vec<tokio::net::TcpListener>,
) -> Server {
    let (stop, watch) = tokio::sync::watch::channel(false);
    let tasks = listeners
        .into_iter()
        .enumerate()
        .map(|(host, listener)| {
            let app = Router::new()
                .route("/feeds/{file}", get(serve_feed))
                .fallback(not_found)
                .with_state(HostCtx { farm: farm.clone(), host });
            let mut watch = watch.clone();
            rt.spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = watch.wait_for(|stop| *stop).await;
                    })
                    .await
            })
        })
        .collect();
    Server { stop, tasks }
}

impl Server {
    /// Stops accepting, lets open connections finish for a few seconds, then aborts.
    pub(crate) fn shutdown(self, rt: &tokio::runtime::Runtime) {
        let _ = self.stop.send(true);
        rt.block_on(async {
            for mut task in self.tasks {
                if tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err() {
                    task.abort();
                }
            }
        });
    }
}

// ------------------------------------------------------------------------------------------
// the baseline: a plain concurrent download
// ------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
pub(crate) struct Validators {
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

pub(crate) struct Raw {
    pub(crate) wall: Duration,
    pub(crate) statuses: BTreeMap<u16, u64>,
    /// Bytes after decompression.
    pub(crate) bytes: u64,
    pub(crate) validators: Vec<Validators>,
    pub(crate) failures: Vec<String>,
}

/// GETs every feed, at most CONCURRENCY at once and PER_HOST per host (host slot first, as
/// roundup does), reading each body to the end and doing nothing with it. With `validators`,
/// sends them as If-None-Match / If-Modified-Since.
pub(crate) async fn raw_download(
    targets: Arc<Vec<(String, usize)>>,
    validators: Option<Arc<Vec<Validators>>>,
    limit: Duration,
) -> Raw {
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent("roundup-bench-baseline")
        .build()
        .expect("a plain HTTP client builds");
    let all = Arc::new(Semaphore::new(CONCURRENCY));
    let hosts: Vec<Arc<Semaphore>> =
        (0..HOSTS).map(|_| Arc::new(Semaphore::new(PER_HOST))).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..targets.len() {
        let (client, all, targets, validators) =
            (client.clone(), all.clone(), targets.clone(), validators.clone());
        let host = hosts[targets[i].1].clone();
        tasks.spawn(async move {
            let _host = host.acquire_owned().await.expect("never closed");
            let _all = all.acquire_owned().await.expect("never closed");
            let mut req = client.get(&targets[i].0);
            if let Some(v) = validators.as_ref().map(|v| &v[i]) {
                if let Some(etag) = &v.etag {
                    req = req.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &v.last_modified {
                    req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
                }
            }
            let result = async {
                let resp = req.send().await?;
                let status = resp.status().as_u16();
                let get = |h| {
                    resp.headers()
                        .get(h)
                        .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                        .map(String::from)
                };
                let v = Validators {
                    etag: get(reqwest::header::ETAG),
                    last_modified: get(reqwest::header::LAST_MODIFIED),
                };
                let body = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, v, body.len() as u64))
            }
            .await;
            (i, result)
        });
    }
    let mut raw = Raw {
        wall: Duration::ZERO,
        statuses: BTreeMap::new(),
        bytes: 0,
        validators: vec![Validators::default(); targets.len()],
        failures: Vec::new(),
    };
    let collect = async {
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((i, Ok((status, v, len)))) => {
                    *raw.statuses.entry(status).or_default() += 1;
                    raw.bytes += len;
                    if status == 200 {
                        raw.validators[i] = v;
                    }
                }
                Ok((i, Err(e))) => raw.failures.push(format!("{}: {e}", targets[i].0)),
                Err(e) => raw.failures.push(format!("download task failed: {e}")),
            }
        }
    };
    if tokio::time::timeout(limit, collect).await.is_err() {
        tasks.abort_all();
        raw.failures.push(format!("gave up after {limit:?}"));
    }
    raw.wall = started.elapsed();
    raw
}

// ------------------------------------------------------------------------------------------
// the roundup child
// ------------------------------------------------------------------------------------------

pub(crate) struct ChildRun {
    /// From just before roundup was spawned to its reaping, timed by the launcher.
    pub(crate) wall: Duration,
    /// Exit code, `None` when ended by a signal.
    pub(crate) code: Option<i32>,
    pub(crate) timed_out: bool,
    /// `ru_maxrss` from `wait4`.
    pub(crate) max_rss_kib: u64,
    /// The largest VmHWM seen in /proc/PID/status while it ran (a cross-check).
    pub(crate) sampled_hwm_kib: u64,
    pub(crate) cpu: Duration,
    pub(crate) peak_threads: u64,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Threads and VmHWM (KiB) of a running process.
fn proc_status(pid: i32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("Threads:")?, field("VmHWM:").unwrap_or(0)))
}

/// `--launch OUT ERR PROGRAM ARGS...`: runs PROGRAM with its output in OUT and ERR, prints
/// `pid N`, reaps it with `wait4` and prints `done CODE WALL_NS MAXRSS_KIB UTIME_US STIME_US`
/// (CODE is minus the signal number when a signal ended it).
///
/// Why a launcher: at exec, Linux folds the high-water RSS of the spawning process's memory
/// into the child's `ru_maxrss`; spawned straight from the bench (which holds every feed body),
/// roundup would report the bench's size. The launcher is a fresh, small process.
pub(crate) fn launch(args: &[OsString]) -> ExitCode {
    let [out, err, program, rest @ ..] = args else {
        println!("error usage: --launch OUT ERR PROGRAM ARGS...");
        return ExitCode::from(2);
    };
    let files = std::fs::File::create(out).and_then(|o| Ok((o, std::fs::File::create(err)?)));
    let started = Instant::now();
    let spawned = files.and_then(|(o, e)| {
        Command::new(program).args(rest).stdin(Stdio::null()).stdout(o).stderr(e).spawn()
    });
    let child = match spawned {
        Ok(c) => c,
        Err(e) => {
            println!("error cannot start {}: {e}", Path::new(program).display());
            return ExitCode::from(2);
        }
    };
    let pid = child.id() as libc::pid_t;
    println!("pid {pid}");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child, with valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            println!("error wait4: {e}");
            return ExitCode::from(2);
        }
    }
    let wall = started.elapsed();
    let code =
        if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -libc::WTERMSIG(status) };
    println!(
        "done {code} {} {} {} {}",
        wall.as_nanos(),
        usage.ru_maxrss,
        timeval(usage.ru_utime).as_micros(),
        timeval(usage.ru_stime).as_micros()
    );
    // `child` was reaped by wait4 above; std never needs to wait for it.
    drop(child);
    ExitCode::SUCCESS
}

/// The launcher of one roundup run; on drop (an error path), kills roundup and the launcher.
struct Launched {
    launcher: std::process::Child,
    pid: Option<i32>,
    finished: bool,
}

impl Drop for Launched {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(pid) = self.pid {
                // SAFETY: plain syscall; the launcher has not reaped this pid (no `done` yet).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            let _ = self.launcher.kill();
        }
        let _ = self.launcher.wait();
    }
}

/// Runs roundup through the launcher, sampling its threads and VmHWM every 10 ms; kills it
/// after `limit`.
pub(crate) fn run_roundup(
    args: &[OsString],
    dir: &Path,
    tag: &str,
    limit: Duration,
) -> anyhow::Result<ChildRun> {
    let out_path = dir.join(format!("{tag}.stdout"));
    let err_path = dir.join(format!("{tag}.stderr"));
    let mut launcher = Command::new(std::env::current_exe()?)
        .arg("--launch")
        .arg(&out_path)
        .arg(&err_path)
        .arg(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .env_remove("ROUNDUP_CONFIG")
        .env_remove("ROUNDUP_DB")
        // Loopback only: never through a proxy.
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the launcher")?;
    let stdout = launcher.stdout.take().expect("piped");
    let mut run = Launched { launcher, pid: None, finished: false };
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let (mut peak_threads, mut sampled_hwm_kib, mut timed_out) = (0, 0, false);
    let done: Vec<i128> = loop {
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(line) => {
                let line = line.context("reading the launcher")?;
                if let Some(pid) = line.strip_prefix("pid ") {
                    run.pid = Some(pid.trim().parse().context("the launcher's pid line")?);
                } else if let Some(rest) = line.strip_prefix("done ") {
                    run.finished = true;
                    break rest.split_whitespace().filter_map(|v| v.parse().ok()).collect();
                } else {
                    bail!("the launcher says: {line}");
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Some((threads, hwm)) = run.pid.and_then(proc_status) {
                    peak_threads = peak_threads.max(threads);
                    sampled_hwm_kib = sampled_hwm_kib.max(hwm);
                }
                if !timed_out && started.elapsed() > limit {
                    timed_out = true;
                    if let Some(pid) = run.pid {
                        // SAFETY: plain syscall; the launcher has not reaped this pid yet.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                }
                if started.elapsed() > limit + Duration::from_secs(30) {
                    bail!("roundup did not end 30 s after being killed");
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                bail!("the launcher ended without reporting")
            }
        }
    };
    drop(run); // waits for the launcher, which exits right after `done`
    let _ = reader.join();
    let [code, wall_ns, maxrss, utime, stime] = done[..] else {
        bail!("the launcher's done line has {} numbers, not 5", done.len());
    };
    Ok(ChildRun {
        wall: Duration::from_nanos(wall_ns as u64),
        code: (code >= 0).then_some(code as i32),
        timed_out,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: maxrss as u64,
        sampled_hwm_kib,
        cpu: Duration::from_micros((utime + stime) as u64),
        peak_threads,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    })
}

/// Entries stored per feed id, and the sizes on disk of the database and its WAL.
pub(crate) fn stored(db: &Path) -> anyhow::Result<(BTreeMap<String, u64>, u64, u64)> {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    // Sizes first: opening the database could checkpoint the WAL.
    let (db_bytes, wal_bytes) = (size(db), size(Path::new(&wal)));
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open {}", db.display()))?;
    let mut stmt = conn.prepare("SELECT feed_id, count(*) FROM entries GROUP BY feed_id")?;
    let per_feed = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok((per_feed, db_bytes, wal_bytes))
}
