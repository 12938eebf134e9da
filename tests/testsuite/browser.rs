//! A real headless Chromium for the tests, driven over WebDriver: [`Browser::start`] runs
//! Debian's `chromedriver` (package `chromium-driver`) on a port it picks on 127.0.0.1, opens a
//! session of `chromium` with a fresh profile in a temp dir, and hands out blocking calls (go to
//! a page, run a script, find and click, wait for a condition, save a screenshot) over the
//! `fantoccini` client. Every call is bounded ([`CALL_LIMIT`], or the limit a wait names), and
//! dropping the [`Browser`] ends the session and kills chromedriver and every browser process it
//! started.
//!
//! One browser runs at a time in the whole test binary (a [`Browser`] holds a global lock), so
//! that `cargo test` on two cores never runs two Chromiums side by side. When chromedriver or
//! chromium is missing, [`Browser::start`] says so with [`cannot_check`] (a failure under
//! `ROUNDUP_REQUIRE_TOOLS=1`, as in CI) and returns `None`.
//!
//! The flags are the ones that work headless on a machine with no network but loopback: no
//! sandbox (CI runs as root), no GPU, no `/dev/shm` (small in containers), and none of the
//! background fetches (component updates, sync, QUIC probes) that would wait on a network that
//! is not there.
//!
//! Screenshots go to `target/screenshots/` ([`screenshot_dir`]) for anyone to look at.

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::cannot_check;

/// The longest any one WebDriver call may take (a page load included).
pub(crate) const CALL_LIMIT: Duration = Duration::from_secs(30);

/// How long chromedriver may take to say it listens, and Chromium to open a session.
const START_LIMIT: Duration = Duration::from_secs(60);

/// The browser window (and so every screenshot's width).
const WINDOW: (u32, u32) = (1280, 900);

/// Chromium's flags: headless, and nothing that reaches for a network or a GPU.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-breakpad",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--lang=en-GB",
];

/// The one-browser-at-a-time lock.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots`, or `target/screenshots` in the crate.
pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|t| !t.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

/// `name` found in a directory of `$PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Chromium's own binary: Debian's `/usr/bin/chromium` is a shell launcher that execs
/// `/usr/lib/chromium/chromium` after adding flags of its own; the tests name every flag they
/// want, so they start the binary itself when it is there.
fn chromium_binary() -> Option<PathBuf> {
    let launcher = on_path("chromium").or_else(|| on_path("chromium-browser"))?;
    let real = Path::new("/usr/lib/chromium/chromium");
    Some(if real.is_file() { real.to_path_buf() } else { launcher })
}

/// A custom WebDriver command: `POST /session/{id}/{path}` with a JSON body (Chrome's own
/// endpoints, e.g. `goog/cdp/execute`, or the legacy `se/log`).
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/{}", session_id.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(self.body.to_string()))
    }
}

/// A headless Chromium under chromedriver, with one WebDriver session.
pub(crate) struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    /// The profile (`--user-data-dir`), removed on drop after the browser is gone.
    profile: Option<tempfile::TempDir>,
    /// Held for the browser's lifetime: no other test starts one meanwhile. Last field, so it
    /// is released only after the processes are gone.
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or says why it cannot (see
    /// [`cannot_check`]) and returns `None`. `check` names what the test checks with it.
    #[track_caller]
    pub(crate) fn start(check: &str) -> Option<Browser> {
        let Some(driver_bin) = on_path("chromedriver") else {
            cannot_check(
                check,
                "chromedriver is not installed (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let Some(chromium) = chromium_binary() else {
            cannot_check(
                check,
                "chromium is not installed (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        // A test that panicked while holding the lock poisons it; its browser is gone anyway.
        let turn = ONE_BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let profile = tempfile::Builder::new()
            .prefix("roundup-chromium-")
            .tempdir()
            .expect("a temp dir for the browser profile");
        let (driver, port) = start_driver(&driver_bin);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the WebDriver client");
        let mut browser = Browser { rt, client: None, driver, profile: Some(profile), _turn: turn };
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        args.push(format!(
            "--user-data-dir={}",
            browser.profile.as_ref().expect("profile").path().display()
        ));
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "pageLoad": 20_000, "script": 10_000, "implicit": 0 },
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!("an object") };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let driver_url = format!("http://127.0.0.1:{port}");
        let connect = builder.connect(&driver_url);
        let client =
            match browser.rt.block_on(async { tokio::time::timeout(START_LIMIT, connect).await }) {
                Ok(Ok(client)) => client,
                Ok(Err(e)) => panic!("chromedriver could not start a Chromium session: {e}"),
                Err(_) => panic!("no Chromium session within {START_LIMIT:?}"),
            };
        browser.client = Some(client);
        Some(browser)
    }

    /// The WebDriver client, for what the helpers here do not cover (run it with
    /// [`Browser::call`]).
    pub(crate) fn client(&self) -> &Client {
        self.client.as_ref().expect("a session until drop")
    }

    /// Runs one WebDriver call to its end, for at most [`CALL_LIMIT`]; panics naming `what` on
    /// an error or a timeout.
    #[track_caller]
    pub(crate) fn call<T>(&self, what: &str, call: impl Future<Output = Result<T, CmdError>>) -> T {
        match self.rt.block_on(async { tokio::time::timeout(CALL_LIMIT, call).await }) {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => panic!("browser: {what}: {e}"),
            Err(_) => panic!("browser: {what}: no answer within {CALL_LIMIT:?}"),
        }
    }

    /// Loads `url` and waits for its `load` event.
    #[track_caller]
    pub(crate) fn goto(&self, url: &str) {
        self.call(&format!("go to {url}"), self.client().goto(url));
    }

    /// Runs `script` (a function body: `arguments[i]`, `return ...`) in the page.
    #[track_caller]
    pub(crate) fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.call(&format!("run {script:?}"), self.client().execute(script, args))
    }

    /// Waits until `script` (a function body) returns `true`, checking every 50 ms for at most
    /// `limit`; panics naming `what` with the page's text when it never does.
    #[track_caller]
    pub(crate) fn wait_js(&self, what: &str, limit: Duration, script: &str) {
        let deadline = Instant::now() + limit;
        loop {
            if self.js(script, vec![]) == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                let text = self.js("return document.body ? document.body.innerText : ''", vec![]);
                panic!(
                    "browser: gave up after {limit:?} waiting for {what}; the page says:\n{text}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (at most `limit`) for an element matching `css`, and returns it.
    #[track_caller]
    pub(crate) fn wait_for(&self, css: &str, limit: Duration) -> Element {
        self.wait_js(
            &format!("an element matching {css:?}"),
            limit,
            &format!("return document.querySelector({}) !== null", json!(css)),
        );
        self.find(css)
    }

    /// The first element matching `css` (panics when there is none).
    #[track_caller]
    pub(crate) fn find(&self, css: &str) -> Element {
        self.call(&format!("find {css:?}"), self.client().find(Locator::Css(css)))
    }

    /// Every element matching `css`.
    #[track_caller]
    pub(crate) fn find_all(&self, css: &str) -> Vec<Element> {
        self.call(&format!("find all {css:?}"), self.client().find_all(Locator::Css(css)))
    }

    /// Clicks the first element matching `css`, as a user would (scrolled into view, at its
    /// centre; refused when something covers it).
    #[track_caller]
    pub(crate) fn click(&self, css: &str) {
        let element = self.find(css);
        self.call(&format!("click {css:?}"), element.click());
    }

    /// Presses `key` (e.g. `'j'`, or `Key::Enter.into()`) on whatever has the focus, as a
    /// keyboard would: keydown, then keyup.
    #[track_caller]
    pub(crate) fn press(&self, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys = KeyActions::new("keyboard".to_string())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.call(&format!("press {key:?}"), self.client().perform_actions(keys));
    }

    /// The rendered text of the first element matching `css`.
    #[track_caller]
    pub(crate) fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.call(&format!("text of {css:?}"), element.text())
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver and returns its result.
    #[track_caller]
    pub(crate) fn cdp(&self, cmd: &str, params: Value) -> Value {
        let post =
            SessionPost { path: "goog/cdp/execute", body: json!({"cmd": cmd, "params": params}) };
        self.call(&format!("CDP {cmd}"), self.client().issue_cmd(post))
    }

    /// The browser's console and its own messages (CSP refusals, failed loads, uncaught
    /// errors) since the last call: each an object with `level`, `message`, `source`.
    #[track_caller]
    pub(crate) fn console(&self) -> Vec<Value> {
        let post = SessionPost { path: "se/log", body: json!({"type": "browser"}) };
        match self.call("read the browser log", self.client().issue_cmd(post)) {
            Value::Array(entries) => entries,
            other => panic!("browser: the log is not a list: {other}"),
        }
    }

    /// Saves the whole page (not only the window) as `target/screenshots/NAME.png` and returns
    /// the path.
    #[track_caller]
    pub(crate) fn screenshot(&self, name: &str) -> PathBuf {
        // A whole-page capture draws a sticky header where the page is scrolled to, over the
        // content there: take it from the top, as a reader first sees the page.
        self.js("window.scrollTo(0, 0)", vec![]);
        let metrics = self.cdp("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().unwrap_or(f64::from(WINDOW.0)).ceil();
        let height = size["height"].as_f64().unwrap_or(f64::from(WINDOW.1)).ceil().min(16_000.0);
        let shot = self.cdp(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
            .expect("the screenshot is base64");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to close the session (it quits Chromium), briefly; then kill
        // chromedriver's whole process group, which holds every Chromium process it started.
        if let Some(client) = self.client.take() {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), client.close()).await
            });
        }
        kill_group(&mut self.driver);
        // Removing the profile is best left to the TempDir; the browser has exited by now.
        drop(self.profile.take());
    }
}

/// Starts chromedriver on a port it picks (`--port=0`) in a process group of its own, and
/// waits for the line that names the port.
///
/// With `--port=0` chromedriver binds an IPv6 port the kernel picks and then the same number on
/// IPv4, which another process may hold by then (the testsuite runs servers in parallel): it
/// says "IPv4 port not available" and exits. That attempt is not the test's failure; it is
/// made again, a bounded number of times.
fn start_driver(bin: &Path) -> (Child, u16) {
    const ATTEMPTS: usize = 5;
    let mut said = Vec::new();
    for _ in 0..ATTEMPTS {
        match start_driver_once(bin) {
            Ok(started) => return started,
            Err(lines) if lines.iter().any(|l| l.contains("port not available")) => said = lines,
            Err(lines) => panic!(
                "chromedriver did not say it listens within {START_LIMIT:?}; it said:\n{}",
                lines.join("\n")
            ),
        }
    }
    panic!(
        "chromedriver found no free port in {ATTEMPTS} attempts; the last said:\n{}",
        said.join("\n")
    );
}

/// One attempt of [`start_driver`]: the driver and its port, or what it said before it exited
/// or the time ran out (the driver killed).
fn start_driver_once(bin: &Path) -> Result<(Child, u16), Vec<String>> {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(bin);
    cmd.arg("--port=0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut driver = cmd.spawn().unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let stdout = driver.stdout.take().expect("piped");
    let mut stderr = driver.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // Keep reading to the end so chromedriver never blocks on a full pipe.
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stderr.read_to_end(&mut sink);
    });
    let deadline = Instant::now() + START_LIMIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let port = line
                    .strip_prefix("ChromeDriver was started successfully on port ")
                    .and_then(|rest| rest.trim_end_matches('.').parse().ok());
                if let Some(port) = port {
                    return Ok((driver, port));
                }
                seen.push(line);
            }
            // Its output ended (it exited) or the time ran out.
            Err(_) => {
                kill_group(&mut driver);
                return Err(seen);
            }
        }
    }
}

/// A driver that exits finding no free port, as chromedriver does when its port-0 pick is taken
/// on IPv4, is started again; one that exits for another reason is not.
#[test]
fn a_driver_that_finds_no_free_port_is_started_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = |name: &str, script: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    // Fails the first time (a marker file says it ran), starts the second.
    let marker = dir.path().join("ran-once");
    let flaky = fake(
        "flaky-driver",
        &format!(
            "#!/bin/sh\nif [ -e '{m}' ]; then echo 'ChromeDriver was started successfully on port 4321.'; \
             exec sleep 30; fi\ntouch '{m}'\necho 'IPv4 port not available. Exiting...'\n",
            m = marker.display()
        ),
    );
    let (mut driver, port) = start_driver(&flaky);
    assert_eq!(port, 4321);
    kill_group(&mut driver);
    let broken = fake("broken-driver", "#!/bin/sh\necho 'something else went wrong'\n");
    let failed = std::panic::catch_unwind(|| start_driver(&broken)).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(message.contains("something else went wrong"), "{message}");
    assert!(message.contains("did not say it listens"), "{message}");
}

/// Kills the process group led by `child` (SIGKILL) and reaps the leader.
fn kill_group(child: &mut Child) {
    let Ok(pgid) = libc::pid_t::try_from(child.id()) else { return };
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

// ------------------------------------------------------------------------------------------
// The readers' pages: `roundup serve` of two published roundups, in Chromium
// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod readers_pages {
    use std::net::SocketAddr;
    use std::time::Duration;

    use serde_json::Value;

    use super::Browser;
    use crate::support::*;

    const LGIU: FeedFixture = ("lgiu", "draft/lgiu.xml", "application/rss+xml", Some("LGIU"));
    const LOCALGOV: FeedFixture =
        ("localgov", "draft/localgov.atom", "application/atom+xml", Some("LocalGov"));
    const COMMS: FeedFixture =
        ("comms", "draft/comms.xml", "application/rss+xml", Some("Comms Corner"));

    /// Two roundups published through the real binary from the fixture feeds: 2024-W48 (three
    /// picks: quoted paragraphs, a lead with links, a note, a section) and 2024-W49.
    fn published() -> (FixtureServer, TestEnv) {
        let server = FixtureServer::start();
        let head = "[settings]\ntimezone = \"Europe/London\"\n\n[roundup]\n\
                    title = \"The local government week\"\nauthor = \"Sam Editor\"\n\
                    base_url = \"https://news.example/roundup/\"\npublic = \"public\"\n\
                    drafts = \"drafts\"\nexcerpt_max_share = \"30 %\"\n";
        let config = serve_fixture_feeds(&server, head, &[LGIU, LOCALGOV, COMMS]);
        let env = TestEnv::new(&config);
        env.fetch(&[]).success();
        let id = |title: &str| env.entry_titled(title)["id"].as_i64().expect("id").to_string();
        let week = |week: &str, args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--week", week]);
            env.run(&all).success();
        };
        let budgets = id("Council budgets under pressure");
        let housing = id("Housing waiting lists");
        let deals = id("Devolution deals");
        let bins = id("Five things (not) to post");
        week(
            "2024-W48",
            &["pick", &budgets, "--excerpt-para", "2-3", "--note", "Grim reading, in full."],
        );
        week(
            "2024-W48",
            &[
                "pick",
                &housing,
                "--lead",
                "Tom Jones at **[LocalGov](https://localgov.example/)** has [the housing \
                 numbers](), and they are *not* good.",
            ],
        );
        week(
            "2024-W48",
            &["pick", &deals, "--section", "Also this week", "--note", "Bookmark it."],
        );
        week(
            "2024-W48",
            &[
                "edit",
                "--title",
                "Budgets, housing and deals",
                "--intro",
                "A week of budgets and devolution deals.\n\nHere is what caught our eye.",
                "--tags",
                "budgets, housing",
            ],
        );
        week("2024-W48", &["publish"]);
        week("2024-W49", &["pick", &bins, "--note", "Pin this above every comms desk."]);
        week("2024-W49", &["edit", "--title", "Bins, again"]);
        week("2024-W49", &["publish"]);
        (server, env)
    }

    /// `roundup serve` on a port the system picks, with its address.
    fn serve(env: &TestEnv) -> (Running, SocketAddr) {
        let mut server = env.spawn(&["serve", "--addr", "127.0.0.1:0"]);
        let addr = server.wait_for_address("roundup: serving", Duration::from_secs(20));
        (server, addr)
    }

    /// The console's warnings and errors (anything above INFO), as text.
    fn complaints(browser: &Browser) -> Vec<String> {
        browser
            .console()
            .into_iter()
            .filter(|e| !matches!(e["level"].as_str(), Some("INFO" | "DEBUG" | "ALL")))
            .map(|e| format!("{}: {}", e["level"], e["message"]))
            .collect()
    }

    #[test]
    fn published_pages_render_and_link_up_in_chromium() {
        let (_feeds, env) = published();
        let (_server, addr) = serve(&env);
        let Some(browser) = Browser::start("the published pages in Chromium") else { return };
        let base = format!("http://{addr}");

        // The index lists both roundups, newest first; its link opens the newest.
        browser.goto(&format!("{base}/"));
        assert_eq!(browser.call("title", browser.client().title()), "The local government week");
        let listed = browser.js(
            "return [...document.querySelectorAll('main a, .roundup-list a')].map(a => a.textContent)",
            vec![],
        );
        let listed: Vec<&str> =
            listed.as_array().expect("a list").iter().filter_map(Value::as_str).collect();
        let w49 = listed.iter().position(|t| t.contains("Bins, again"));
        let w48 = listed.iter().position(|t| t.contains("Budgets, housing and deals"));
        assert!(w49.is_some() && w48.is_some() && w49 < w48, "index lists {listed:?}");
        browser.screenshot("serve-index");
        let index_complaints = complaints(&browser);

        // The newest roundup's page, reached by its link; then the older one by "Older".
        browser.click(".roundup-list a");
        browser.wait_js(
            "the 2024-W49 page",
            Duration::from_secs(10),
            "return location.pathname === '/2024-W49/'",
        );
        browser.screenshot("serve-week49");
        // A pick with neither quote nor lead: the written lead-in is a sentence, not a colon
        // before nothing (seen in the first screenshot of this page).
        let item = browser.text(".roundup-item");
        assert!(
            item.starts_with("Over at Comms Corner, Alex Brown writes about Five things"),
            "{item}"
        );
        assert!(item.contains("when the bins are late.\n"), "{item}");
        browser.click("a[rel=prev]");
        browser.wait_js(
            "the 2024-W48 page",
            Duration::from_secs(10),
            "return location.pathname === '/2024-W48/'",
        );
        browser.screenshot("serve-week48");
        let page = browser.text("main");
        for expected in [
            "Budgets, housing and deals",
            "A week of budgets and devolution deals.",
            "Council budgets under pressure",
            "Tom Jones at LocalGov has the housing numbers, and they are not good.",
            "Also this week",
            "Bookmark it.",
        ] {
            assert!(page.contains(expected), "the 2024-W48 page lacks {expected:?}:\n{page}");
        }
        // The quoted paragraphs are blockquotes; the lead's links are links.
        assert_eq!(browser.find_all("main blockquote").len(), 1, "one quote:\n{page}");
        let lead_link = browser.js(
            "return [...document.querySelectorAll('main a')].some(a => a.href === 'https://localgov.example/')",
            vec![],
        );
        assert_eq!(lead_link, Value::Bool(true), "the lead's link is not a link");

        // A page that is not there: the site's 404 page, with a way home.
        browser.goto(&format!("{base}/2019-W01/"));
        browser.wait_for("main h1", Duration::from_secs(5));
        browser.screenshot("serve-404");
        assert_eq!(browser.text("main h1"), "Not found");

        let mut all = index_complaints;
        all.extend(complaints(&browser));
        // The 404 page's own load is a console error by design, and so is the favicon.ico
        // Chromium asks for (the public folder has none unless the site adds one); nothing else
        // may be.
        all.retain(|c| !c.contains("/2019-W01/") && !c.contains("/favicon.ico "));
        assert!(all.is_empty(), "the browser complained:\n{}", all.join("\n"));
    }
}
