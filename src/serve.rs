//! `roundup serve`: a small static file server for the public folder that `publish` writes.
//!
//! The decisions are pure functions, unit-tested without sockets: [`parse_request_path`] (the
//! path rules), [`locate`] (the file inside the folder, or not), [`content_type`] and [`etag`];
//! HTTP's own rules (gzip negotiation, conditional requests, ranges) are `crate::http`'s.
//! [`serve`] wires them into hyper connections with an access log on stderr and a graceful
//! shutdown.
//!
//! Limits (issue 10, item 6: 1,100 half-open connections starved it): a connection that has
//! not sent a request's headers within [`Limits::header_timeout`] of the server waiting for them
//! (a new one, a slow one, or a kept-alive one idle between requests) is closed; at most
//! [`Limits::max_connections`] are open at once (the next wait in the listen queue); and the
//! open-file soft limit is raised to the hard limit at start ([`raise_open_file_limit`]).
//! `roundup desk` runs on the same accept loop ([`serve_connections`]) with the same limits.
//!
//! Path rules: the request path is percent-decoded exactly once; NUL, backslash, a `..`
//! segment or bytes that are not UTF-8 after decoding are a 400; a segment starting with `.`
//! (a dotfile) is a 404. The joined path is canonicalised (symlinks resolved) and must still lie
//! inside the canonicalised public folder, else 404. Only regular files are served.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};

use crate::http::{RangeAsk, accepts_gzip, http_date, not_modified, precondition_failed, range};

/// What readers may cache without asking again (feed readers poll; five minutes is polite).
pub(crate) const CACHE_CONTROL: &str = "public, max-age=300";

/// How long a stop waits for requests in flight before giving up on them.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

// ------------------------------------------------------------------------------------------
// Pure decisions
// ------------------------------------------------------------------------------------------

/// Why a request path is refused before the file system is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathRefusal {
    /// Malformed or hostile: bad percent-encoding, NUL, backslash, `..`, not UTF-8 (400).
    BadRequest,
    /// Well-formed but never served, e.g. a dotfile (404).
    NotFound,
}

/// A request path, decoded and split into safe segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestPath {
    /// Non-empty segments, none of them `.`, `..` or containing `/`, `\` or NUL.
    pub segments: Vec<String>,
    /// The path ended with `/` (or was `/`): a folder is asked for.
    pub trailing_slash: bool,
}

/// Decodes `%XX` escapes once. `None` on a malformed escape (which `percent-encoding` would
/// pass through as it is).
pub(crate) fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().filter(|(_, b)| **b == b'%').all(|(i, _)| {
        bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    well_formed.then(|| percent_encoding::percent_decode(bytes).collect())
}

/// The path rules: `raw` is the path of the request target as sent (no query).
pub(crate) fn parse_request_path(raw: &str) -> Result<RequestPath, PathRefusal> {
    if !raw.starts_with('/') {
        return Err(PathRefusal::BadRequest);
    }
    let decoded = percent_decode(raw).ok_or(PathRefusal::BadRequest)?;
    if decoded.iter().any(|b| *b == 0 || *b == b'\\') {
        return Err(PathRefusal::BadRequest);
    }
    let decoded = String::from_utf8(decoded).map_err(|_| PathRefusal::BadRequest)?;
    let mut segments = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(PathRefusal::BadRequest),
            s if s.chars().any(char::is_control) => return Err(PathRefusal::BadRequest),
            s if s.starts_with('.') => return Err(PathRefusal::NotFound),
            s => segments.push(s.to_string()),
        }
    }
    Ok(RequestPath { segments, trailing_slash: decoded.ends_with('/') })
}

/// Percent-encodes what a path segment cannot hold as is (for a redirect's Location).
pub(crate) fn encode_segment(seg: &str) -> String {
    percent_encoding::utf8_percent_encode(seg, PATH_SEGMENT).to_string()
}

/// The bytes a path segment cannot hold as they are: all but ASCII letters, digits and
/// RFC 3986's `pchar` marks `-._~!$&'()*+,;=:@`.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Where a request path leads inside the public folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Located {
    /// A regular file inside the folder (canonical path).
    File(PathBuf),
    /// A folder asked for without its trailing slash: redirect to this path.
    AddSlash(String),
    NotFound,
}

/// Finds `path` under `root`, which must already be canonical. Never returns a file whose
/// canonical path is outside `root`.
pub(crate) fn locate(root: &Path, path: &RequestPath) -> Located {
    let mut candidate = root.to_path_buf();
    for seg in &path.segments {
        candidate.push(seg);
    }
    let Some(found) = inside(root, &candidate) else { return Located::NotFound };
    let Ok(meta) = std::fs::metadata(&found) else { return Located::NotFound };
    if meta.is_dir() {
        if !path.trailing_slash && !path.segments.is_empty() {
            let mut to = String::new();
            for seg in &path.segments {
                to.push('/');
                to.push_str(&encode_segment(seg));
            }
            to.push('/');
            return Located::AddSlash(to);
        }
        return match inside(root, &found.join("index.html")) {
            Some(index) if std::fs::metadata(&index).is_ok_and(|m| m.is_file()) => {
                Located::File(index)
            }
            _ => Located::NotFound,
        };
    }
    if meta.is_file() && !path.trailing_slash {
        return Located::File(found);
    }
    Located::NotFound
}

/// The canonical form of `p` when it exists and lies inside the canonical `root`.
fn inside(root: &Path, p: &Path) -> Option<PathBuf> {
    let canonical = std::fs::canonicalize(p).ok()?;
    canonical.starts_with(root).then_some(canonical)
}

/// The Content-Type for a file name, and whether it is worth compressing.
pub(crate) fn content_type(path: &Path) -> (&'static str, bool) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => ("text/html; charset=utf-8", true),
        "atom" => ("application/atom+xml; charset=utf-8", true),
        "rss" => ("application/rss+xml; charset=utf-8", true),
        "json" if name == "feed.json" => ("application/feed+json; charset=utf-8", true),
        "json" => ("application/json; charset=utf-8", true),
        "css" => ("text/css; charset=utf-8", true),
        "js" => ("text/javascript; charset=utf-8", true),
        "xml" => ("application/xml; charset=utf-8", true),
        "xsl" | "xslt" => ("application/xslt+xml; charset=utf-8", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "gif" => ("image/gif", false),
        "webp" => ("image/webp", false),
        "ico" => ("image/x-icon", false),
        _ => ("application/octet-stream", false),
    }
}

/// The strong ETag of a file's bytes (quotes included); the gzip variant has `-gz` inside
/// the quotes, so caches never mix the two.
pub(crate) fn etag(bytes: &[u8], gzip: bool) -> String {
    let digest = Sha256::digest(bytes);
    let hex = crate::hex::hex(&digest[..16]);
    if gzip { format!("\"{hex}-gz\"") } else { format!("\"{hex}\"") }
}

// ------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------

struct Served {
    /// The public folder, canonical.
    root: PathBuf,
}

/// What connections may hold, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// How long a connection may take to send a request's headers, counted from when the server
    /// starts waiting for them: on a new connection, and on a kept-alive one between requests
    /// (so it is also the idle keep-alive timeout). Then it is closed.
    pub header_timeout: Duration,
    /// At most this many connections are open at once; the next wait in the listen queue.
    pub max_connections: usize,
}

/// Raises the open-file soft limit to the hard limit, so that the connection cap, not the
/// usual 1,024 files, is what bounds the server; gives the soft limit now in force.
pub(crate) fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit the calls read and write; no other memory is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        lim = raised;
    }
    Ok(lim.rlim_cur)
}

/// Serves `root` (canonical) on `listener` within `limits` until `stop` resolves (see
/// [`serve_connections`]).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    root: PathBuf,
    limits: Limits,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(Served { root });
    serve_connections(listener, limits, stop, move |peer| {
        let state = state.clone();
        hyper::service::service_fn(move |req| handle(state.clone(), peer, req))
    })
    .await
}

/// The one accept loop of `roundup serve` and `roundup desk`: accepts HTTP/1 connections on
/// `listener` within `limits` until `stop` resolves, each served by the service `service_for`
/// makes for its peer's address; then asks every connection to close after its request in
/// flight, and waits up to [`SHUTDOWN_GRACE`] for them.
pub(crate) async fn serve_connections<S, B>(
    listener: tokio::net::TcpListener,
    limits: Limits,
    stop: impl Future<Output = ()> + Send + 'static,
    service_for: impl Fn(SocketAddr) -> S,
) -> std::io::Result<()>
where
    S: hyper::service::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::http::Response<B>,
        > + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let max = limits.max_connections.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of files, or the peer left before accept: not the server's end.
                    let line = format!("roundup: cannot accept a connection: {e}\n");
                    let _ = std::io::stderr().lock().write_all(line.as_bytes());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = service_for(peer);
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let _slot = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = closing.wait_for(|c| *c) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
    Ok(())
}

async fn handle(
    state: Arc<Served>,
    peer: SocketAddr,
    req: axum::http::Request<hyper::body::Incoming>,
) -> Result<Response, Infallible> {
    let clock = Instant::now();
    let method = req.method().clone();
    let raw_path = req.uri().path().to_string();
    let (response, bytes) = answer(&state.root, &method, &raw_path, req.headers()).await;
    let ms = clock.elapsed().as_secs_f64() * 1000.0;
    let line =
        format!("{peer} {method} {raw_path} {} {bytes} {ms:.1}ms\n", response.status().as_u16());
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    Ok(response)
}

fn simple(status: StatusCode, text: &str, head: bool) -> (Response, usize) {
    let body = format!("{text}\n");
    let len = body.len();
    let mut r = Response::new(if head { Body::empty() } else { Body::from(body) });
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    (r, if head { 0 } else { len })
}

/// The page for a path that is not there when the public folder has no `404.html` (`publish`
/// writes one): HTML like the rest of the site, pointing at the front page.
pub(crate) const FALLBACK_404: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Not found</title>\n\
<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n<h1>Not found</h1>\n\
<p>There is no page at this address. Try <a href=\"/\">the front page</a>.</p>\n</body>\n</html>\n";

/// A 404 whose body is the public folder's `404.html` (an HTML page with the site's name and a
/// way home), or [`FALLBACK_404`] without one; never cached for long, never sniffed.
async fn not_found(root: &Path, head: bool) -> (Response, usize) {
    let page = match inside(root, &root.join("404.html")) {
        Some(path) => tokio::fs::read(&path).await.ok(),
        None => None,
    };
    let body = page.unwrap_or_else(|| FALLBACK_404.as_bytes().to_vec());
    let len = body.len();
    let mut r = Response::new(if head { Body::empty() } else { Body::from(body) });
    *r.status_mut() = StatusCode::NOT_FOUND;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    (r, if head { 0 } else { len })
}

/// The response to one request, and the body bytes it carries.
async fn answer(
    root: &Path,
    method: &Method,
    raw_path: &str,
    headers: &HeaderMap,
) -> (Response, usize) {
    let head = method == Method::HEAD;
    if method != Method::GET && !head {
        let (mut r, n) = simple(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed", false);
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return (r, n);
    }
    let path = match parse_request_path(raw_path) {
        Ok(p) => p,
        Err(PathRefusal::BadRequest) => {
            return simple(StatusCode::BAD_REQUEST, "400 Bad Request", head);
        }
        Err(PathRefusal::NotFound) => return not_found(root, head).await,
    };
    let file = {
        let root = root.to_path_buf();
        let path = path.clone();
        match tokio::task::spawn_blocking(move || locate(&root, &path)).await {
            Ok(l) => l,
            Err(_) => Located::NotFound,
        }
    };
    let file = match file {
        Located::File(f) => f,
        Located::AddSlash(to) => {
            let (mut r, n) = simple(StatusCode::MOVED_PERMANENTLY, "301 Moved Permanently", head);
            if let Ok(v) = HeaderValue::from_str(&to) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return (r, n);
        }
        Located::NotFound => return not_found(root, head).await,
    };
    let (bytes, modified) = match tokio::fs::read(&file).await {
        Ok(b) => {
            let m = tokio::fs::metadata(&file).await.and_then(|m| m.modified());
            (b, m.unwrap_or_else(|_| SystemTime::now()))
        }
        Err(_) => return not_found(root, head).await,
    };
    let (ctype, compressible) = content_type(&file);
    let plain_tag = etag(&bytes, false);
    let gz_tag = etag(&bytes, true);
    let gzip = compressible && accepts_gzip(header_text(headers, header::ACCEPT_ENCODING));
    let tag = if gzip { &gz_tag } else { &plain_tag };
    let last_modified = http_date(modified);

    let mut r = Response::new(Body::empty());
    let h = r.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(tag).expect("hex etag"));
    h.insert(header::LAST_MODIFIED, HeaderValue::from_str(&last_modified).expect("ascii date"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if compressible {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if precondition_failed(
        header_text(headers, header::IF_MATCH),
        header_text(headers, header::IF_UNMODIFIED_SINCE),
        &[&plain_tag, &gz_tag],
        modified,
    ) {
        let (mut failed, n) =
            simple(StatusCode::PRECONDITION_FAILED, "412 Precondition Failed", head);
        failed.headers_mut().insert(header::ETAG, HeaderValue::from_str(tag).expect("hex etag"));
        return (failed, n);
    }
    if not_modified(
        header_text(headers, header::IF_NONE_MATCH),
        header_text(headers, header::IF_MODIFIED_SINCE),
        &[&plain_tag, &gz_tag],
        modified,
    ) {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        return (r, 0);
    }
    // One byte range of the file as it is (ranges are never of the gzip form), unless
    // If-Range names another version.
    let if_range = header_text(headers, header::IF_RANGE);
    let current = if_range.is_none_or(|v| v.trim() == plain_tag || v.trim() == last_modified);
    let ask = if current {
        range(header_text(headers, header::RANGE), bytes.len() as u64)
    } else {
        RangeAsk::Whole
    };
    match ask {
        RangeAsk::Whole => {}
        RangeAsk::Unsatisfiable => {
            let (mut r, n) =
                simple(StatusCode::RANGE_NOT_SATISFIABLE, "416 Range Not Satisfiable", head);
            let all = format!("bytes */{}", bytes.len());
            r.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&all).unwrap());
            return (r, n);
        }
        RangeAsk::Part { start, end } => {
            // `range` keeps both ends below `bytes.len()`, a usize.
            let index = |i: u64| usize::try_from(i).unwrap_or(usize::MAX);
            let part = bytes[index(start)..=index(end)].to_vec();
            let len = part.len();
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = r.headers_mut();
            h.insert(header::ETAG, HeaderValue::from_str(&plain_tag).expect("hex etag"));
            let cr = format!("bytes {start}-{end}/{}", bytes.len());
            h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&cr).expect("ascii"));
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            if head {
                return (r, 0);
            }
            *r.body_mut() = Body::from(part);
            return (r, len);
        }
    }
    let body = if gzip { gzip_bytes(&bytes) } else { bytes };
    let len = body.len();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if head {
        return (r, 0);
    }
    *r.body_mut() = Body::from(body);
    (r, len)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(raw: &str) -> Result<Vec<String>, PathRefusal> {
        parse_request_path(raw).map(|p| p.segments)
    }

    #[test]
    fn paths_decode_once_and_refuse_escapes() {
        assert_eq!(segs("/"), Ok(vec![]));
        assert_eq!(segs("/feed.atom"), Ok(vec!["feed.atom".to_string()]));
        assert_eq!(segs("/2024-W48/"), Ok(vec!["2024-W48".to_string()]));
        assert_eq!(segs("/a%20b"), Ok(vec!["a b".to_string()]));
        assert_eq!(segs("//a/./b"), Ok(vec!["a".to_string(), "b".to_string()]));
        for bad in [
            "/../feeds.toml",
            "/%2e%2e/feeds.toml",
            "/%2E%2E%2Ffeeds.toml",
            "/..%2ffeeds.toml",
            "/2024-W48/../../feeds.toml",
            "/a/..",
            "/%00",
            "/index.html%00.png",
            "/..%5cfeeds.toml",
            "/a\\b",
            "/%zz",
            "/%2",
            "/%ff",
            "feeds.toml",
            "/a%0ab",
        ] {
            assert_eq!(segs(bad), Err(PathRefusal::BadRequest), "{bad}");
        }
        // Decoded once: %252e stays the literal name "%2e", which is no escape.
        assert_eq!(segs("/%252e%252e/feeds.toml"), Ok(vec!["%2e%2e".into(), "feeds.toml".into()]));
        assert_eq!(segs("/.git/config"), Err(PathRefusal::NotFound));
        assert_eq!(segs("/.hidden"), Err(PathRefusal::NotFound));
        assert!(parse_request_path("/x/").unwrap().trailing_slash);
        assert!(!parse_request_path("/x").unwrap().trailing_slash);
    }

    #[test]
    fn locate_stays_inside_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("public");
        std::fs::create_dir_all(root.join("2024-W48")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::write(root.join("2024-W48/index.html"), "week").unwrap();
        std::fs::write(tmp.path().join("feeds.toml"), "secret").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("feeds.toml"), root.join("out.txt"))
                .unwrap();
            std::os::unix::fs::symlink(tmp.path(), root.join("up")).unwrap();
            std::os::unix::fs::symlink(root.join("index.html"), root.join("in.html")).unwrap();
        }
        let root = std::fs::canonicalize(&root).unwrap();
        let at = |raw: &str| locate(&root, &parse_request_path(raw).unwrap());
        assert_eq!(at("/"), Located::File(root.join("index.html")));
        assert_eq!(at("/index.html"), Located::File(root.join("index.html")));
        assert_eq!(at("/2024-W48/"), Located::File(root.join("2024-W48/index.html")));
        assert_eq!(at("/2024-W48"), Located::AddSlash("/2024-W48/".into()));
        assert_eq!(at("/empty/"), Located::NotFound);
        assert_eq!(at("/index.html/"), Located::NotFound);
        assert_eq!(at("/missing"), Located::NotFound);
        assert_eq!(at("/%252e%252e/feeds.toml"), Located::NotFound);
        #[cfg(unix)]
        {
            assert_eq!(at("/out.txt"), Located::NotFound);
            assert_eq!(at("/up/feeds.toml"), Located::NotFound);
            assert_eq!(at("/up/"), Located::NotFound);
            assert_eq!(at("/in.html"), Located::File(root.join("index.html")));
        }
    }

    #[test]
    fn redirect_locations_are_encoded_paths() {
        assert_eq!(encode_segment("2024-W48"), "2024-W48");
        assert_eq!(encode_segment("a b?#"), "a%20b%3F%23");
    }

    #[test]
    fn content_types_by_extension() {
        let t = |p: &str| content_type(Path::new(p));
        assert_eq!(t("index.html"), ("text/html; charset=utf-8", true));
        assert_eq!(t("feed.atom"), ("application/atom+xml; charset=utf-8", true));
        assert_eq!(t("links.atom").0, "application/atom+xml; charset=utf-8");
        assert_eq!(t("feed.rss").0, "application/rss+xml; charset=utf-8");
        assert_eq!(t("feed.json").0, "application/feed+json; charset=utf-8");
        assert_eq!(t("data.json").0, "application/json; charset=utf-8");
        assert_eq!(t("style.CSS").0, "text/css; charset=utf-8");
        assert_eq!(t("logo.png"), ("image/png", false));
        assert_eq!(t("favicon.ico"), ("image/x-icon", false));
        assert_eq!(t("logo.svg"), ("image/svg+xml", true));
        assert_eq!(t("README"), ("application/octet-stream", false));
    }

    #[test]
    fn etags_are_strong_and_differ_by_variant() {
        let a = etag(b"hello", false);
        let g = etag(b"hello", true);
        assert!(a.starts_with('"') && a.ends_with('"') && !a.starts_with("W/"));
        assert_eq!(g, format!("{}-gz\"", &a[..a.len() - 1]));
        assert_ne!(a, etag(b"hello!", false));
        assert_eq!(a, etag(b"hello", false));
    }
}
