//! Which client a request comes from: the connection's peer, unless that peer is a trusted
//! reverse proxy (`[server] trusted_proxies`), whose forwarding header then names the client
//! (`docs/configuration.md`, "Behind a reverse proxy"). Pure: the listener hands each request's
//! peer and headers in, and puts the answer into the request as a [`ClientAddress`].
//!
//! Each proxy appends the address it was connected from to the header, so the header's entries
//! are, left to right, what the client claimed and then each hop as seen by the next. Walking
//! from the right, entries written by trusted proxies can be believed; the first entry that is
//! not a trusted proxy's address is the client; anything left of it was written by that client
//! and may be forged.

use std::net::{IpAddr, SocketAddr};

use callbridge_config::{ForwardedHeader, TrustedProxies};
use http::HeaderMap;

/// The client's address, as the listener resolved it for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client of a request that came over a connection from `peer` with `headers`.
pub fn client_of(peer: IpAddr, proxies: &TrustedProxies, headers: &HeaderMap) -> IpAddr {
    let peer = peer.to_canonical();
    if !proxies.trusts(peer) {
        return peer;
    }
    let hops = match proxies.header {
        ForwardedHeader::XForwardedFor => forwarded_for_hops(headers),
        ForwardedHeader::Forwarded => forwarded_hops(headers),
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = ip.to_canonical();
                if !proxies.trusts(client) {
                    return client;
                }
            }
            // Not an address (`unknown`, an obfuscated name, garbage): who sent it is not
            // known, so the last hop that is known stands for the client.
            None => return client,
        }
    }
    client
}

/// The entries of every `X-Forwarded-For` line, in order; `None` for one that is not an
/// address.
fn forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|line| {
            let text = line.to_str().unwrap_or("");
            // A line that is not text is one unreadable hop.
            let entries: Vec<&str> = if line.to_str().is_ok() {
                text.split(',').collect()
            } else {
                vec![""]
            };
            entries.into_iter().map(|entry| address(entry.trim()))
        })
        .collect()
}

/// The `for=` node of every element of every `Forwarded` line (RFC 7239), in order; `None`
/// for an element without one or whose node is not an address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(http::header::FORWARDED)
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => split_outside_quotes(text, ',')
                .into_iter()
                .map(|element| {
                    split_outside_quotes(element, ';')
                        .into_iter()
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, node)| address(node.trim().trim_matches('"')))
                })
                .collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// An address with or without a port: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn address(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
}

/// `text` split at `separator`s that are not inside a quoted string.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_config::IpNetwork;

    fn proxies(networks: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies {
            networks: networks
                .iter()
                .map(|n| IpNetwork::parse(n).unwrap())
                .collect(),
            header,
        }
    }

    fn headers(lines: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const PROXY: &str = "10.0.0.5";

    #[test]
    fn without_trusted_proxies_the_headers_change_nothing() {
        let none = TrustedProxies::default();
        let forged = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.8"),
        ]);
        assert_eq!(client_of(ip(PROXY), &none, &forged), ip(PROXY));
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address() {
        let trusted = proxies(&[PROXY], ForwardedHeader::XForwardedFor);
        let forged = headers(&[("x-forwarded-for", "198.51.100.7, 10.0.0.5")]);
        let attacker = ip("203.0.113.66");
        assert_eq!(client_of(attacker, &trusted, &forged), attacker);
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop() {
        let trusted = proxies(&[PROXY, "10.1.0.0/16"], ForwardedHeader::XForwardedFor);
        let one = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &one), ip("198.51.100.7"));
        // The client wrote "1.2.3.4" itself; the proxy appended where it really came from.
        let forged = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &forged), ip("198.51.100.7"));
        // Two trusted proxies in a row: the hop before them is the client.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &chain), ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7, 10.1.2.3"),
        ]);
        assert_eq!(client_of(ip(PROXY), &trusted, &split), ip("198.51.100.7"));
    }

    #[test]
    fn a_missing_or_unreadable_hop_leaves_the_last_trusted_one() {
        let trusted = proxies(&[PROXY, "10.1.0.0/16"], ForwardedHeader::XForwardedFor);
        assert_eq!(client_of(ip(PROXY), &trusted, &HeaderMap::new()), ip(PROXY));
        let garbage = headers(&[("x-forwarded-for", "198.51.100.7, not-an-ip, 10.1.2.3")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &garbage), ip("10.1.2.3"));
        let empty = headers(&[("x-forwarded-for", "")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &empty), ip(PROXY));
        // Every hop trusted: the leftmost is the client.
        let internal = headers(&[("x-forwarded-for", "10.1.9.9, 10.1.2.3")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &internal), ip("10.1.9.9"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let xff = proxies(&[PROXY], ForwardedHeader::XForwardedFor);
        let std = proxies(&[PROXY], ForwardedHeader::Forwarded);
        // A proxy that appends to X-Forwarded-For passes the client's own Forwarded through.
        let both = headers(&[
            ("forwarded", "for=1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(client_of(ip(PROXY), &xff, &both), ip("198.51.100.7"));
        assert_eq!(client_of(ip(PROXY), &std, &both), ip("1.2.3.4"));
    }

    #[test]
    fn forwarded_nodes_with_ports_ipv6_quotes_and_obfuscation() {
        let trusted = proxies(&[PROXY, "2001:db8:ffff::/48"], ForwardedHeader::Forwarded);
        let v6 = headers(&[(
            "forwarded",
            r#"for=1.2.3.4;proto=https, For="[2001:db8:cafe::17]:4711";by=10.0.0.5"#,
        )]);
        assert_eq!(client_of(ip(PROXY), &trusted, &v6), ip("2001:db8:cafe::17"));
        let v4_port = headers(&[("forwarded", r#"for="198.51.100.7:8080""#)]);
        assert_eq!(client_of(ip(PROXY), &trusted, &v4_port), ip("198.51.100.7"));
        let hidden = headers(&[("forwarded", "for=198.51.100.7, for=_hidden")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &hidden), ip(PROXY));
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &unknown), ip(PROXY));
        let no_for = headers(&[("forwarded", "proto=https;by=10.0.0.5")]);
        assert_eq!(client_of(ip(PROXY), &trusted, &no_for), ip(PROXY));
        // A quoted comma does not split an element.
        let quoted = headers(&[("forwarded", r#"for=1.2.3.4;host="a,b", for=198.51.100.9"#)]);
        assert_eq!(client_of(ip(PROXY), &trusted, &quoted), ip("198.51.100.9"));
    }

    #[test]
    fn an_ipv4_proxy_seen_on_an_ipv6_listener_is_trusted_and_answers_are_plain_ipv4() {
        let trusted = proxies(&[PROXY], ForwardedHeader::XForwardedFor);
        let forwarded = headers(&[("x-forwarded-for", "::ffff:198.51.100.7")]);
        assert_eq!(
            client_of(ip("::ffff:10.0.0.5"), &trusted, &forwarded),
            ip("198.51.100.7")
        );
    }
}
