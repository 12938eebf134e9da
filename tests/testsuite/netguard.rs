//! Links from feeds never reach the inside of the network (issue 10, item 2): entry links,
//! redirect hops and feeds advertised on pages that lead to a private address are refused
//! before any connection, with `private_networks` left at its default ("refuse"); the listed
//! feed's own origin stays trusted; `private_networks = "allow"` turns the guard off.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::{FixtureServer, TestEnv, run_command};

/// A listener on 127.0.0.1 that counts the connections it accepts and answers each with a
/// page of secrets (so a fetch that gets through would have something to quote).
struct Tripwire {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const SECRET_PAGE: &str = "<html><head><title>Admin</title></head><body><article><p>The admin \
    password is hunter2, and this paragraph runs long enough to be offered as an excerpt \
    by the suggestion rules.</p></article></body></html>";

impl Tripwire {
    fn start() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        use std::io::{Read, Write};
                        conn.set_nonblocking(false).ok();
                        conn.set_read_timeout(Some(Duration::from_secs(2))).ok();
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SECRET_PAGE}",
                            SECRET_PAGE.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Tripwire { addr, accepted, stop, thread: Some(thread) }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Tripwire {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const TEASER: &str =
    "A teaser of the post, which runs long enough to be offered as an excerpt on its own.";

/// An RSS feed with one summary-only entry per link.
fn feed_linking(links: &[&str]) -> String {
    let items: String = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            format!(
                "<item><title>Post {i}</title><link>{link}</link><guid>p-{i}</guid>\
                 <pubDate>Thu, 28 Nov 2024 09:00:00 GMT</pubDate>\
                 <description>{TEASER}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <link>https://blog.example/</link>{items}</channel></rss>"
    )
}

fn id_of(env: &TestEnv, title: &str) -> String {
    env.entries(&[])
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no entry titled {title:?}"))["id"]
        .to_string()
}

/// A listed feed on the fixture server whose entries link to `links`; polled.
fn env_linking(settings: &str, links: &[&str]) -> (FixtureServer, TestEnv) {
    let server = FixtureServer::start();
    server.set_doc("feed.xml", "application/rss+xml", &feed_linking(links));
    let env = TestEnv::with_feeds(settings, &[("blog", server.url("/doc/feed.xml"))]);
    env.fetch(&[]).success();
    (server, env)
}

#[test]
fn entry_links_to_loopback_in_any_spelling_or_by_name_are_refused_without_a_connection() {
    let trap = Tripwire::start();
    let port = trap.port();
    let links = [
        format!("http://127.0.0.1:{port}/secret0"),
        format!("http://2130706433:{port}/secret1"),
        format!("http://0177.0.0.1:{port}/secret2"),
        format!("http://[::ffff:127.0.0.1]:{port}/secret3"),
        format!("http://localhost:{port}/secret4"),
    ];
    let refs: Vec<&str> = links.iter().map(String::as_str).collect();
    let (_server, env) = env_linking("", &refs);
    let mut said = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let run = env.run(&["excerpts", &id_of(&env, &format!("Post {i}")), "--json"]);
        run.success();
        assert!(run.stderr.contains("refused http://"), "{link}: {run}");
        assert!(run.stderr.contains("a private address"), "{link}: {run}");
        assert!(
            run.stderr.contains("set [settings] private_networks = \"allow\" for an intranet"),
            "{run}"
        );
        assert!(!run.stdout.contains("hunter2"), "{run}");
        assert_eq!(run.json()[0]["text"], TEASER);
        said.push(run.stderr.clone());
    }
    assert!(said[1].contains("is a private address 127.0.0.1"), "{}", said[1]);
    assert!(said[4].contains("resolves to a private address"), "{}", said[4]);
    assert_eq!(trap.accepted(), 0, "the listener inside saw a connection");
}

#[test]
fn check_quotes_refuses_a_picked_entry_linking_inside() {
    let trap = Tripwire::start();
    let link = format!("http://127.0.0.1:{}/secret", trap.port());
    let (_server, env) = env_linking("", &[&link]);
    let id = id_of(&env, "Post 0");
    env.run(&["pick", &id, "--week", "2024-W48", "--excerpt", TEASER]).success();
    let run = env.run(&["draft", "--week", "2024-W48", "--check-quotes"]);
    assert!(run.stderr.contains(&format!("refused {link}")), "{run}");
    assert_eq!(trap.accepted(), 0, "the listener inside saw a connection");
}

#[test]
fn the_listed_feeds_own_origin_is_trusted_and_allow_turns_the_guard_off() {
    let server = FixtureServer::start();
    // The blog's own post, on the listed feed's scheme, host and port: fetched.
    server.set_doc("post.html", "text/html", SECRET_PAGE);
    let own = server.url("/doc/post.html");
    server.set_doc("feed.xml", "application/rss+xml", &feed_linking(&[&own]));
    let env = TestEnv::with_feeds("", &[("blog", server.url("/doc/feed.xml"))]);
    env.fetch(&[]).success();
    let run = env.run(&["excerpts", &id_of(&env, "Post 0"), "--json"]);
    run.success();
    assert!(run.stdout.contains("hunter2"), "{run}");
    assert!(!run.stderr.contains("refused"), "{run}");

    // Another port, with the guard off: fetched (so the refusals above are the guard's doing).
    let trap = Tripwire::start();
    let link = format!("http://2130706433:{}/secret", trap.port());
    let (_server, env) = env_linking("private_networks = \"allow\"", &[&link]);
    let run = env.run(&["excerpts", &id_of(&env, "Post 0"), "--json"]);
    run.success();
    assert!(run.stdout.contains("hunter2"), "{run}");
    assert_eq!(trap.accepted(), 1);
}

#[test]
fn a_redirect_from_the_listed_feed_to_another_loopback_port_is_refused() {
    let trap = Tripwire::start();
    let server = FixtureServer::start();
    let to = format!("http://127.0.0.1:{}/feed.xml", trap.port());
    let env = TestEnv::with_feeds("", &[("blog", server.url(&format!("/redirect/302/x?to={to}")))]);
    let run = env.fetch(&[]);
    assert!(
        run.stdout.contains(&format!("refused {to}"))
            || run.stderr.contains(&format!("refused {to}")),
        "{run}"
    );
    assert_eq!(trap.accepted(), 0, "the listener inside saw a connection");

    // A redirect within the listed feed's origin is followed as before.
    let env = TestEnv::with_feeds("", &[("blog", server.url("/redirect/302/inside"))]);
    env.fetch(&[]).success();
    assert_eq!(env.entries(&[]).len(), 3);
}

#[test]
fn a_feed_advertised_on_another_loopback_port_is_neither_polled_nor_stored() {
    let trap = Tripwire::start();
    let server = FixtureServer::start();
    let advertised = format!("http://127.0.0.1:{}/feed.xml", trap.port());
    server.set_doc(
        "page.html",
        "text/html",
        &format!(
            "<html><head><title>Blog</title><link rel=\"alternate\" \
             type=\"application/rss+xml\" href=\"{advertised}\"></head><body></body></html>"
        ),
    );
    let env = TestEnv::with_feeds("", &[("blog", server.url("/doc/page.html"))]);
    let run = env.fetch(&[]);
    assert!(
        run.stdout.contains(&format!("refused {advertised}"))
            || run.stderr.contains(&format!("refused {advertised}")),
        "{run}"
    );
    env.fetch(&[]);
    assert_eq!(trap.accepted(), 0, "the listener inside saw a connection");
    assert!(!env.read_config().contains(&advertised), "{}", env.read_config());
}

/// With a proxy in the environment, the connection is to the proxy, and the guard would check
/// the proxy's address while the proxy fetched the inside: links from feeds use no proxy.
#[test]
fn a_proxy_in_the_environment_does_not_carry_links_from_feeds_inside() {
    let proxy = Tripwire::start();
    let link = "http://localhost:9/secret";
    let (_server, env) = env_linking("", &[link]);
    let mut cmd = env.command(&["excerpts", &id_of(&env, "Post 0"), "--json"]);
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port());
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        cmd.env(var, &proxy_url);
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let run = run_command(cmd);
    run.success();
    assert!(run.stderr.contains("refused http://localhost:9/secret"), "{run}");
    assert!(!run.stdout.contains("hunter2"), "{run}");
    assert_eq!(proxy.accepted(), 0, "the proxy saw a connection");
}
