//! `cargo bench --bench parse_hostile`: hostile feed documents of about 15 MiB (the fetch body
//! cap) read through `roundup::parse::parse_feed`, the entry point `roundup parse`, the poller
//! and the fuzz target `parse` use (issue 10, item 3: "parsing any input of up to 15 MiB takes
//! under 1 s").
//!
//! Each shape is generated in memory (nothing is committed), read once untimed to warm up and
//! then `ROUNDUP_PARSE_ROUNDS` times (default 3). Prints one row per shape: its name, size, the
//! median CPU time and wall-clock time of a reading in milliseconds, and the entries kept (with
//! those dropped past the cap), or the error. HTML pages are also run through feed discovery,
//! as the poller does with a page that is not a feed.
//!
//! Exits 1 when any shape takes 1 s of CPU or more. CPU time (of the parsing thread) is the
//! measure because this machine's two cores are shared with builds: the wall clock there
//! mostly measures the others. `ROUNDUP_PARSE_ONLY=NAME` runs the shapes whose names contain
//! NAME (for a profiler).

use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The fetch body cap, which every shape fills.
const TARGET: usize = 15 * 1024 * 1024;
/// What the issue allows one parse.
const LIMIT: Duration = Duration::from_secs(1);

/// A document to generate: its name and how.
struct Shape {
    name: &'static str,
    make: Box<dyn Fn() -> Vec<u8>>,
}

/// `head`, then `unit(i)` for i = 0, 1, … while the document stays under the target, then `tail`.
fn repeat(head: &str, unit: impl Fn(usize) -> String, tail: &str) -> Vec<u8> {
    let mut doc = String::with_capacity(TARGET + 4096);
    doc.push_str(head);
    let mut i = 0;
    loop {
        let u = unit(i);
        if doc.len() + u.len() + tail.len() > TARGET {
            break;
        }
        doc.push_str(&u);
        i += 1;
    }
    doc.push_str(tail);
    doc.into_bytes()
}

/// `piece` repeated to fill what `head` and `tail` leave of the target.
fn fill(head: &str, piece: &str, tail: &str) -> String {
    piece.repeat((TARGET - head.len() - tail.len()) / piece.len())
}

const RSS_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
    <title>Hostile</title><link>https://example.com/</link>\n";
const RSS_TAIL: &str = "</channel></rss>\n";
const RDF_HEAD: &str = "<?xml version=\"1.0\"?>\n<rdf:RDF \
    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel rdf:about=\"https://example.com/\">\
    <title>Hostile</title><link>https://example.com/</link></channel>\n";
const RDF_TAIL: &str = "</rdf:RDF>\n";
const ATOM_HEAD: &str = "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
    <title>Hostile</title><id>urn:x</id>\n";
const ATOM_TAIL: &str = "</feed>\n";

fn rss(body: &str) -> Vec<u8> {
    format!("{RSS_HEAD}{body}{RSS_TAIL}").into_bytes()
}

fn shapes() -> Vec<Shape> {
    let mut shapes = vec![
        Shape {
            name: "rss2-many-items",
            make: Box::new(|| {
                repeat(RSS_HEAD, |i| format!("<item><title>t{i}</title></item>\n"), RSS_TAIL)
            }),
        },
        Shape {
            name: "rss2-many-full-items",
            make: Box::new(|| {
                repeat(
                    RSS_HEAD,
                    |i| {
                        format!(
                            "<item><title>Post {i}</title><link>https://example.com/{i}</link>\
                         <guid>https://example.com/{i}</guid>\
                         <pubDate>Mon, 23 Nov 2026 09:30:00 +0000</pubDate>\
                         <description>&lt;p&gt;Body {i}&lt;/p&gt;</description></item>\n"
                        )
                    },
                    RSS_TAIL,
                )
            }),
        },
        Shape {
            name: "rss1-many-items",
            make: Box::new(|| {
                repeat(
                    RDF_HEAD,
                    |i| {
                        format!(
                            "<item rdf:about=\"https://example.com/{i}\"><title>t{i}</title>\
                         <link>https://example.com/{i}</link></item>\n"
                        )
                    },
                    RDF_TAIL,
                )
            }),
        },
        Shape {
            name: "rss1-items-without-links",
            make: Box::new(|| {
                repeat(RDF_HEAD, |i| format!("<item><title>t{i}</title></item>\n"), RDF_TAIL)
            }),
        },
        Shape {
            name: "atom-many-entries",
            make: Box::new(|| {
                repeat(
                    ATOM_HEAD,
                    |i| format!("<entry><id>e{i}</id><title>t{i}</title></entry>\n"),
                    ATOM_TAIL,
                )
            }),
        },
        Shape {
            name: "json-many-items",
            make: Box::new(|| {
                let mut doc = repeat(
                    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"Hostile\",\"items\":[",
                    |i| format!("{{\"id\":\"{i}\",\"title\":\"t{i}\"}},\n"),
                    "{\"id\":\"last\"}]}",
                );
                doc.shrink_to_fit();
                doc
            }),
        },
        Shape {
            name: "json-one-huge-string",
            make: Box::new(|| {
                let head = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"H\",\
                    \"items\":[{\"id\":\"1\",\"content_text\":\"";
                let tail = "\"}]}";
                format!("{head}{}{tail}", fill(head, "abc \\u00e9 ", tail)).into_bytes()
            }),
        },
        Shape {
            name: "rss2-ill-formed-many-items",
            // A bare `<` at the end: feed-rs refuses it after reading all, then the repair.
            make: Box::new(|| {
                let mut doc = repeat(
                    RSS_HEAD,
                    |i| format!("<item><title>t{i}</title></item>\n"),
                    "<item><title>a < b</title></item></channel></rss>",
                );
                doc.shrink_to_fit();
                doc
            }),
        },
        Shape {
            name: "unclosed-items",
            make: Box::new(|| repeat(RSS_HEAD, |_| "<item><title>x".to_string(), "")),
        },
        Shape {
            name: "one-huge-text-node",
            make: Box::new(|| {
                let head = "<item><title>Big</title><description>";
                let tail = "</description></item>";
                rss(&format!("{head}{}{tail}", fill(head, "lorem ipsum ", tail)))
            }),
        },
        Shape {
            name: "one-huge-cdata",
            make: Box::new(|| {
                let head = "<item><title>Big</title><description><![CDATA[";
                let tail = "]]></description></item>";
                rss(&format!("{head}{}{tail}", fill(head, "<p>lorem</p> ", tail)))
            }),
        },
        Shape {
            name: "raw-html-description",
            make: Box::new(|| {
                let head = "<item><title>Big</title><description>";
                let tail = "</description></item>";
                rss(&format!("{head}{}{tail}", fill(head, "<p>x<br/></p>", tail)))
            }),
        },
        Shape {
            name: "huge-attribute",
            make: Box::new(|| {
                let head = "<item><title>A</title><link href=\"";
                let tail = "\">https://example.com/</link></item>";
                rss(&format!("{head}{}{tail}", fill(head, "abcdefgh", tail)))
            }),
        },
        Shape {
            name: "many-attributes",
            make: Box::new(|| {
                let head = "<item><title>A</title><guid ";
                let tail = ">g</guid></item>";
                let mut attrs = String::new();
                let mut i = 0;
                while attrs.len() + 32 < TARGET - RSS_HEAD.len() - head.len() - tail.len() - 64 {
                    attrs.push_str(&format!("a{i}=\"v\" "));
                    i += 1;
                }
                rss(&format!("{head}{attrs}{tail}"))
            }),
        },
        Shape {
            name: "many-attributes-on-root",
            make: Box::new(|| {
                let mut doc = String::from("<rss version=\"2.0\" ");
                let mut i = 0;
                while doc.len() < TARGET - 200 {
                    doc.push_str(&format!("a{i}=\"v\" "));
                    i += 1;
                }
                doc.push_str(
                    "><channel><title>T</title><item><title>i</title></item></channel></rss>",
                );
                doc.into_bytes()
            }),
        },
        Shape {
            name: "many-namespaces-and-items",
            make: Box::new(|| {
                let mut head = String::from("<rss version=\"2.0\"");
                for i in 0..10_000 {
                    head.push_str(&format!(" xmlns:n{i}=\"urn:n{i}\""));
                }
                head.push_str("><channel><title>T</title>\n");
                repeat(
                    &head,
                    |i| format!("<item><n9999:x>{i}</n9999:x><title>t{i}</title></item>\n"),
                    RSS_TAIL,
                )
            }),
        },
        Shape {
            name: "namespaces-on-every-item",
            make: Box::new(|| {
                repeat(
                    RSS_HEAD,
                    |i| {
                        let ns: String =
                            (0..20).map(|k| format!(" xmlns:p{k}=\"urn:{i}:{k}\"")).collect();
                        format!("<item{ns}><p19:t>x</p19:t><title>t{i}</title></item>\n")
                    },
                    RSS_TAIL,
                )
            }),
        },
        Shape {
            name: "entity-run",
            make: Box::new(|| {
                let head = "<item><title>";
                let tail = "</title></item>";
                rss(&format!("{head}{}{tail}", fill(head, "&amp;", tail)))
            }),
        },
        Shape {
            name: "char-ref-run",
            make: Box::new(|| {
                let head = "<item><title>T</title><description>";
                let tail = "</description></item>";
                rss(&format!("{head}{}{tail}", fill(head, "&#x41;&#233;", tail)))
            }),
        },
        Shape {
            name: "html-entity-run-ill-formed",
            // Undefined entities: feed-rs refuses it, the repair resolves each.
            make: Box::new(|| {
                let head = "<item><title>T</title><description>";
                let tail = "</description></item>";
                rss(&format!("{head}{}{tail}", fill(head, "&nbsp;&eacute;", tail)))
            }),
        },
        Shape {
            name: "many-tiny-elements-in-one-item",
            make: Box::new(|| {
                let head = "<item><title>T</title>";
                let tail = "</item>";
                rss(&format!("{head}{}{tail}", fill(head, "<x/>", tail)))
            }),
        },
        Shape {
            name: "many-categories-in-one-item",
            make: Box::new(|| {
                let head = "<item><title>T</title>";
                let tail = "</item>";
                rss(&format!("{head}{}{tail}", fill(head, "<category>c</category>", tail)))
            }),
        },
        Shape {
            name: "many-links-in-one-entry",
            make: Box::new(|| {
                let head = "<entry><id>e</id><title>T</title>";
                let tail = "</entry>";
                format!(
                    "{ATOM_HEAD}{head}{}{tail}{ATOM_TAIL}",
                    fill(head, "<link rel=\"related\" href=\"https://e.com/\"/>", tail)
                )
                .into_bytes()
            }),
        },
        Shape {
            name: "many-dc-dates",
            // Renamed before feed-rs reads them (dialect::rename_rss_elements).
            make: Box::new(|| {
                repeat(
                    "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\n",
                    |i| {
                        format!(
                            "<item><dc:date>2026-11-{:02}T00:00:00Z</dc:date></item>\n",
                            i % 28 + 1
                        )
                    },
                    RSS_TAIL,
                )
            }),
        },
        Shape {
            name: "many-descriptions-with-markup",
            make: Box::new(|| {
                repeat(
                    RSS_HEAD,
                    |i| {
                        format!(
                            "<item><title>t{i}</title><description>a<b>b</b></description></item>\n"
                        )
                    },
                    RSS_TAIL,
                )
            }),
        },
        Shape {
            name: "html-page",
            make: Box::new(|| {
                let head = "<!DOCTYPE html><html><head><title>Not a feed</title>\
                    <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed\"></head><body>";
                let tail = "</body></html>";
                format!(
                    "{head}{}{tail}",
                    fill(head, "<div><p>text <a href=\"/x\">x</a></p></div>", tail)
                )
                .into_bytes()
            }),
        },
        Shape {
            name: "html-page-many-links",
            make: Box::new(|| {
                let head = "<!DOCTYPE html><html><head><title>Not a feed</title>";
                let tail = "</head><body></body></html>";
                format!(
                    "{head}{}{tail}",
                    fill(
                        head,
                        "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/f\">",
                        tail
                    )
                )
                .into_bytes()
            }),
        },
        Shape {
            name: "html-deep-nesting",
            make: Box::new(|| {
                let head = "<!DOCTYPE html><html><body>";
                fill(head, "<div>", "").into_bytes()
            }),
        },
        Shape {
            name: "deeply-nested-xml",
            make: Box::new(|| {
                rss(&format!("<item><title>T</title><x>{}</x></item>", fill("", "<a>", "")))
            }),
        },
        Shape {
            name: "many-unclosed-descriptions",
            // Each `<description>` looked for its end tag through the rest of the document.
            make: Box::new(|| rss(&fill(RSS_HEAD, "<item><description>a<b>", RSS_TAIL))),
        },
        Shape {
            name: "many-xml-declarations",
            // Each later declaration had its encoding read.
            make: Box::new(|| rss(&fill(RSS_HEAD, "<?xml version=\"1.0\"?>", RSS_TAIL))),
        },
        Shape {
            name: "many-comments",
            make: Box::new(|| rss(&fill(RSS_HEAD, "<!-- c -->", RSS_TAIL))),
        },
        Shape {
            name: "many-processing-instructions",
            make: Box::new(|| rss(&fill(RSS_HEAD, "<?pi x?>", RSS_TAIL))),
        },
    ];
    shapes.push(Shape {
        name: "utf16-many-items",
        make: Box::new(|| {
            // Half the target in characters: 15 MiB as UTF-16.
            let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-16\"?>");
            text.push_str(RSS_HEAD.trim_start_matches(|c| c != '\n'));
            let mut i = 0;
            while text.len() < TARGET / 2 - 64 {
                text.push_str(&format!("<item><title>t{i}</title></item>\n"));
                i += 1;
            }
            text.push_str(RSS_TAIL);
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        }),
    });
    shapes.push(Shape {
        name: "latin1-huge-title",
        make: Box::new(|| {
            let mut doc = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\">\
                <channel><item><title>"
                .to_vec();
            while doc.len() < TARGET - 100 {
                doc.extend_from_slice(b"caf\xE9 ");
            }
            doc.extend_from_slice(b"</title></item></channel></rss>");
            doc
        }),
    });
    shapes
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write to; the clock id is a constant libc defines.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    assert!(ok, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// What one reading gave: entries kept (and dropped), or the error.
fn read(bytes: &[u8], base: &url::Url) -> String {
    match roundup::parse::parse_feed(bytes, Some(base), None) {
        Ok(feed) if feed.entries_dropped > 0 => {
            format!("{} ({} dropped)", feed.entries.len(), feed.entries_dropped)
        }
        Ok(feed) => feed.entries.len().to_string(),
        Err(roundup::parse::ParseError::Html) => {
            let html = String::from_utf8_lossy(bytes);
            format!("html, {} feed links", roundup::fuzzing::feed_links(&html, base).len())
        }
        Err(e) => {
            let e = e.to_string();
            let cut: String = e.chars().take(40).collect();
            format!("error: {cut}")
        }
    }
}

fn main() -> ExitCode {
    let only = std::env::var("ROUNDUP_PARSE_ONLY").ok();
    let rounds: usize =
        std::env::var("ROUNDUP_PARSE_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let base = url::Url::parse("https://example.com/feed.xml").expect("a URL");
    println!("{:<32} {:>10} {:>8} {:>8}  kept", "shape", "bytes", "cpu ms", "wall ms");
    let mut slow = Vec::new();
    for shape in shapes() {
        if only.as_deref().is_some_and(|o| !shape.name.contains(o)) {
            continue;
        }
        let bytes = (shape.make)();
        let outcome = read(&bytes, &base);
        let (mut cpu, mut wall) = (Vec::new(), Vec::new());
        for _ in 0..rounds.max(1) {
            let (clock, cpu_clock) = (Instant::now(), thread_cpu_time());
            std::hint::black_box(read(&bytes, &base));
            wall.push(clock.elapsed());
            cpu.push(thread_cpu_time() - cpu_clock);
        }
        let (cpu, wall) = (median(cpu), median(wall));
        println!(
            "{:<32} {:>10} {:>8.0} {:>8.0}  {outcome}",
            shape.name,
            bytes.len(),
            cpu.as_secs_f64() * 1000.0,
            wall.as_secs_f64() * 1000.0
        );
        if cpu >= LIMIT {
            slow.push(shape.name);
        }
    }
    if slow.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{LIMIT:?} of CPU or more: {}", slow.join(", "));
        ExitCode::FAILURE
    }
}
