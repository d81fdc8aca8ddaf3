//! Kogi's own HTTP client for federation: TLS, timeouts, a response size limit, at most one
//! checked redirect, and a resolver that refuses private, loopback and link-local addresses
//! unless `federation.allow_private_addresses` is on (tests, closed networks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("network: {0}")]
    Network(String),
    #[error("response too large (over {0} bytes)")]
    TooLarge(usize),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("bad response: {0}")]
    BadResponse(String),
}

impl FetchError {
    /// Failures that say nothing about the peer's data, only that it could not be reached now.
    pub fn is_network(&self) -> bool {
        matches!(self, FetchError::Network(_))
            || matches!(self, FetchError::Status(s) if *s >= 500 || *s == 429 || *s == 408)
    }
}

/// IPv4 ranges that are not globally reachable (IANA's IPv4 special-purpose registry, plus
/// multicast), refused whole.
const V4_REFUSED: &[(Ipv4Addr, u32)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", and 0.0.0.0 unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments (all of it)
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation TEST-NET-1
    (Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, and 255.255.255.255 broadcast
];

/// IPv6 ranges that are not globally reachable (IANA's IPv6 special-purpose registry, plus
/// multicast and the deprecated site-local range), refused whole. Of the ranges that embed an
/// IPv4 address, IPv4-compatible `::/96`, 6to4 `2002::/16` and Teredo `2001::/32` (inside
/// `2001::/23`) are refused whole: they are deprecated and no peer needs them, and classifying
/// their embedded address would trust relays we know nothing about. IPv4-mapped
/// `::ffff:0:0/96` and NAT64 `64:ff9b::/96` are classified by the IPv4 address they carry
/// instead (see [`is_private`]): the first is how a dual-stack socket names an IPv4 peer, and
/// the second is how a server on an IPv6-only network behind DNS64 reaches IPv4-only peers.
const V6_REFUSED: &[(Ipv6Addr, u32)] = &[
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96), // IPv4-compatible, with :: and ::1
    (Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96), // IPv4-translated (SIIT)
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48), // local-use NAT64
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64), // discard-only
    (Ipv6Addr::new(0x100, 0, 0, 1, 0, 0, 0, 0), 64), // dummy prefix
    // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHIDv2
    // 2001:20::/28 and the rest (AMT, AS112, DRIP, PCP anycast): none is a peer's server.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),     // 6to4
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16),     // segment routing (SRv6) SIDs
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),      // unique local
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),     // link-local
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),     // site-local (deprecated)
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),      // multicast
];

/// NAT64's well-known prefix: the last 32 bits are an IPv4 address.
const NAT64: (Ipv6Addr, u32) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

fn in_v4(ip: Ipv4Addr, (net, len): (Ipv4Addr, u32)) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, (net, len): (Ipv6Addr, u32)) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// Addresses a server on the public internet never needs to reach: everything IANA's
/// special-purpose registries mark not globally reachable, multicast and broadcast, and IPv6
/// addresses embedding an IPv4 address that would be refused.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => V4_REFUSED.iter().any(|r| in_v4(v, *r)),
        IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            if in_v6(v, NAT64) {
                let embedded = Ipv4Addr::from((u128::from(v) & 0xffff_ffff) as u32);
                return is_private(IpAddr::V4(embedded));
            }
            V6_REFUSED.iter().any(|r| in_v6(v, *r))
        }
    }
}

/// DNS resolution that drops private addresses (when not allowed) before any connection.
#[derive(Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl GuardedResolver {
    pub async fn resolve_host(&self, host: &str) -> Result<Vec<SocketAddr>, FetchError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| FetchError::Network(format!("cannot resolve {host}: {e}")))?
            .collect();
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| self.allow_private || !is_private(a.ip()))
            .collect();
        if allowed.is_empty() {
            return Err(FetchError::Refused(format!(
                "{host} resolves only to private addresses"
            )));
        }
        Ok(allowed)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addrs = this
                .resolve_host(name.as_str())
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
            let iter: Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// Checks a URL before any request: http(s) only, and no private IP literal (those bypass
/// the resolver) unless allowed.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Refused(format!(
            "scheme {} is not allowed",
            url.scheme()
        )));
    }
    match url.host() {
        None => Err(FetchError::Refused("URL without a host".into())),
        Some(url::Host::Ipv4(ip)) if !allow_private && is_private(IpAddr::V4(ip)) => {
            Err(FetchError::Refused(format!("{ip} is a private address")))
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && is_private(IpAddr::V6(ip)) => {
            Err(FetchError::Refused(format!("{ip} is a private address")))
        }
        Some(url::Host::Domain(d)) if !allow_private && is_loopback_name(d) => {
            Err(FetchError::Refused(format!("{d} is a loopback name")))
        }
        _ => Ok(()),
    }
}

/// `localhost` and its subdomains, with or without the root's trailing dot (the resolver would
/// refuse their addresses too; this refuses them before any lookup).
fn is_loopback_name(d: &str) -> bool {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost" || d.ends_with(".localhost")
}

#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub allow_private_addresses: bool,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub user_agent: String,
    /// Extra trusted root certificates (PEM), for closed networks with their own CA.
    pub extra_roots_pem: Option<Vec<u8>>,
}

/// The federation HTTP client.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    pub settings: Arc<ClientSettings>,
}

/// A response read under the size limit.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The final URL after a redirect, if any.
    pub url: url::Url,
}

impl HttpClient {
    pub fn new(settings: ClientSettings) -> Result<HttpClient, FetchError> {
        let allow = settings.allow_private_addresses;
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > 1 {
                return attempt.error("more than one redirect");
            }
            match check_url(attempt.url(), allow) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e.to_string()),
            }
        });
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &settings.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| FetchError::Refused(format!("federation.ca_file: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let inner = builder
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: allow,
            }))
            .redirect(redirect)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(settings.user_agent.clone())
            .build()
            .map_err(|e| FetchError::Network(format!("client: {e}")))?;
        Ok(HttpClient {
            inner,
            settings: Arc::new(settings),
        })
    }

    pub fn allow_private(&self) -> bool {
        self.settings.allow_private_addresses
    }

    /// Sends a request built by `build`, then reads the body up to the size limit.
    pub async fn send(
        &self,
        url: &url::Url,
        build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Fetched, FetchError> {
        check_url(url, self.allow_private())?;
        let resp = build(&self.inner).send().await.map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            if msg.contains("refused:") {
                FetchError::Refused(msg)
            } else {
                FetchError::Network(msg)
            }
        })?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let final_url = resp.url().clone();
        let max = self.settings.max_response_bytes;
        if resp
            .content_length()
            .map(|l| l as usize > max)
            .unwrap_or(false)
        {
            return Err(FetchError::TooLarge(max));
        }
        let mut body = Vec::new();
        let mut resp = resp;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > max {
                        return Err(FetchError::TooLarge(max));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(FetchError::Network(format!("reading body: {e}"))),
            }
        }
        Ok(Fetched {
            status,
            content_type,
            body,
            url: final_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refused range, by a few addresses inside it (first, inner, last where it
    /// matters), and public addresses that must pass.
    #[test]
    fn private_ranges() {
        let refused = [
            // IPv4
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network"),
            ("10.1.2.3", "private 10/8"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT, last"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback, last"),
            ("169.254.1.1", "link-local"),
            ("172.16.0.1", "private 172.16/12"),
            ("172.31.255.255", "private 172.16/12, last"),
            ("192.0.0.1", "IETF protocol assignments"),
            ("192.0.0.170", "NAT64 discovery (192.0.0/24)"),
            ("192.0.2.1", "TEST-NET-1"),
            ("192.88.99.1", "6to4 relay anycast"),
            ("192.168.1.1", "private 192.168/16"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking, last"),
            ("198.51.100.7", "TEST-NET-2"),
            ("203.0.113.9", "TEST-NET-3"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast, last"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            // IPv6
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::127.0.0.1", "IPv4-compatible loopback"),
            ("::8.8.8.8", "IPv4-compatible, refused whole"),
            ("::ffff:10.0.0.1", "IPv4-mapped private"),
            ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
            ("::ffff:0:127.0.0.1", "IPv4-translated"),
            ("64:ff9b::127.0.0.1", "NAT64 of loopback"),
            ("64:ff9b::10.0.0.1", "NAT64 of private"),
            (
                "64:ff9b::169.254.169.254",
                "NAT64 of link-local (cloud metadata)",
            ),
            ("64:ff9b:1::1.1.1.1", "local-use NAT64"),
            ("100::1", "discard-only"),
            ("100:0:0:1::1", "dummy prefix"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo client"),
            ("2001:2::1", "benchmarking"),
            ("2001:20::1", "ORCHIDv2"),
            ("2001:1ff:ffff::1", "IETF protocol assignments, last"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::1", "6to4 of loopback"),
            ("2002:808:808::1", "6to4, refused whole"),
            ("3fff::1", "documentation 3fff::/20"),
            ("5f00::1", "SRv6 SIDs"),
            ("fc00::1", "unique local"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local, last"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "global-scope multicast"),
        ];
        for (ip, what) in refused {
            assert!(
                is_private(ip.parse().unwrap()),
                "{ip} ({what}) must be refused"
            );
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "9.255.255.255",
            "11.0.0.0",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.31.196.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2001:200::1",
            "2a00:1450:4001::1",
            "::ffff:1.1.1.1",
            "64:ff9b::1.1.1.1",
            "2003::1",
            "3fff:1000::1",
        ];
        for ip in public {
            assert!(!is_private(ip.parse().unwrap()), "{ip} must be allowed");
        }
    }

    #[test]
    fn url_checks() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(check_url(&u("http://127.0.0.1/x"), false).is_err());
        assert!(check_url(&u("http://[::1]/x"), false).is_err());
        assert!(check_url(&u("http://10.0.0.8/x"), false).is_err());
        assert!(check_url(&u("http://localhost:8080/x"), false).is_err());
        assert!(check_url(&u("http://LocalHost./x"), false).is_err());
        assert!(check_url(&u("http://a.localhost./x"), false).is_err());
        assert!(check_url(&u("ftp://example.org/x"), true).is_err());
        assert!(check_url(&u("https://example.org/x"), false).is_ok());
        assert!(check_url(&u("https://1.1.1.1/x"), false).is_ok());
        assert!(check_url(&u("https://[2606:4700::1111]/x"), false).is_ok());
        assert!(check_url(&u("http://127.0.0.1/x"), true).is_ok());
        // IPv6 literals that embed IPv4 addresses.
        for url in [
            "http://[::ffff:127.0.0.1]/x",
            "http://[::ffff:7f00:1]/x",
            "http://[::127.0.0.1]/x",
            "http://[64:ff9b::7f00:1]/x",
            "http://[2002:7f00:1::]/x",
            "http://[ff02::1]/x",
        ] {
            assert!(check_url(&u(url), false).is_err(), "{url}");
        }
    }

    /// The url crate parses decimal, octal, hexadecimal and shortened IPv4 hosts (as browsers
    /// do) into the address itself, so `check_url` sees 127.0.0.1 whatever the spelling.
    #[test]
    fn other_spellings_of_ipv4_hosts_are_normalised_and_refused() {
        for url in [
            "http://2130706433/x",
            "http://0177.0.0.1/x",
            "http://0x7f.0.0.1/x",
            "http://0x7f000001/x",
            "http://127.1/x",
            "http://017700000001/x",
            "http://0/x",
            "http://3232235777/x",
        ] {
            let parsed = url::Url::parse(url).unwrap();
            assert!(
                matches!(parsed.host(), Some(url::Host::Ipv4(_))),
                "{url} is an IPv4 host: {:?}",
                parsed.host()
            );
            assert!(check_url(&parsed, false).is_err(), "{url}");
        }
        let parsed = url::Url::parse("http://2130706433/x").unwrap();
        assert_eq!(parsed.host_str(), Some("127.0.0.1"));
        let parsed = url::Url::parse("http://[::ffff:127.0.0.1]/x").unwrap();
        assert_eq!(parsed.host_str(), Some("[::ffff:7f00:1]"));
        // A public address in decimal passes: 16843009 is 1.1.1.1.
        let parsed = url::Url::parse("http://16843009/x").unwrap();
        assert_eq!(parsed.host_str(), Some("1.1.1.1"));
        assert!(check_url(&parsed, false).is_ok());
    }

    /// A one-shot HTTP server on loopback answering with `head` and then `chunks` of body,
    /// `delay` apart.
    async fn serve_once(head: String, chunks: Vec<Vec<u8>>, delay: std::time::Duration) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let head = head.clone();
                let chunks = chunks.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let _ = s.write_all(head.as_bytes()).await;
                    for c in chunks {
                        tokio::time::sleep(delay).await;
                        if s.write_all(&c).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        port
    }

    fn client(allow_private: bool) -> HttpClient {
        HttpClient::new(ClientSettings {
            allow_private_addresses: allow_private,
            timeout: Duration::from_millis(800),
            max_response_bytes: 64 * 1024,
            user_agent: "kogi-test".into(),
            extra_roots_pem: None,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn fetches_from_an_https_peer_with_a_test_certificate() {
        use std::sync::Arc as StdArc;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert_der = cert.cert.der().clone();
        let key_der = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
            cert.key_pair.serialize_der().into(),
        );
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(StdArc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(StdArc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 4096];
                        let _ = tls.read(&mut buf).await;
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsecured")
                            .await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        let c = HttpClient::new(ClientSettings {
            allow_private_addresses: true,
            timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
            user_agent: "kogi-test".into(),
            extra_roots_pem: Some(cert.cert.pem().into_bytes()),
        })
        .unwrap();
        let u = url::Url::parse(&format!("https://localhost:{port}/")).unwrap();
        let f = c.send(&u, |c| c.get(u.clone())).await.unwrap();
        assert_eq!((f.status, f.body.as_slice()), (200, b"secured".as_slice()));
        // Without the test CA the certificate is refused.
        let strict = client(true);
        assert!(strict.send(&u, |c| c.get(u.clone())).await.is_err());
    }

    #[tokio::test]
    async fn private_addresses_are_refused_before_any_connection() {
        // Nothing listens on these ports: a refusal (not a connection error) proves no
        // connection was attempted.
        let c = client(false);
        for url in [
            "http://127.0.0.1:9/x",
            "http://10.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://[::127.0.0.1]:9/x",
            "http://[::ffff:127.0.0.1]:9/x",
            "http://[64:ff9b::7f00:1]:9/x",
            "http://2130706433:9/x",
            "http://localhost:9/x",
        ] {
            let u = url::Url::parse(url).unwrap();
            let r = c.send(&u, |c| c.get(u.clone())).await;
            assert!(matches!(r, Err(FetchError::Refused(_))), "{url}: {r:?}");
        }
    }

    #[tokio::test]
    async fn oversized_and_trickling_bodies_are_cut_off() {
        let c = client(true);
        let big = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n".into(),
            vec![vec![b'a'; 200_000]],
            Duration::ZERO,
        )
        .await;
        let u = url::Url::parse(&format!("http://127.0.0.1:{big}/")).unwrap();
        assert!(matches!(
            c.send(&u, |c| c.get(u.clone())).await,
            Err(FetchError::TooLarge(_))
        ));
        // No Content-Length: the limit applies while reading.
        let chunked = serve_once(
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".into(),
            vec![vec![b'a'; 100_000]],
            Duration::ZERO,
        )
        .await;
        let u = url::Url::parse(&format!("http://127.0.0.1:{chunked}/")).unwrap();
        assert!(matches!(
            c.send(&u, |c| c.get(u.clone())).await,
            Err(FetchError::TooLarge(_))
        ));
        // A body that trickles in past the time-out.
        let slow = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".into(),
            (0..100).map(|_| vec![b'a']).collect(),
            Duration::from_millis(100),
        )
        .await;
        let u = url::Url::parse(&format!("http://127.0.0.1:{slow}/")).unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(
            c.send(&u, |c| c.get(u.clone())).await,
            Err(FetchError::Network(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn at_most_one_redirect_is_followed() {
        let c = client(true);
        let end = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".into(),
            vec![],
            Duration::ZERO,
        )
        .await;
        let one = serve_once(format!("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{end}/\r\nContent-Length: 0\r\n\r\n"), vec![], Duration::ZERO).await;
        let two = serve_once(format!("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{one}/\r\nContent-Length: 0\r\n\r\n"), vec![], Duration::ZERO).await;
        let u = url::Url::parse(&format!("http://127.0.0.1:{one}/")).unwrap();
        let f = c.send(&u, |c| c.get(u.clone())).await.unwrap();
        assert_eq!((f.status, f.body.as_slice()), (200, b"ok".as_slice()));
        let u = url::Url::parse(&format!("http://127.0.0.1:{two}/")).unwrap();
        assert!(
            c.send(&u, |c| c.get(u.clone())).await.is_err(),
            "a second redirect is refused"
        );
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_loopback() {
        let r = GuardedResolver {
            allow_private: false,
        };
        assert!(matches!(
            r.resolve_host("localhost").await,
            Err(FetchError::Refused(_))
        ));
        let r = GuardedResolver {
            allow_private: true,
        };
        assert!(r.resolve_host("localhost").await.is_ok());
    }
}
