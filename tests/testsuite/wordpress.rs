//! A real WordPress for the push tests: Debian's `wordpress` package on PHP's built-in server
//! and a private MariaDB, both on 127.0.0.1, started by `tests/wordpress/start.sh`.
//!
//! One instance serves the whole test run ([`wordpress`]): the first test that asks starts it
//! (about ten seconds), the others share it, each with its own posts. The script's watchdog
//! stops it and deletes its folder once this test process is gone. Or, when
//! `ROUNDUP_WORDPRESS_STATE` names the `state.env` of an instance started beforehand
//! (`tests/wordpress/start.sh DIR` prints it), that one is used and left running.
//!
//! Without the packages (or without the right to write `/etc/wordpress`), a test that needs
//! WordPress says why and skips, through [`cannot_check`] (a failure under
//! `ROUNDUP_REQUIRE_TOOLS=1`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// The variable naming a running instance's `state.env`.
const STATE_VAR: &str = "ROUNDUP_WORDPRESS_STATE";

/// A running WordPress, as its `state.env` describes it.
#[derive(Debug)]
pub(crate) struct WordPress {
    /// e.g. `http://127.0.0.1:41234`, no trailing slash.
    pub url: String,
    /// The same blog as `http://localhost:PORT`, where `/wp-json/` is a web server's 404 page
    /// (as with pretty permalinks off): only `?rest_route=` reaches the REST API.
    pub plain_url: String,
    /// WordPress's own version (`get_bloginfo('version')`).
    pub version: String,
    state: HashMap<String, String>,
}

/// A user of the test blog, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Admin,
    Editor,
    Author,
    Subscriber,
}

impl Role {
    fn key(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Editor => "EDITOR",
            Role::Author => "AUTHOR",
            Role::Subscriber => "SUBSCRIBER",
        }
    }
}

/// An answer of the REST API: status and JSON body (`Value::Null` when it was not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl WordPress {
    /// The login of the user with `role`.
    pub(crate) fn user(&self, role: Role) -> &str {
        &self.state[&format!("WP_{}_USER", role.key())]
    }

    /// The Application Password of the user with `role`.
    pub(crate) fn app_password(&self, role: Role) -> &str {
        &self.state[&format!("WP_{}_APP_PASSWORD", role.key())]
    }

    /// A REST API call as `role`: `method` on `route` (e.g. `/wp/v2/posts/7?context=edit`),
    /// with a JSON `body`.
    #[track_caller]
    pub(crate) fn api(
        &self,
        role: Role,
        method: &str,
        route: &str,
        body: Option<&Value>,
    ) -> Answer {
        let url = format!("{}/wp-json{route}", self.url);
        let (user, password) = (self.user(role).to_string(), self.app_password(role).to_string());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let body = body.cloned();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a client");
            let mut req = client.request(method, &url).basic_auth(user, Some(password));
            if let Some(body) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = resp.status().as_u16();
            let text = resp.text().await.expect("a body");
            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
            Answer { status, json, text }
        })
    }
}

/// The shared WordPress, started on first use; `None` (after [`cannot_check`] said why) when
/// it cannot run here. `check` names what the calling test would check.
pub(crate) fn wordpress(check: &str) -> Option<&'static WordPress> {
    static INSTANCE: OnceLock<Result<WordPress, String>> = OnceLock::new();
    match INSTANCE.get_or_init(start) {
        Ok(wp) => Some(wp),
        Err(why) => {
            cannot_check(check, why);
            None
        }
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wordpress").join(name)
}

/// Reads the given instance, or starts one. `Err` says why WordPress cannot run here; a
/// WordPress that should run but does not start is a panic (a failed test), not a skip.
fn start() -> Result<WordPress, String> {
    if let Some(path) = std::env::var_os(STATE_VAR) {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{STATE_VAR}={}: cannot read it: {e}", Path::new(&path).display())
        });
        return Ok(parse_state(&text));
    }
    if let Some(why) = missing_packages() {
        return Err(why);
    }
    // `timeout` bounds the script as a whole; each of its waits has its own deadline too.
    let out = Command::new("timeout")
        .arg("300")
        .arg(script("start.sh"))
        .arg("--owner-pid")
        .arg(std::process::id().to_string())
        .output()
        .expect("tests/wordpress/start.sh runs");
    assert!(
        out.status.success(),
        "tests/wordpress/start.sh failed ({})\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(parse_state(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_state(text: &str) -> WordPress {
    let state: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let get = |k: &str| state.get(k).cloned().unwrap_or_else(|| panic!("no {k} in\n{text}"));
    WordPress {
        url: get("WP_URL"),
        plain_url: get("WP_PLAIN_URL"),
        version: get("WP_VERSION"),
        state,
    }
}

/// Why this machine cannot run the test WordPress, if it cannot.
fn missing_packages() -> Option<String> {
    let has = |tool: &str| {
        ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"]
            .iter()
            .any(|d| Path::new(d).join(tool).exists())
    };
    let missing: Vec<&str> = ["mariadbd", "mariadb-install-db", "php", "curl", "timeout"]
        .into_iter()
        .filter(|t| !has(t))
        .collect();
    let install = "apt-get install wordpress mariadb-server php-cli php-mysql php-curl \
                   php-xml php-mbstring curl";
    if !missing.is_empty() {
        return Some(format!("{} not installed ({install})", missing.join(", ")));
    }
    if !Path::new("/usr/share/wordpress/wp-config.php").exists() {
        return Some(format!("Debian's wordpress package is not installed ({install})"));
    }
    let php_mysql = Command::new("php")
        .args(["-r", "exit(extension_loaded('mysqli') ? 0 : 1);"])
        .status()
        .is_ok_and(|s| s.success());
    if !php_mysql {
        return Some(format!("PHP has no mysqli extension ({install})"));
    }
    let etc = Path::new("/etc/wordpress");
    let probe = etc.join(format!(".roundup-probe-{}", std::process::id()));
    if std::fs::write(&probe, b"").is_err() {
        return Some(format!(
            "{} is not writable: the test blog's config goes there (run the tests as root)",
            etc.display()
        ));
    }
    let _ = std::fs::remove_file(probe);
    None
}

#[test]
fn the_test_wordpress_answers_with_its_rest_api_and_its_users_roles() {
    let Some(wp) = wordpress("a real WordPress") else { return };
    assert!(wp.version.starts_with(|c: char| c.is_ascii_digit()), "{}", wp.version);
    let admin = wp.api(Role::Admin, "GET", "/wp/v2/users/me?context=edit", None);
    assert_eq!(admin.json["roles"][0], "administrator", "{}", admin.text);
    let me = wp.api(Role::Editor, "GET", "/wp/v2/users/me?context=edit", None);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["roles"][0], "editor", "{}", me.text);
    // The editor's posts go in as sent; the author's go through kses (no unfiltered_html).
    assert_eq!(me.json["capabilities"]["unfiltered_html"], true, "{}", me.text);
    let author = wp.api(Role::Author, "GET", "/wp/v2/users/me?context=edit", None);
    assert_eq!(author.json["roles"][0], "author", "{}", author.text);
    assert!(author.json["capabilities"].get("unfiltered_html").is_none(), "{}", author.text);
    let denied = wp.api(
        Role::Subscriber,
        "POST",
        "/wp/v2/posts",
        Some(&serde_json::json!({"title": "not allowed"})),
    );
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.json["code"], "rest_cannot_create", "{}", denied.text);
}
