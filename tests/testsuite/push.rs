//! `roundup push` against a real WordPress (Debian's package, started once per test run by
//! `wordpress::wordpress`): the week of `draft::editors_week` built through the real binary
//! from the fixture feeds, pushed, and read back through the REST API as the blog holds it
//! (`context=edit`) and shows it (`context=view`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::draft::{HOSTILE, Newsroom, TITLE, WEEK, assert_inert, editors_week};
use crate::support::*;
use crate::wordpress::{Role, WordPress, wordpress};

/// Adds a `[blog]` table for `url` and `user` to the newsroom's feeds.toml (`extra`: more
/// lines of it, or of a `[settings]` override after it).
fn with_blog(n: &Newsroom, url: &str, user: &str, extra: &str) {
    let mut config = n.env.read_config();
    config.push_str(&format!(
        "\n[blog]\nkind = \"wordpress\"\nurl = \"{url}\"\nuser = \"{user}\"\n{extra}"
    ));
    std::fs::write(&n.env.config, config).expect("write feeds.toml");
}

/// `roundup push --week 2024-W48 ARGS` with `password` in ROUNDUP_BLOG_PASSWORD.
fn push(n: &Newsroom, password: &str, args: &[&str]) -> Run {
    let mut all = vec!["push", "--week", WEEK];
    all.extend_from_slice(args);
    let mut cmd = n.env.command(&all);
    cmd.env("ROUNDUP_BLOG_PASSWORD", password)
        .env_remove("ROUNDUP_BLOG_USER")
        .env_remove("ROUNDUP_BLOG_TOKEN");
    run_command(cmd)
}

/// The post id in `roundup: pushed 2024-W48: created post 12 (draft) on …`.
#[track_caller]
fn pushed_id(run: &Run, verb: &str) -> u64 {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("roundup: pushed"))
        .unwrap_or_else(|| panic!("no `roundup: pushed` line\n{run}"));
    let rest =
        line.split_once(&format!("{verb} post ")).unwrap_or_else(|| panic!("not {verb}: {line}")).1;
    rest.split(' ').next().and_then(|id| id.parse().ok()).expect("a post id")
}

/// The post as the blog holds it (`context=edit`) and as it shows it (`context=view`).
fn read_back(wp: &WordPress, id: u64) -> (Value, Value) {
    let edit = wp.api(Role::Admin, "GET", &format!("/wp/v2/posts/{id}?context=edit"), None);
    assert_eq!(edit.status, 200, "{}", edit.text);
    let view = wp.api(Role::Admin, "GET", &format!("/wp/v2/posts/{id}?context=view"), None);
    assert_eq!(view.status, 200, "{}", view.text);
    (edit.json, view.json)
}

/// The names of the terms with these ids.
fn term_names(wp: &WordPress, taxonomy: &str, ids: &Value) -> BTreeSet<String> {
    let ids: Vec<String> =
        ids.as_array().expect("ids").iter().map(|i| i.as_u64().expect("id").to_string()).collect();
    if ids.is_empty() {
        return BTreeSet::new();
    }
    let route = format!("/wp/v2/{taxonomy}?include={}&per_page=100", ids.join(","));
    let got = wp.api(Role::Admin, "GET", &route, None);
    got.json.as_array().expect("terms").iter().map(|t| t["name"].as_str().unwrap().into()).collect()
}

/// How many terms of `taxonomy` are named `name` on the blog.
fn terms_named(wp: &WordPress, taxonomy: &str, name: &str) -> usize {
    let query: String = url_encode(name);
    let got = wp.api(Role::Admin, "GET", &format!("/wp/v2/{taxonomy}?search={query}"), None);
    let all = got.json.as_array().expect("terms").clone();
    all.iter().filter(|t| t["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name))).count()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The markup a check keeps: every link target, every blockquote's words, every paragraph's
/// words, of an HTML fragment.
#[derive(Debug)]
struct Markup {
    links: Vec<String>,
    quotes: Vec<String>,
    paragraphs: Vec<String>,
}

fn markup(html: &str) -> Markup {
    let doc = scraper::Html::parse_fragment(html);
    let words = |el: scraper::ElementRef<'_>| {
        el.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let select = |css: &str| scraper::Selector::parse(css).expect("selector");
    Markup {
        links: doc
            .select(&select("a[href]"))
            .map(|a| a.value().attr("href").unwrap().to_string())
            .collect(),
        quotes: doc.select(&select("blockquote")).map(words).collect(),
        paragraphs: doc.select(&select("p")).map(words).filter(|p| !p.is_empty()).collect(),
    }
}

/// Typography WordPress applies on view (wptexturize): curly quotes, dashes, ellipses.
fn untexturize(s: &str) -> String {
    s.replace(['\u{2018}', '\u{2019}', '\u{2032}'], "'")
        .replace(['\u{201c}', '\u{201d}', '\u{2033}'], "\"")
        .replace(['\u{2013}'], "-")
        .replace('\u{2014}', "--")
        .replace('\u{2026}', "...")
        .replace('\u{00d7}', "x")
}

/// Every link, blockquote and paragraph of `sent` is in `got` (`what` names it in failures).
#[track_caller]
fn keeps_everything(sent: &str, got: &str, what: &str) {
    let (sent, got) = (markup(sent), markup(got));
    assert!(!sent.links.is_empty() && !sent.quotes.is_empty() && !sent.paragraphs.is_empty());
    assert!(sent.links.iter().any(|l| l.contains("#:~:text=")), "{sent:?}");
    for link in &sent.links {
        assert!(got.links.contains(link), "{what} lost the link {link}\n{:#?}", got.links);
    }
    assert_eq!(sent.quotes.len(), got.quotes.len(), "{what}: blockquotes\n{got:#?}");
    let got_quotes: Vec<String> = got.quotes.iter().map(|q| untexturize(q)).collect();
    for q in &sent.quotes {
        assert!(
            got_quotes.contains(&untexturize(q)),
            "{what} lost the quote {q:?}\n{got_quotes:#?}"
        );
    }
    let got_text = untexturize(&got.paragraphs.join("\n"));
    for p in &sent.paragraphs {
        assert!(got_text.contains(&untexturize(p)), "{what} lost the paragraph {p:?}\n{got_text}");
    }
}

/// The JSON body `roundup push --dry-run` prints after the request line and headers.
#[track_caller]
fn dry_run_body(run: &Run) -> Value {
    let start = run.stdout.find("\n{").unwrap_or_else(|| panic!("no JSON body\n{run}"));
    serde_json::from_str(&run.stdout[start..]).unwrap_or_else(|e| panic!("{e}\n{run}"))
}

#[test]
fn a_week_of_six_picks_lands_as_a_draft_and_a_second_push_updates_the_same_post() {
    let Some(wp) = wordpress("pushing a week to a real WordPress") else { return };
    let n = editors_week();
    with_blog(&n, &wp.url, wp.user(Role::Editor), "");
    let password = wp.app_password(Role::Editor);

    // The dry run shows the request, with the credentials masked, and changes nothing.
    let dry = push(&n, password, &["--dry-run"]);
    dry.success();
    assert!(dry.stdout.contains("would create a post for 2024-W48"), "{dry}");
    assert!(dry.stdout.contains(&format!("POST {}/wp-json/wp/v2/posts\n", wp.url)), "{dry}");
    assert!(dry.stdout.contains("Authorization: Basic ********\n"), "{dry}");
    assert!(!dry.stdout.contains(password) && !dry.stderr.contains(password), "{dry}");
    let sent = dry_run_body(&dry);
    let sent_html = sent["content"].as_str().expect("content").to_string();
    assert_eq!(sent["status"], "draft");
    assert_eq!(sent["title"], TITLE);

    let first = push(&n, password, &[]);
    first.success();
    let id = pushed_id(&first, "created");
    assert!(!first.stdout.contains(password) && !first.stderr.contains(password), "{first}");

    let (edit, view) = read_back(wp, id);
    assert_eq!(edit["status"], "draft", "never published by surprise");
    assert_eq!(edit["title"]["raw"], TITLE);
    assert_eq!(
        edit["excerpt"]["raw"],
        "A week of budgets, bins and devolution deals. Here is what caught our eye."
    );
    let tags = term_names(wp, "tags", &edit["tags"]);
    let want: BTreeSet<String> =
        ["local government", "budgets", "housing"].into_iter().map(String::from).collect();
    assert_eq!(tags, want);
    let categories = term_names(wp, "categories", &edit["categories"]);
    assert_eq!(categories, BTreeSet::from(["Weekly roundup".to_string()]));
    // The body carries the picks, not what went in the post's own fields.
    let raw = edit["content"]["raw"].as_str().expect("raw");
    assert!(!raw.contains("<h1>") && !raw.contains("roundup-intro") && !raw.contains("Tags:"));
    assert_eq!(raw.trim(), sent_html.trim(), "an editor's post is saved as sent");
    keeps_everything(&sent_html, raw, "content.raw (context=edit)");
    let rendered = view["content"]["rendered"].as_str().expect("rendered");
    keeps_everything(&sent_html, rendered, "content.rendered (context=view)");

    // A correction, pushed again: the same post, updated, and no second copy of a term.
    n.ok(&[
        "edit",
        "--title",
        "Corrected: the local government week",
        "--tags",
        "budgets, Housing, bins",
    ]);
    let second = push(&n, password, &[]);
    second.success();
    assert_eq!(pushed_id(&second, "updated"), id, "{second}");
    let (edit, _) = read_back(wp, id);
    assert_eq!(edit["title"]["raw"], "Corrected: the local government week");
    let tags = term_names(wp, "tags", &edit["tags"]);
    let want: BTreeSet<String> =
        ["budgets", "housing", "bins"].into_iter().map(String::from).collect();
    assert_eq!(tags, want, "Housing is the tag housing");
    for name in ["budgets", "housing", "bins", "local government"] {
        assert_eq!(terms_named(wp, "tags", name), 1, "one tag {name:?}");
    }
    assert_eq!(terms_named(wp, "categories", "Weekly roundup"), 1);
}

#[test]
fn a_post_changed_on_the_blog_is_refused_saying_what_changed_and_overwrite_replaces_it() {
    let Some(wp) = wordpress("refusing to overwrite a post changed in WordPress") else { return };
    let n = editors_week();
    with_blog(&n, &wp.url, wp.user(Role::Editor), "");
    let password = wp.app_password(Role::Editor);
    let id = pushed_id(push(&n, password, &[]).success(), "created");

    // WordPress's modified_gmt has a one-second grain: let the edit fall in a later second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let edited = json!({"title": "Edited on the blog", "excerpt": "The blog's own excerpt."});
    let answer = wp.api(Role::Admin, "POST", &format!("/wp/v2/posts/{id}"), Some(&edited));
    assert_eq!(answer.status, 200, "{}", answer.text);

    let refused = push(&n, password, &[]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains(&format!(
            "not pushed: post {id} was changed on the blog since the last push (title, excerpt)"
        )),
        "{refused}"
    );
    assert!(refused.stderr.contains("--overwrite"), "{refused}");
    let (edit, _) = read_back(wp, id);
    assert_eq!(edit["title"]["raw"], "Edited on the blog", "the blog's change is kept");

    let overwritten = push(&n, password, &["--overwrite"]);
    overwritten.success();
    assert_eq!(pushed_id(&overwritten, "updated"), id);
    let (edit, _) = read_back(wp, id);
    assert_eq!(edit["title"]["raw"], TITLE);

    // Published, when asked: a later push is refused, and --overwrite corrects the post and
    // keeps it published.
    let published = push(&n, password, &["--status", "publish"]);
    assert_eq!(pushed_id(published.success(), "updated"), id);
    assert!(published.stdout.contains(&format!("updated post {id} (publish)")), "{published}");
    let refused = push(&n, password, &[]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains(&format!("post {id} is already published on the blog")),
        "{refused}"
    );
    n.ok(&["edit", "--title", "Corrected after publication"]);
    let corrected = push(&n, password, &["--overwrite"]);
    assert_eq!(pushed_id(corrected.success(), "updated"), id);
    let (edit, _) = read_back(wp, id);
    assert_eq!(
        (edit["status"].as_str(), edit["title"]["raw"].as_str()),
        (Some("publish"), Some("Corrected after publication"))
    );
}

#[test]
fn a_hostile_feed_leaves_nothing_active_in_the_post_the_blog_shows() {
    let Some(wp) = wordpress("a hostile feed pushed to a real WordPress") else { return };
    let n = Newsroom::start(&[HOSTILE]);
    n.pick(
        "Budget",
        &[
            "--excerpt",
            "First </blockquote> para <script>alert(13)</script>\n\n> Second [x](javascript:alert(14))",
            "--lead",
            "<b onmouseover=alert(16)>Lead</b> ![i](data:image/png;base64,AAAA)",
            "--note",
            "</section></article><script>alert(17)</script> *note*",
        ],
    );
    n.pick("# Data", &["--excerpt", "A data: link must not be followed."]);
    n.pick("> Quoted", &["--excerpt-para", "1", "--note", "Text only."]);
    n.ok(&["edit", "--intro", "<iframe src=javascript:alert(18)></iframe> Intro."]);
    // The editor may post unfiltered HTML: WordPress filters nothing, so what it shows is
    // what roundup sent.
    with_blog(&n, &wp.url, wp.user(Role::Editor), "");
    let id = pushed_id(push(&n, wp.app_password(Role::Editor), &[]).success(), "created");
    let (edit, view) = read_back(wp, id);
    assert_inert(edit["content"]["raw"].as_str().unwrap(), "content.raw");
    assert_inert(view["content"]["rendered"].as_str().unwrap(), "content.rendered");
    assert_inert(view["title"]["rendered"].as_str().unwrap(), "title.rendered");
    assert_inert(view["excerpt"]["rendered"].as_str().unwrap(), "excerpt.rendered");
    let rendered = view["content"]["rendered"].as_str().unwrap();
    assert!(rendered.contains("&lt;script&gt;alert(13)&lt;/script&gt;"), "as text\n{rendered}");
}

#[test]
fn an_authors_push_names_the_markup_wordpress_removed_and_is_recorded() {
    let Some(wp) = wordpress("WordPress's kses on an author's push") else { return };
    let n = editors_week();
    with_blog(&n, &wp.url, wp.user(Role::Author), "");
    let password = wp.app_password(Role::Author);
    // An author may not make a category: said before any post is made, and nothing recorded.
    n.ok(&["edit", "--categories", "Only editors make this one"]);
    let refused = push(&n, password, &[]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains(
            "the blog refused creating the category \"Only editors make this one\" to the user \
             \"author\" (HTTP 403 rest_cannot_create: Sorry, you are not allowed to create terms \
             in this taxonomy.); make it on the blog first, or push as an editor or administrator"
        ),
        "{refused}"
    );
    // The default templates' markup is all allowed to an author.
    n.ok(&["edit", "--categories", ""]);
    let id = pushed_id(push(&n, password, &[]).success(), "created");

    // A template with a <time> element, which kses removes for users without unfiltered_html.
    let dir = n.templates_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let item = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/item.html.hbs"),
    )
    .unwrap();
    let item = item.replacen(
        "<section class=\"roundup-item\" id=\"item-{{position}}\">",
        "<section class=\"roundup-item\" id=\"item-{{position}}\">\n<p>Posted <time datetime=\"{{published_iso}}\">{{published}}</time></p>",
        1,
    );
    std::fs::write(dir.join("item.html.hbs"), item).unwrap();
    let stripped = push(&n, password, &[]);
    stripped.expect_code(1);
    assert!(
        stripped.stderr.contains(&format!("post {id} is saved on the blog"))
            && stripped.stderr.contains("on saving it removed 6 <time> elements")
            && stripped.stderr.contains("may not post unfiltered HTML"),
        "{stripped}"
    );
    // Recorded all the same: the next push updates that post.
    std::fs::remove_file(dir.join("item.html.hbs")).unwrap();
    assert_eq!(pushed_id(push(&n, password, &[]).success(), "updated"), id);
}

#[test]
fn wrong_password_subscriber_and_a_blog_down_or_slow_are_clear_errors_and_nothing_is_recorded() {
    let Some(wp) = wordpress("push errors against a real WordPress") else { return };
    let n = editors_week();
    let config = n.env.read_config();
    let try_push = |url: &str, role: Role, password: &str, settings: &str| {
        std::fs::write(
            &n.env.config,
            config.replacen("[settings]\n", &format!("[settings]\n{settings}"), 1),
        )
        .unwrap();
        with_blog(&n, url, wp.user(role), "");
        push(&n, password, &[])
    };

    let wrong = try_push(&wp.url, Role::Editor, "wrong password pass", "");
    wrong.expect_code(2);
    assert!(
        wrong.stderr.contains("the blog refused the credentials of the user \"editor\" (HTTP 401"),
        "{wrong}"
    );
    assert!(!wrong.stderr.contains("wrong password pass"), "{wrong}");

    let subscriber = try_push(&wp.url, Role::Subscriber, wp.app_password(Role::Subscriber), "");
    subscriber.expect_code(2);
    assert!(
        subscriber.stderr.contains(
            "the user \"subscriber\" (role: subscriber) may not write posts on the blog; push as \
             a user with the author, editor or administrator role"
        ),
        "{subscriber}"
    );

    // Down: nothing listens there any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = try_push(&down_url, Role::Editor, wp.app_password(Role::Editor), "");
    down.expect_code(2);
    assert!(
        down.stderr.contains(&format!("the blog at {down_url}/wp-json/wp/v2/users/me is down")),
        "{down}"
    );

    // Slow: a socket that takes the connection and never answers; the feeds' timeout applies.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_url = format!("http://{}", silent.local_addr().unwrap());
    let slow = try_push(&slow_url, Role::Editor, "x", "timeout = \"1s\"\n");
    slow.expect_code(2);
    assert!(slow.stderr.contains("did not answer within 1 s (settings.timeout)"), "{slow}");
    drop(silent);

    // Nothing was recorded: the right credentials now create the post.
    let ok = try_push(&wp.url, Role::Editor, wp.app_password(Role::Editor), "");
    pushed_id(ok.success(), "created");
}

#[test]
fn a_blog_without_pretty_permalinks_is_reached_through_rest_route() {
    let Some(wp) = wordpress("the ?rest_route= fallback of a real WordPress") else { return };
    let n = editors_week();
    with_blog(&n, &format!("{}/", wp.plain_url), wp.user(Role::Editor), "");
    let password = wp.app_password(Role::Editor);
    let dry = push(&n, password, &["--dry-run"]);
    dry.success();
    let route = format!("POST {}/?rest_route=%2Fwp%2Fv2%2Fposts\n", wp.plain_url);
    assert!(dry.stdout.contains(&route), "{dry}");
    let id = pushed_id(push(&n, password, &[]).success(), "created");
    let (edit, _) = read_back(wp, id);
    assert_eq!(edit["title"]["raw"], TITLE);
    assert_eq!(pushed_id(push(&n, password, &[]).success(), "updated"), id);
}
