//! `roundup extract PAGE`: the main text of one article page, from a file (gzip'd or not) or
//! fetched with the feeds' client (user agent, timeouts, body cap). Works without a feeds
//! file: the default settings are used then.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use url::Url;

use super::Exit;
use crate::cli::{Cli, ExtractArgs};
use crate::config::Config;
use crate::extract::{MAX_INPUT, extract as extract_page};
use crate::fetch::FetchRequest;
use crate::links::HttpUrl;

pub(crate) fn extract(cli: &Cli, args: &ExtractArgs) -> anyhow::Result<Exit> {
    let (bytes, base) = if let Ok(url) = HttpUrl::parse(&args.page) {
        fetch_page(cli, &args.page, url)?
    } else {
        let base = match &args.base {
            Some(b) => Some(
                Url::parse(b).with_context(|| format!("--base {b:?} is not an absolute URL"))?,
            ),
            None => None,
        };
        (read_page(Path::new(&args.page))?, base)
    };
    let html = String::from_utf8_lossy(&bytes);
    let article = extract_page(&html, base.as_ref().map(Url::as_str))
        .with_context(|| format!("cannot extract {}", args.page))?;
    if args.json {
        super::print_json(&article)?;
    } else if article.paragraphs.is_empty() {
        eprintln!("roundup: no article text found in {}", args.page);
    } else {
        println!("{}", article.text());
    }
    Ok(Exit::Ok)
}

/// A page file's bytes, gunzipped when it is gzip (by content, whatever its name). Refused
/// when it, or what it unpacks to, is larger than [`MAX_INPUT`].
fn read_page(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let too_big = || anyhow::anyhow!("{} is larger than {MAX_INPUT} bytes", path.display());
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_INPUT as u64 {
        return Err(too_big());
    }
    let mut raw = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut raw)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut out)
        .with_context(|| format!("{} is not valid gzip", path.display()))?;
    if out.len() > MAX_INPUT {
        return Err(too_big());
    }
    Ok(out)
}

/// Fetches `url` (parsed: `parsed`) with the project's client; the body and the final URL (after redirects).
fn fetch_page(cli: &Cli, url: &str, parsed: HttpUrl) -> anyhow::Result<(Vec<u8>, Option<Url>)> {
    let parsed = parsed.into_url();
    let config = if cli.config.exists() {
        super::load_config(cli)?
    } else {
        Config::parse("", &cli.config, Path::new(".")).context("default settings")?
    };
    let fetcher = super::fetcher(&config)?;
    // The editor named this page on the command line: trusted as written.
    fetcher.trust(&parsed);
    let rt = super::runtime()?;
    let req = FetchRequest { url: parsed, etag: None, last_modified: None };
    let page = rt.block_on(fetcher.fetch(&req)).with_context(|| format!("cannot fetch {url}"))?;
    if !(200..300).contains(&page.status) {
        bail!("cannot fetch {url}: HTTP {}", page.status);
    }
    Ok((page.body, Some(page.final_url)))
}
