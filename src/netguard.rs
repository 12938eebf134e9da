//! The guard that keeps links from feeds out of the inside of the network (issue 10, item 2).
//!
//! Owns the decision whether an address is private ([`is_private`], pure), which URLs are
//! trusted as the editor wrote them ([`Guard`]: the feeds listed in feeds.toml, and anything on
//! the same scheme, host and port), and the DNS resolver that drops private addresses on the way
//! to the connection ([`GuardedResolver`]), so a name that resolves (or re-resolves, DNS
//! rebinding) to a private address is never connected to. Hosts written as IP literals do not
//! go through a resolver: [`Guard::check_literal`] checks them before the request. The `url`
//! crate has already normalised every spelling (`2130706433`, `0177.0.0.1`, `[::ffff:7f00:1]`)
//! into an [`IpAddr`]. The guarded client uses no proxy from the environment (`HTTP_PROXY`
//! and the like): through one, the guard would see only the proxy's address.
//!
//! Does not own the HTTP clients (`fetch` does) nor the setting's parsing (`config`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use url::{Host, Url};

/// `[settings] private_networks`: whether links from feeds may reach private addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PrivateNetworks {
    /// Links from feeds that reach a private address are refused (the default).
    #[default]
    Refuse,
    /// No guard: for intranets (and test suites serving on 127.0.0.1).
    Allow,
}

/// Whether `ip` is an address a link from a feed must not reach: loopback, private (RFC 1918),
/// shared (RFC 6598), link-local, unique-local, multicast, unspecified, broadcast, "this
/// network" (0.0.0.0/8), and any of these embedded in IPv6 (IPv4-mapped, IPv4-compatible,
/// NAT64 64:ff9b::/96).
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT: inside someone's network.
        || (a == 100 && (b & 0xc0) == 64)
        // 240.0.0.0/4, reserved.
        || a >= 240
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let seg = ip.segments();
    // ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks); :: and ::1
    // are caught here too.
    if seg[..6].iter().all(|&s| s == 0) {
        return true;
    }
    // 64:ff9b::/96, NAT64: the IPv4 address it stands for decides.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        let v4 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
        return is_private_v4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local (deprecated).
        || (seg[0] & 0xfe00) == 0xfc00
        || (seg[0] & 0xffc0) == 0xfe80
        || (seg[0] & 0xffc0) == 0xfec0
}

/// A URL refused because it reaches a private address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{how} a private address {ip}")]
pub(crate) struct PrivateAddress {
    /// "is" for an IP literal, "resolves to" for a name.
    pub how: &'static str,
    /// The address that was refused.
    pub ip: IpAddr,
}

/// Where a URL is: scheme, host and port (the default port made explicit).
type Origin = (String, String, u16);

fn origin(url: &Url) -> Option<Origin> {
    Some((url.scheme().to_string(), url.host_str()?.to_string(), url.port_or_known_default()?))
}

/// Which requests go unguarded: all of them with `private_networks = "allow"`, else those to
/// the origin (scheme, host, port) of a URL the editor gave (a listed feed, a page named on the
/// command line).
#[derive(Debug, Default)]
pub(crate) struct Guard {
    policy: PrivateNetworks,
    trusted: Mutex<HashSet<Origin>>,
}

impl Guard {
    /// A guard with `policy` that trusts the origins of `trusted`.
    pub(crate) fn new<'a>(
        policy: PrivateNetworks,
        trusted: impl IntoIterator<Item = &'a Url>,
    ) -> Guard {
        Guard { policy, trusted: Mutex::new(trusted.into_iter().filter_map(origin).collect()) }
    }

    /// Trusts `url`'s origin from now on (the editor named it).
    pub(crate) fn trust(&self, url: &Url) {
        if let Some(o) = origin(url) {
            self.trusted.lock().expect("trusted origins lock").insert(o);
        }
    }

    /// Whether a request to `url` goes without the guard.
    pub(crate) fn trusts(&self, url: &Url) -> bool {
        self.policy == PrivateNetworks::Allow
            || origin(url)
                .is_some_and(|o| self.trusted.lock().expect("trusted origins lock").contains(&o))
    }

    /// Refuses a URL whose host is an IP literal in a private range (those never reach the
    /// resolver). Names pass here; [`GuardedResolver`] checks what they resolve to.
    pub(crate) fn check_literal(url: &Url) -> Result<(), PrivateAddress> {
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        if is_private(ip) { Err(PrivateAddress { how: "is", ip }) } else { Ok(()) }
    }
}

/// A DNS resolver (the system's, through tokio) that drops private addresses; when none is
/// left, resolution fails with [`PrivateAddress`], so the connection is never made.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) =
                all.into_iter().partition(|a| !is_private(a.ip()));
            if public.is_empty()
                && let Some(first) = private.first()
            {
                return Err(Box::new(PrivateAddress { how: "resolves to", ip: first.ip() }) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The resolver as reqwest takes it.
pub(crate) fn guarded_resolver() -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(s: &str) -> bool {
        is_private(s.parse().unwrap())
    }

    #[test]
    fn inside_addresses_are_private_and_outside_ones_are_not() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(private(ip), "{ip} should be private");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!private(ip), "{ip} should be public");
        }
    }

    #[test]
    fn every_spelling_of_loopback_is_caught_once_the_url_crate_has_read_it() {
        for u in [
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://0/",
        ] {
            let url = Url::parse(u).unwrap();
            assert!(Guard::check_literal(&url).is_err(), "{u} should be refused");
        }
        assert!(Guard::check_literal(&Url::parse("http://8.8.8.8/").unwrap()).is_ok());
        assert!(
            Guard::check_literal(&Url::parse("http://localhost/").unwrap()).is_ok(),
            "names go to the resolver"
        );
    }

    #[test]
    fn the_listed_feeds_origin_is_trusted_and_others_are_not() {
        let feed = Url::parse("http://127.0.0.1:8080/feed.xml").unwrap();
        let guard = Guard::new(PrivateNetworks::Refuse, [&feed]);
        assert!(guard.trusts(&Url::parse("http://127.0.0.1:8080/post/1").unwrap()));
        assert!(!guard.trusts(&Url::parse("http://127.0.0.1:8081/post/1").unwrap()));
        assert!(!guard.trusts(&Url::parse("https://127.0.0.1:8080/").unwrap()));
        // Another spelling of the same origin is the same origin.
        assert!(guard.trusts(&Url::parse("http://2130706433:8080/x").unwrap()));
        let open = Guard::new(PrivateNetworks::Allow, []);
        assert!(open.trusts(&Url::parse("http://10.0.0.1/").unwrap()));
    }

    #[test]
    fn the_resolver_refuses_a_name_that_resolves_only_inside() {
        use reqwest::dns::Resolve;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = match rt.block_on(GuardedResolver.resolve(name)) {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let refused = err.downcast_ref::<PrivateAddress>().expect("the guard's refusal");
        assert_eq!(refused.how, "resolves to");
        assert!(refused.ip.is_loopback(), "{refused}");
    }
}
