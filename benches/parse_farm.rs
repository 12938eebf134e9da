//! `cargo bench --bench parse_farm`: the CPU a cold fetch spends on each feed before the writer,
//! in-process and without the network: the fetch bench's synthetic feeds (`benches/farm`,
//! the same documents for the same seed) gunzipped, read by `roundup::parse::parse_feed` and
//! turned into entry records (text and hashes) by `roundup::update::entry_records`, as the
//! poller does on its parsing threads.
//!
//! Prints the documents' bytes and entries and the CPU time of the calling thread for the whole
//! set (median of `BENCH_RUNS`, default 3), in total and per feed. Knobs: `BENCH_FEEDS` (default
//! 1000), `BENCH_SEED` (default 42), `BENCH_GZIP=0` to leave gunzip out.
//!
//! For deterministic counts run it under callgrind with collection limited to [`read_all`]:
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*read_all*'
//! target/release/deps/parse_farm-HASH --bench` (with `BENCH_RUNS=1`). Under valgrind sha2
//! cannot use the CPU's SHA instructions, so there the hashes weigh several times what they do.

#![expect(
    clippy::cast_possible_truncation,
    reason = "the farm's arithmetic on small counts, sizes and durations that fit"
)]

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

#[path = "farm/mod.rs"]
#[allow(dead_code, reason = "only the farm's documents are used here")]
mod farm;

fn main() -> ExitCode {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("parse_farm bench: skipped (run it with `cargo bench --bench parse_farm`)");
        return ExitCode::SUCCESS;
    }
    let number = |name: &str, default: usize| {
        std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
    };
    let feeds = number("BENCH_FEEDS", 1000);
    let runs = number("BENCH_RUNS", 3).max(1);
    let seed = u64::try_from(number("BENCH_SEED", 42)).unwrap_or(42);
    let gzip = std::env::var("BENCH_GZIP").map_or(true, |v| v != "0");
    let farm = farm::Farm::new(seed, feeds, 8080, Duration::ZERO, 0);
    let docs: Vec<Doc> = (0..feeds)
        .map(|i| {
            let body = farm.body(i).into_bytes();
            let bytes = body.len();
            let body = if gzip { farm::gzip(&body).to_vec() } else { body };
            let url = url::Url::parse(&farm.meta(i).url).expect("the farm's URLs parse");
            Doc { body, bytes, gzipped: gzip, url }
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.bytes).sum();
    let mut times = Vec::new();
    let mut entries = 0;
    for _ in 0..runs {
        let start = thread_cpu();
        entries = read_all(&docs);
        times.push(thread_cpu().saturating_sub(start));
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "parse_farm: {feeds} feeds, {:.1} MiB, {entries} entries{}: {:.0} ms CPU, {:.0} µs a feed \
         (median of {runs})",
        bytes as f64 / f64::from(1 << 20),
        if gzip { ", gunzipped" } else { "" },
        median.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e6 / feeds.max(1) as f64,
    );
    ExitCode::SUCCESS
}

/// One farm document as the poller receives it.
struct Doc {
    body: Vec<u8>,
    bytes: usize,
    gzipped: bool,
    url: url::Url,
}

/// What the poller's parsing threads do with each document: the records' count.
#[inline(never)]
fn read_all(docs: &[Doc]) -> usize {
    let now = chrono::Utc::now();
    let mut entries = 0;
    for doc in docs {
        let plain;
        let body = if doc.gzipped {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&doc.body[..])
                .read_to_end(&mut out)
                .expect("the farm's gzip reads");
            plain = out;
            &plain[..]
        } else {
            &doc.body[..]
        };
        let feed = roundup::parse::parse_feed(body, Some(&doc.url), Some("utf-8"))
            .expect("the farm's feeds parse");
        entries += roundup::update::entry_records(feed.entries, now).len();
    }
    entries
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given, which lives on this stack.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}
