//! HTTP retrieval, politely: conditional GET, redirects followed by hand (so 301/308 can be told
//! from 302/307), connect and total timeouts, a body cap enforced while streaming (after
//! decompression), bounded concurrency overall and per host.
//!
//! Every hop of a request passes the private-network guard (`netguard`): a URL the editor did
//! not give (an entry link, a redirect target, a feed advertised on a page) goes through a
//! second client whose resolver drops private addresses, after its IP literal, if any, is
//! checked.
//!
//! Owns reqwest. Returns [`Fetched`] for any HTTP answer, whatever its status: what a status
//! means for the feed is decided in `poll`. Does not parse.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// What the fetcher is configured with.
#[derive(Debug, Clone)]
pub(crate) struct FetchSettings {
    pub user_agent: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body: u64,
    pub concurrency: usize,
    pub per_host: usize,
    /// Whether links from feeds may reach private addresses.
    pub private_networks: crate::netguard::PrivateNetworks,
}

/// One request: the URL and the validators from the last 200.
#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    pub url: Url,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Status of the final answer (after redirects).
    pub status: u16,
    /// The URL that gave the final answer.
    pub final_url: Url,
    /// Where the feed has moved for good: the URL reached through the leading run of 301/308
    /// redirects, when there was at least one.
    pub moved_permanently_to: Option<Url>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    pub date: Option<String>,
    pub retry_after: Option<String>,
    /// The body of a 2xx answer (decompressed); empty otherwise.
    pub body: Vec<u8>,
}

impl Fetched {
    /// The `charset` parameter of the Content-Type, if any.
    pub fn charset(&self) -> Option<String> {
        let ct = self.content_type.as_deref()?;
        ct.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_string())
        })
    }
}

/// Why no HTTP answer was had; each kind a variant, so callers can tell them apart until the
/// message is shown.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("body larger than the {limit}-byte cap")]
    TooLarge { limit: u64 },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect without a usable Location: {0}")]
    BadRedirect(String),
    /// The feed's stored URL does not parse (it was valid when configured; kept for safety).
    #[error("stored URL {url:?} is invalid: {reason}")]
    InvalidUrl { url: String, reason: url::ParseError },
    /// The connection broke while the body was read, or the body could not be decompressed.
    #[error("{0}")]
    Body(String),
    /// The request failed in some other way (TLS, protocol), with the causes' chain.
    #[error("{0}")]
    Request(String),
    /// The URL reaches a private address and is not one the editor listed.
    #[error("refused {url}: {reason}; set [settings] private_networks = \"allow\" for an intranet")]
    Refused { url: String, reason: String },
    /// The HTTP client could not be set up (not about any one feed).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

const MAX_REDIRECTS: usize = 8;

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, \
                      application/json;q=0.8, text/html;q=0.5, */*;q=0.1";

/// The HTTP client with its concurrency limits. Cheap to share behind an `Arc`.
pub(crate) struct Fetcher {
    /// For the URLs the guard trusts.
    client: reqwest::Client,
    /// For every other URL: its resolver drops private addresses.
    guarded: reqwest::Client,
    guard: crate::netguard::Guard,
    settings: FetchSettings,
    all: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Which host's slots a URL takes: its host name and port.
pub(crate) fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
}

/// A host's slot taken ahead of a request ([`Fetcher::try_reserve`]).
pub(crate) struct HostSlot {
    key: String,
    permit: OwnedSemaphorePermit,
}

/// Permits held while a request is in flight.
struct Slot {
    _host: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

impl Fetcher {
    /// A fetcher that trusts the origins of `trusted`, the URLs the editor listed (feeds.toml),
    /// as written. It keeps their origins, not the URLs: a copy of 100,000 feeds' URLs was
    /// 12 MB of a fetch's heap (heaptrack).
    pub(crate) fn new<'a>(
        settings: FetchSettings,
        trusted: impl IntoIterator<Item = &'a Url>,
    ) -> Result<Fetcher, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        let builder = || {
            reqwest::Client::builder()
                .user_agent(settings.user_agent.clone())
                .default_headers(headers.clone())
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(settings.connect_timeout)
                .timeout(settings.timeout)
                .pool_idle_timeout(Duration::from_secs(30))
        };
        let client = builder().build().map_err(|e| FetchError::Client(e.to_string()))?;
        // Never through a proxy from the environment (HTTP_PROXY and the like): the guard
        // would check the proxy's address, and the proxy would connect to the inside for us.
        let guarded = builder()
            .no_proxy()
            .dns_resolver(crate::netguard::guarded_resolver())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            guarded,
            guard: crate::netguard::Guard::new(settings.private_networks, trusted),
            all: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            hosts: Mutex::new(HashMap::new()),
            settings,
        })
    }

    /// Trusts `url`'s origin from now on: the editor named it (on the command line).
    pub(crate) fn trust(&self, url: &Url) {
        self.guard.trust(url);
    }

    /// The client for `url`: the plain one when the guard trusts it, else the guarded one,
    /// once an IP-literal host has been checked.
    fn client_for(&self, url: &Url) -> Result<&reqwest::Client, FetchError> {
        if self.guard.trusts(url) {
            return Ok(&self.client);
        }
        crate::netguard::Guard::check_literal(url)
            .map_err(|p| FetchError::Refused { url: url.to_string(), reason: p.to_string() })?;
        Ok(&self.guarded)
    }

    /// Requests in flight at once, over all hosts.
    pub(crate) fn concurrency(&self) -> usize {
        self.settings.concurrency
    }

    /// Waits for a free slot for `url`'s host, then for a free slot overall. The host slot is
    /// taken first so that a queue for one busy host never holds global slots. A `reserved`
    /// slot for the same host (see [`Fetcher::try_reserve`]) is used instead of waiting.
    async fn slot(&self, url: &Url, reserved: Option<HostSlot>) -> Slot {
        let key = host_key(url);
        let host = match reserved {
            Some(r) if r.key == key => r.permit,
            _ => {
                let host = self.host_semaphore(&key);
                host.acquire_owned().await.expect("semaphores are never closed")
            }
        };
        let all = self.all.clone().acquire_owned().await.expect("semaphores are never closed");
        Slot { _host: host, _all: all }
    }

    /// A slot for the host `key` ([`host_key`]) if one is free now, held until it is handed to
    /// [`Fetcher::fetch_reserved`] or dropped: the poll's dispatcher starts a feed only when its
    /// host can take it, so feeds waiting for a busy host do not hold the pipeline's room.
    pub(crate) fn try_reserve(&self, key: &str) -> Option<HostSlot> {
        let permit = self.host_semaphore(key).try_acquire_owned().ok()?;
        Some(HostSlot { key: key.to_string(), permit })
    }

    fn host_semaphore(&self, key: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().expect("host map lock");
        if let Some(semaphore) = hosts.get(key) {
            return semaphore.clone();
        }
        let semaphore = Arc::new(Semaphore::new(self.settings.per_host.max(1)));
        hosts.insert(key.to_string(), semaphore.clone());
        semaphore
    }

    /// One conditional GET, following redirects; each hop waits for its own host slot.
    pub(crate) async fn fetch(&self, req: &FetchRequest) -> Result<Fetched, FetchError> {
        self.fetch_reserved(req, None).await
    }

    /// [`Fetcher::fetch`], its first hop taking `reserved` as its host slot when it is for the
    /// same host.
    pub(crate) async fn fetch_reserved(
        &self,
        req: &FetchRequest,
        mut reserved: Option<HostSlot>,
    ) -> Result<Fetched, FetchError> {
        let mut url = req.url.clone();
        let mut permanent_so_far = true;
        let mut moved: Option<Url> = None;
        for _ in 0..=MAX_REDIRECTS {
            let client = self.client_for(&url)?;
            let slot = self.slot(&url, reserved.take()).await;
            let mut builder = client.get(url.clone());
            // Validators belong to the URL they came from; redirects keep them only while the
            // feed merely moved (the new place serves the same document). After a 302/303/307
            // the target may be another document, which must not answer 304 for ours.
            if permanent_so_far {
                if let Some(etag) = &req.etag {
                    builder = builder.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &req.last_modified {
                    builder = builder.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            let resp = builder.send().await.map_err(|e| self.classify(e, &url))?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let location =
                    resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(
                        || FetchError::BadRedirect(format!("HTTP {status} from {url}")),
                    )?;
                let next = url
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(format!("{location:?}: {e}")))?;
                if crate::links::HttpUrl::try_from(next.clone()).is_err() {
                    return Err(FetchError::BadRedirect(format!("{next} is not http(s)")));
                }
                drop(slot);
                if permanent_so_far && matches!(status, 301 | 308) {
                    moved = Some(next.clone());
                } else {
                    permanent_so_far = false;
                }
                url = next;
                continue;
            }
            let h = resp.headers();
            let get = |name: header::HeaderName| {
                h.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string())
            };
            let mut fetched = Fetched {
                status,
                final_url: url.clone(),
                moved_permanently_to: moved.clone(),
                etag: get(header::ETAG),
                last_modified: get(header::LAST_MODIFIED),
                content_type: get(header::CONTENT_TYPE),
                cache_control: get(header::CACHE_CONTROL),
                expires: get(header::EXPIRES),
                date: get(header::DATE),
                retry_after: get(header::RETRY_AFTER),
                body: Vec::new(),
            };
            if (200..300).contains(&status) {
                fetched.body = self.read_capped(resp, &url).await?;
            }
            drop(slot);
            return Ok(fetched);
        }
        Err(FetchError::TooManyRedirects(MAX_REDIRECTS))
    }

    /// Reads the body chunk by chunk, stopping as soon as it passes the cap. Chunks are already
    /// decompressed, so the cap holds for the decompressed size as well.
    async fn read_capped(
        &self,
        mut resp: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.settings.max_body;
        let encoded = resp.headers().contains_key(header::CONTENT_ENCODING);
        if let Some(len) = resp.content_length()
            && len > limit
            && !encoded
        {
            return Err(FetchError::TooLarge { limit });
        }
        // A decoded (gzipped) answer has no length: start where most feeds end rather than
        // grow from nothing, copying the body at each doubling (perf: 0.7 % of a cold fetch).
        const UNKNOWN_LENGTH_GUESS: u64 = 64 * 1024;
        let expected = resp.content_length().unwrap_or(UNKNOWN_LENGTH_GUESS);
        let mut body = Vec::with_capacity(usize::try_from(expected.min(limit)).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e, url))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn classify(&self, e: reqwest::Error, url: &Url) -> FetchError {
        if let Some(reason) = private_address_in(&e) {
            FetchError::Refused { url: url.to_string(), reason: reason.to_string() }
        } else if e.is_timeout() {
            FetchError::Timeout(self.settings.timeout)
        } else if e.is_connect() {
            FetchError::Connect(root_cause(&e))
        } else if e.is_body() || e.is_decode() {
            FetchError::Body(root_cause(&e))
        } else {
            FetchError::Request(root_cause(&e))
        }
    }
}

/// The guard's refusal, when it is what stopped the request (somewhere in the causes' chain).
fn private_address_in(
    e: &(dyn std::error::Error + 'static),
) -> Option<crate::netguard::PrivateAddress> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(p) = c.downcast_ref::<crate::netguard::PrivateAddress>() {
            return Some(p.clone());
        }
        cause = c.source();
    }
    None
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    crate::error_chain::one_line(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(ct: Option<&str>) -> Fetched {
        Fetched {
            status: 200,
            final_url: Url::parse("http://127.0.0.1/").unwrap(),
            moved_permanently_to: None,
            etag: None,
            last_modified: None,
            content_type: ct.map(Into::into),
            cache_control: None,
            expires: None,
            date: None,
            retry_after: None,
            body: vec![],
        }
    }

    #[test]
    fn charset_is_read_from_the_content_type() {
        assert_eq!(
            fetched(Some("text/xml; charset=\"ISO-8859-1\"")).charset().as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(fetched(Some("application/rss+xml")).charset(), None);
        assert_eq!(fetched(None).charset(), None);
    }
}
