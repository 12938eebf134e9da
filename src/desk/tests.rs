//! Handler tests for every route and every refusal: the real router (security layer included)
//! driven with `oneshot`, over a real SQLite file in a temp dir, whose entries are stored the
//! way a poll stores them. Nothing here reaches the network: the entries carry their full text.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use tower::ServiceExt;

use super::{Access, DeskOptions, DeskState, router};
use crate::config::Config;
use crate::model::{DatedBy, EntryId, EntryRecord, FeedPoll, PickChange};
use crate::store::Store;
use crate::week::IsoWeek;

const WEEK: IsoWeek = IsoWeek { year: 2026, week: 48 };
const HOST: &str = "127.0.0.1:8081";

const PARAS: [&str; 3] = [
    "Councils across England face a funding gap of four billion pounds next year.",
    "Nine in ten expect to raise council tax by the most allowed without a referendum.",
    "Social care remains the largest pressure, followed by temporary accommodation.",
];

struct Desk {
    dir: tempfile::TempDir,
    state: Arc<DeskState>,
    app: Router,
}

fn entry(identity: &str, title: &str, text: &str) -> EntryRecord {
    let at = crate::timefmt::parse_rfc3339("2026-11-24T09:00:00Z").unwrap();
    EntryRecord {
        identity: identity.into(),
        url: Some(format!("https://lgiu.example/{identity}")),
        title: Some(title.into()),
        author: Some("Ann Author".into()),
        published: at,
        dated_by: DatedBy::Published,
        updated: None,
        summary_html: None,
        content_html: Some(format!("<p>{}</p>", text.replace("\n\n", "</p><p>"))),
        text: text.into(),
        categories: vec![],
        content_hash: identity.into(),
    }
}

impl Desk {
    /// A desk over three stored entries (the second with a hostile title), with `access`.
    fn with(access: Access) -> Desk {
        Desk::with_config(access, "", |_| {})
    }

    /// A desk whose feeds.toml ends with `extra` (e.g. a `[blog]` table); `prepare` runs on its
    /// folder first (e.g. to write a credentials file).
    fn with_config(access: Access, extra: &str, prepare: impl FnOnce(&std::path::Path)) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        let text = format!(
            "[settings]\ntimezone = \"UTC\"\ndatabase = \"r.sqlite3\"\n\
             [roundup]\ntitle = \"The week\"\npublic = \"public\"\n\
             [[feeds]]\nid = \"lgiu\"\nname = \"LGIU\"\nurl = \"https://lgiu.example/feed\"\ntags = [\"policy\"]\n{extra}"
        );
        let config = Config::parse(&text, &dir.path().join("feeds.toml"), dir.path()).unwrap();
        let db = config.settings.database.clone();
        let mut store = Store::open(&db).unwrap();
        store.sync_feeds(&config.feeds, Utc::now()).unwrap();
        let body = PARAS.join("\n\n");
        let records = vec![
            entry("budgets", "Council budgets under pressure", &body),
            entry(
                "hostile",
                "Budget <script>alert(1)</script> <img src=x onerror=alert(2)>",
                &body,
            ),
            entry("housing", "Housing lists hit a record", &body),
        ];
        let seen = crate::timefmt::parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
        store
            .record_poll(&FeedPoll::stored("lgiu", "https://lgiu.example/feed", seen, records))
            .unwrap();
        let state = DeskState::new(DeskOptions {
            week: WEEK,
            db_path: db,
            fetcher: crate::app::fetcher(&config).unwrap(),
            intervals: crate::app::configured(&config),
            access,
            config,
        })
        .unwrap();
        let app = router(state.clone());
        Desk { dir, state, app }
    }

    fn new() -> Desk {
        Desk::with(Access::loopback(8081))
    }

    fn store(&self) -> Store {
        Store::open(&self.state.db_path).unwrap()
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).header(header::HOST, HOST).body(Body::empty()).unwrap()).await
    }

    /// The CSRF token the pages carry.
    async fn csrf(&self) -> String {
        let page = self.get("/").await.body;
        let at = page.find("name=\"csrf-token\" content=\"").expect("a csrf meta tag") + 27;
        page[at..at + 64].to_string()
    }

    /// A form POST as desk.js sends it: own Origin, the token in a header.
    async fn post(&self, path: &str, form: &str) -> Answer {
        let token = self.csrf().await;
        self.post_with(path, form, &[("x-csrf-token", &token), ("origin", "http://127.0.0.1:8081")])
            .await
    }

    async fn post_with(&self, path: &str, form: &str, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(form.to_string())).unwrap()).await
    }

    fn picked(&self) -> Vec<i64> {
        self.store().picks(WEEK).unwrap().iter().map(|p| p.entry.id.0).collect()
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

#[tokio::test]
async fn the_candidates_page_lists_the_week_escaped_with_stable_ids_and_actions() {
    let d = Desk::new();
    let a = d.get("/").await;
    assert_eq!(a.status, StatusCode::OK);
    for id in [1, 2, 3] {
        assert!(a.body.contains(&format!("id=\"c-{id}\" data-entry-id=\"{id}\"")), "{}", a.body);
        assert!(a.body.contains(&format!("data-action=\"pick\" data-entry-id=\"{id}\"")));
        assert!(a.body.contains(&format!("data-action=\"skip\" data-entry-id=\"{id}\"")));
    }
    assert!(a.body.contains("data-page=\"candidates\" data-week=\"2026-W48\""));
    assert!(a.body.contains("Budget &lt;script&gt;alert(1)&lt;/script&gt;"), "escaped");
    assert!(!a.body.contains("<script>alert"), "no feed markup reaches the page");
    assert!(!a.body.contains("<img src=x"));
    assert!(a.body.contains("Councils across England face a funding gap"), "the first lines");
    assert!(a.body.contains("<option value=\"lgiu\">policy</option>"), "the tag filter");
}

/// The `<select id="ID" …>…</select>` of `page`.
fn select<'p>(page: &'p str, id: &str) -> &'p str {
    let at = page.find(&format!("<select id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let end = page[at..].find("</select>").expect("a closed select") + at;
    &page[at..end]
}

#[tokio::test]
async fn the_filters_offer_only_the_feeds_and_tags_with_candidates_this_week() {
    // Many configured feeds; candidates this week from two (lgiu, then mj further down the
    // file); one feed with an entry from long before the week.
    let mut extra = String::new();
    for i in 0..300 {
        extra.push_str(&format!(
            "[[feeds]]\nid = \"quiet{i}\"\nname = \"Quiet {i}\"\n\
             url = \"https://quiet{i}.example/feed\"\ntags = [\"quiet\", \"policy\"]\n"
        ));
    }
    extra.push_str(
        "[[feeds]]\nid = \"old\"\nname = \"Old news\"\nurl = \"https://old.example/feed\"\n\
         tags = [\"archive\"]\n\
         [[feeds]]\nid = \"mj\"\nname = \"Municipal <Journal>\"\nurl = \"https://mj.example/feed\"\n\
         tags = [\"news\", \"policy\"]\n",
    );
    let d = Desk::with_config(Access::loopback(8081), &extra, |_| {});
    let seen = crate::timefmt::parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
    let mine = vec![entry("mj-1", "Councils merge", PARAS[0])];
    d.store().record_poll(&FeedPoll::stored("mj", "https://mj.example/feed", seen, mine)).unwrap();
    let long_ago = crate::timefmt::parse_rfc3339("2026-09-01T09:00:00Z").unwrap();
    let mut old = entry("old-1", "Last summer", PARAS[1]);
    old.published = long_ago;
    d.store()
        .record_poll(&FeedPoll::stored("old", "https://old.example/feed", long_ago, vec![old]))
        .unwrap();

    let page = d.get("/").await.body;
    assert_eq!(
        select(&page, "feed-filter"),
        "<select id=\"feed-filter\" aria-label=\"Only this feed\"><option value=\"\">All feeds</option>\
         <option value=\"lgiu\">LGIU</option><option value=\"mj\">Municipal &lt;Journal&gt;</option>"
    );
    assert_eq!(
        select(&page, "tag-filter"),
        "<select id=\"tag-filter\" aria-label=\"Only feeds with this tag\"><option value=\"\">All tags</option>\
         <option value=\"mj\">news</option><option value=\"lgiu mj\">policy</option>"
    );
    assert!(!page.contains("quiet"), "no feed without candidates is named");
}

#[tokio::test]
async fn an_entry_whose_text_changed_shows_its_new_opening() {
    let d = Desk::new();
    assert!(d.get("/").await.body.contains("Councils across England face a funding gap"));
    let mut changed = entry("budgets", "Council budgets under pressure", "Fresh words, rewritten.");
    changed.content_hash = "budgets, second version".into();
    let seen = crate::timefmt::parse_rfc3339("2026-11-25T10:00:00Z").unwrap();
    d.store()
        .record_poll(&FeedPoll::stored("lgiu", "https://lgiu.example/feed", seen, vec![changed]))
        .unwrap();
    let page = d.get("/").await.body;
    assert!(page.contains("<p class=\"opening\">Fresh words, rewritten.</p>"), "{page}");
    assert_eq!(page.matches("Councils across England face a funding gap").count(), 2);
}

#[tokio::test]
async fn a_candidate_row_template_in_the_templates_folder_renders_every_row() {
    let d = Desk::with_config(Access::loopback(8081), "", |dir| {
        let desk = dir.join("templates/desk");
        std::fs::create_dir_all(&desk).unwrap();
        std::fs::write(
            desk.join("candidate.html.hbs"),
            "<li class=\"candidate mine\" id=\"c-{{id}}\">{{title}} ({{outlet}}, {{week}})</li>\n",
        )
        .unwrap();
    });
    let a = d.get("/").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body.matches("<li class=\"candidate mine\"").count(), 3, "{}", a.body);
    assert!(a.body.contains("id=\"c-1\">Council budgets under pressure (LGIU, 2026-W48)</li>"));
    assert!(a.body.contains("Budget &lt;script&gt;alert(1)&lt;/script&gt;"), "escaped");
    assert!(!a.body.contains("<script>alert"), "no feed markup reaches the page");
}

#[tokio::test]
async fn pick_unpick_and_skip_go_through_the_store_functions() {
    let d = Desk::new();
    let a = d.post("/api/pick", "week=2026-W48&entry=3").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["position"], 1);
    d.post("/api/pick", "week=2026-W48&entry=1").await;
    assert_eq!(d.picked(), [3, 1]);
    let a = d.post("/api/unpick", "week=2026-W48&entry=3").await;
    assert_eq!(a.json()["state"], "new");
    assert_eq!(d.picked(), [1]);
    let a = d.post("/api/skip", "week=2026-W48&entry=2").await;
    assert_eq!(a.json()["state"], "skipped");
    let page = d.get("/").await.body;
    assert!(!page.contains("id=\"c-2\""), "a skipped entry is hidden");
    assert!(
        d.get("/?all=1")
            .await
            .body
            .contains("id=\"c-2\" data-entry-id=\"2\" data-feed=\"lgiu\" data-state=\"skipped\"")
    );
    // Refusals of the store come back as the CLI words them.
    let a = d.post("/api/unpick", "week=2026-W48&entry=3").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.json()["error"].as_str().unwrap().contains("is not picked"));
    let a = d.post("/api/pick", "week=2026-W48&entry=99").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = d.post("/api/pick", "week=2026-W99&entry=1").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "a week that does not exist");
}

#[tokio::test]
async fn a_post_without_the_csrf_token_or_with_a_wrong_one_is_refused_and_changes_nothing() {
    let d = Desk::new();
    let a = d.post_with("/api/pick", "week=2026-W48&entry=1", &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.json()["error"].as_str().unwrap().contains("security token"));
    let a = d.post_with("/api/pick", "week=2026-W48&entry=1&csrf=0000", &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = d.post_with("/api/pick", "week=2026-W48&entry=1", &[("x-csrf-token", "00")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(d.picked().is_empty());
    // The token as a form field, as a plain form sends it, is accepted.
    let token = d.csrf().await;
    let a = d
        .post_with(
            "/api/pick",
            &form(&[("week", "2026-W48"), ("entry", "1"), ("csrf", &token)]),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(d.picked(), [1]);
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_and_changes_nothing() {
    let d = Desk::new();
    let token = d.csrf().await;
    for headers in [
        [("x-csrf-token", token.as_str()), ("origin", "http://evil.example")],
        [("x-csrf-token", token.as_str()), ("origin", "null")],
        [("x-csrf-token", token.as_str()), ("sec-fetch-site", "cross-site")],
        [("x-csrf-token", token.as_str()), ("origin", "http://127.0.0.1:8081.evil.example")],
    ] {
        for path in ["/api/pick", "/api/skip", "/api/edit-roundup", "/api/publish", "/api/fetch"] {
            let a = d.post_with(path, "week=2026-W48&entry=1&revision=1&title=X", &headers).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path} {headers:?}");
        }
    }
    assert!(d.picked().is_empty());
    assert!(d.store().find_roundup(WEEK).unwrap().is_none(), "not even started");
}

#[tokio::test]
async fn state_changes_need_a_post_and_another_host_is_refused() {
    let d = Desk::new();
    for path in ["/api/pick?entry=1", "/api/skip?entry=1", "/api/edit-pick?entry=1", "/api/publish"]
    {
        let a = d.get(path).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    assert!(d.picked().is_empty());
    // DNS rebinding: a page of another site whose name now points at 127.0.0.1.
    let req =
        Request::get("/").header(header::HOST, "evil.example:8081").body(Body::empty()).unwrap();
    let a = d.send(req).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("csrf-token"), "no token handed out");
    for host in ["localhost:8081", "[::1]:8081"] {
        let req = Request::get("/").header(header::HOST, host).body(Body::empty()).unwrap();
        assert_eq!(d.send(req).await.status, StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn every_answer_carries_a_csp_without_inline_script_and_pages_have_no_inline_code() {
    let d = Desk::new();
    d.post("/api/pick", "week=2026-W48&entry=2").await;
    for path in ["/", "/item/2", "/post", "/feeds", "/assets/desk.js", "/nowhere", "/api/pick"] {
        let a = d.get(path).await;
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        if a.headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"))
        {
            let scripts: Vec<&str> =
                a.body.match_indices("<script").map(|(i, _)| &a.body[i..]).collect();
            assert!(
                scripts.iter().all(|s| s.starts_with("<script src=\"/assets/desk.js\"")),
                "{path}"
            );
            assert!(!a.body.contains(" onclick=") && !a.body.contains(" onerror="), "{path}");
            assert!(!a.body.contains("style=\""), "{path}: no inline style");
        }
    }
}

#[tokio::test]
async fn assets_come_from_the_embedded_map_and_no_path_reaches_the_file_system() {
    let d = Desk::new();
    let a = d.get("/assets/desk.js").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(a.body, include_str!("../../templates/desk/desk.js"));
    assert_eq!(d.get("/assets/desk.css").await.status, StatusCode::OK);
    // The tab's icon, named by every page and at the path browsers try on their own.
    for path in ["/assets/icon.svg", "/favicon.ico"] {
        let icon = d.get(path).await;
        assert_eq!(icon.status, StatusCode::OK, "{path}");
        assert_eq!(icon.headers[header::CONTENT_TYPE], "image/svg+xml", "{path}");
        assert_eq!(icon.body, include_str!("../../templates/desk/icon.svg"), "{path}");
    }
    assert!(d.get("/").await.body.contains("<link rel=\"icon\" href=\"/assets/icon.svg\""));
    std::fs::write(d.dir.path().join("secret.txt"), "secret").unwrap();
    for path in [
        "/assets/feeds.toml",
        "/assets/..%2Ffeeds.toml",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/../secret.txt",
        "/secret.txt",
        "/r.sqlite3",
    ] {
        let a = d.get(path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!a.body.contains("secret") && !a.body.contains("[settings]"), "{path}");
    }
}

#[tokio::test]
async fn a_template_or_asset_is_overridden_file_by_file() {
    let d = Desk::new();
    let dir = d.dir.path().join("templates/desk");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("desk.css"), "body { color: red }").unwrap();
    std::fs::write(dir.join("foot.html.hbs"), "<footer id=\"mine\"></footer></body></html>")
        .unwrap();
    let pages = super::assets::Pages::load(&dir).unwrap();
    let html = pages.render("foot", &serde_json::json!({})).unwrap();
    assert!(html.contains("id=\"mine\""));
    assert!(
        pages
            .render("login", &serde_json::json!({"csrf": "t", "message": null, "site": "S"}))
            .is_ok()
    );
    std::fs::write(dir.join("item.html.hbs"), "{{#if}}").unwrap();
    let e = super::assets::Pages::load(&dir).err().unwrap().to_string();
    assert!(e.contains("item.html.hbs"), "{e}");
}

#[tokio::test]
async fn the_item_page_loads_paragraphs_from_the_suggester_and_saves_a_quote_as_the_cli_does() {
    let d = Desk::new();
    let a = d.get("/item/1").await;
    assert_eq!(a.status, StatusCode::OK);
    for id in [
        "id=\"paragraphs\"",
        "id=\"fetching\"",
        "id=\"pick-form\"",
        "id=\"excerpt-para\"",
        "id=\"revision\" name=\"revision\" value=\"0\"",
    ] {
        assert!(a.body.contains(id), "{id}");
    }
    let p = d.get("/api/paragraphs/1?week=2026-W48").await.json();
    let texts: Vec<&str> =
        p["paragraphs"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts, PARAS);
    assert_eq!(p["paragraphs"][0]["n"], 1);
    // Paragraphs 1 and 3, as `roundup pick 1 --excerpt-para 1,3 --lead …` makes them.
    let lead = "The [LGIU](https://lgiu.example/) on budgets:";
    let a = d
        .post(
            "/api/edit-pick",
            &form(&[
                ("week", "2026-W48"),
                ("entry", "1"),
                ("revision", "0"),
                ("excerpt_para", "1,3"),
                ("excerpt", "ignored"),
                ("lead", lead),
                ("note", ""),
                ("section", ""),
            ]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let pick = &d.store().picks(WEEK).unwrap()[0];
    assert_eq!(
        pick.excerpt.as_deref(),
        Some(crate::excerpt::join_paragraphs(&[PARAS[0], PARAS[2]]).as_str())
    );
    assert_eq!(pick.lead.as_deref(), Some(lead));
    assert_eq!(a.json()["pick"]["revision"], 1, "a new pick starts at revision 1");
    let p = d.get("/api/paragraphs/1").await.json();
    assert_eq!(p["marked"], serde_json::json!([1, 3]), "the page shows what is quoted");
    // A phrase selected in a paragraph.
    let a = d
        .post(
            "/api/edit-pick",
            &form(&[
                ("entry", "1"),
                ("revision", "1"),
                ("excerpt", "a funding gap of four billion pounds"),
                ("excerpt_para", ""),
            ]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        d.store().picks(WEEK).unwrap()[0].excerpt.as_deref(),
        Some("a funding gap of four billion pounds")
    );
    let a = d
        .post("/api/edit-pick", &form(&[("entry", "1"), ("revision", "2"), ("excerpt_para", "9")]))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let preview = d.get("/api/preview/1").await.json();
    assert!(preview["html"].as_str().unwrap().contains("<blockquote"), "{preview}");
    assert_eq!(d.get("/item/99").await.status, StatusCode::NOT_FOUND);
    assert_eq!(d.get("/api/paragraphs/99").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_edit_from_a_stale_page_is_refused_with_409_and_the_fresh_state() {
    let d = Desk::new();
    d.post("/api/edit-pick", "entry=2&revision=0&lead=Mine").await;
    // Another tab, the picker or the CLI changes the pick.
    let change = PickChange { note: Some("Theirs".into()), ..Default::default() };
    d.store().pick(WEEK, "The week", EntryId(2), &change, Utc::now()).unwrap();
    let a = d.post("/api/edit-pick", "entry=2&revision=1&lead=Overwrite").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    let j = a.json();
    assert!(j["error"].as_str().unwrap().contains("changed elsewhere"), "{j}");
    assert_eq!(j["fresh"]["note"], "Theirs");
    assert_eq!(j["fresh"]["lead"], "Mine");
    assert_eq!(
        d.store().picks(WEEK).unwrap()[0].lead.as_deref(),
        Some("Mine"),
        "nothing overwritten"
    );
    // The roundup's fields, likewise.
    let page = d.get("/post").await.body;
    assert!(page.contains("id=\"roundup-revision\" name=\"revision\" value=\"1\""), "{page}");
    let a = d.post("/api/edit-roundup", "revision=1&intro=Hello&title=The+week").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = d.post("/api/edit-roundup", "revision=1&intro=Stale").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["fresh"]["intro"], "Hello");
    assert_eq!(d.store().find_roundup(WEEK).unwrap().unwrap().intro.as_deref(), Some("Hello"));
    let a = d.post("/api/edit-roundup", "revision=2&title=+").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "an empty title");
}

#[tokio::test]
async fn the_post_page_orders_moves_and_renders_the_draft_as_roundup_draft_does() {
    let d = Desk::new();
    for e in [1, 2, 3] {
        d.post("/api/pick", &format!("entry={e}")).await;
    }
    let a = d.post("/api/move", "entry=3&position=1").await;
    assert_eq!(a.json()["order"], serde_json::json!([3, 1, 2]));
    let a = d.post("/api/move", "entry=3&position=2").await;
    assert_eq!(a.json()["order"], serde_json::json!([1, 3, 2]));
    assert_eq!(d.picked(), [1, 3, 2]);
    d.post("/api/unpick", "entry=2").await;
    let a = d.post("/api/move", "entry=2&position=1").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "a pick taken out elsewhere");
    let page = d.get("/post").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "id=\"p-1\"",
        "data-action=\"move-up\" data-entry-id=\"3\"",
        "id=\"lint\"",
        "id=\"draft\"",
        "id=\"download-md\"",
        "id=\"copy-html\"",
        "id=\"publish-confirm\"",
        "id=\"push\"",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    assert!(page.body.contains("the intro is empty"), "the lint beside the draft: {}", page.body);
    // The draft to download is `roundup draft`'s: same function, same bytes.
    let md = d.get("/draft.md?week=2026-W48&download=1").await;
    assert_eq!(md.headers[header::CONTENT_DISPOSITION], "attachment; filename=\"2026-W48.md\"");
    let mut store = d.store();
    let expected = crate::app::week::render_draft(
        &d.state.config,
        &mut store,
        WEEK,
        crate::render::Format::Markdown,
    )
    .unwrap();
    assert_eq!(md.body, expected.text);
    let html = d.get("/draft.html").await;
    assert!(
        html.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"),
        "shown, not run"
    );
    assert!(!html.body.contains("<script>alert"), "sanitised as drafts are");
    let j = d.get("/api/draft").await.json();
    assert!(j["html"].as_str().unwrap().contains("roundup-item"));
}

#[tokio::test]
async fn publishing_needs_the_week_typed_again_and_runs_roundup_publish() {
    let d = Desk::new();
    d.post("/api/pick", "entry=1").await;
    let a = d.post("/api/publish", "week=2026-W48&confirm=yes").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(!d.dir.path().join("public").exists(), "nothing published");
    let a = d.post("/api/publish", "week=2026-W48&confirm=2026-W48").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.json()["message"].as_str().unwrap().starts_with("Published 2026-W48"));
    assert!(d.dir.path().join("public/index.html").exists());
    assert_eq!(d.store().published().unwrap().len(), 1);
}

#[tokio::test]
async fn the_feeds_page_lists_feed_health_and_fetch_reports_progress() {
    let d = Desk::new();
    let a = d.get("/feeds").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("id=\"feed-lgiu\""), "{}", a.body);
    assert!(a.body.contains("id=\"fetch-now\""));
    let s = d.get("/api/fetch").await.json();
    assert_eq!(s["running"], false);
}

/// The feed rows of a Feeds page, by id, in their order, with whether each is marked failing.
fn feed_rows(page: &str) -> Vec<(String, bool)> {
    page.split("<tr id=\"feed-")
        .skip(1)
        .map(|row| {
            let id = row[..row.find('"').unwrap()].to_string();
            let tag = &row[..row.find('>').unwrap()];
            (id, tag.contains("data-failing"))
        })
        .collect()
}

/// The `href` of the link whose id is `id`, as the browser follows it.
fn link(page: &str, id: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\" href=\""))? + id.len() + 12;
    Some(page[at..at + page[at..].find('"').unwrap()].replace("&amp;", "&").replace("&#x3D;", "="))
}

/// Issue 11: the Feeds page listed every configured feed (22 MB for 100,000). It shows a page
/// of them: the failing first as before, then by id, with links to the pages around, how many
/// it shows of how many, and a filter by title or URL; a page past the last is the last.
#[tokio::test]
async fn the_feeds_page_shows_a_page_of_feeds_failing_first_with_a_filter() {
    let extra: String = (0..999)
        .map(|i| {
            format!("[[feeds]]\nid = \"f{i:03}\"\nname = \"Blog {i}\"\nurl = \"https://b{i}.example/feed\"\n")
        })
        .collect();
    let d = Desk::with_config(Access::loopback(8081), &extra, |_| {});
    let db = rusqlite::Connection::open(&d.state.db_path).unwrap();
    db.execute_batch(
        "UPDATE feeds SET error_count = 2, last_error = 'HTTP 500' WHERE id = 'f500';
         UPDATE feeds SET error_count = 5, last_error = 'timed out' WHERE id = 'f900';
         UPDATE feeds SET gone = 1 WHERE id = 'f100';
         INSERT INTO feeds (id, url, created_at) VALUES ('removed', 'https://removed.example/feed', '2026-11-01T00:00:00Z');",
    )
    .unwrap();
    let page = d.get("/feeds").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = feed_rows(&page.body);
    assert_eq!(rows.len(), super::feeds::FEEDS_PER_PAGE);
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids[..5], ["f900", "f500", "f100", "f000", "f001"]);
    assert!(rows[..3].iter().all(|r| r.1) && !rows[3..].iter().any(|r| r.1));
    assert!(page.body.contains("1,000 feeds"), "the configured feeds, not the removed one");
    assert!(page.body.contains("3 failing"));
    assert!(page.body.contains("Feeds 1–200 of 1,000"), "{}", page.body);
    assert!(link(&page.body, "feeds-previous").is_none());
    assert!(page.body.contains(">HTTP 500<"), "a failing feed's error");
    let next = link(&page.body, "feeds-next").expect("a next link");
    let second = d.get(&next).await.body;
    assert!(second.contains("Feeds 201–400 of 1,000"), "{next}: {second}");
    assert_eq!(feed_rows(&second)[0].0, "f198");
    assert_eq!(link(&second, "feeds-previous").as_deref(), Some("/feeds?week=2026-W48&page=1"));
    let last = d.get("/feeds?page=5").await.body;
    assert!(last.contains("Feeds 801–1,000 of 1,000"), "{last}");
    assert_eq!(feed_rows(&last).last().unwrap().0, "lgiu");
    assert!(link(&last, "feeds-next").is_none());
    assert_eq!(feed_rows(&d.get("/feeds?page=99").await.body), feed_rows(&last));
    assert_eq!(feed_rows(&d.get("/feeds?page=x").await.body), rows);
    // Found by a piece of its URL or of its name, in any case; the entries counted.
    let one = d.get("/feeds?q=B123.Example").await.body;
    assert_eq!(feed_rows(&one), [("f123".to_string(), false)]);
    assert!(one.contains("Feeds 1–1 of 1 matching “B123.Example”"), "{one}");
    let lgiu = d.get("/feeds?q=lgiu").await.body;
    assert!(lgiu.contains("<td>3</td>\n</tr>"), "its three entries: {lgiu}");
    let named = d.get("/feeds?q=blog+12&page=1").await.body;
    let ids: Vec<String> = feed_rows(&named).into_iter().map(|r| r.0).collect();
    let expected: Vec<String> =
        std::iter::once(12).chain(120..130).map(|i| format!("f{i:03}")).collect();
    assert_eq!(ids, expected);
    assert!(named.contains("value=\"blog 12\""), "the filter stays in its box");
    let none = d.get("/feeds?q=nothing+like+it").await.body;
    assert!(feed_rows(&none).is_empty() && none.contains("No feeds matching"), "{none}");
    // A filter that keeps many: the next link keeps it.
    let many = d.get("/feeds?q=.example/feed").await.body;
    let next = link(&many, "feeds-next").unwrap();
    assert!(next.ends_with("&page=2&q=.example%2Ffeed"), "{next}");
    assert!(d.get(&next).await.body.contains("Feeds 201–400 of 1,000"));
}

#[test]
fn a_page_of_a_list_is_clamped_to_the_list() {
    use super::feeds::{Paging, page_of};
    let p = |total, asked| page_of(total, asked, 200);
    assert_eq!(
        p(1000, None),
        Paging { page: 1, from: 0, to: 200, total: 1000, previous: None, next: Some(2) }
    );
    assert_eq!(
        p(1000, Some(5)),
        Paging { page: 5, from: 800, to: 1000, total: 1000, previous: Some(4), next: None }
    );
    assert_eq!(p(1000, Some(9)), p(1000, Some(5)));
    assert_eq!(p(1000, Some(0)), p(1000, None));
    assert_eq!(p(1001, Some(6)).from..p(1001, Some(6)).to, 1000..1001);
    assert_eq!(
        p(0, Some(3)),
        Paging { page: 1, from: 0, to: 0, total: 0, previous: None, next: None }
    );
}

#[tokio::test]
async fn search_finds_the_weeks_entries_by_their_words() {
    let d = Desk::new();
    let j = d.get("/api/search?q=housing").await.json();
    assert_eq!(j["ids"], serde_json::json!([3]));
    let j = d.get("/api/search?q=%22unbalanced").await.json();
    assert_eq!(j["ids"], serde_json::json!([]), "what the user types is never FTS syntax");
}

fn password_access(behind_tls: bool) -> Access {
    Access {
        password_hash: Some(super::hash_password("correct horse").unwrap()),
        behind_tls,
        allowed_hosts: None,
    }
}

#[tokio::test]
async fn with_a_password_every_page_needs_a_session_and_logins_are_rate_limited() {
    let d = Desk::with(password_access(true));
    let a = d.get("/").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/login");
    assert_eq!(d.get("/api/search?q=x").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(d.get("/assets/desk.css").await.status, StatusCode::OK);
    let login = d.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let at = login.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = login.body[at..at + 64].to_string();
    // Without a session, no state change, whatever the token.
    let a = d.post_with("/api/pick", "entry=1", &[("x-csrf-token", &token)]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = d.post_with("/login", &form(&[("password", "correct horse")]), &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "the login form needs its token too");
    let a = d.post_with("/login", &form(&[("password", "wrong"), ("csrf", &token)]), &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a =
        d.post_with("/login", &form(&[("password", "correct horse"), ("csrf", &token)]), &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_string();
    let req = Request::get("/").header(header::COOKIE, &session).body(Body::empty()).unwrap();
    let page = d.send(req).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"logout\""));
    let at = page.body.find("name=\"csrf-token\" content=\"").unwrap() + 27;
    let session_token = page.body[at..at + 64].to_string();
    assert_ne!(session_token, token, "a session has a token of its own");
    let a = d
        .post_with("/api/pick", "entry=1", &[("cookie", &session), ("x-csrf-token", &token)])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "the login page's token is not the session's");
    let a = d
        .post_with(
            "/api/pick",
            "entry=1",
            &[("cookie", &session), ("x-csrf-token", &session_token)],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    // Rate limit: after MAX_FAILURES wrong passwords, even the right one waits.
    for _ in 0..super::security::MAX_FAILURES {
        d.post_with("/login", &form(&[("password", "nope"), ("csrf", &token)]), &[]).await;
    }
    let a =
        d.post_with("/login", &form(&[("password", "correct horse"), ("csrf", &token)]), &[]).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    // Logging out ends the session.
    let a =
        d.post_with("/logout", &form(&[("csrf", &session_token)]), &[("cookie", &session)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let req = Request::get("/").header(header::COOKIE, &session).body(Body::empty()).unwrap();
    assert_eq!(d.send(req).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn without_tls_the_session_cookie_is_not_secure_only() {
    let d = Desk::with(password_access(false));
    let login = d.get("/login").await;
    let at = login.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = login.body[at..at + 64].to_string();
    let a =
        d.post_with("/login", &form(&[("password", "correct horse"), ("csrf", &token)]), &[]).await;
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && !cookie.contains("Secure"), "{cookie}");
}

/// A blog's REST API in miniature, on 127.0.0.1 in the test's runtime: `users/me`, `posts`
/// and `posts/ID` (create, read, update), and no terms (the desk's week has none). Only the
/// user `editor` with the password `app pass` gets in.
async fn tiny_wordpress() -> String {
    use axum::extract::{Path as UrlPath, State};
    use axum::response::IntoResponse;
    use serde_json::{Value, json};
    type Posts = Arc<std::sync::Mutex<Vec<Value>>>;
    fn authorised(headers: &HeaderMap) -> bool {
        // "editor:app pass", base64.
        headers.get(header::AUTHORIZATION).is_some_and(|v| v == "Basic ZWRpdG9yOmFwcCBwYXNz")
    }
    fn denied() -> axum::response::Response {
        let body = json!({"code": "incorrect_password", "message": "The password is wrong."});
        (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
    }
    fn saved(posts: &mut Vec<Value>, id: usize, sent: &Value) -> Value {
        let post = json!({
            "id": id, "status": sent.get("status").cloned().unwrap_or(json!("draft")),
            "modified_gmt": format!("2026-11-29T10:00:{:02}", posts.len()),
            "link": format!("https://blog.example/?p={id}"),
            "title": {"raw": sent["title"]}, "content": {"raw": sent["content"], "rendered": sent["content"]},
            "excerpt": {"raw": sent["excerpt"]}, "tags": [], "categories": [],
        });
        if id > posts.len() {
            posts.push(post.clone())
        } else {
            posts[id - 1] = post.clone()
        }
        post
    }
    let app = Router::new()
        .route(
            "/wp-json/wp/v2/users/me",
            axum::routing::get(|headers: HeaderMap| async move {
                if !authorised(&headers) {
                    return denied();
                }
                axum::Json(json!({"id": 1, "name": "Editor", "roles": ["editor"],
                    "capabilities": {"edit_posts": true, "publish_posts": true}}))
                .into_response()
            }),
        )
        .route(
            "/wp-json/wp/v2/posts",
            axum::routing::post(
                |State(posts): State<Posts>, headers: HeaderMap, body: String| async move {
                    if !authorised(&headers) {
                        return denied();
                    }
                    let mut posts = posts.lock().unwrap();
                    let id = posts.len() + 1;
                    let post = saved(&mut posts, id, &serde_json::from_str(&body).unwrap());
                    (StatusCode::CREATED, axum::Json(post)).into_response()
                },
            ),
        )
        .route(
            "/wp-json/wp/v2/posts/{id}",
            axum::routing::get(
                |State(posts): State<Posts>, UrlPath(id): UrlPath<usize>| async move {
                    axum::Json(posts.lock().unwrap()[id - 1].clone()).into_response()
                },
            )
            .post(
                |State(posts): State<Posts>, UrlPath(id): UrlPath<usize>, body: String| async move {
                    let mut posts = posts.lock().unwrap();
                    axum::Json(saved(&mut posts, id, &serde_json::from_str(&body).unwrap()))
                        .into_response()
                },
            ),
        )
        .with_state(Posts::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A desk whose `[blog]` is `url`, as the user `editor` with the password in an owner-only file.
fn desk_with_blog(url: &str) -> Desk {
    let blog = format!(
        "\n[blog]\nkind = \"wordpress\"\nurl = \"{url}\"\nuser = \"editor\"\ncredentials = \"blog-password\"\n"
    );
    Desk::with_config(Access::loopback(8081), &blog, |dir| {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join("blog-password");
        std::fs::write(&file, "app pass\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    })
}

#[tokio::test]
async fn the_push_button_runs_roundup_push_and_a_second_press_updates_the_same_post() {
    if std::env::var_os("ROUNDUP_BLOG_PASSWORD").is_some() {
        return; // The environment would win over the test's credentials file.
    }
    let url = tiny_wordpress().await;
    let d = desk_with_blog(&url);
    let page = d.get("/post").await;
    assert!(page.body.contains("id=\"push-form\"") && page.body.contains(&url), "{}", page.body);
    d.post("/api/pick", "entry=1").await;
    let a = d.post("/api/push", "week=2026-W48").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let message = a.json()["message"].as_str().unwrap().to_string();
    assert_eq!(message, "Pushed 2026-W48: created post 1 (draft) on https://blog.example/?p=1.");
    assert!(!a.body.contains("app pass"), "{}", a.body);
    let identity = d.state.config.blog.as_ref().unwrap().identity();
    assert_eq!(d.store().pushed_post(WEEK, &identity).unwrap().unwrap().post_id, 1);
    let a = d.post("/api/push", "week=2026-W48&status=&overwrite=").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.json()["message"].as_str().unwrap().contains("updated post 1 (draft)"), "{}", a.body);
    let a = d.post("/api/push", "week=2026-W48&status=future").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
}

#[tokio::test]
async fn the_push_button_says_why_without_a_blog_or_with_one_down_and_records_nothing() {
    let d = Desk::new();
    assert!(d.get("/post").await.body.contains("No blog is set up"));
    d.post("/api/pick", "entry=1").await;
    let a = d.post("/api/push", "week=2026-W48").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.json()["error"].as_str().unwrap().contains("has no [blog] table"), "{}", a.body);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let d = desk_with_blog(&url);
    d.post("/api/pick", "entry=1").await;
    let a = d.post("/api/push", "week=2026-W48").await;
    assert_eq!(a.status, StatusCode::BAD_GATEWAY, "{}", a.body);
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.starts_with(&format!("the blog at {url}wp-json/wp/v2/users/me is down")),
        "{error}"
    );
    let identity = d.state.config.blog.as_ref().unwrap().identity();
    assert_eq!(d.store().pushed_post(WEEK, &identity).unwrap(), None);
}

#[tokio::test]
async fn pages_are_gzipped_for_a_browser_that_asks_and_say_how_long_they_took() {
    use std::io::Read;
    let d = Desk::new();
    let plain = d.get("/").await;
    let req = Request::get("/")
        .header(header::HOST, HOST)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .body(Body::empty())
        .unwrap();
    let res = d.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(res.headers()["server-timing"].to_str().unwrap().starts_with("app;dur="));
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text, plain.body);
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
}

#[tokio::test]
async fn a_busy_database_is_tried_again_and_then_said_in_words() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let busy = || {
        super::DeskError::from(crate::store::StoreError::Sqlite {
            path: "r.sqlite3".into(),
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None),
        })
    };
    let e = busy();
    assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(e.message.contains("busy") && !e.message.contains("locked"), "{}", e.message);
    let d = Desk::new();
    let tries = Arc::new(AtomicUsize::new(0));
    let t = tries.clone();
    let got = d
        .state
        .db(move |_| if t.fetch_add(1, Ordering::SeqCst) < 2 { Err(busy()) } else { Ok(7) })
        .await;
    assert_eq!(got.ok(), Some(7));
    assert_eq!(tries.load(Ordering::SeqCst), 3, "two busy answers, then it went through");
    let always = d.state.db(move |_| -> Result<(), _> { Err(busy()) }).await;
    assert_eq!(always.err().map(|e| e.status), Some(StatusCode::SERVICE_UNAVAILABLE));
}
