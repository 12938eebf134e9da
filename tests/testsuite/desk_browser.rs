//! `roundup desk` end to end (issue 12): the real binary's desk, on fixture feeds served on
//! 127.0.0.1, driven in a headless Chromium ([`crate::browser`]) as an editor would drive it,
//! and hammered over HTTP beside the CLI.
//!
//! - An editor's week through the pages (pick by click and by key, quote marked paragraphs and
//!   selected words, lead-ins with links, reorder by drag and by keyboard, the intro) drafts
//!   exactly the bytes that the same actions through `roundup pick`/`edit` draft on a second
//!   database from the same feeds. Screenshots: `target/screenshots/desk-*.png`.
//! - A hostile feed (the draft tests' vectors and `tests/fixtures/desk/pwned.xml`, whose every
//!   payload sets `window.__pwned`) shown on every desk page runs nothing, leaves no handler,
//!   `javascript:` link, frame or foreign script in the DOM, and the Content-Security-Policy
//!   reports nothing blocked.
//! - *Fetch now* on the Feeds page shows its progress (one feed of two held back by the fixture
//!   server), then the result; an item whose feed has only a summary says "Fetching the
//!   article…" until its slow article page comes, then shows its paragraphs; with a password,
//!   the browser is sent to the login page, a wrong password is refused with a message, the
//!   right one lets it in and a pick then works. Screenshots of each.
//! - The candidates page's feed and tag filters offer only the week's feeds (of 53 in the file)
//!   and their tags, and narrow the list to one feed or tag. Screenshot of a tag chosen.
//! - The Feeds page of 450 feeds shows the failing one first and 200 rows; *Next* leads to the
//!   next 200, and the filter box finds one feed by a piece of its URL. Screenshots of both.
//! - No page makes the browser log anything (no 404 for `/favicon.ico` either).
//! - The desk (HTTP POSTs with its CSRF token) and `roundup pick`/`unpick`/`--position` from
//!   other processes, 200 actions each at once on one week: no action lost or refused, no
//!   "database is locked" on either side, positions dense and unique at every moment.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::support::*;

const WEEK: &str = "2024-W48";
const TITLE: &str = "That was the local government week that was";
/// How long a page may take to show what a step waits for.
const LIMIT: Duration = Duration::from_secs(15);

const LGIU: FeedFixture = ("lgiu", "draft/lgiu.xml", "application/rss+xml", Some("LGIU"));
const LOCALGOV: FeedFixture =
    ("localgov", "draft/localgov.atom", "application/atom+xml", Some("LocalGov"));
const COMMS: FeedFixture =
    ("comms", "draft/comms.xml", "application/rss+xml", Some("Comms Corner"));
const HOSTILE: FeedFixture = ("hostile", "draft/hostile.xml", "application/rss+xml", None);
const PWNED: FeedFixture = ("pwned", "desk/pwned.xml", "application/rss+xml", None);

/// A newsroom's feeds.toml head: the fixture articles are short, so two paragraphs are more
/// than the default fair-dealing share (as in the draft tests).
fn head() -> String {
    format!(
        "[settings]\ntimezone = \"Europe/London\"\n\n[roundup]\ntitle = \"{TITLE}\"\n\
         drafts = \"drafts\"\nexcerpt_max_share = \"30 %\"\n"
    )
}

/// A fresh database with `feeds` (served by `server`) fetched into it.
fn newsroom(server: &FixtureServer, feeds: &[FeedFixture]) -> TestEnv {
    let env = TestEnv::new(&serve_fixture_feeds(server, &head(), feeds));
    env.fetch(&[]).success();
    env
}

/// The id of the one stored entry whose title starts with `title`.
#[track_caller]
fn entry(env: &TestEnv, title: &str) -> String {
    env.entry_titled(title)["id"].as_i64().expect("id").to_string()
}

/// `roundup ARGS --week 2024-W48`, which must succeed.
#[track_caller]
fn week(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--week", WEEK]);
    let run = env.run(&all);
    run.success();
    run
}

/// `roundup draft` of the week in `format` (`markdown` or `html`), to stdout.
#[track_caller]
fn draft(env: &TestEnv, format: &str) -> String {
    week(env, &["draft", "--format", format, "-o", "-"]).stdout.clone()
}

/// A running `roundup desk` for 2024-W48 on a port the system picks.
struct Desk {
    _process: Running,
    addr: SocketAddr,
}

impl Desk {
    fn start(env: &TestEnv) -> Desk {
        let mut process = env.spawn(&["desk", "--addr", "127.0.0.1:0", "--week", WEEK]);
        let addr = process.wait_for_address("roundup: desk for", Duration::from_secs(20));
        Desk { _process: process, addr }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

// ------------------------------------------------------------------------------------------
// In the browser
// ------------------------------------------------------------------------------------------

/// Selects `phrase` inside the element with id `id` (its first text node), as a mouse drag
/// over the words would.
const SELECT_WORDS: &str = "
    const [id, phrase] = arguments;
    const node = document.getElementById(id).firstChild;
    const at = node.data.indexOf(phrase);
    if (at < 0) return false;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + phrase.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;";

/// Drags the element with id `arguments[0]` onto the top half of the one with id
/// `arguments[1]`, through the page's own HTML5 drag-and-drop handlers (dragstart, dragover,
/// drop, dragend with one DataTransfer), as a mouse drag does. WebDriver's pointer actions do
/// not start HTML5 drags in Chromium.
const DRAG_BEFORE: &str = "
    const [from, to] = arguments;
    const source = document.getElementById(from);
    const target = document.getElementById(to);
    const box = target.getBoundingClientRect();
    const at = { clientX: box.left + box.width / 2, clientY: box.top + 2 };
    const data = new DataTransfer();
    const fire = (el, type, where) => el.dispatchEvent(new DragEvent(type,
        Object.assign({ bubbles: true, cancelable: true, dataTransfer: data }, where)));
    fire(source, 'dragstart', {});
    fire(target, 'dragenter', at);
    fire(target, 'dragover', at);
    fire(target, 'drop', at);
    fire(source, 'dragend', {});
    return true;";

/// The post page's picks, in the order shown (entry ids), checking that the positions shown
/// are 1..n.
#[track_caller]
fn shown_order(b: &Browser) -> Vec<String> {
    let v = b.js(
        "return [...document.querySelectorAll('#picks .pick')]
            .map(li => [li.dataset.entryId, li.dataset.position])",
        vec![],
    );
    let rows = v.as_array().expect("a list");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[1], json!((i + 1).to_string()), "positions shown: {v}");
    }
    rows.iter().map(|r| r[0].as_str().expect("an id").to_string()).collect()
}

/// Waits until the post page shows the picks in `order`.
#[track_caller]
fn wait_order(b: &Browser, order: &[&str], what: &str) {
    let expected: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let ids = json!(expected);
    b.wait_js(
        what,
        LIMIT,
        &format!(
            "return JSON.stringify([...document.querySelectorAll('#picks .pick')]
                .map(li => li.dataset.entryId)) === JSON.stringify({ids})"
        ),
    );
    assert_eq!(shown_order(b), expected, "{what}");
}

/// Replaces the text of the field `css` by typing `text` into it.
#[track_caller]
fn type_into(b: &Browser, css: &str, text: &str) {
    let field = b.find(css);
    b.call(&format!("clear {css}"), field.clear());
    b.call(&format!("type into {css}"), field.send_keys(text));
}

/// Waits for the item page's status line to say the pick was saved.
#[track_caller]
fn wait_saved(b: &Browser, what: &str) {
    b.wait_js(
        what,
        LIMIT,
        "const s = document.getElementById('status');
         return s.textContent.startsWith('Saved') && s.className === ''",
    );
}

const LEAD_BUDGETS: &str =
    "Over at [LGIU](https://lgiu.example/), Jane Smith has [the survey in full]().";
const LEAD_HOUSING: &str =
    "Tom Jones at **[LocalGov](https://localgov.example/)** has *the* numbers.";
const PHRASE: &str = "the highest number since records began";
/// The README's screenshot of the desk (the post page of this test's week).
pub(crate) const README_SCREENSHOT: &str = "tests/screenshots/desk.png";
const INTRO: &str = "A week of budgets, bins and devolution deals.\n\nHere is what caught our eye.";

#[test]
fn an_editors_week_in_chromium_drafts_the_same_bytes_as_the_commands() {
    let server = FixtureServer::start();
    let feeds = [LGIU, LOCALGOV, COMMS];
    let env = newsroom(&server, &feeds);
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("the desk in Chromium") else { return };
    let budgets = entry(&env, "Council budgets under pressure");
    let housing = entry(&env, "Housing waiting lists");
    let deals = entry(&env, "Devolution deals");

    // The candidates: two picked with a click, the third from the keyboard (its row focused,
    // then space).
    b.goto(&desk.url(&format!("/?week={WEEK}")));
    b.wait_for("#candidates .candidate", LIMIT);
    let state = |id: &str| format!("return document.getElementById('c-{id}').dataset.state");
    for id in [&budgets, &housing] {
        b.click(&format!("#c-{id} [data-action=pick]"));
        b.wait_js(&format!("entry {id} picked"), LIMIT, &format!("{} === 'picked'", state(id)));
    }
    b.js("document.getElementById(arguments[0]).focus()", vec![json!(format!("c-{deals}"))]);
    b.press(' ');
    b.wait_js(
        "the focused entry picked by space",
        LIMIT,
        &format!("{} === 'picked'", state(&deals)),
    );
    assert_eq!(b.text("#count-picked"), "3");
    b.screenshot("desk-candidates");

    // An item: two paragraphs marked with clicks, a lead-in with links, saved.
    b.goto(&desk.url(&format!("/item/{budgets}?week={WEEK}")));
    b.wait_for("#para-3", LIMIT);
    b.click("#para-2");
    b.click("#para-3");
    assert_eq!(b.js("return document.getElementById('excerpt-para').value", vec![]), "2,3");
    type_into(&b, "#lead", LEAD_BUDGETS);
    b.click("#save");
    wait_saved(&b, "the first item saved");
    b.wait_js(
        "the item's preview",
        LIMIT,
        "return document.querySelector('#preview blockquote') !== null",
    );
    b.screenshot("desk-item");

    // Another: a phrase selected inside a paragraph, quoted with the page's button.
    b.goto(&desk.url(&format!("/item/{housing}?week={WEEK}")));
    b.wait_for("#para-1", LIMIT);
    assert_eq!(b.js(SELECT_WORDS, vec![json!("para-1"), json!(PHRASE)]), Value::Bool(true));
    b.wait_js(
        "the quote button to wake up",
        LIMIT,
        "return !document.getElementById('quote-selection').disabled",
    );
    b.click("#quote-selection");
    assert_eq!(b.js("return document.getElementById('excerpt').value", vec![]), PHRASE);
    type_into(&b, "#lead", LEAD_HOUSING);
    b.click("#save");
    wait_saved(&b, "the second item saved");

    // The post: picked order, then the third dragged to the top, then the second moved up
    // twice from the keyboard (its button focused; Enter, then space once the page gives the
    // focus back).
    b.goto(&desk.url(&format!("/post?week={WEEK}")));
    b.wait_for("#picks .pick", LIMIT);
    assert_eq!(shown_order(&b), [budgets.clone(), housing.clone(), deals.clone()]);
    b.js(DRAG_BEFORE, vec![json!(format!("p-{deals}")), json!(format!("p-{budgets}"))]);
    wait_order(&b, &[&deals, &budgets, &housing], "the order after the drag");
    let up = format!("#p-{housing} [data-action=move-up]");
    b.js("document.querySelector(arguments[0]).focus()", vec![json!(up)]);
    b.press(Key::Enter.into());
    wait_order(&b, &[&deals, &housing, &budgets], "the order after Enter on move up");
    b.wait_js(
        "the focus back on the moved item's button",
        LIMIT,
        &format!("return document.activeElement === document.querySelector({})", json!(up)),
    );
    b.press(' ');
    wait_order(&b, &[&housing, &deals, &budgets], "the order after space on move up");

    // The intro, saved; the draft beside it shows it.
    type_into(&b, "#intro", INTRO);
    b.click("#save-roundup");
    b.wait_js(
        "the roundup saved",
        LIMIT,
        "const s = document.getElementById('roundup-status');
         return s.textContent !== '' && s.className === ''",
    );
    b.wait_js(
        "the intro in the draft",
        LIMIT,
        "return document.getElementById('draft').textContent.includes('Here is what caught our eye.')",
    );
    b.wait_js(
        "the toast gone",
        LIMIT,
        "return getComputedStyle(document.getElementById('toast')).opacity === '0'",
    );
    let shot = b.screenshot("desk-post");
    // The README's picture of the desk is this screenshot: ROUNDUP_BLESS=1 refreshes it.
    if std::env::var_os("ROUNDUP_BLESS").is_some() {
        let readme_shot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(README_SCREENSHOT);
        std::fs::create_dir_all(readme_shot.parent().expect("a folder")).expect("make its folder");
        std::fs::copy(&shot, &readme_shot)
            .unwrap_or_else(|e| panic!("{}: {e}", readme_shot.display()));
    }
    let complaints: Vec<Value> = b
        .console()
        .into_iter()
        .filter(|e| !matches!(e["level"].as_str(), Some("INFO" | "DEBUG" | "ALL")))
        .collect();
    assert!(complaints.is_empty(), "the browser complained: {complaints:#?}");
    drop(b);

    // The same week through the commands, on a second database from the same feeds.
    let cli = newsroom(&server, &feeds);
    let (c_budgets, c_housing, c_deals) = (
        entry(&cli, "Council budgets under pressure"),
        entry(&cli, "Housing waiting lists"),
        entry(&cli, "Devolution deals"),
    );
    week(&cli, &["pick", &c_budgets, "--excerpt-para", "2,3", "--lead", LEAD_BUDGETS]);
    week(&cli, &["pick", &c_housing, "--excerpt", PHRASE, "--lead", LEAD_HOUSING]);
    week(&cli, &["pick", &c_deals]);
    week(&cli, &["pick", &c_deals, "--position", "1"]);
    week(&cli, &["pick", &c_housing, "--position", "2"]);
    week(&cli, &["pick", &c_housing, "--position", "1"]);
    week(&cli, &["edit", "--intro", INTRO]);
    for format in ["markdown", "html"] {
        let (from_desk, from_cli) = (draft(&env, format), draft(&cli, format));
        assert!(from_cli.contains(PHRASE), "{from_cli}");
        assert_eq!(from_desk, from_cli, "the {format} drafts differ (desk, then commands)");
    }
}

/// Every script-bearing thing in the page that did not come from the desk itself: inline
/// handlers, `javascript:` URLs, scripts other than `/assets/desk.js`, frames, objects, styles
/// and forms pointing elsewhere.
const ACTIVE_CONTENT: &str = "
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
            if (a.name.startsWith('on')) found.push(el.tagName + ' ' + a.name);
            if (/^(javascript|vbscript|data:text\\/html)/.test(v.replace(/^[^a-z]*/, '')) &&
                /^(href|src|action|formaction|xlink:href|data|srcdoc|content)$/.test(a.name))
                found.push(el.tagName + ' ' + a.name + '=' + a.value);
            if (a.name === 'srcdoc') found.push(el.tagName + ' srcdoc');
        }
        const tag = el.tagName.toLowerCase();
        if (tag === 'script' && el.getAttribute('src') !== '/assets/desk.js') found.push('script');
        if (['iframe', 'frame', 'object', 'embed', 'base', 'meta', 'link', 'style'].includes(tag) &&
            !el.closest('head')) found.push(tag + ' in the body');
    }
    return found;";

/// Loads `url`, waits for `ready` (a script returning true) and a moment for anything that
/// runs late (error handlers, timers), and returns what went wrong there: `__pwned` set, active
/// content in the DOM, CSP violations reported, console errors.
fn trouble_on(b: &Browser, url: &str, ready: &str) -> Vec<String> {
    b.goto(url);
    b.wait_js(&format!("{url} to be ready"), LIMIT, ready);
    std::thread::sleep(Duration::from_millis(400));
    let mut trouble = Vec::new();
    let pwned = b
        .js("return typeof window.__pwned === 'undefined' ? null : String(window.__pwned)", vec![]);
    if !pwned.is_null() {
        trouble.push(format!("{url}: window.__pwned = {pwned}"));
    }
    let active = b.js(ACTIVE_CONTENT, vec![]);
    for a in active.as_array().into_iter().flatten() {
        trouble.push(format!("{url}: active content: {a}"));
    }
    let csp = b.js("return window.__csp || []", vec![]);
    for v in csp.as_array().into_iter().flatten() {
        trouble.push(format!("{url}: CSP blocked {v}"));
    }
    for e in b.console() {
        let message = e["message"].as_str().unwrap_or("");
        let level = e["level"].as_str().unwrap_or("");
        if level == "SEVERE" || message.contains("Content Security Policy") {
            trouble.push(format!("{url}: console {level}: {message}"));
        }
    }
    trouble
}

#[test]
fn a_hostile_feed_runs_nothing_on_any_desk_page_and_the_csp_blocks_nothing() {
    let server = FixtureServer::start();
    let env = newsroom(&server, &[HOSTILE, PWNED, LGIU]);
    let entries = env.entries(&[]);
    let hostile: Vec<String> = entries
        .iter()
        .filter(|e| matches!(e["feed"].as_str(), Some("hostile" | "pwned")))
        .map(|e| e["id"].as_i64().expect("id").to_string())
        .collect();
    assert_eq!(hostile.len(), 5, "{entries:#?}");
    // Picked with the editor's words as hostile as the feed's, quoting the feeds' hostile
    // paragraphs; one skipped (shown with ?all=1).
    let words = "<script>window.__pwned='lead'</script> [x](javascript:window.__pwned='lead-link') \
                 <img src=x onerror=\"window.__pwned='lead-img'\">";
    let with_paragraphs = [entry(&env, "> Quoted"), entry(&env, "Handlers, SVG and frames")];
    for id in &hostile[1..] {
        let mut args = vec!["pick", id.as_str(), "--lead", words, "--note", words];
        if with_paragraphs.contains(id) {
            args.extend(["--excerpt-para", "1"]);
        }
        week(&env, &args);
    }
    week(&env, &["skip", &hostile[0]]);
    week(&env, &["edit", "--title", words, "--intro", words, "--outro", words, "--tags", words]);
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("the desk in Chromium, against a hostile feed") else { return };
    // Every CSP refusal in any page, recorded before the page's own script runs.
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__csp = []; document.addEventListener('securitypolicyviolation', \
            e => window.__csp.push({ blocked: e.blockedURI, directive: e.violatedDirective, \
            sample: e.sample, source: e.sourceFile + ':' + e.lineNumber }));"}),
    );

    let mut trouble = Vec::new();
    let loaded = "return document.readyState === 'complete'";
    trouble.extend(trouble_on(&b, &desk.url(&format!("/?week={WEEK}&all=1")), loaded));
    for id in &hostile {
        let ready =
            "return document.getElementById('paragraphs').getAttribute('aria-busy') === 'false'
            && (document.getElementById('pick-state').dataset.picked !== 'true'
                || document.querySelector('#preview .roundup-item') !== null)";
        trouble.extend(trouble_on(&b, &desk.url(&format!("/item/{id}?week={WEEK}")), ready));
        // Mark every paragraph and save: the preview then shows the quote as drafted.
        b.js("document.querySelectorAll('#paragraphs .para').forEach(p => p.click())", vec![]);
        b.click("#save");
        b.wait_js(
            "the hostile item saved",
            LIMIT,
            "return document.getElementById('status').textContent.startsWith('Saved')",
        );
        std::thread::sleep(Duration::from_millis(400));
        let pwned = b.js("return typeof window.__pwned === 'undefined'", vec![]);
        if pwned != Value::Bool(true) {
            trouble.push(format!("item {id} after saving: window.__pwned is set"));
        }
    }
    trouble.extend(trouble_on(
        &b,
        &desk.url(&format!("/post?week={WEEK}")),
        "return document.querySelector('#draft .roundup-item') !== null",
    ));
    trouble.extend(trouble_on(&b, &desk.url(&format!("/feeds?week={WEEK}")), loaded));
    trouble.extend(trouble_on(&b, &desk.url(&format!("/draft.html?week={WEEK}")), loaded));
    b.screenshot("desk-hostile-post");
    assert!(trouble.is_empty(), "the hostile feed got through:\n{}", trouble.join("\n"));
}

/// "Fetch now" on the Feeds page: the progress element shows how many feeds are done while the
/// fixture server holds the second one back, then the result; the page then lists both feeds
/// as fetched.
#[test]
fn fetch_now_on_the_feeds_page_shows_its_progress_then_the_result() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "timezone = \"UTC\"",
        &[("alpha", server.url("/gen/alpha")), ("beta", server.url("/gen/beta"))],
    );
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("fetch now on the desk's Feeds page, in Chromium") else { return };
    b.goto(&desk.url("/feeds"));
    b.wait_for("#feed-alpha", LIMIT);
    assert_eq!(b.js("return document.getElementById('fetch-progress').hidden", vec![]), true);
    // One feed is answered; the other waits until released.
    server.hold_after(1);
    b.click("#fetch-now");
    b.wait_js(
        "the progress of one feed of two",
        LIMIT,
        "const box = document.getElementById('fetch-progress');
         const bar = document.getElementById('fetch-bar');
         return !box.hidden && box.dataset.running === 'true' && bar.value === 1 && bar.max === 2
             && document.getElementById('fetch-text').textContent === '1 of 2 feeds…'",
    );
    assert_eq!(b.js("return document.getElementById('fetch-now').disabled", vec![]), true);
    b.screenshot("desk-feeds-fetching");
    server.release();
    b.wait_js(
        "the result",
        LIMIT,
        "return document.getElementById('fetch-text').textContent === 'Polled 2 feeds: 0 failed.'",
    );
    // The page reloads itself with the feeds' new state.
    let fetched = |id: &str| {
        format!(
            "const row = document.getElementById('feed-{id}');
             return row !== null && row.cells[2].textContent === '200'
                 && row.cells[5].textContent === '3'"
        )
    };
    b.wait_js("alpha shown as fetched", LIMIT, &fetched("alpha"));
    b.wait_js("beta shown as fetched", LIMIT, &fetched("beta"));
    assert_eq!(b.text("#fetch-text"), "Polled 2 feeds: 0 failed.");
    assert_eq!(b.js("return document.getElementById('fetch-now').disabled", vec![]), false);
    b.screenshot("desk-feeds-fetched");
    assert_eq!((server.hits("/gen/alpha"), server.hits("/gen/beta")), (1, 1));
}

/// Issue 11: the Feeds page of a big feeds.toml is a page of rows at a time. In Chromium: the
/// first page shows the failing feed first and 200 rows; "Next" leads to the next 200, and
/// the filter box finds one feed by a piece of its URL.
#[test]
fn the_feeds_page_pages_through_many_feeds_and_filters_them() {
    let feeds: Vec<(String, String)> = (0..450)
        .map(|i| (format!("blog-{i:03}"), format!("http://127.0.0.1:9/feeds/site-{i}.xml")))
        .collect();
    let refs: Vec<(&str, String)> =
        feeds.iter().map(|(id, url)| (id.as_str(), url.clone())).collect();
    let env = TestEnv::with_feeds("timezone = \"UTC\"", &refs);
    let desk = Desk::start(&env);
    let db = rusqlite::Connection::open(&env.db).expect("open the desk's database");
    db.execute(
        "UPDATE feeds SET error_count = 3, last_error = 'HTTP 503' WHERE id = 'blog-321'",
        [],
    )
    .expect("mark a feed failing");
    let Some(b) = Browser::start("paging the desk's Feeds page, in Chromium") else { return };
    b.goto(&desk.url("/feeds"));
    b.wait_for("#feeds-next", LIMIT);
    let rows = "return Array.from(document.querySelectorAll('#feeds tbody tr'),
                    r => r.id + (r.hasAttribute('data-failing') ? ' failing' : ''))";
    let first = b.js(rows, vec![]);
    let first = first.as_array().expect("rows");
    assert_eq!(first.len(), 200);
    assert_eq!(first[0], "feed-blog-321 failing");
    assert_eq!(first[1], "feed-blog-000");
    assert_eq!(b.text("#feeds-shown"), "Feeds 1–200 of 450");
    assert!(b.find_all("#feeds-previous").is_empty());
    b.click("#feeds-next");
    b.wait_js(
        "the second page",
        LIMIT,
        "return document.getElementById('feeds-shown').textContent === 'Feeds 201–400 of 450'",
    );
    let second = b.js(rows, vec![]);
    let second = second.as_array().expect("rows");
    assert_eq!(second.len(), 200);
    assert_eq!(second[0], "feed-blog-199");
    assert!(!second.iter().any(|r| r == "feed-blog-321" || r == "feed-blog-321 failing"));
    assert_eq!(b.find_all("#feeds-previous").len(), 1);
    b.screenshot("desk-feeds-page-2");
    type_into(&b, "#feed-filter-q", "site-417.XML");
    b.click("#feed-filter button[type=submit]");
    b.wait_js(
        "the filtered page",
        LIMIT,
        "return document.getElementById('feeds-shown').textContent
            === 'Feeds 1–1 of 1 matching “site-417.XML”'",
    );
    assert_eq!(b.js(rows, vec![]), json!(["feed-blog-417"]));
    assert_eq!(
        b.js("return document.getElementById('feed-filter-q').value", vec![]),
        "site-417.XML"
    );
    assert!(b.find_all("#feeds-next").is_empty());
    b.screenshot("desk-feeds-filtered");
    b.click("#feed-filter-clear");
    b.wait_js(
        "the whole list again",
        LIMIT,
        "return document.getElementById('feeds-shown').textContent === 'Feeds 1–200 of 450'",
    );
}

/// The candidates page's feed and tag filters offer only the feeds with candidates in the week
/// (in the feeds file's order, by name) and those feeds' tags, though the file has many more;
/// choosing one narrows the list to its rows, and "All" brings every row back.
#[test]
fn the_candidates_filters_offer_the_weeks_feeds_and_narrow_the_list() {
    let server = FixtureServer::start();
    let env = newsroom(&server, &[LGIU, LOCALGOV, COMMS]);
    // Tags, and many feeds with nothing this week (never fetched).
    let mut config = std::fs::read_to_string(&env.config).expect("read feeds.toml");
    config = config
        .replace("name = \"LGIU\"\n", "name = \"LGIU\"\ntags = [\"policy\", \"research\"]\n")
        .replace("name = \"Comms Corner\"\n", "name = \"Comms Corner\"\ntags = [\"policy\"]\n");
    for i in 0..50 {
        config.push_str(&format!(
            "\n[[feeds]]\nid = \"quiet-{i}\"\nname = \"Quiet {i}\"\n\
             url = \"http://127.0.0.1:9/quiet-{i}.xml\"\ntags = [\"policy\", \"dormant\"]\n"
        ));
    }
    std::fs::write(&env.config, config).expect("write feeds.toml");
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("the candidates page's filters, in Chromium") else { return };
    b.goto(&desk.url(&format!("/?week={WEEK}")));
    b.wait_for("#candidates .candidate", LIMIT);
    let options = |select: &str| {
        b.js(
            "return Array.from(document.querySelectorAll('#' + arguments[0] + ' option'),
                o => o.value + '=' + o.textContent)",
            vec![json!(select)],
        )
    };
    assert_eq!(
        options("feed-filter"),
        json!(["=All feeds", "lgiu=LGIU", "localgov=LocalGov", "comms=Comms Corner"])
    );
    assert_eq!(options("tag-filter"), json!(["=All tags", "lgiu comms=policy", "lgiu=research"]));

    let shown = "return Array.from(document.querySelectorAll('#candidates .candidate:not(.hide)'),
                    r => r.dataset.feed)";
    let every = b.js(shown, vec![]);
    let every: Vec<&str> =
        every.as_array().expect("rows").iter().filter_map(Value::as_str).collect();
    let choose = |select: &str, value: &str| {
        b.call("choose an option", b.find(&format!("#{select}")).select_by_value(value));
    };
    for (select, value, feeds) in [
        ("feed-filter", "localgov", &["localgov"][..]),
        ("tag-filter", "lgiu comms", &["lgiu", "comms"][..]),
    ] {
        choose(select, value);
        let want: Vec<&str> = every.iter().copied().filter(|f| feeds.contains(f)).collect();
        assert!(!want.is_empty(), "{feeds:?} have candidates: {every:?}");
        assert_eq!(b.js(shown, vec![]), json!(want), "{select} = {value}");
        assert_eq!(b.text("#count-shown"), want.len().to_string());
        if select == "tag-filter" {
            b.screenshot("desk-candidates-by-tag");
        }
        choose(select, "");
        assert_eq!(b.js(shown, vec![]), json!(every));
    }
}

/// An article page the fixture server answers [`ARTICLE_DELAY`] late.
const ARTICLE: &str = r#"<!DOCTYPE html><html><head><title>Bins go fortnightly | Council Digest</title></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Bins go fortnightly</h1>
<p>The article page holds the real text, which the feed only teased, and it runs to several
sentences so that a readability pass sees it as the main content of the page.</p>
<p>A second paragraph explains what the council decided and why residents should care about
the change to bin collections that starts in the new year.</p>
</article><footer>Cookie settings. Privacy.</footer></body></html>"#;

/// How late the article page comes: long enough for the "fetching…" state to be seen.
const ARTICLE_DELAY: Duration = Duration::from_millis(2500);

/// The item page of an entry whose feed has only a summary shows "Fetching the article…" while
/// the desk fetches the (slow) article page, then the page's paragraphs.
#[test]
fn the_item_page_says_fetching_while_the_article_is_fetched_then_shows_its_paragraphs() {
    let server = FixtureServer::start();
    let article = server.url(&format!("/doc/article.html?delay_ms={}", ARTICLE_DELAY.as_millis()));
    server.set_doc("article.html", "text/html; charset=utf-8", ARTICLE);
    server.set_doc(
        "digest.xml",
        "application/rss+xml",
        &format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Council Digest</title>\
             <link>https://digest.example/</link><item><title>Bins go fortnightly</title>\
             <link>{article}</link><guid>d-1</guid><pubDate>Wed, 27 Nov 2024 09:00:00 GMT</pubDate>\
             <description>Just a teaser of the article.</description></item></channel></rss>"
        ),
    );
    let env =
        TestEnv::with_feeds("timezone = \"UTC\"", &[("digest", server.url("/doc/digest.xml"))]);
    env.fetch(&[]).success();
    let id = entry(&env, "Bins go fortnightly");
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("the item page's fetching state, in Chromium") else { return };
    let clock = Instant::now();
    b.goto(&desk.url(&format!("/item/{id}?week={WEEK}")));
    let fetching = b.js(
        "const f = document.getElementById('fetching');
         return f !== null && f.offsetParent !== null
             && document.getElementById('paragraphs').getAttribute('aria-busy') === 'true'
             && f.textContent.trim()",
        vec![],
    );
    assert_eq!(
        fetching,
        "Fetching the article…",
        "the item page showed no fetching state {:?} after it was asked for",
        clock.elapsed()
    );
    b.screenshot("desk-item-fetching");
    b.wait_for("#para-2", LIMIT);
    let waited = clock.elapsed();
    assert!(waited >= ARTICLE_DELAY, "the paragraphs came after {waited:?}, before the article");
    assert_eq!(b.js("return document.getElementById('fetching')", vec![]), Value::Null);
    assert_eq!(
        b.js("return document.getElementById('paragraphs').getAttribute('aria-busy')", vec![]),
        "false"
    );
    assert!(b.text("#para-2").starts_with("A second paragraph explains"), "{}", b.text("#para-2"));
    assert_eq!(b.find_all("#paragraphs .para").len(), 2);
    b.screenshot("desk-item-fetched");
    let asked = server.paths().iter().filter(|p| p.starts_with("/doc/article.html")).count();
    assert_eq!(asked, 1, "{:?}", server.paths());
}

/// The desk with a password: every page leads to the login page, a wrong password is refused
/// with a message, the right one lets the editor in, and a pick made then is stored.
#[test]
fn with_a_password_the_browser_logs_in_and_then_picks() {
    const PASSWORD: &str = "a long desk password";
    let server = FixtureServer::start();
    let env = newsroom(&server, &[LGIU]);
    let mut cmd = env.command(&["desk", "--set-password"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("roundup desk --set-password");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n{PASSWORD}\n").as_bytes())
        .expect("the password");
    let out = child.wait_with_output().expect("roundup desk --set-password");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let budgets = entry(&env, "Council budgets under pressure");
    let desk = Desk::start(&env);
    let Some(b) = Browser::start("logging in to the desk, in Chromium") else { return };

    b.goto(&desk.url(&format!("/?week={WEEK}")));
    b.wait_for("body[data-page=login] #password", LIMIT);
    assert_eq!(b.js("return location.pathname", vec![]), "/login");
    type_into(&b, "#password", "not the password");
    b.click("#login");
    b.wait_for("#login-error", LIMIT);
    assert_eq!(b.text("#login-error"), "Wrong password.");
    assert_eq!(b.js("return document.body.dataset.page", vec![]), "login");
    b.screenshot("desk-login-refused");

    type_into(&b, "#password", PASSWORD);
    b.click("#login");
    b.wait_for("body[data-page=candidates] #candidates .candidate", LIMIT);
    b.goto(&desk.url(&format!("/?week={WEEK}")));
    b.wait_for(&format!("#c-{budgets}"), LIMIT);
    b.click(&format!("#c-{budgets} [data-action=pick]"));
    b.wait_js(
        "the entry picked",
        LIMIT,
        &format!("return document.getElementById('c-{budgets}').dataset.state === 'picked'"),
    );
    let picks = week(&env, &["picks", "--json"]).json();
    assert_eq!(picks.as_array().map(Vec::len), Some(1), "{picks}");
    assert_eq!(picks[0]["entry"]["id"].as_i64().map(|i| i.to_string()), Some(budgets));
}

// ------------------------------------------------------------------------------------------
// The desk and the commands at once
// ------------------------------------------------------------------------------------------

/// One HTTP/1.1 exchange with the desk (a new connection each time): status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A chunked body's bytes.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size.filter(|n| *n > 0) else { break };
        let start = eol + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// One side's script: entry `set[i % n]` gets, in turn, pick, move to the top, unpick.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Pick,
    Top,
    Unpick,
}

fn script(set: &[String], actions: usize) -> Vec<(String, Act)> {
    (0..actions)
        .map(|i| {
            let act = match (i / set.len()) % 3 {
                0 => Act::Pick,
                1 => Act::Top,
                _ => Act::Unpick,
            };
            (set[i % set.len()].clone(), act)
        })
        .collect()
}

/// The entries a script leaves picked.
fn left_picked(script: &[(String, Act)]) -> Vec<String> {
    let mut picked: Vec<String> = Vec::new();
    for (id, act) in script {
        picked.retain(|p| p != id);
        if *act != Act::Unpick {
            picked.push(id.clone());
        }
    }
    picked.sort();
    picked
}

/// The week's pick positions, in order (entry id, position).
fn positions(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT p.entry_id, p.position FROM picks p JOIN roundups r ON r.id = p.roundup_id \
         WHERE r.week = ?1 ORDER BY p.position",
    )?;
    stmt.query_map([WEEK], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

const ACTIONS: usize = 200;

#[test]
fn the_desk_and_the_commands_at_once_lose_nothing_and_keep_positions_dense() {
    let server = FixtureServer::start();
    let env = newsroom(&server, &[LGIU, LOCALGOV, COMMS]);
    let ids: Vec<String> =
        env.entries(&[]).iter().map(|e| e["id"].as_i64().expect("id").to_string()).collect();
    assert!(ids.len() >= 6, "six entries to share out: {ids:?}");
    let (desk_set, cli_set) = (ids[..3].to_vec(), ids[3..6].to_vec());
    let desk_script = script(&desk_set, ACTIONS);
    let cli_script = script(&cli_set, ACTIONS);
    let desk = Desk::start(&env);
    let addr = desk.addr;
    let (status, page) = http(addr, "GET", &format!("/?week={WEEK}"), &[], "");
    assert_eq!(status, 200, "{page}");
    let csrf = page
        .split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's CSRF token")
        .to_string();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader checking, all along, that every committed state has dense unique positions.
    let watcher = {
        let stop = stop.clone();
        let db = env.db.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .expect("open the database");
            conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
            let mut looks = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let seen = positions(&conn).expect("read the picks");
                let numbers: Vec<i64> = seen.iter().map(|p| p.1).collect();
                let dense: Vec<i64> = (1..=i64::try_from(seen.len()).unwrap()).collect();
                assert_eq!(numbers, dense, "positions not dense and unique: {seen:?}");
                looks += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            looks
        })
    };
    let started = Instant::now();
    let desk_side = std::thread::spawn(move || {
        let mut failures = Vec::new();
        for (id, act) in desk_script {
            let (path, extra) = match act {
                Act::Pick => ("/api/pick", String::new()),
                Act::Top => ("/api/move", "&position=1".to_string()),
                Act::Unpick => ("/api/unpick", String::new()),
            };
            let body = format!("week={WEEK}&entry={id}{extra}");
            let (status, answer) = http(
                addr,
                "POST",
                path,
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("X-CSRF-Token", &csrf),
                    ("Origin", &format!("http://{addr}")),
                ],
                &body,
            );
            let ok = serde_json::from_str::<Value>(&answer).is_ok_and(|v| v["ok"] == true);
            if status != 200 || !ok {
                failures.push(format!("{path} {body}: {status} {answer}"));
            }
        }
        failures
    });
    let mut cli_failures = Vec::new();
    for (id, act) in &cli_script {
        let run = match act {
            Act::Pick => env.run(&["pick", id, "--week", WEEK]),
            Act::Top => env.run(&["pick", id, "--position", "1", "--week", WEEK]),
            Act::Unpick => env.run(&["unpick", id, "--week", WEEK]),
        };
        if run.code != Some(0) || run.stderr.contains("locked") {
            cli_failures.push(format!("{act:?} {id}: {run}"));
        }
    }
    let desk_failures = desk_side.join().expect("the desk side");
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let looks = watcher.join().expect("the watcher saw dense positions throughout");
    assert!(desk_failures.is_empty(), "desk actions failed:\n{}", desk_failures.join("\n"));
    assert!(cli_failures.is_empty(), "commands failed:\n{}", cli_failures.join("\n"));

    // Nothing lost: the picks left are exactly what both scripts leave, in dense positions.
    let conn = env.sqlite();
    let end = positions(&conn).expect("read the picks");
    let mut picked: Vec<String> = end.iter().map(|p| p.0.to_string()).collect();
    picked.sort();
    let mut expected = left_picked(&script(&desk_set, ACTIONS));
    expected.extend(left_picked(&cli_script));
    expected.sort();
    assert_eq!(picked, expected, "the picks left: {end:?}");
    let numbers: Vec<i64> = end.iter().map(|p| p.1).collect();
    assert_eq!(numbers, (1..=i64::try_from(end.len()).unwrap()).collect::<Vec<_>>());
    assert_eq!(env.integrity(), "ok");
    eprintln!(
        "desk and commands: {ACTIONS} actions each in {took:?}; the watcher looked {looks} times"
    );
}
