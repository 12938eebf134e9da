//! Links to web pages: the one home of "an absolute http(s) URL" ([`HttpUrl`]), of the tracking
//! parameters stripped from every link roundup stores ([`HttpUrl::without_tracking`]), and of the
//! normal form two links are compared in to tell whether they name the same post
//! ([`HttpUrl::post_key`], used for "already featured" and "picked twice").
//!
//! Owns: parsing, resolving and normalising URLs. Does not own: fetching them (`fetch`), nor
//! how a link is written into a draft (`render::links`).

use std::fmt;

use url::Url;

/// An absolute `http` or `https` URL (the `url` crate gives these a non-empty host): the only
/// kind of URL roundup fetches, stores as a link, or writes into an href.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(Url);

/// Why a text is not an [`HttpUrl`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotHttpUrl {
    /// Not a URL at all (or a relative one).
    #[error("{0:?} is not a URL: {1}")]
    Unparsable(String, url::ParseError),
    /// A URL of another scheme (`javascript:`, `mailto:`, `file:` ...).
    #[error("{0:?} is not an http(s) URL")]
    OtherScheme(String),
    /// An http(s) URL without a host.
    #[error("{0:?} has no host")]
    NoHost(String),
}

impl HttpUrl {
    /// `s` (surrounding whitespace ignored) as an absolute http(s) URL.
    pub fn parse(s: &str) -> Result<Self, NotHttpUrl> {
        let url = Url::parse(s.trim()).map_err(|e| NotHttpUrl::Unparsable(s.to_string(), e))?;
        Self::try_from(url).map_err(|e| match e {
            NotHttpUrl::OtherScheme(_) => NotHttpUrl::OtherScheme(s.to_string()),
            NotHttpUrl::NoHost(_) => NotHttpUrl::NoHost(s.to_string()),
            other => other,
        })
    }

    /// `href` as an absolute http(s) URL, resolved against `base` when it is relative.
    pub fn resolve(href: &str, base: Option<&Url>) -> Option<Self> {
        let url = match Url::parse(href.trim()) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href.trim()).ok()?,
            Err(_) => return None,
        };
        Self::try_from(url).ok()
    }

    /// The URL itself.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The URL itself, owned.
    pub fn into_url(self) -> Url {
        self.0
    }

    /// The URL as text (normalised by the `url` crate).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The same page without the parameters that only track the reader (campaign links,
    /// newsletters, social sites): the other parameters keep their order and encoding, an
    /// empty `?` goes, and a fragment goes only when it is a tracking one (`#xtor=...`).
    pub fn without_tracking(&self) -> HttpUrl {
        let mut out = self.0.clone();
        if let Some(query) = self.0.query() {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .filter(|pair| !is_tracking_param(&param_name(pair)))
                .collect();
            out.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
        }
        if let Some(frag) = self.0.fragment()
            && (frag.is_empty() || frag.starts_with("xtor=") || frag.starts_with("utm_"))
        {
            out.set_fragment(None);
        }
        HttpUrl(out)
    }

    /// The normal form two links are compared in: links with the same key name the same post.
    /// Tracking parameters, the fragment, the scheme (http or https), a leading `www.` and a
    /// trailing slash make no difference; host case neither (the `url` crate lowers it).
    pub fn post_key(&self) -> String {
        let clean = self.without_tracking().0;
        let host = clean.host_str().unwrap_or("");
        let host = host.strip_prefix("www.").unwrap_or(host);
        let port = clean.port().map(|p| format!(":{p}")).unwrap_or_default();
        let path = clean.path().trim_end_matches('/');
        let query = clean.query().map(|q| format!("?{q}")).unwrap_or_default();
        format!("{host}{port}{path}{query}")
    }
}

impl TryFrom<Url> for HttpUrl {
    type Error = NotHttpUrl;

    fn try_from(url: Url) -> Result<Self, NotHttpUrl> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NotHttpUrl::OtherScheme(url.to_string()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(NotHttpUrl::NoHost(url.to_string()));
        }
        Ok(HttpUrl(url))
    }
}

impl From<HttpUrl> for Url {
    fn from(u: HttpUrl) -> Url {
        u.0
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// `link` without tracking parameters when it is an http(s) URL; any other text unchanged.
/// This is how every link is cleaned before it is stored.
pub(crate) fn without_tracking(link: &str) -> String {
    match HttpUrl::parse(link) {
        Ok(u) => u.without_tracking().to_string(),
        Err(_) => link.to_string(),
    }
}

/// The [`HttpUrl::post_key`] of `link`; text that is no http(s) URL is its own key (trimmed,
/// without a trailing slash).
pub(crate) fn post_key(link: &str) -> String {
    match HttpUrl::parse(link) {
        Ok(u) => u.post_key(),
        Err(_) => link.trim().trim_end_matches('/').to_string(),
    }
}

/// Query parameters that only track the reader (exact names, compared lowercase).
const TRACKING: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "igshid",
    "ocid",
    "ncid",
    "cmpid",
    "s_cid",
    "_hsenc",
    "_hsmi",
    "__s",
    "vero_id",
    "oly_enc_id",
    "oly_anon_id",
    "wt.mc_id",
    "rb_clickid",
    "mkt_tok",
    "ref_src",
    "spm",
];

/// Prefixes of tracking parameter families (`utm_source`, `utm_medium`, `pk_campaign`, ...).
const TRACKING_PREFIXES: &[&str] = &["utm_", "pk_", "mtm_", "hsa_", "__hs", "at_"];

/// Whether a query parameter name only tracks the reader.
pub(crate) fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING.contains(&name.as_str()) || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The name of a `name=value` query pair, percent-decoded (lossy); names are ASCII in practice.
fn param_name(pair: &str) -> String {
    let name = pair.split('=').next().unwrap_or("");
    url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        HttpUrl::parse(s).unwrap().without_tracking().to_string()
    }

    #[test]
    fn only_absolute_http_and_https_urls_are_http_urls() {
        assert_eq!(
            HttpUrl::parse(" https://lgiu.example/a?b=1 ").unwrap().as_str(),
            "https://lgiu.example/a?b=1"
        );
        assert_eq!(HttpUrl::parse("HTTP://LGIU.example").unwrap().as_str(), "http://lgiu.example/");
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "/relative/path",
            "//lgiu.example/x",
            "mailto:a@b.example",
            "http://",
            "",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong_with_the_text() {
        assert_eq!(
            HttpUrl::parse("ftp://x.example/").unwrap_err().to_string(),
            "\"ftp://x.example/\" is not an http(s) URL"
        );
        assert!(
            HttpUrl::parse("nope").unwrap_err().to_string().starts_with("\"nope\" is not a URL")
        );
    }

    #[test]
    fn relative_links_resolve_against_the_base_and_other_schemes_are_refused() {
        let base = Url::parse("https://x.example/blog/post").unwrap();
        assert_eq!(HttpUrl::resolve("../a", Some(&base)).unwrap().as_str(), "https://x.example/a");
        assert_eq!(HttpUrl::resolve("../a", None), None);
        assert_eq!(HttpUrl::resolve("javascript:alert(1)", Some(&base)), None);
    }

    #[test]
    fn utm_parameters_are_stripped_and_an_empty_query_goes() {
        assert_eq!(
            clean("https://x.example/a?utm_source=n&utm_medium=email&UTM_Campaign=w"),
            "https://x.example/a"
        );
    }

    #[test]
    fn click_ids_and_mailchimp_ids_are_stripped() {
        assert_eq!(
            clean("https://x.example/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&msclkid=5"),
            "https://x.example/a"
        );
    }

    #[test]
    fn other_parameters_keep_their_order_and_encoding() {
        assert_eq!(
            clean("https://x.example/a?id=7&utm_source=x&q=a%20b&page=2"),
            "https://x.example/a?id=7&q=a%20b&page=2"
        );
    }

    #[test]
    fn a_plain_url_is_unchanged_including_its_fragment() {
        assert_eq!(
            clean("https://x.example/a/b?p=1#section-2"),
            "https://x.example/a/b?p=1#section-2"
        );
        assert_eq!(clean("https://x.example/"), "https://x.example/");
    }

    #[test]
    fn a_tracking_fragment_is_dropped() {
        assert_eq!(clean("https://x.example/a#xtor=RSS-1"), "https://x.example/a");
    }

    #[test]
    fn parameter_names_that_merely_contain_a_tracking_word_are_kept() {
        assert_eq!(
            clean("https://x.example/a?autm_x=1&ref=home"),
            "https://x.example/a?autm_x=1&ref=home"
        );
    }

    #[test]
    fn links_differing_by_scheme_www_slash_fragment_or_tracking_name_the_same_post() {
        let key = post_key("https://lgiu.example/post");
        for same in [
            "https://LGIU.example/post/#comments",
            "http://www.lgiu.example/post/",
            "https://lgiu.example/post?utm_source=rss",
        ] {
            assert_eq!(post_key(same), key, "{same}");
        }
        for other in [
            "https://lgiu.example/b",
            "https://lgiu.example/post?id=2",
            "https://lgiu.example:8080/post",
            "https://news.lgiu.example/post",
        ] {
            assert_ne!(post_key(other), key, "{other}");
        }
    }

    #[test]
    fn text_that_is_no_link_is_stored_and_compared_as_it_is() {
        assert_eq!(without_tracking("not a link?utm_source=x"), "not a link?utm_source=x");
        assert_eq!(post_key(" tag:x.example,2024:1/ "), "tag:x.example,2024:1");
    }
}
