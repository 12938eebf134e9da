//! `roundup push` to a WordPress.com site, against a fixture of its public API on 127.0.0.1
//! (`[blog] api`): the `wp/v2` routes under `/wp/v2/sites/{site}/`, an OAuth2 bearer token,
//! WordPress's JSON errors, and WordPress.com's `unknown_blog` for a site it does not host
//! (developer.wordpress.com, "WP.com REST API" and "OAuth2 authentication").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::draft::{TITLE, WEEK, editors_week};
use crate::support::*;

const SITE: &str = "roundup-test.wordpress.com";
const TOKEN: &str = "fixture-token-1234";

/// What the fixture holds: posts and terms by id, and every request as `METHOD path`.
#[derive(Default)]
struct Site {
    posts: HashMap<u64, Value>,
    terms: HashMap<String, Vec<Value>>,
    next_id: u64,
    requests: Vec<String>,
    modified: u64,
}

struct ComFixture {
    addr: std::net::SocketAddr,
    site: Arc<Mutex<Site>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ComFixture {
    fn start() -> ComFixture {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let site = Arc::new(Mutex::new(Site { next_id: 100, ..Site::default() }));
        let app = Router::new()
            .route("/rest/wp/v2/sites/{site}/{*route}", axum::routing::any(answer))
            .with_state(site.clone());
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::select! {
                    _ = serve => {}
                    _ = stop => {}
                }
            });
        });
        ComFixture { addr, site, shutdown: Some(shutdown), thread: Some(thread) }
    }

    fn api(&self) -> String {
        format!("http://{}/rest/", self.addr)
    }
}

impl Drop for ComFixture {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "data": {"status": status.as_u16()}});
    (status, axum::Json(body)).into_response()
}

async fn answer(
    State(site): State<Arc<Mutex<Site>>>,
    method: Method,
    UrlPath((site_name, route)): UrlPath<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut s = site.lock().unwrap();
    s.requests.push(format!("{method} /wp/v2/sites/{site_name}/{route}"));
    if site_name != SITE {
        let body = json!({"error": "unknown_blog", "message": "Unknown blog"});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        return error(
            StatusCode::UNAUTHORIZED,
            "rest_not_logged_in",
            "You are not currently logged in.",
        );
    }
    let sent: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let parts: Vec<&str> = route.split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["users", "me"]) => axum::Json(json!({
            "id": 7, "name": "Site Editor", "roles": ["editor"],
            "capabilities": {"edit_posts": true, "publish_posts": true}
        }))
        .into_response(),
        ("GET", [taxonomy @ ("tags" | "categories")]) => {
            let search = query.get("search").cloned().unwrap_or_default().to_lowercase();
            let found: Vec<Value> = s
                .terms
                .get(*taxonomy)
                .into_iter()
                .flatten()
                .filter(|t| t["name"].as_str().unwrap().to_lowercase().contains(&search))
                .cloned()
                .collect();
            axum::Json(Value::Array(found)).into_response()
        }
        ("POST", [taxonomy @ ("tags" | "categories")]) => {
            s.next_id += 1;
            let term = json!({"id": s.next_id, "name": sent["name"]});
            s.terms.entry((*taxonomy).to_string()).or_default().push(term.clone());
            (StatusCode::CREATED, axum::Json(term)).into_response()
        }
        ("POST", ["posts"]) => {
            s.next_id += 1;
            let id = s.next_id;
            let post = save(&mut s, id, json!({"status": "draft"}), &sent);
            (StatusCode::CREATED, axum::Json(post)).into_response()
        }
        (m, ["posts", id]) => {
            let Some(old) = id.parse().ok().and_then(|id: u64| s.posts.get(&id).cloned()) else {
                return error(StatusCode::NOT_FOUND, "rest_post_invalid_id", "Invalid post ID.");
            };
            if m == "GET" {
                return axum::Json(old).into_response();
            }
            let id = old["id"].as_u64().unwrap();
            axum::Json(save(&mut s, id, old, &sent)).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "rest_no_route", "No route was found."),
    }
}

/// Applies `sent` to `old` and stores it, as WordPress answers with `context=edit`.
fn save(s: &mut Site, id: u64, old: Value, sent: &Value) -> Value {
    s.modified += 1;
    let field = |k: &str, fallback: &Value| sent.get(k).cloned().unwrap_or(fallback.clone());
    let raw = |k: &str| field(k, &old[k]["raw"]);
    let post = json!({
        "id": id,
        "status": field("status", &old["status"]),
        "modified_gmt": format!("2026-11-29T10:00:{:02}", s.modified),
        "link": format!("https://{SITE}/?p={id}"),
        "title": {"raw": raw("title"), "rendered": raw("title")},
        "content": {"raw": raw("content"), "rendered": raw("content")},
        "excerpt": {"raw": raw("excerpt"), "rendered": raw("excerpt")},
        "tags": field("tags", &old["tags"]),
        "categories": field("categories", &old["categories"]),
    });
    s.posts.insert(id, post.clone());
    post
}

fn com_blog(n: &crate::draft::Newsroom, api: &str, site: &str) {
    let mut config = n.env.read_config();
    config.push_str(&format!(
        "\n[blog]\nkind = \"wordpress.com\"\nsite = \"{site}\"\napi = \"{api}\"\n"
    ));
    std::fs::write(&n.env.config, config).expect("write feeds.toml");
}

fn push(n: &crate::draft::Newsroom, token: &str, args: &[&str]) -> Run {
    let mut all = vec!["push", "--week", WEEK];
    all.extend_from_slice(args);
    let mut cmd = n.env.command(&all);
    cmd.env("ROUNDUP_BLOG_TOKEN", token).env_remove("ROUNDUP_BLOG_PASSWORD");
    run_command(cmd)
}

#[test]
fn a_wordpress_com_site_gets_the_post_with_a_bearer_token_and_the_site_in_the_path() {
    let fixture = ComFixture::start();
    let n = editors_week();
    com_blog(&n, &fixture.api(), SITE);

    let dry = push(&n, TOKEN, &["--dry-run"]);
    dry.success();
    assert!(
        dry.stdout.contains(&format!("POST {}wp/v2/sites/{SITE}/posts\n", fixture.api())),
        "{dry}"
    );
    assert!(dry.stdout.contains("Authorization: Bearer ********"), "{dry}");
    assert!(!dry.stdout.contains(TOKEN), "{dry}");

    let first = push(&n, TOKEN, &[]);
    first.success();
    assert!(
        first.stdout.contains(&format!("created post 105 (draft) on https://{SITE}/?p=105")),
        "{first}"
    );
    {
        let s = fixture.site.lock().unwrap();
        // Ids 101-104 went to the three tags and the category.
        let post = &s.posts[&105];
        assert_eq!(post["title"]["raw"], TITLE);
        assert_eq!(post["tags"].as_array().unwrap().len(), 3);
        assert_eq!(post["categories"].as_array().unwrap().len(), 1);
        assert!(s.requests.iter().all(|r| r.contains(&format!("/wp/v2/sites/{SITE}/"))));
    }
    n.ok(&["edit", "--title", "Corrected"]);
    let second = push(&n, TOKEN, &[]);
    second.success();
    assert!(second.stdout.contains("updated post 105 (draft)"), "{second}");
    {
        let s = fixture.site.lock().unwrap();
        assert_eq!(s.posts.len(), 1);
        assert_eq!(s.posts[&105]["title"]["raw"], "Corrected");
        let tags = s.terms["tags"].len();
        assert_eq!(tags, 3, "no term made twice");
        // The second push used the cached term ids: no lookups, no creations (the dry run
        // searched 3, the first push searched 3 and made 3).
        let lookups = s.requests.iter().filter(|r| r.ends_with("/tags")).count();
        assert_eq!(lookups, 9, "{:#?}", s.requests);
    }

    let wrong = push(&n, "not-the-token", &[]);
    wrong.expect_code(2);
    assert!(
        wrong.stderr.contains("the blog refused the credentials of the token (HTTP 401"),
        "{wrong}"
    );
    assert!(!wrong.stderr.contains("not-the-token"), "{wrong}");
}

#[test]
fn an_unknown_wordpress_com_site_is_named() {
    let fixture = ComFixture::start();
    let n = editors_week();
    com_blog(&n, &fixture.api(), "nobody.wordpress.com");
    let run = push(&n, TOKEN, &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("unknown site \"nobody.wordpress.com\" on WordPress.com (HTTP 404 unknown_blog: Unknown blog)"),
        "{run}"
    );
}
