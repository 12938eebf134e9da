//! `roundup week`, the full-screen picker, driven in a pseudo-terminal: the test sends keys and
//! reads the screen through a vt100 emulator. What the picker does must equal the scripted path
//! (`roundup pick ... --excerpt ... --note ...`), and every change must be in the database the
//! moment it shows on screen (a SIGKILL loses nothing).
//!
//! Every wait polls the screen against a deadline; the child is killed when a test ends early.
#![cfg(unix)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{FixtureServer, TestEnv, closed_port_url};

const WEEK: &str = "2024-W48";
const ROWS: u16 = 40;
const COLS: u16 = 120;
/// The longest any one screen is waited for.
const SCREEN_WAIT: Duration = Duration::from_secs(10);

fn nonzero(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("not zero")
}

/// `roundup week` running on the slave side of a pty; its screen, as a terminal would show it.
struct Tui {
    child: Child,
    master: File,
    parser: Arc<Mutex<vt100::Parser>>,
    stderr_path: std::path::PathBuf,
}

impl Tui {
    /// Starts `roundup week --week WEEK --no-fetch` in `env` on a ROWS x COLS terminal.
    fn start(env: &TestEnv, vars: &[(&str, &str)]) -> Tui {
        Tui::start_with(env, &["week", "--week", WEEK, "--no-fetch"], vars)
    }

    /// Starts `roundup ARGS` in `env` on a ROWS x COLS terminal.
    fn start_with(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> Tui {
        let (mut master_fd, mut slave_fd) = (-1, -1);
        let mut size = libc::winsize { ws_row: ROWS, ws_col: COLS, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty writes two descriptors into the two ints; the other pointers are a
        // null name, null termios (defaults) and a valid winsize.
        let rc = unsafe {
            libc::openpty(
                &mut master_fd,
                &mut slave_fd,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &raw mut size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned by nothing else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master_fd), OwnedFd::from_raw_fd(slave_fd)) };

        let stderr_path = env.dir().join("week.stderr");
        let mut cmd = env.command(args);
        cmd.env("TERM", "xterm-256color")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .stdin(Stdio::from(slave.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave.try_clone().expect("dup slave")))
            .stderr(File::create(&stderr_path).expect("stderr file"));
        for (k, v) in vars {
            cmd.env(k, v);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A session of its own with the pty as its controlling terminal, like a shell
                // would give it.
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("roundup week starts");
        // Our copies of the slave side must close, or reading the master never ends.
        drop(cmd);
        drop(slave);

        let parser = Arc::new(Mutex::new(vt100::Parser::new(nonzero(ROWS), nonzero(COLS), 0)));
        let mut reader = File::from(master.try_clone().expect("dup master"));
        let screen = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends with EIO once the child (the last holder of the slave side) is gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().process(&buf[..n]);
            }
        });
        Tui { child, master: File::from(master), parser, stderr_path }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Types `keys` (raw bytes, as a terminal sends them).
    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("write to the pty");
        self.master.flush().expect("flush the pty");
    }

    /// Waits until the screen shows every one of `texts`; panics with the screen after
    /// [`SCREEN_WAIT`].
    #[track_caller]
    fn wait_for(&mut self, texts: &[&str]) {
        let mut deadline = Instant::now() + SCREEN_WAIT;
        let mut exited = None;
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return;
            }
            if exited.is_none() {
                exited = self.child.try_wait().expect("try_wait");
                if exited.is_some() {
                    // What it printed last may still be on its way through the pty.
                    deadline = deadline.min(Instant::now() + Duration::from_secs(2));
                }
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "waited for {texts:?} (exit: {exited:?})\n--- screen ---\n{screen}\n\
                     --- stderr ---\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `keys`, then waits for `texts`.
    #[track_caller]
    fn step(&mut self, keys: &str, texts: &[&str]) {
        self.send(keys);
        self.wait_for(texts);
    }

    /// Narrows the list to entries matching `filter` (from an unfiltered list).
    #[track_caller]
    fn filter(&mut self, filter: &str) {
        self.step("/", &["filter:", "Enter keep filter"]);
        self.step(filter, &[&format!("filter: {filter}"), "(1 of "]);
        self.step("\r", &["Tab picks"]);
    }

    /// Clears the filter. Esc is sent alone: followed at once by more bytes it would read as
    /// the start of an escape sequence.
    #[track_caller]
    fn clear_filter(&mut self, total: usize) {
        self.step("\x1b", &[&format!("Candidates ({total} of {total})")]);
    }

    /// Waits for the process to end by itself; its exit code.
    #[track_caller]
    fn finish(&mut self) -> Option<i32> {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "roundup week did not end\n--- screen ---\n{}\n--- stderr ---\n{}",
                    self.screen(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An RSS feed whose items carry full text (three quotable paragraphs each), so that excerpt
/// suggestions come from the entry itself and nothing is fetched.
fn feed(title: &str, items: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>{title}</title><link>https://{guid}.example/</link>\n",
        guid = title.to_lowercase().replace(' ', "-")
    );
    for (guid, item, date, author) in items {
        let author = author.map(|a| format!("<dc:creator>{a}</dc:creator>")).unwrap_or_default();
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{item}</title>\
             <link>https://news.example/{guid}</link><pubDate>{date}</pubDate>{author}\
             <description>Summary of {item}.</description>\
             <content:encoded><![CDATA[<p>First paragraph of {item}, which sets the scene.</p>\
             <p>Second paragraph of {item}, the one worth quoting.</p>\
             <p>Third paragraph of {item}, which wraps it up.</p>]]></content:encoded>\
             </item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// Candidates in 2024-W48.
const BUDGET: &str = "Council budget approved";
const HOUSING: &str = "Housing waiting lists grow";
const OPEN_DATA: &str = "Open data for councils";
const LIBRARIES: &str = "Library opening hours cut";
const CANDIDATES: usize = 4;

/// A fetched database with two outlets and four candidates in [`WEEK`] (one more entry is in
/// the week before).
fn fetched_env() -> (FixtureServer, TestEnv) {
    let server = FixtureServer::start();
    let rss = "application/rss+xml";
    server.set_doc(
        "townhall",
        rss,
        &feed(
            "Town Hall Weekly",
            &[
                ("budget", BUDGET, "Tue, 26 Nov 2024 10:00:00 GMT", Some("Ann Smith")),
                ("housing", HOUSING, "Wed, 27 Nov 2024 11:00:00 GMT", None),
                ("old", "Last week's news", "Mon, 18 Nov 2024 09:00:00 GMT", None),
            ],
        ),
    );
    server.set_doc(
        "lgiu",
        rss,
        &feed(
            "LGIU Blog",
            &[
                ("open-data", OPEN_DATA, "Thu, 28 Nov 2024 12:00:00 GMT", Some("Bob Jones")),
                ("libraries", LIBRARIES, "Fri, 29 Nov 2024 13:00:00 GMT", None),
            ],
        ),
    );
    let env = TestEnv::with_feeds(
        "timezone = \"Europe/London\"",
        &[("townhall", server.url("/doc/townhall")), ("lgiu", server.url("/doc/lgiu"))],
    );
    env.fetch(&[]).success();
    (server, env)
}

/// A second environment with the same configuration and a copy of `env`'s database.
fn copy_of(env: &TestEnv) -> TestEnv {
    let copy = TestEnv::new(&env.read_config());
    for suffix in ["", "-wal", "-shm"] {
        let from = std::path::PathBuf::from(format!("{}{suffix}", env.db.display()));
        if from.exists() {
            let to = format!("{}{suffix}", copy.db.display());
            std::fs::copy(&from, to).expect("copy the database");
        }
    }
    copy
}

/// The entry id of each candidate title in `env`.
fn ids(env: &TestEnv) -> std::collections::HashMap<String, i64> {
    let run = env.run(&["candidates", "--week", WEEK, "--json"]);
    run.success();
    let Value::Array(list) = run.json() else { panic!("candidates --json is not an array") };
    list.iter()
        .map(|c| (c["title"].as_str().unwrap().to_string(), c["id"].as_i64().unwrap()))
        .collect()
}

/// `roundup picks --json` as (entry id, position, lead, excerpt, note) rows.
fn picks(env: &TestEnv) -> Vec<(i64, i64, Value, Value, Value)> {
    let run = env.run(&["picks", "--week", WEEK, "--json"]);
    run.success();
    let Value::Array(list) = run.json() else { panic!("picks --json is not an array") };
    list.iter()
        .map(|p| {
            (
                p["entry"]["id"].as_i64().unwrap(),
                p["position"].as_i64().unwrap(),
                p["lead"].clone(),
                p["excerpt"].clone(),
                p["note"].clone(),
            )
        })
        .collect()
}

/// `roundup draft --week WEEK -o FILE`, read back.
fn draft(env: &TestEnv) -> Vec<u8> {
    let out = env.dir().join("compare.md");
    env.run(&["draft", "--week", WEEK, "-o", out.to_str().unwrap()]).success();
    std::fs::read(&out).expect("the draft was written")
}

/// An `$EDITOR` that replaces the file with one line.
fn editor_writing(env: &TestEnv, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = env.dir().join("editor.sh");
    std::fs::write(&path, format!("#!/bin/sh\nprintf '%s\\n' '{text}' > \"$1\"\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn the_picker_makes_the_same_draft_as_the_scripted_commands() {
    let (_server, env) = fetched_env();
    let scripted = copy_of(&env);
    let editor = editor_writing(&env, "Edited lead-in.");
    let mut tui = Tui::start(&env, &[("EDITOR", &editor)]);
    tui.wait_for(&[
        "roundup · 2024-W48",
        &format!("Candidates ({CANDIDATES} of {CANDIDATES})"),
        BUDGET,
        HOUSING,
        OPEN_DATA,
        LIBRARIES,
        "space pick",
        "q quit",
    ]);
    assert!(!tui.screen().contains("Last week's news"), "{}", tui.screen());

    // 1: the budget post, with suggestion 2 as its excerpt and a note.
    tui.filter("budget");
    tui.wait_for(&["Town Hall Weekly · Ann Smith", "Second paragraph of Council budget"]);
    tui.step(" ", &["picked “Council budget approved” as #1", "Picks (1)"]);
    tui.step("e", &["Excerpt for: Council budget approved", " 1. First paragraph", " 2. Second"]);
    tui.step("2", &["▶ 2. Second"]);
    tui.step("\r", &["saved the excerpt of #1"]);
    tui.step("n", &["Note for: Council budget approved"]);
    tui.step("Worth reading in full.", &["│Worth reading in full."]);
    tui.step("\r", &["saved the note of #1", "Note: Worth reading in full."]);
    tui.clear_filter(CANDIDATES);

    // 2: the housing post, with an excerpt of our own.
    tui.filter("housing");
    tui.step("p", &["picked “Housing waiting lists grow” as #2"]);
    tui.step("e", &["Excerpt for: Housing waiting lists grow"]);
    tui.step("w", &["Excerpt for: Housing waiting lists grow", "Enter save"]);
    tui.step("Lists grew by a tenth.", &["│Lists grew by a tenth."]);
    tui.step("\r", &["saved the excerpt of #2", "Excerpt: Lists grew by a tenth."]);
    tui.clear_filter(CANDIDATES);

    // 3: the open data post, with a lead-in from $EDITOR (Ctrl-E in the input), moved up one.
    tui.filter("open data");
    tui.step(" ", &["picked “Open data for councils” as #3"]);
    tui.step("l", &["Lead-in for: Open data for councils"]);
    tui.step("\x05", &["saved the lead-in of #3", "Lead-in: Edited lead-in."]);
    tui.clear_filter(CANDIDATES);
    tui.step("\t", &["Picks in post order (3)"]);
    tui.step("G", &["▶ 3. LGIU Blog"]);
    tui.step("K", &["moved “Open data for councils” to #2", " 2. LGIU Blog"]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(0), "--- stderr ---\n{}", tui.stderr());
    tui.wait_for(&["draft written to"]);

    let id = ids(&scripted);
    let pick = |title: &str, more: &[&str]| {
        let mut args =
            vec!["pick".to_string(), id[title].to_string(), "--week".into(), WEEK.into()];
        args.extend(more.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        scripted.run(&args).success();
    };
    pick(BUDGET, &["--excerpt-para", "2", "--note", "Worth reading in full."]);
    pick(HOUSING, &["--excerpt", "Lists grew by a tenth."]);
    pick(OPEN_DATA, &["--lead", "Edited lead-in.", "--position", "2"]);

    let made = picks(&env);
    assert_eq!(made, picks(&scripted));
    let budget = &made[0];
    assert_eq!(
        budget.3, "Second paragraph of Council budget approved, the one worth quoting.",
        "{made:?}"
    );
    assert_eq!(
        made.iter().map(|p| p.0).collect::<Vec<_>>(),
        [id[BUDGET], id[OPEN_DATA], id[HOUSING]]
    );
    let (tui_draft, scripted_draft) = (draft(&env), draft(&scripted));
    assert!(!tui_draft.is_empty(), "a draft was rendered");
    assert_eq!(
        String::from_utf8_lossy(&tui_draft),
        String::from_utf8_lossy(&scripted_draft),
        "the drafts differ"
    );
    assert_eq!(tui_draft, scripted_draft, "byte for byte");
}

/// Issue 9, item 1: `J` said `moved "…" to #3` and nothing moved (only `K` worked), and
/// `roundup pick ID --position 4` from #1 left two #3s.
#[test]
fn j_and_k_both_move_a_pick_and_positions_stay_1_to_n() {
    let (_server, env) = fetched_env();
    let id = ids(&env);
    let order = |env: &TestEnv| {
        let made = picks(env);
        let positions: Vec<i64> = made.iter().map(|p| p.1).collect();
        assert_eq!(positions, (1..=made.len() as i64).collect::<Vec<_>>(), "{made:?}");
        made.iter().map(|p| p.0).collect::<Vec<_>>()
    };
    let mut tui = Tui::start(&env, &[]);
    tui.wait_for(&[&format!("Candidates ({CANDIDATES} of {CANDIDATES})")]);
    for (n, (word, title)) in
        [("budget", BUDGET), ("housing", HOUSING), ("open data", OPEN_DATA), ("hours", LIBRARIES)]
            .into_iter()
            .enumerate()
    {
        tui.filter(word);
        tui.step(" ", &[&format!("picked “{title}” as #{}", n + 1)]);
        tui.clear_filter(CANDIDATES);
    }
    assert_eq!(order(&env), [id[BUDGET], id[HOUSING], id[OPEN_DATA], id[LIBRARIES]]);

    tui.step("\t", &["Picks in post order (4)"]);
    tui.step("g", &["▶ 1. Town Hall W"]);
    tui.step("J", &["moved “Council budget approved” to #2", "▶ 2. Town Hall W"]);
    assert_eq!(order(&env), [id[HOUSING], id[BUDGET], id[OPEN_DATA], id[LIBRARIES]]);
    tui.step("J", &["moved “Council budget approved” to #3", "▶ 3. Town Hall W"]);
    assert_eq!(order(&env), [id[HOUSING], id[OPEN_DATA], id[BUDGET], id[LIBRARIES]]);
    tui.step("K", &["moved “Council budget approved” to #2", "▶ 2. Town Hall W"]);
    assert_eq!(order(&env), [id[HOUSING], id[BUDGET], id[OPEN_DATA], id[LIBRARIES]]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(0), "--- stderr ---\n{}", tui.stderr());

    // The scripted path: from #1 to #4 lands at #4.
    let housing = id[HOUSING].to_string();
    let run = env.run(&["pick", &housing, "--week", WEEK, "--position", "4"]);
    run.success();
    assert!(run.stdout.contains("at position 4"), "{run}");
    assert_eq!(order(&env), [id[BUDGET], id[OPEN_DATA], id[LIBRARIES], id[HOUSING]]);
}

#[test]
fn killing_the_picker_midway_loses_no_pick() {
    let (_server, env) = fetched_env();
    let id = ids(&env);
    let mut tui = Tui::start(&env, &[]);
    tui.wait_for(&["Picks (0)", LIBRARIES]);
    // Newest first: the libraries post, then the open data post.
    tui.step(" ", &["picked “Library opening hours cut” as #1"]);
    tui.step("j", &["Bob Jones"]);
    tui.step(" ", &["picked “Open data for councils” as #2", "Picks (2)"]);
    tui.step("n", &["Note for: Open data for councils"]);
    tui.step("Good.\r", &["saved the note of #2"]);
    // SIGKILL: no chance to clean up or save anything more.
    // SAFETY: kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(tui.child.id() as libc::pid_t, libc::SIGKILL) };
    assert_eq!(rc, 0);
    let status = tui.child.wait().expect("wait");
    assert_eq!(status.code(), None, "ended by the signal");

    let picks = picks(&env);
    assert_eq!(
        picks.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        [(id[LIBRARIES], 1), (id[OPEN_DATA], 2)]
    );
    assert_eq!(picks[1].4, "Good.");
    assert_eq!(env.integrity(), "ok");
}

#[test]
fn skipped_entries_are_not_shown_again() {
    let (_server, env) = fetched_env();
    let mut tui = Tui::start(&env, &[]);
    tui.wait_for(&[LIBRARIES]);
    tui.step("s", &["skipped “Library opening hours cut”", "Candidates (3 of 3)"]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(0), "--- stderr ---\n{}", tui.stderr());
    drop(tui);

    let mut again = Tui::start(&env, &[]);
    again.wait_for(&["Candidates (3 of 3)", OPEN_DATA]);
    assert!(!again.screen().contains(LIBRARIES), "{}", again.screen());
    again.step("q", &[]);
    assert_eq!(again.finish(), Some(0));
}

/// Issue 9, item 3: with every feed failing, `week` says so in the picker's header, writes no
/// draft for a week with no picks, and exits as its fetch did.
#[test]
fn a_failed_fetch_is_said_in_the_header_and_no_empty_draft_is_written() {
    let env = TestEnv::with_feeds(
        "",
        &[("a", closed_port_url("/a.xml")), ("b", closed_port_url("/b.xml"))],
    );
    let mut tui = Tui::start_with(&env, &["week", "--week", WEEK, "--force"], &[]);
    tui.wait_for(&["2 of 2 feeds failing: no network? `roundup feeds list`"]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(1), "the fetch failed\n--- stderr ---\n{}", tui.stderr());
    assert!(
        tui.screen().contains("no picks for 2024-W48, so no draft written"),
        "{}",
        tui.screen()
    );
    let drafts = env.dir().join("data/drafts");
    let written: Vec<_> =
        std::fs::read_dir(&drafts).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(written.is_empty(), "no draft: {written:?}");

    // Later, with nothing due (both back off), the header still says so.
    let mut tui = Tui::start_with(&env, &["week", "--week", WEEK], &[]);
    tui.wait_for(&["2 of 2 feeds failing: no network?"]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(0), "nothing was polled, nothing failed now");
}

/// Issue 9, item 6: the post's own fields could not be set in the picker, so every `roundup
/// week` ended with "the intro is empty".
#[test]
fn the_post_screen_sets_title_intro_and_tags_with_the_input_and_editor() {
    let (_server, env) = fetched_env();
    let editor = editor_writing(&env, "budgets, housing");
    let mut tui = Tui::start(&env, &[("EDITOR", &editor)]);
    tui.wait_for(&[LIBRARIES, "r post"]);
    tui.step(" ", &["picked “Library opening hours cut” as #1"]);
    tui.step("r", &["The post of 2024-W48", "Intro", "(empty)", "Enter edit"]);
    tui.step("j", &["▶ Intro"]);
    tui.step("\r", &["Intro for: the post of 2024-W48"]);
    tui.step("A week of budgets and bins.", &["│A week of budgets and bins."]);
    tui.step("\r", &["saved the intro of the post", "Intro        A week of budgets and bins."]);
    tui.step("jj", &["▶ Tags"]);
    tui.step("E", &["saved the tags of the post", "Tags         budgets, housing"]);
    tui.step("kkk", &["▶ Title"]);
    tui.step("\r", &["Title for: the post of 2024-W48"]);
    tui.step("\x15", &["Enter save"]);
    tui.step("Bins and budgets\r", &["saved the title of the post", "Bins and budgets"]);
    tui.send("\x1b");
    tui.wait_for(&["Tab picks"]);
    tui.step("q", &[]);
    assert_eq!(tui.finish(), Some(0), "--- stderr ---\n{}", tui.stderr());
    assert!(!tui.stderr().contains("the intro is empty"), "{}", tui.stderr());

    let run = env.run(&["draft", "--week", WEEK, "-o", "-"]);
    run.success();
    assert!(run.stdout.contains("Bins and budgets"), "{run}");
    assert!(run.stdout.contains("A week of budgets and bins."), "{run}");
    assert!(run.stdout.contains("Tags: budgets, housing"), "{run}");
}

/// Issue 8, item 2: an article page that could not be fetched was reported on stderr, over
/// the picker's screen. It is said in the picker's status line, and the chooser still opens.
#[test]
fn an_article_page_that_cannot_be_fetched_is_said_in_the_status_line_not_on_stderr() {
    let server = FixtureServer::start();
    let missing = server.url("/doc/gone.html");
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Digest</title>
<link>https://digest.example/</link>
<item><title>Summary only post</title><link>{missing}</link><guid>s-1</guid>
<pubDate>Wed, 27 Nov 2024 09:00:00 GMT</pubDate>
<description>A summary long enough to be offered as an excerpt here.</description></item>
</channel></rss>"#
    );
    server.set_doc("digest.xml", "application/rss+xml", &feed);
    let env = TestEnv::with_feeds("", &[("digest", server.url("/doc/digest.xml"))]);
    env.fetch(&[]).success();
    let mut tui = Tui::start(&env, &[]);
    tui.wait_for(&["Summary only post"]);
    tui.step("e", &["could not fetch the article", "Excerpt for: Summary only post"]);
    // The chooser's own help line, drawn last: only then is the old "Tab picks" gone.
    tui.wait_for(&[" 1. A summary long enough", "Space mark more"]);
    tui.send("\x1b");
    tui.wait_for(&["Tab picks"]);
    tui.step("q", &[]);
    tui.finish();
    assert!(!tui.stderr().contains("could not fetch"), "{}", tui.stderr());
}
