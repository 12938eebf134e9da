//! Canonical URL cleanup: the same page without the tracking parameters that campaign links,
//! newsletters and social sites add.

use url::Url;

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
pub fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING.contains(&name.as_str()) || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// `url` without tracking parameters (the others keep their order and encoding) and without
/// an empty `?`. The fragment is kept only when it is not a tracking one (`#xtor=...`).
pub fn clean_url(url: &Url) -> Url {
    let mut out = url.clone();
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                let name = percent_decode(name);
                !is_tracking_param(&name)
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else {
            out.set_query(Some(&kept.join("&")));
        }
    }
    if let Some(frag) = url.fragment()
        && (frag.is_empty() || frag.starts_with("xtor=") || frag.starts_with("utm_"))
    {
        out.set_fragment(None);
    }
    out
}

/// A query parameter name, percent-decoded (lossy); names are ASCII in practice.
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        clean_url(&Url::parse(s).unwrap()).to_string()
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
}
