//! `cargo bench --bench scale`: how roundup's database and config side grows (issue 11).
//!
//! Prints one table: a row per measurement, a column per size, so growth is visible. Sizes come
//! from the environment (defaults finish in a few minutes on two cores):
//!
//! - `SCALE_FEEDS=1000,10000` feeds.toml sizes for the config and fetch rows (issue 11 asks
//!   for up to 100000);
//! - `SCALE_ENTRIES=10000,100000` database sizes for the database rows (up to 1000000);
//! - `SCALE_ENTRY_FEEDS=1000` the feeds those entries are spread over;
//! - `SCALE_QUERIES=200` searches timed per database;
//! - `SCALE_ROWS=config,fetch,database` which row groups to run (default: all three);
//! - `SCALE_DIR` where to build the inputs (default: a temporary folder, removed after); when
//!   set, each database is built once and kept there (`entries-M/pristine.sqlite3`), and later
//!   runs work on a copy of it (a 1M-entry fill takes a long while).
//! - `SCALE_SERVE=S` measures nothing: serves the fetch rows' farm of the first `SCALE_FEEDS`
//!   size for S seconds, with its feeds.toml written to `SCALE_DIR/serve-N/feeds.toml`, so that
//!   one `roundup fetch` can be run against it by hand (under `/usr/bin/time` or heaptrack).
//!
//! Inputs are built in a stream, never held whole in memory: the feeds.toml is written line by
//! line, and the database is filled through the real write path (`Store::record_polls`, what
//! `fetch`'s writer calls) in batches of [`POLLS_PER_WRITE`] polls, in time order over two
//! years, so an ISO week holds about 1/100 of the entries. Entries carry a few KB of HTML drawn
//! from a Zipf-distributed vocabulary (so it compresses and indexes like prose), titles,
//! authors, categories, and a summary for most.
//!
//! Commands a user runs (`feeds list`, `candidates`, `pick`, `draft`, `publish`) run as the
//! release binary cargo built, timed by wall clock, with the peak RSS of the child from
//! `wait4` (taken by a small helper process, see `run_roundup`). Search is timed in-process (`roundup::benching`, the same `Store::entries` that
//! `entries --search` calls). The machine is shared: the first row times a fixed CPU job in the
//! same run, so two tables from different runs compare by their ratio to it.
//!
//! The fetch rows fetch from the loopback farm `benches/fetch.rs` uses (`benches/farm/mod.rs`:
//! feeds made on demand from a seed, gzipped bodies kept up to `FARM_CACHE_MB`, default 512).
//!
//! Row groups are one function each: [`config_rows`], [`fetch_rows`], [`database_rows`].

#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "bench arithmetic on counts, sizes and durations that fit"
)]

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use roundup::benching::{Database, load_config, load_config_and_sync};
use roundup::model::{DatedBy, EntryRecord, FeedPoll};

#[path = "farm/mod.rs"]
#[allow(dead_code, reason = "the fetch rows use part of the farm; benches/fetch.rs uses the rest")]
mod farm;

const BIN: &str = env!("CARGO_BIN_EXE_roundup");
/// Polls written per transaction, as `fetch`'s writer batches them (`poll::MAX_BATCH`).
const POLLS_PER_WRITE: usize = 64;
/// The databases' entries end here (a Monday) and start two years (104 weeks) before.
fn end_of_history() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}
const WEEKS_OF_HISTORY: i64 = 104;
/// Items in the roundup that `draft` and `publish` render.
const PICKS: usize = 30;

fn main() -> ExitCode {
    // The fetch rows run roundup through the farm's launcher (this binary, `--launch`).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "--launch") {
        return farm::launch(&args[2..]);
    }
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("scale bench: skipped (run it with `cargo bench --bench scale`)");
        return ExitCode::SUCCESS;
    }
    if let Some(code) = rss_helper() {
        return code;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn env_list(name: &str, default: &[u64]) -> anyhow::Result<Vec<u64>> {
    match std::env::var(name) {
        Ok(v) => v
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().with_context(|| format!("{name}={v:?}: not a number list")))
            .collect(),
        Err(_) => Ok(default.to_vec()),
    }
}

fn run() -> anyhow::Result<()> {
    let feed_sizes = env_list("SCALE_FEEDS", &[1000, 10_000])?;
    let entry_sizes = env_list("SCALE_ENTRIES", &[10_000, 100_000])?;
    let entry_feeds = env_list("SCALE_ENTRY_FEEDS", &[1000])?[0].max(1);
    let queries = env_list("SCALE_QUERIES", &[200])?[0].max(10) as usize;
    let groups = std::env::var("SCALE_ROWS").unwrap_or_else(|_| "config,fetch,database".into());
    let run_group = |name: &str| groups.split(',').any(|g| g.trim() == name);
    let temp;
    let dir = match std::env::var_os("SCALE_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir)?;
    if let Some(seconds) = env_list("SCALE_SERVE", &[])?.first() {
        return serve_farm(feed_sizes[0], &dir, Duration::from_secs(*seconds));
    }
    let mut columns: Vec<String> =
        feed_sizes.iter().map(|n| format!("{} feeds", short(*n))).collect();
    columns.extend(entry_sizes.iter().map(|n| format!("{} entries", short(*n))));
    let mut table = Table::new(columns);
    let baseline = calibrate();

    for (col, &n) in feed_sizes.iter().enumerate().filter(|_| run_group("config")) {
        eprintln!("scale bench: {n} feeds");
        config_rows(&mut table, col, n, &dir.join(format!("feeds-{n}")))?;
    }
    if run_group("fetch") {
        fetch_rows(&mut table, &feed_sizes, &dir)?;
    }
    for (i, &m) in entry_sizes.iter().enumerate().filter(|_| run_group("database")) {
        eprintln!("scale bench: {m} entries over {entry_feeds} feeds");
        let col = feed_sizes.len() + i;
        database_rows(&mut table, col, m, entry_feeds, queries, &dir.join(format!("entries-{m}")))?;
    }
    let again = calibrate();
    table.rows.insert(
        0,
        (
            "machine baseline: sha256 of 64 MiB at start / end (ms)".into(),
            std::iter::once(format!("{} / {}", ms(baseline), ms(again)))
                .chain(std::iter::repeat_n(String::new(), table.columns.len() - 1))
                .collect(),
        ),
    );

    println!(
        "\nroundup scale bench (SCALE_FEEDS={} SCALE_ENTRIES={} SCALE_ENTRY_FEEDS={entry_feeds} \
         SCALE_QUERIES={queries}); baseline measured at start and end\n",
        join(&feed_sizes),
        join(&entry_sizes)
    );
    print!("{}", table.render());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Config rows: a feeds.toml of N feeds.

/// Loading and syncing an N-feed feeds.toml (in-process, what every command does first), and
/// `feeds list` over it (the release binary).
fn config_rows(table: &mut Table, col: usize, n: u64, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let config = dir.join("feeds.toml");
    write_feeds_toml(&config, n, "feeds.sqlite3")?;
    table.set("feeds.toml size (MB)", col, format!("{:.1}", file_size(&config) as f64 / 1e6));

    // "First" means a new database, also when SCALE_DIR keeps the folder from a run before.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("feeds.sqlite3{suffix}")));
    }

    let clock = Instant::now();
    let loaded = load_config(&config).map_err(anyhow::Error::msg)?;
    table.set("config load alone (s)", col, secs(clock.elapsed()));
    anyhow::ensure!(loaded as u64 == n, "loaded {loaded} feeds, wrote {n}");
    let clock = Instant::now();
    load_config_and_sync(&config).map_err(anyhow::Error::msg)?;
    table.set("config load + sync, first (s)", col, secs(clock.elapsed()));
    let clock = Instant::now();
    load_config_and_sync(&config).map_err(anyhow::Error::msg)?;
    table.set("config load + sync, unchanged (s)", col, secs(clock.elapsed()));
    // What `feeds add` leaves: one more feed at the end of the file.
    let mut file = std::fs::OpenOptions::new().append(true).open(&config)?;
    writeln!(file, "[[feeds]]\nid = \"added\"\nurl = \"https://added.example/feed.xml\"")?;
    drop(file);
    let clock = Instant::now();
    load_config_and_sync(&config).map_err(anyhow::Error::msg)?;
    table.set("config load + sync, one feed added (s)", col, secs(clock.elapsed()));

    let run = run_roundup(&config, &["feeds", "list"], dir)?;
    table.set("`feeds list` wall (s)", col, secs(run.wall));
    table.set("`feeds list` peak RSS (MB)", col, mb(run.max_rss_kb));
    Ok(())
}

/// Writes a feeds.toml of `n` feeds, line by line.
fn write_feeds_toml(path: &Path, n: u64, database: &str) -> anyhow::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "[settings]\ndatabase = \"{database}\"\ntimezone = \"UTC\"\n")?;
    writeln!(out, "[roundup]\ntitle = \"Scale week\"\nbase_url = \"https://roundup.example/\"\n")?;
    for i in 0..n {
        writeln!(out, "[[feeds]]")?;
        writeln!(out, "id = \"{}\"", feed_id(i))?;
        writeln!(out, "name = \"Blog number {i}\"")?;
        writeln!(out, "url = \"{}\"\n", feed_url(i))?;
    }
    out.flush()?;
    Ok(())
}

fn feed_id(i: u64) -> String {
    format!("blog-{i:06}")
}

fn feed_url(i: u64) -> String {
    format!("https://blog{i}.example/feed.xml")
}

// ---------------------------------------------------------------------------------------------
// Fetch rows.

/// Cold and warm `roundup fetch --force` of each `SCALE_FEEDS` size against the loopback farm
/// that `benches/fetch.rs` uses too (feeds made on demand from a seed on 127.0.0.1 ..
/// 127.0.0.16, 5 ms to first byte): wall, CPU and peak RSS of the release binary (through the
/// farm's launcher, so the bench's own memory is not counted), the most requests the farm saw
/// at once on one host, and warm as a ratio to the floor: a plain conditional download of the
/// same feeds with the same limits, measured just before and just after roundup (the faster of
/// the two). Column `col` of a size is its index in `feed_sizes` (the config rows' columns).
fn fetch_rows(table: &mut Table, feed_sizes: &[u64], dir: &Path) -> anyhow::Result<()> {
    let server_rt = farm_runtime()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("baseline")
        .enable_all()
        .build()
        .context("cannot start the baseline's runtime")?;
    for (col, &n) in feed_sizes.iter().enumerate() {
        eprintln!("scale bench: fetching {n} feeds");
        let dir = dir.join(format!("fetch-{n}"));
        std::fs::create_dir_all(&dir)?;
        let (port, listeners) = farm::bind_hosts(&server_rt)?;
        let n = usize::try_from(n)?;
        let farm = Arc::new(farm::Farm::new(
            FARM_SEED,
            n,
            port,
            Duration::from_millis(5),
            farm::cache_bytes()?,
        ));
        farm.warm_cache();
        let server = farm::start_server(&server_rt, &farm, listeners);
        let measured = fetch_columns(table, col, &farm, &client_rt, &dir);
        server.shutdown(&server_rt);
        std::fs::remove_dir_all(&dir)?;
        measured?;
    }
    server_rt.shutdown_timeout(Duration::from_secs(2));
    client_rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

/// The runtime the farm serves from: two threads of its own, named so a profile tells them
/// from roundup's.
fn farm_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("feed-server")
        .enable_all()
        .build()
        .context("cannot start the farm's runtime")
}

/// The seed of the fetch rows' farm (the fetch bench's default).
const FARM_SEED: u64 = 42;

/// `SCALE_SERVE`: the fetch rows' farm of `n` feeds, served for `how_long` and nothing
/// measured; its feeds.toml is `dir/serve-N/feeds.toml`.
fn serve_farm(n: u64, dir: &Path, how_long: Duration) -> anyhow::Result<()> {
    let server_rt = farm_runtime()?;
    let dir = dir.join(format!("serve-{n}"));
    std::fs::create_dir_all(&dir)?;
    let (port, listeners) = farm::bind_hosts(&server_rt)?;
    let farm = Arc::new(farm::Farm::new(
        FARM_SEED,
        usize::try_from(n)?,
        port,
        Duration::from_millis(5),
        farm::cache_bytes()?,
    ));
    farm.warm_cache();
    let config = write_farm_config(&farm, &dir)?;
    let server = farm::start_server(&server_rt, &farm, listeners);
    eprintln!(
        "scale bench: serving {n} feeds for {} s; feeds.toml: {}",
        how_long.as_secs(),
        config.display()
    );
    std::thread::sleep(how_long);
    server.shutdown(&server_rt);
    Ok(())
}

/// Writes `dir/feeds.toml` listing every feed of `farm`, with the farm's limits.
fn write_farm_config(farm: &farm::Farm, dir: &Path) -> anyhow::Result<PathBuf> {
    let config = dir.join("feeds.toml");
    let mut out = BufWriter::new(File::create(&config)?);
    writeln!(
        out,
        "[settings]\ndatabase = \"fetch.sqlite3\"\nconcurrency = {}\nper_host = {}\n",
        farm::CONCURRENCY,
        farm::PER_HOST
    )?;
    for i in 0..farm.n {
        let f = farm.meta(i);
        writeln!(out, "[[feeds]]\nid = \"{}\"\nurl = \"{}\"\n", f.id, f.url)?;
    }
    out.flush()?;
    Ok(config)
}

/// One size's fetch cells: cold, then warm, then warm's floor.
fn fetch_columns(
    table: &mut Table,
    col: usize,
    farm: &Arc<farm::Farm>,
    client_rt: &tokio::runtime::Runtime,
    dir: &Path,
) -> anyhow::Result<()> {
    let n = farm.n;
    let config = write_farm_config(farm, dir)?;
    let limit = Duration::from_secs(120) + Duration::from_millis(200 * n as u64);
    let args: Vec<std::ffi::OsString> =
        vec!["--config".into(), config.into(), "fetch".into(), "--force".into()];
    // A run, and the most requests the farm saw at once on one host during it.
    let fetch = |tag: &str, want: u16| -> anyhow::Result<(farm::ChildRun, usize)> {
        farm.stats.reset();
        let run = farm::run_roundup(&args, dir, tag, limit)?;
        let seen = farm.stats.seen();
        anyhow::ensure!(
            run.code == Some(0) && !run.timed_out,
            "{tag} fetch of {n} feeds failed ({:?}): {}",
            run.code,
            run.stderr.lines().take(5).collect::<Vec<_>>().join(" | ")
        );
        anyhow::ensure!(
            seen.statuses.get(&want) == Some(&(n as u64)) && seen.statuses.len() == 1,
            "{tag} fetch of {n} feeds: the farm answered {} (expected {n}x{want})",
            seen.statuses_text()
        );
        Ok((run, seen.peak_per_host()))
    };

    table.set("fetch: load average (1 min) at the cold fetch", col, load_average());
    let (cold, cold_per_host) = fetch("cold", 200)?;
    table.set("cold fetch wall (s)", col, secs(cold.wall));
    table.set("cold fetch CPU (s)", col, secs(cold.cpu));
    table.set("cold fetch peak RSS (MB)", col, mb(cold.max_rss_kib));

    let validators: Arc<Vec<farm::Validators>> = Arc::new(
        (0..n)
            .map(|i| {
                let f = farm.meta(i);
                farm::Validators { etag: Some(f.etag), last_modified: Some(f.last_modified) }
            })
            .collect(),
    );
    let targets = Arc::new(farm.targets());
    let floor = |client_rt: &tokio::runtime::Runtime| -> anyhow::Result<Duration> {
        let raw = client_rt.block_on(farm::raw_download(
            targets.clone(),
            Some(validators.clone()),
            limit,
        ));
        anyhow::ensure!(
            raw.failures.is_empty() && raw.statuses.get(&304) == Some(&(n as u64)),
            "the plain conditional download of {n} feeds got {:?} ({} failures: {})",
            raw.statuses,
            raw.failures.len(),
            raw.failures.first().map_or("-", String::as_str)
        );
        Ok(raw.wall)
    };
    let before = floor(client_rt)?;
    let (warm, warm_per_host) = fetch("warm", 304)?;
    let after = floor(client_rt)?;
    let raw = before.min(after);
    table.set("warm fetch wall (s)", col, secs(warm.wall));
    table.set("warm fetch CPU (s)", col, secs(warm.cpu));
    table.set("warm fetch peak RSS (MB)", col, mb(warm.max_rss_kib));
    table.set("plain conditional download, the floor (s)", col, secs(raw));
    table.set(
        "warm fetch ÷ the floor",
        col,
        format!("{:.2}x", warm.wall.as_secs_f64() / raw.as_secs_f64().max(1e-9)),
    );
    table.set(
        "fetch: most requests at once on one host (limit 2)",
        col,
        cold_per_host.max(warm_per_host).to_string(),
    );
    Ok(())
}

/// The 1-minute load average, as /proc/loadavg gives it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// Database rows: a database of M entries.

/// Fills a database of `m` entries over `feeds` feeds through the poll writer, then times what
/// the editor's commands and search do on it.
fn database_rows(
    table: &mut Table,
    col: usize,
    m: u64,
    feeds: u64,
    queries: usize,
    dir: &Path,
) -> anyhow::Result<()> {
    let config = dir.join("feeds.toml");
    let db_path = dir.join("scale.sqlite3");
    let pristine = dir.join("pristine.sqlite3");
    let pristine_facts = dir.join("pristine.txt");
    let seed = 0x5ca1e ^ m;
    let kept = keep_databases() && pristine.exists() && pristine_facts.exists();
    let feed_bytes = if kept {
        // Built by an earlier run (SCALE_DIR set): a copy of it, so this run starts from the
        // same database, migrated by this build when its schema is older.
        eprintln!("scale bench: reusing {}", pristine.display());
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else if path != pristine && path != pristine_facts {
                std::fs::remove_file(&path)?;
            }
        }
        write_feeds_toml(&config, feeds, "scale.sqlite3")?;
        std::fs::copy(&pristine, &db_path)?;
        let facts = std::fs::read_to_string(&pristine_facts)?;
        let mut facts = facts.split_whitespace();
        let feed_bytes: u64 = facts.next().context("pristine.txt")?.parse()?;
        let fill_rate = facts.next().context("pristine.txt")?;
        table.set("fill through the poll writer (entries/s)", col, format!("{fill_rate} (kept)"));
        load_config_and_sync(&config).map_err(anyhow::Error::msg)?;
        feed_bytes
    } else {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        write_feeds_toml(&config, feeds, "scale.sqlite3")?;
        load_config_and_sync(&config).map_err(anyhow::Error::msg)?;
        let (feed_bytes, fill_rate) = fill(&db_path, m, feeds, seed)?;
        table.set("fill through the poll writer (entries/s)", col, fill_rate.clone());
        if keep_databases() {
            checkpoint(&db_path)?;
            std::fs::copy(&db_path, &pristine)?;
            std::fs::write(&pristine_facts, format!("{feed_bytes} {fill_rate}"))?;
        }
        feed_bytes
    };
    let mut db = Database::open(&db_path).map_err(anyhow::Error::msg)?;
    // Queries and the later fetch draw from the fill's vocabulary, on a stream of their own (so
    // a kept database sees the same ones), with identities the fill never made.
    let mut writer = Generator::new(seed);
    writer.rng = Rng(seed ^ 0x9e37_79b9);
    writer.serial = 1 << 40;

    checkpoint(&db_path)?;
    let db_bytes = file_size(&db_path);
    table.set("database size (MB)", col, format!("{:.0}", db_bytes as f64 / 1e6));
    table.set("database bytes / entry", col, format!("{:.0}", db_bytes as f64 / m as f64));
    table.set(
        "database bytes / feed bytes held",
        col,
        format!("{:.2}x", db_bytes as f64 / feed_bytes as f64),
    );

    // The first search after the fill: what it waits for the full-text index.
    let clock = Instant::now();
    db.search(&writer.query(0), Some(50)).map_err(anyhow::Error::msg)?;
    table.set("first search after the fill (ms)", col, millis(clock.elapsed()));

    // Search, in-process: the words an editor would type (rare to common, one or two).
    let mut timed = Vec::with_capacity(queries);
    let mut hits = 0;
    for q in 0..queries {
        let words = writer.query(q);
        let clock = Instant::now();
        let found = db.search(&words, Some(50)).map_err(anyhow::Error::msg)?;
        timed.push((clock.elapsed(), words, found));
        hits += found;
    }
    timed.sort_by_key(|(t, _, _)| std::cmp::Reverse(*t));
    for (t, words, found) in timed.iter().take(5) {
        eprintln!(
            "scale bench: {m} entries: slow search {:?}: {} ms, {found} rows",
            words,
            millis(*t)
        );
    }
    let mut times: Vec<Duration> = timed.iter().map(|(t, _, _)| *t).collect();
    times.sort();
    table.set("search --limit 50, median (ms)", col, millis(percentile(&times, 50)));
    table.set("search --limit 50, p99 (ms)", col, millis(percentile(&times, 99)));
    table.set(
        "search, rows found per query (mean)",
        col,
        format!("{:.1}", hits as f64 / queries as f64),
    );

    // The week's candidates (a week a year back: ~1/100 of the entries).
    let week = iso_week(end_of_history() - chrono::Duration::weeks(52));
    let runs = (0..3)
        .map(|_| run_roundup(&config, &["candidates", "--week", &week, "--all"], dir))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let best = runs.iter().min_by_key(|r| r.wall).expect("three runs");
    table.set("`candidates --all` for a week, wall (ms)", col, millis(best.wall));
    table.set("`candidates --all` for a week, peak RSS (MB)", col, mb(best.max_rss_kb));
    let listed = best.stdout.lines().count().saturating_sub(1);
    table.set("`candidates --all` for a week, entries listed", col, listed.to_string());

    // A 30-item roundup of that week: picked through the binary (not timed), then drafted
    // and published.
    let ids: Vec<String> = best
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.trim_start_matches(['*', '-', ' ']).split_whitespace().next())
        .map(str::to_string)
        .take(PICKS)
        .collect();
    anyhow::ensure!(!ids.is_empty(), "the week {week} has no candidates");
    // A small database's week may hold fewer: say so in the cell.
    let fewer = if ids.len() < PICKS { format!(" ({} items)", ids.len()) } else { String::new() };
    for id in &ids {
        run_roundup(
            &config,
            &[
                "pick",
                id,
                "--week",
                &week,
                "--excerpt",
                "A line worth quoting.",
                "--note",
                "Read it.",
            ],
            dir,
        )?;
    }
    run_roundup(&config, &["edit", "--week", &week, "--intro", "The week at scale."], dir)?;
    let draft = dir.join("draft.md");
    let draft_arg = draft.to_string_lossy().into_owned();
    let drafts = (0..3)
        .map(|_| run_roundup(&config, &["draft", "--week", &week, "-o", &draft_arg], dir))
        .collect::<anyhow::Result<Vec<_>>>()?;
    table.set(
        "`draft` of a 30-item roundup, wall (ms)",
        col,
        millis(drafts.iter().map(|r| r.wall).min().expect("three runs")) + &fewer,
    );
    let publish = run_roundup(&config, &["publish", "--week", &week], dir)?;
    table.set("`publish` of a 30-item roundup, first (ms)", col, millis(publish.wall) + &fewer);
    let again = run_roundup(&config, &["publish", "--week", &week], dir)?;
    table.set("`publish` again (a correction) (ms)", col, millis(again.wall));

    // A big fetch (a tenth of the database, new entries), then the first search: how long it
    // waits for the full-text index.
    let k = (m / 10).max(1000);
    let now = end_of_history() + chrono::Duration::hours(1);
    let clock = Instant::now();
    let mut polls = Vec::new();
    for i in 0..k.div_ceil(10) {
        let f = i % feeds;
        let records = (0..10).map(|_| writer.entry(f, now).0).collect();
        polls.push(FeedPoll::stored(feed_id(f), &feed_url(f), now, records));
        if polls.len() == POLLS_PER_WRITE {
            db.record_polls(&polls).map_err(anyhow::Error::msg)?;
            polls.clear();
        }
    }
    db.record_polls(&polls).map_err(anyhow::Error::msg)?;
    let insert = clock.elapsed();
    table.set("a fetch of +10% new entries, writing (s)", col, secs(insert));
    let clock = Instant::now();
    db.search(&writer.query(1), Some(50)).map_err(anyhow::Error::msg)?;
    table.set("first search after that fetch (ms)", col, millis(clock.elapsed()));
    drop(db);
    Ok(())
}

/// Whether the databases are kept between runs: when `SCALE_DIR` is set, each size is built
/// once (kept as `entries-M/pristine.sqlite3`) and each run works on a copy.
fn keep_databases() -> bool {
    std::env::var_os("SCALE_DIR").is_some()
}

/// Fills the database at `path` with `m` entries over `feeds` feeds, in time order, through
/// `Store::record_polls`; the bytes those entries take in their feeds, and the entries written
/// a second.
fn fill(path: &Path, m: u64, feeds: u64, seed: u64) -> anyhow::Result<(u64, String)> {
    let mut writer = Generator::new(seed);
    let mut db = Database::open(path).map_err(anyhow::Error::msg)?;
    let clock = Instant::now();
    let start = end_of_history() - chrono::Duration::weeks(WEEKS_OF_HISTORY);
    let hours = WEEKS_OF_HISTORY as u64 * 7 * 24;
    let mut feed_bytes: u64 = 0;
    let mut batch: Vec<FeedPoll> = Vec::new();
    for h in 0..hours {
        let count = (h + 1) * m / hours - h * m / hours;
        let at = start + chrono::Duration::hours(h as i64 + 1);
        let mut polls: Vec<(u64, EntryRecord)> = (0..count)
            .map(|_| {
                let f = writer.rng.below(feeds);
                let (record, bytes) = writer.entry(f, at);
                feed_bytes += bytes;
                (f, record)
            })
            .collect();
        polls.sort_by_key(|(f, _)| *f);
        for poll in polls.chunk_by(|a, b| a.0 == b.0) {
            let f = poll[0].0;
            let records = poll.iter().map(|(_, r)| r.clone()).collect();
            batch.push(FeedPoll::stored(feed_id(f), &feed_url(f), at, records));
            if batch.len() == POLLS_PER_WRITE {
                db.record_polls(&batch).map_err(anyhow::Error::msg)?;
                batch.clear();
            }
        }
    }
    db.record_polls(&batch).map_err(anyhow::Error::msg)?;
    let rate = format!("{:.0}", m as f64 / clock.elapsed().as_secs_f64());
    // Each feed document's own bytes around its items (channel, title, links), once a feed.
    Ok((feed_bytes + feeds * CHANNEL_BYTES, rate))
}

/// Bytes of an RSS 2.0 document around its items.
const CHANNEL_BYTES: u64 = 600;

/// `PRAGMA wal_checkpoint(TRUNCATE)`: everything into the main file, so its size is the data.
fn checkpoint(db: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn iso_week(t: DateTime<Utc>) -> String {
    let w = t.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

// ---------------------------------------------------------------------------------------------
// Synthetic entries.

/// splitmix64 (the farm's): a small, fast, deterministic generator (the inputs are the same
/// every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        farm::splitmix64(&mut self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes entries like a sector's blogs: prose from a Zipf-distributed vocabulary.
struct Generator {
    rng: Rng,
    words: Vec<String>,
    /// Cumulative Zipf weights of `words`, for sampling by rank.
    cumulative: Vec<f64>,
    authors: Vec<String>,
    serial: u64,
}

const VOCABULARY: usize = 40_000;

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut rng = Rng(seed);
        const COMMON: &[&str] = &[
            "the",
            "of",
            "and",
            "to",
            "a",
            "in",
            "for",
            "is",
            "on",
            "that",
            "by",
            "this",
            "with",
            "it",
            "as",
            "are",
            "be",
            "at",
            "from",
            "council",
            "local",
            "government",
            "budget",
            "housing",
            "care",
            "services",
            "public",
            "people",
            "new",
            "year",
            "funding",
            "community",
            "policy",
            "social",
            "data",
            "digital",
            "plan",
            "support",
            "report",
        ];
        const SYLLABLES: &[&str] = &[
            "ba", "be", "bi", "bo", "ca", "ce", "co", "da", "de", "di", "do", "fa", "fe", "ga",
            "go", "ha", "he", "hi", "ka", "ki", "la", "le", "li", "lo", "ma", "me", "mi", "mo",
            "na", "ne", "ni", "no", "pa", "pe", "po", "ra", "re", "ri", "ro", "sa", "se", "si",
            "so", "ta", "te", "ti", "to", "va", "ve", "vi", "wa", "we", "za", "zo", "ing", "tion",
            "er", "ly", "ment", "ous", "al", "ist", "ive", "ure",
        ];
        let mut seen = std::collections::HashSet::new();
        let mut words: Vec<String> = COMMON.iter().map(|w| w.to_string()).collect();
        seen.extend(words.iter().cloned());
        while words.len() < VOCABULARY {
            let n = rng.range(2, 4);
            let w: String =
                (0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut cumulative = Vec::with_capacity(VOCABULARY);
        let mut total = 0.0;
        for rank in 1..=VOCABULARY {
            total += 1.0 / (rank as f64).powf(1.05);
            cumulative.push(total);
        }
        for c in &mut cumulative {
            *c /= total;
        }
        let authors = (0..3000)
            .map(|_| {
                let first = &words[rng.range(200, 5000) as usize];
                let last = &words[rng.range(200, 20_000) as usize];
                format!("{} {}", capitalised(first), capitalised(last))
            })
            .collect();
        Generator { rng, words, cumulative, authors, serial: 0 }
    }

    fn word(&mut self) -> &str {
        let u = self.rng.unit();
        let rank = self.cumulative.partition_point(|c| *c < u).min(VOCABULARY - 1);
        &self.words[rank]
    }

    fn sentence(&mut self, out: &mut String) {
        let n = self.rng.range(8, 22);
        for i in 0..n {
            let w = self.word().to_string();
            if i == 0 {
                out.push_str(&capitalised(&w));
            } else {
                out.push(' ');
                out.push_str(&w);
            }
        }
        out.push('.');
    }

    /// One entry of feed `f` first seen at `seen`, and the bytes it takes in its feed.
    fn entry(&mut self, f: u64, seen: DateTime<Utc>) -> (EntryRecord, u64) {
        self.serial += 1;
        let mut published = seen - chrono::Duration::seconds(self.rng.below(3600) as i64);
        if self.rng.below(50) == 0 {
            // A late arrival: dated days before it appeared.
            published -= chrono::Duration::hours(self.rng.range(24, 240) as i64);
        }
        let mut title = String::new();
        let n = self.rng.range(4, 10);
        for i in 0..n {
            let w = self.word().to_string();
            if i > 0 {
                title.push(' ');
            }
            title.push_str(&capitalised(&w));
        }
        let slug: String = title.to_lowercase().replace(' ', "-");
        let url = format!(
            "https://blog{f}.example/{}/{:02}/{slug}-{}",
            published.year(),
            published.month(),
            self.serial
        );
        let mut html = String::new();
        let mut text = String::new();
        let paragraphs = self.rng.range(4, 9);
        for p in 0..paragraphs {
            let mut para = String::new();
            for s in 0..self.rng.range(3, 6) {
                if s > 0 {
                    para.push(' ');
                }
                self.sentence(&mut para);
            }
            if p > 0 {
                text.push_str("\n\n");
            }
            text.push_str(&para);
            html.push_str("<p>");
            html.push_str(&para);
            if self.rng.below(3) == 0 {
                // A link to the source, as posts end a paragraph with one.
                let mut anchor = String::new();
                for i in 0..self.rng.range(2, 5) {
                    if i > 0 {
                        anchor.push(' ');
                    }
                    anchor.push_str(self.word());
                }
                let anchor = capitalised(&anchor);
                let href = format!(
                    "https://site{}.example/{}/{}",
                    self.rng.below(5000),
                    self.rng.below(100_000),
                    anchor.to_lowercase().replace(' ', "-")
                );
                html.push_str(&format!(" <a href=\"{href}\">{anchor}</a>."));
                text.push_str(&format!(" {anchor}."));
            }
            html.push_str("</p>\n");
        }
        let kind = self.rng.below(10);
        let summary_text: String = text.chars().take(280).collect();
        let (summary_html, content_html) = match kind {
            0..=5 => (Some(format!("{summary_text}…")), Some(html)),
            6..=8 => (None, Some(html)),
            _ => (Some(html), None),
        };
        let author = self.authors[self.rng.below(self.authors.len() as u64) as usize].clone();
        let categories: Vec<String> = (0..self.rng.range(1, 3))
            .map(|_| self.words[self.rng.range(20, 300) as usize].clone())
            .collect();
        let hash = format!("{:016x}{:016x}", self.rng.next(), self.rng.next());
        // The item as an RSS 2.0 feed carries it: the summary escaped, the content in CDATA.
        let escaped =
            |s: &str| s.len() + s.matches(['<', '>']).count() * 3 + s.matches('&').count() * 4;
        let item_bytes = 200
            + escaped(&title)
            + 2 * url.len()
            + author.len()
            + categories.iter().map(|c| c.len() + 21).sum::<usize>()
            + summary_html.as_deref().map_or(0, escaped)
            + content_html.as_deref().map_or(0, |c| c.len() + 40);
        let record = EntryRecord {
            identity: url.clone(),
            url: Some(url),
            title: Some(title),
            author: Some(author),
            published,
            dated_by: DatedBy::Published,
            updated: None,
            summary_html,
            content_html,
            text,
            categories,
            content_hash: hash,
        };
        (record, item_bytes as u64)
    }

    /// The `q`th search: one word (rare to common) or two.
    fn query(&mut self, q: usize) -> String {
        let mut pick = |lo: u64, hi: u64| self.words[self.rng.range(lo, hi) as usize].clone();
        match q % 4 {
            0 => pick(50, 500),
            1 => pick(500, 5000),
            2 => pick(5000, 30_000),
            _ => format!("{} {}", pick(40, 400), pick(200, 4000)),
        }
    }
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

/// One run of the release binary: wall time, the child's peak RSS, what it printed.
struct Run {
    wall: Duration,
    max_rss_kb: u64,
    stdout: String,
}

/// Runs `roundup --config CONFIG ARGS…` in `dir`; an error when it fails.
///
/// The binary is started by a small helper (this bench's own executable, see [`rss_helper`]),
/// not by the bench itself: Linux counts the memory of the process a child was spawned from
/// into the child's peak RSS (`posix_spawn` shares the parent's memory until `exec`, whose
/// high-water mark becomes the child's), so a child of the bench, which holds hundreds of MB
/// after a fill, was charged 238 MB for a command that used a tenth of that.
fn run_roundup(config: &Path, args: &[&str], dir: &Path) -> anyhow::Result<Run> {
    let out_path = dir.join("stdout.txt");
    let err_path = dir.join("stderr.txt");
    let usage_path = dir.join("usage.txt");
    // /proc/self/exe, not its path: a rebuild while a long run goes on replaces the file.
    let status = Command::new("/proc/self/exe")
        .arg("--bench")
        .arg(RSS_HELPER)
        .arg(&usage_path)
        .arg(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path)?)
        .stderr(File::create(&err_path)?)
        .status()
        .context("cannot run the bench's own helper")?;
    let stdout = std::fs::read_to_string(&out_path)?;
    if !status.success() {
        bail!(
            "roundup {} failed ({status}): {}",
            args.join(" "),
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
    }
    let usage = std::fs::read_to_string(&usage_path)?;
    let (wall_us, max_rss_kb) = usage
        .split_once(' ')
        .and_then(|(w, r)| Some((w.parse::<u64>().ok()?, r.trim().parse::<u64>().ok()?)))
        .with_context(|| format!("helper's usage {usage:?}"))?;
    Ok(Run { wall: Duration::from_micros(wall_us), max_rss_kb, stdout })
}

/// The argument that makes this executable the helper of [`run_roundup`].
const RSS_HELPER: &str = "--run-and-measure";

/// As the helper (`scale --bench --run-and-measure USAGE_FILE PROGRAM ARGS…`): runs PROGRAM
/// with this process's standard streams, writes "WALL_MICROSECONDS PEAK_RSS_KB" of it to
/// USAGE_FILE and exits with its status. `None` when not started as the helper.
fn rss_helper() -> Option<ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let at = args.iter().position(|a| a == RSS_HELPER)?;
    let (usage_path, program, rest) = (&args[at + 1], &args[at + 2], &args[at + 3..]);
    let clock = Instant::now();
    let child = match Command::new(program).args(rest).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("scale bench helper: cannot run {program:?}: {e}");
            return Some(ExitCode::from(2));
        }
    };
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are valid for writes.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = clock.elapsed();
    if rc != pid {
        eprintln!("scale bench helper: wait4: {}", std::io::Error::last_os_error());
        return Some(ExitCode::from(2));
    }
    let written = std::fs::write(
        usage_path,
        format!("{} {}", wall.as_micros(), u64::try_from(usage.ru_maxrss).unwrap_or(0)),
    );
    if written.is_err() || !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Some(ExitCode::from(1));
    }
    Some(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// The table.

struct Table {
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

impl Table {
    fn new(columns: Vec<String>) -> Table {
        Table { columns, rows: Vec::new() }
    }

    fn set(&mut self, row: &str, col: usize, value: String) {
        let width = self.columns.len();
        let i = match self.rows.iter().position(|(name, _)| name == row) {
            Some(i) => i,
            None => {
                self.rows.push((row.to_string(), vec![String::new(); width]));
                self.rows.len() - 1
            }
        };
        self.rows[i].1[col] = value;
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| measurement | {} |", self.columns.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(self.columns.len()));
        for (name, cells) in &self.rows {
            let cells: Vec<&str> =
                cells.iter().map(|c| if c.is_empty() { "·" } else { c.as_str() }).collect();
            let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
        }
        out
    }
}

/// A fixed CPU job, to compare runs on a shared machine.
fn calibrate() -> Duration {
    use sha2::Digest;
    let block = vec![0x5au8; 1 << 20];
    let clock = Instant::now();
    let mut h = sha2::Sha256::new();
    for _ in 0..64 {
        h.update(&block);
    }
    std::hint::black_box(h.finalize());
    clock.elapsed()
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1).min(sorted.len() - 1);
    sorted[i]
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn short(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

fn join(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn mb(kb: u64) -> String {
    format!("{:.0}", kb as f64 / 1024.0)
}
