//! WordPress.com: the same `wp/v2` REST API, under its public API host with the site in the
//! path (`https://public-api.wordpress.com/wp/v2/sites/{site}/posts`), authenticated with an
//! OAuth2 bearer token (`Authorization: Bearer …`) made for the roundup's WordPress.com
//! application. An unknown site answers 404 (`unknown_blog`); a token that is wrong or expired
//! answers 401 or 403 (`invalid_token`, `unauthorized`), which `wordpress::Client` puts in
//! words. The API's address is `[blog] api` (for the fixture server of the tests).

use url::Url;

/// The URL of `route` (e.g. `posts/7`) on `site` through the public API at `api`.
pub(crate) fn route(api: &Url, site: &str, route: &str) -> Url {
    let mut url = api.clone();
    {
        let mut segments = url.path_segments_mut().expect("an http(s) URL has a path");
        segments.pop_if_empty().extend(["wp", "v2", "sites", site]);
        segments.extend(route.split('/'));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_goes_in_the_path_under_the_api() {
        let api = Url::parse("https://public-api.wordpress.com/").unwrap();
        assert_eq!(
            route(&api, "example.wordpress.com", "posts/12").as_str(),
            "https://public-api.wordpress.com/wp/v2/sites/example.wordpress.com/posts/12"
        );
        let fixture = Url::parse("http://127.0.0.1:4000/api/").unwrap();
        assert_eq!(
            route(&fixture, "123456", "tags").as_str(),
            "http://127.0.0.1:4000/api/wp/v2/sites/123456/tags"
        );
    }
}
