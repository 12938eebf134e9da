//! `cargo bench --bench extract`: main-text extraction quality and speed on the team's shared
//! article-extraction split (`../shared/extraction`: `html/<id>.html.gz` and
//! `ground-truth/<id>.json`, read in place; `ROUNDUP_EXTRACTION` points elsewhere).
//!
//! Runs roundup's extractor (`roundup::extract::extract`) and, in the same run and on the same
//! decoded pages, raw dom_smoothie 0.19 (`TextMode::Formatted`, its `text_content`), writes one
//! `<id>.txt` per page for each into a temp dir, scores both with
//! `python3 score.py -q PRED GT` (4-word shingles, see its header) and prints F1, precision,
//! recall and the mean/median milliseconds per page, side by side.
//!
//! Timing is wall clock around the extractor call only (decoded HTML string in, text out);
//! gunzip, decoding and file writes are outside it. Each extractor gets one untimed warm-up per
//! round; the rounds (`ROUNDUP_EXTRACT_ROUNDS`, default 3) alternate between the extractors and
//! a page's time is its median over them.
//! `ROUNDUP_EXTRACT_OUT=DIR` keeps the predictions (`DIR/roundup`, `DIR/dom_smoothie`).
//!
//! Skips with a notice (exit 0) when the data folder is absent; exits 1 when scoring fails.

#![expect(
    clippy::cast_possible_truncation,
    reason = "bench arithmetic on small counts, sizes and durations that fit"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use dom_smoothie::{Config, Readability, TextMode};

struct Page {
    id: String,
    html: String,
}

struct Scored {
    f1: f64,
    precision: f64,
    recall: f64,
    pages: usize,
}

fn main() -> ExitCode {
    let root = std::env::var_os("ROUNDUP_EXTRACTION")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/extraction"));
    let html_dir = root.join("html");
    let gt_dir = root.join("ground-truth");
    let score_py = root.join("score.py");
    if !html_dir.is_dir() || !gt_dir.is_dir() || !score_py.is_file() {
        println!(
            "extract bench skipped: {} has no html/, ground-truth/ and score.py \
             (set ROUNDUP_EXTRACTION to the shared extraction folder)",
            root.display()
        );
        return ExitCode::SUCCESS;
    }
    let pages = match load(&html_dir, &gt_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("extract bench: {e}");
            return ExitCode::from(2);
        }
    };
    let keep = std::env::var_os("ROUNDUP_EXTRACT_OUT").map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = keep.unwrap_or_else(|| tmp.path().to_path_buf());

    let rounds: usize = std::env::var("ROUNDUP_EXTRACT_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(3);
    let ours_fn =
        |html: &str| roundup::extract::extract(html, None).map(|a| a.text()).unwrap_or_default();
    // Rounds alternate between the two extractors, so that a busy spell on this shared machine
    // hits both; each page's time is its median over the rounds.
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(run("roundup", &pages, &out.join("roundup"), ours_fn));
        raw.push(run("dom_smoothie", &pages, &out.join("dom_smoothie"), raw_dom_smoothie));
    }
    let (ours, raw) = (per_page_median(&ours), per_page_median(&raw));

    println!(
        "extract bench: {} pages from {}; ms/page = each page's median of {rounds} rounds",
        pages.len(),
        html_dir.display()
    );
    println!(
        "{:<22} {:>6} {:>10} {:>7} {:>10} {:>10}",
        "extractor", "F1", "precision", "recall", "mean ms", "median ms"
    );
    let mut failed = false;
    for (name, dir, times) in [
        ("roundup extract", out.join("roundup"), ours),
        ("dom_smoothie 0.19 raw", out.join("dom_smoothie"), raw),
    ] {
        let (mean, median) = stats(&times);
        match score(&score_py, &dir, &gt_dir) {
            Ok(s) => println!(
                "{name:<22} {:>6.3} {:>10.3} {:>7.3} {mean:>10.2} {median:>10.2}   ({} pages)",
                s.f1, s.precision, s.recall, s.pages
            ),
            Err(e) => {
                failed = true;
                println!("{name:<22} scoring failed: {e}");
            }
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Every `<id>.html.gz` that has a `ground-truth/<id>.json`, gunzipped and decoded.
fn load(html_dir: &Path, gt_dir: &Path) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    let entries =
        std::fs::read_dir(html_dir).map_err(|e| format!("{}: {e}", html_dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(id) = name.strip_suffix(".html.gz") else { continue };
        if !gt_dir.join(format!("{id}.json")).is_file() {
            continue;
        }
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let html = String::from_utf8_lossy(&bytes).into_owned();
        pages.push(Page { id: id.to_string(), html });
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    if pages.is_empty() {
        return Err(format!("{}: no <id>.html.gz with ground truth", html_dir.display()));
    }
    Ok(pages)
}

/// Runs `f` over every page (after one untimed warm-up), writes `<id>.txt` into `dir` and
/// returns the milliseconds each call took.
fn run(name: &str, pages: &[Page], dir: &Path, f: impl Fn(&str) -> String) -> Vec<f64> {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let _ = f(&pages[0].html);
    let mut times = Vec::with_capacity(pages.len());
    for p in pages {
        let start = Instant::now();
        let text = f(&p.html);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        std::fs::write(dir.join(format!("{}.txt", p.id)), text)
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", dir.display()));
    }
    times
}

/// Raw dom_smoothie, as ../shared/CRATES.md §6 measured it: default config, formatted text.
fn raw_dom_smoothie(html: &str) -> String {
    let cfg = Config { text_mode: TextMode::Formatted, ..Default::default() };
    let Ok(mut r) = Readability::new(html, None, Some(cfg)) else { return String::new() };
    r.parse().map(|a| a.text_content.to_string()).unwrap_or_default()
}

/// Each page's median time over the rounds.
fn per_page_median(rounds: &[Vec<f64>]) -> Vec<f64> {
    (0..rounds[0].len())
        .map(|i| {
            let mut t: Vec<f64> = rounds.iter().map(|r| r[i]).collect();
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

fn stats(times: &[f64]) -> (f64, f64) {
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    (mean, median)
}

/// Runs score.py and reads its last line: "F1 0.912 precision 0.930 recall 0.900 pages 120".
fn score(score_py: &Path, pred: &Path, gt: &Path) -> Result<Scored, String> {
    let out = Command::new("python3")
        .arg(score_py)
        .arg("-q")
        .arg(pred)
        .arg(gt)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("score.py {}: {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let last = stdout.lines().rev().find(|l| l.starts_with("F1 ")).ok_or("no F1 line")?;
    let f: Vec<&str> = last.split_whitespace().collect();
    let num = |key: &str| -> Result<f64, String> {
        let i = f.iter().position(|w| *w == key).ok_or(format!("no {key} in {last:?}"))?;
        f.get(i + 1).and_then(|v| v.parse().ok()).ok_or(format!("bad {key} in {last:?}"))
    };
    Ok(Scored {
        f1: num("F1")?,
        precision: num("precision")?,
        recall: num("recall")?,
        pages: num("pages")? as usize,
    })
}
