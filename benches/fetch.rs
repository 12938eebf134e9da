//! `cargo bench --bench fetch`: how long `roundup fetch --force` takes on a realistic set of
//! feeds, cold (empty database, every feed a 200) and warm (every feed a 304), as a ratio to a
//! plain concurrent download of the same feeds measured in the same run.
//!
//! Everything happens on loopback: the bench serves synthetic feeds on 127.0.0.1 ..
//! 127.0.0.16 (one port, each address bound) from the farm it shares with the scale bench
//! (`benches/farm/mod.rs`: feeds made on demand from a seed), writes a feeds.toml for them into
//! a temporary folder and runs the real binary (built by cargo with the bench profile) as a
//! child process. The server counts what it answers, by status and peak requests in flight per
//! host; the child's peak RSS and CPU come from `wait4`, in a small launcher process (see
//! [`launch`]).
//!
//! Every answer waits `BENCH_LATENCY_MS` (default 5 ms) before its first byte, as a fast real
//! server does; without it a loopback server answers in microseconds, requests never overlap
//! and the per-host in-flight count could not show whether roundup keeps to its limits.
//! `BENCH_LATENCY_MS=0` measures roundup's bare CPU overhead instead.
//!
//! Other knobs (environment): `BENCH_FEEDS` (default 1000), `BENCH_RUNS` (default 3; figures are
//! the median over runs, peaks the maximum), `BENCH_SEED` (default 42), `BENCH_TIMEOUT_S` (kill
//! a roundup child or give up a download after this; default 120 s + 0.2 s per feed),
//! `FARM_CACHE_MB` (gzipped bodies the farm keeps, made before measuring; default 512).
//!
//! Exits 1 when roundup failed, stored the wrong number of entries, saw other statuses than
//! expected or exceeded its per-host limit; 2 when the bench itself could not run.
//!
//! Figures are ratios on purpose: the machine is shared and noisy, so an absolute time means
//! little, while roundup against a raw download of the same bytes, measured minutes apart on
//! the same machine, does.

#![expect(
    clippy::cast_possible_truncation,
    reason = "bench arithmetic on small counts, sizes and durations that fit"
)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;

#[path = "farm/mod.rs"]
mod farm;

use farm::{
    CONCURRENCY, ChildRun, Farm, Format, HOSTS, PER_HOST, Raw, Seen, Validators, bind_hosts,
    launch, raw_download, run_roundup, start_server, stored,
};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "--launch") {
        return launch(&args[2..]);
    }
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fetch bench: skipped (run it with `cargo bench --bench fetch`)");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fetch bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

// ------------------------------------------------------------------------------------------
// options
// ------------------------------------------------------------------------------------------

struct Options {
    feeds: usize,
    runs: usize,
    seed: u64,
    latency: Duration,
    limit: Duration,
}

impl Options {
    fn from_env() -> anyhow::Result<Options> {
        fn var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a valid number")),
                Err(_) => Ok(None),
            }
        }
        let feeds: usize = var("BENCH_FEEDS")?.unwrap_or(1000);
        if !(1..=100_000).contains(&feeds) {
            bail!("BENCH_FEEDS must be between 1 and 100000, not {feeds}");
        }
        let runs: usize = var("BENCH_RUNS")?.unwrap_or(3);
        if !(1..=20).contains(&runs) {
            bail!("BENCH_RUNS must be between 1 and 20, not {runs}");
        }
        let seed = var("BENCH_SEED")?.unwrap_or(42);
        let latency =
            Duration::from_millis(var::<u64>("BENCH_LATENCY_MS")?.unwrap_or(5).min(10_000));
        let limit = match var::<u64>("BENCH_TIMEOUT_S")? {
            Some(s) => Duration::from_secs(s.max(1)),
            None => Duration::from_secs(120) + Duration::from_millis(200 * feeds as u64),
        };
        Ok(Options { feeds, runs, seed, latency, limit })
    }
}

// ------------------------------------------------------------------------------------------

struct Phase {
    raw: Raw,
    raw_seen: Seen,
    child: ChildRun,
    seen: Seen,
    entries: u64,
    db_bytes: u64,
    wal_bytes: u64,
    problems: Vec<String>,
}

impl Phase {
    fn ratio(&self) -> f64 {
        self.child.wall.as_secs_f64() / self.raw.wall.as_secs_f64().max(1e-9)
    }
}

struct Ctx<'a> {
    farm: &'a Arc<Farm>,
    client_rt: &'a tokio::runtime::Runtime,
    targets: Arc<Vec<(String, usize)>>,
    config: PathBuf,
    dir: PathBuf,
    expected_entries: u64,
    limit: Duration,
}

fn phase(
    cx: &Ctx,
    db: &Path,
    tag: &str,
    validators: Option<Arc<Vec<Validators>>>,
) -> anyhow::Result<Phase> {
    let n = cx.farm.n as u64;
    let warm = validators.is_some();
    let want = if warm { 304 } else { 200 };
    let mut problems = Vec::new();

    cx.farm.stats.reset();
    let raw = cx.client_rt.block_on(raw_download(cx.targets.clone(), validators, cx.limit));
    let raw_seen = cx.farm.stats.seen();
    if !raw.failures.is_empty() || raw.statuses.get(&want) != Some(&n) {
        problems.push(format!(
            "{tag}: the baseline download got {:?} and {} failures (first: {})",
            raw.statuses,
            raw.failures.len(),
            raw.failures.first().map_or("-", String::as_str)
        ));
    }

    cx.farm.stats.reset();
    let args: Vec<OsString> = vec![
        "--config".into(),
        cx.config.clone().into(),
        "--db".into(),
        db.into(),
        "fetch".into(),
        "--force".into(),
    ];
    let child = run_roundup(&args, &cx.dir, tag, cx.limit)?;
    let seen = cx.farm.stats.seen();
    if child.timed_out {
        problems.push(format!("{tag}: roundup was killed after {:?}", cx.limit));
    } else if child.code != Some(0) {
        problems.push(format!(
            "{tag}: roundup exited with {:?}; stderr: {}",
            child.code,
            first_lines(&child.stderr, 5)
        ));
    }
    if seen.statuses.get(&want) != Some(&n) || seen.statuses.len() != 1 {
        problems.push(format!(
            "{tag}: the server answered {} (expected {n}x{want})",
            seen.statuses_text()
        ));
    }
    if seen.peak_per_host() > PER_HOST {
        problems.push(format!(
            "{tag}: {} requests in flight at once on one host (limit {PER_HOST})",
            seen.peak_per_host()
        ));
    }
    if seen.peak_all > CONCURRENCY {
        problems.push(format!(
            "{tag}: {} requests in flight at once (limit {CONCURRENCY})",
            seen.peak_all
        ));
    }
    let (per_feed, db_bytes, wal_bytes) = stored(db)?;
    let entries: u64 = per_feed.values().sum();
    if entries != cx.expected_entries {
        let wrong: Vec<String> = (0..cx.farm.n)
            .map(|i| cx.farm.meta(i))
            .filter(|f| per_feed.get(&f.id).copied().unwrap_or(0) != f.entries as u64)
            .take(5)
            .map(|f| {
                format!(
                    "{} ({}): {} of {}",
                    f.id,
                    f.format.name(),
                    per_feed.get(&f.id).copied().unwrap_or(0),
                    f.entries
                )
            })
            .collect();
        problems.push(format!(
            "{tag}: roundup stored {entries} entries, the server serves {}; e.g. {}",
            cx.expected_entries,
            wrong.join(", ")
        ));
    }
    Ok(Phase { raw, raw_seen, child, seen, entries, db_bytes, wal_bytes, problems })
}

fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().take(n).collect();
    if lines.is_empty() { "(empty)".into() } else { lines.join(" | ") }
}

/// roundup's own summary line ("roundup: polled N feeds in X.Xs: ...").
fn summary_line(stdout: &str) -> &str {
    stdout.lines().rev().find(|l| l.starts_with("roundup: polled")).unwrap_or("(no summary line)")
}

// ------------------------------------------------------------------------------------------
// in-process stage costs: what parsing and the pure entry work cost on one core
// ------------------------------------------------------------------------------------------

struct Stages {
    /// Each feed's body length, in order.
    sizes: Vec<usize>,
    parse: Duration,
    records: Duration,
    entries: usize,
    failures: Vec<String>,
}

fn stage_costs(farm: &Farm) -> Stages {
    let now = Utc::now();
    let mut s = Stages {
        sizes: Vec::with_capacity(farm.n),
        parse: Duration::ZERO,
        records: Duration::ZERO,
        entries: 0,
        failures: Vec::new(),
    };
    for i in 0..farm.n {
        let f = farm.meta(i);
        let body = farm.body(i);
        s.sizes.push(body.len());
        let url = url::Url::parse(&f.url).expect("valid feed URL");
        let charset = f.format.content_type().split("charset=").nth(1);
        let t = Instant::now();
        let parsed = roundup::parse::parse_feed(body.as_bytes(), Some(&url), charset);
        s.parse += t.elapsed();
        match parsed {
            Ok(feed) => {
                let t = Instant::now();
                let records = roundup::update::entry_records(feed.entries, now);
                s.records += t.elapsed();
                s.entries += records.len();
            }
            Err(e) => s.failures.push(format!("{} ({}): {e}", f.id, f.format.name())),
        }
    }
    s
}

// ------------------------------------------------------------------------------------------
// the whole bench
// ------------------------------------------------------------------------------------------

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn print_table(rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            line.push_str("  ");
        }
        println!("{}", line.trim_end());
    }
}

fn run() -> anyhow::Result<bool> {
    let opts = Options::from_env()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("feed-server")
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("baseline")
        .enable_all()
        .build()
        .context("cannot start the baseline runtime")?;
    let (port, listeners) = bind_hosts(&server_rt)?;

    let t = Instant::now();
    let farm = Arc::new(Farm::new(opts.seed, opts.feeds, port, opts.latency, farm::cache_bytes()?));
    farm.warm_cache();
    let generated_in = t.elapsed();
    let expected_entries: u64 = (0..farm.n).map(|i| farm.meta(i).entries as u64).sum();
    let server = start_server(&server_rt, &farm, listeners);

    let outcome = measure(&opts, &farm, &client_rt, expected_entries, port, generated_in);
    server.shutdown(&server_rt);
    server_rt.shutdown_timeout(Duration::from_secs(2));
    client_rt.shutdown_timeout(Duration::from_secs(2));
    outcome
}

fn measure(
    opts: &Options,
    farm: &Arc<Farm>,
    client_rt: &tokio::runtime::Runtime,
    expected_entries: u64,
    port: u16,
    generated_in: Duration,
) -> anyhow::Result<bool> {
    let n = farm.n;
    // Parsing every feed in-process makes each body once more: their sizes come from there.
    let stages = stage_costs(farm);
    let mut sizes = stages.sizes.clone();
    sizes.sort_unstable();
    let total: u64 = sizes.iter().map(|&s| s as u64).sum();
    let (kept, gz_total) = farm.kept();
    let mut formats: BTreeMap<Format, usize> = BTreeMap::new();
    for i in 0..n {
        *formats.entry(farm.meta(i).format).or_default() += 1;
    }
    let mix: Vec<String> = formats
        .iter()
        .map(|(f, c)| format!("{} {} ({:.0}%)", c, f.name(), 100.0 * *c as f64 / n as f64))
        .collect();
    println!(
        "roundup fetch bench: {n} feeds on 127.0.0.1..127.0.0.{HOSTS}:{port}, seed {}",
        opts.seed
    );
    println!("  mix: {}", mix.join(", "));
    println!(
        "  {expected_entries} entries; bodies {} in all ({kept} kept gzipped: {}), {:.0}% of feeds within 20-150 KB, min {:.0} KB / median {:.0} KB / max {:.0} KB; kept ones made in {:.1}s",
        mib(total),
        mib(gz_total),
        100.0 * sizes.iter().filter(|&&s| (20_000..=150_000).contains(&s)).count() as f64
            / n as f64,
        sizes[0] as f64 / 1000.0,
        sizes[n / 2] as f64 / 1000.0,
        sizes[n - 1] as f64 / 1000.0,
        generated_in.as_secs_f64()
    );
    println!(
        "  server: {} ms to first byte; roundup: {} fetch --force, concurrency {CONCURRENCY}, {PER_HOST} per host; {} run(s), limit {:?} each",
        opts.latency.as_millis(),
        env!("CARGO_BIN_EXE_roundup"),
        opts.runs,
        opts.limit
    );

    let dir = tempfile::Builder::new().prefix("roundup-bench-").tempdir()?;
    let config = dir.path().join("feeds.toml");
    let mut toml = format!(
        "# roundup fetch bench: {n} synthetic feeds on loopback (seed {})\n\n[settings]\nconcurrency = {CONCURRENCY}\nper_host = {PER_HOST}\n",
        opts.seed
    );
    for f in (0..n).map(|i| farm.meta(i)) {
        let name = f.title.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = write!(
            toml,
            "\n[[feeds]]\nid = \"{}\"\nname = \"{name}\"\nurl = \"{}\"\n",
            f.id, f.url
        );
    }
    std::fs::write(&config, toml)?;

    let targets = Arc::new(farm.targets());
    let cx = Ctx {
        farm,
        client_rt,
        targets,
        config,
        dir: dir.path().to_path_buf(),
        expected_entries,
        limit: opts.limit,
    };

    let mut colds = Vec::new();
    let mut warms = Vec::new();
    for run in 1..=opts.runs {
        let db = dir.path().join(format!("run{run}.sqlite3"));
        let cold = phase(&cx, &db, &format!("run {run} cold"), None)?;
        let validators = Arc::new(cold.raw.validators.clone());
        let warm = phase(&cx, &db, &format!("run {run} warm"), Some(validators))?;
        println!(
            "  run {run}/{}: cold {:.2}s vs raw {:.2}s = {:.2}x; warm {:.2}s vs raw {:.2}s = {:.2}x",
            opts.runs,
            cold.child.wall.as_secs_f64(),
            cold.raw.wall.as_secs_f64(),
            cold.ratio(),
            warm.child.wall.as_secs_f64(),
            warm.raw.wall.as_secs_f64(),
            warm.ratio()
        );
        println!("      {}", summary_line(&cold.child.stdout));
        println!("      {}", summary_line(&warm.child.stdout));
        // The database (with its WAL, shm and lock files) is not needed any more.
        let stem = format!("run{run}.sqlite3");
        for f in std::fs::read_dir(dir.path())?.flatten() {
            if f.file_name().to_string_lossy().starts_with(&stem) {
                let _ = std::fs::remove_file(f.path());
            }
        }
        let failed = !cold.problems.is_empty() || !warm.problems.is_empty();
        colds.push(cold);
        warms.push(warm);
        if failed {
            break; // the figures of a broken run mean nothing; report it now
        }
    }

    let mut rows = vec![
        [
            "phase",
            "roundup",
            "raw download",
            "ratio",
            "feeds/s",
            "peak RSS",
            "CPU",
            "threads",
            "entries stored",
            "HTTP seen by server",
            "in flight/host",
            "in flight",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut verdicts = Vec::new();
    for (name, phases) in [("cold", &colds), ("warm", &warms)] {
        if phases.is_empty() {
            continue;
        }
        let med = |f: &dyn Fn(&Phase) -> f64| median(phases.iter().map(f).collect());
        let wall = med(&|p| p.child.wall.as_secs_f64());
        let raw = med(&|p| p.raw.wall.as_secs_f64());
        let ratio = med(&|p| p.ratio());
        let cpu = med(&|p| p.child.cpu.as_secs_f64());
        let rss = phases.iter().map(|p| p.child.max_rss_kib).max().unwrap_or(0);
        let threads = phases.iter().map(|p| p.child.peak_threads).max().unwrap_or(0);
        let last = phases.last().expect("not empty");
        let per_host = phases.iter().map(|p| p.seen.peak_per_host()).max().unwrap_or(0);
        let min_host = phases
            .iter()
            .map(|p| p.seen.peak_by_host.iter().copied().min().unwrap_or(0))
            .min()
            .unwrap_or(0);
        let peak_all = phases.iter().map(|p| p.seen.peak_all).max().unwrap_or(0);
        rows.push(vec![
            name.to_string(),
            format!("{wall:.2} s"),
            format!("{raw:.2} s"),
            format!("{ratio:.2}x"),
            format!("{:.0}", n as f64 / wall.max(1e-9)),
            format!("{:.1} MiB", rss as f64 / 1024.0),
            format!("{cpu:.2} s"),
            threads.to_string(),
            format!("{}/{}", last.entries, expected_entries),
            last.seen.statuses_text(),
            format!("{min_host}..{per_host} (max {PER_HOST})"),
            format!("{peak_all} (max {CONCURRENCY})"),
        ]);
        let runs: Vec<String> = phases.iter().map(|p| format!("{:.2}x", p.ratio())).collect();
        let what = if name == "cold" { "raw download" } else { "raw conditional download" };
        verdicts.push(format!("{name} fetch = {ratio:.2}x {what} (runs: {})", runs.join(", ")));
    }
    println!();
    print_table(&rows);
    println!();
    for v in &verdicts {
        println!("{v}");
    }

    // Context for reading the figures.
    if let (Some(cold), Some(warm)) = (colds.last(), warms.last()) {
        println!();
        println!(
            "notes: medians over runs; peaks (RSS, threads sampled every 10 ms, in flight) are the maximum over runs."
        );
        println!(
            "  raw download (same client limits, bodies read and dropped): cold saw {} ({} gzip, {} sent), peak {}/host; warm saw {}",
            cold.raw_seen.statuses_text(),
            cold.raw_seen.gzip,
            mib(cold.raw_seen.bytes),
            cold.raw_seen.peak_per_host(),
            warm.raw_seen.statuses_text(),
        );
        println!(
            "  roundup cold: {} gzip responses, {} sent; {} conditional requests warm; after cold the database is {} + {} WAL (feeds uncompressed: {})",
            cold.seen.gzip,
            mib(cold.seen.bytes),
            warm.seen.conditional,
            mib(cold.db_bytes),
            mib(cold.wal_bytes),
            mib(total)
        );
        println!("  peak in flight by host (cold, last run): {:?}", cold.seen.peak_by_host);
        println!(
            "  peak RSS (last run): wait4 ru_maxrss cold {:.1} MiB / warm {:.1} MiB; VmHWM sampled every 10 ms {:.1} / {:.1} MiB",
            cold.child.max_rss_kib as f64 / 1024.0,
            warm.child.max_rss_kib as f64 / 1024.0,
            cold.child.sampled_hwm_kib as f64 / 1024.0,
            warm.child.sampled_hwm_kib as f64 / 1024.0,
        );
        let cold_cpu = median(colds.iter().map(|p| p.child.cpu.as_secs_f64()).collect());
        let stage = stages.parse.as_secs_f64() + stages.records.as_secs_f64();
        println!(
            "  in-process on one core: parse {:.2}s ({:.0} MB/s), text+hash {:.2}s, {} entries; = {:.0}% of roundup's cold CPU {:.2}s",
            stages.parse.as_secs_f64(),
            total as f64 / 1e6 / stages.parse.as_secs_f64().max(1e-9),
            stages.records.as_secs_f64(),
            stages.entries,
            100.0 * stage / cold_cpu.max(1e-9),
            cold_cpu
        );
    }

    let mut problems: Vec<String> =
        colds.iter().chain(&warms).flat_map(|p| p.problems.clone()).collect();
    if stages.entries as u64 != expected_entries || !stages.failures.is_empty() {
        problems.push(format!(
            "in-process parse gave {} entries of {expected_entries}; failures: {}",
            stages.entries,
            stages.failures.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
        ));
    }
    if problems.is_empty() {
        println!("\nOK");
        Ok(true)
    } else {
        println!();
        for p in &problems {
            println!("FAILED: {p}");
        }
        Ok(false)
    }
}
