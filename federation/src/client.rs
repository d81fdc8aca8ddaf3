//! Kogi's own HTTP client for federation: TLS, timeouts, a response size limit, at most one
//! checked redirect, and a resolver that refuses private, loopback and link-local addresses
//! unless `federation.allow_private_addresses` is on (tests, closed networks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use thiserror::Error;

use crate::signatures;

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

/// A request to sign and send: a GET signed by the instance actor, or a POST of an activity
/// signed by its actor. [`HttpClient::send_signed`] is the one place both are built.
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    pub method: reqwest::Method,
    pub url: &'a url::Url,
    /// The exact bytes sent; a POST's body is digested (see [`signatures::sign`]).
    pub body: Option<&'a [u8]>,
    /// Sent as `Content-Type` and covered by the signature.
    pub content_type: Option<&'a str>,
    /// Sent as `Accept` (not signed).
    pub accept: Option<&'a str>,
    /// Replaces the client's (fetch) time-out for this request; deliveries use a shorter one.
    pub timeout: Option<Duration>,
    pub key_id: &'a str,
    pub private_key_pem: &'a str,
}

impl HttpClient {
    /// Signs `req` now (`Date`, `Digest` for a POST, `Signature` over
    /// `(request-target) host date [digest] [content-type]`) and sends it. The `Host` header
    /// is left to the HTTP client, which sends the same value.
    pub async fn send_signed(&self, req: &SignedRequest<'_>) -> Result<Fetched, FetchError> {
        let outgoing = signatures::OutgoingRequest {
            method: req.method.as_str(),
            url: req.url,
            body: req.body,
            content_type: req.content_type,
        };
        let headers = signatures::sign(
            &outgoing,
            req.key_id,
            req.private_key_pem,
            SystemTime::now(),
        )
        .map_err(|e| FetchError::Refused(e.to_string()))?;
        self.send(req.url, |c| {
            let mut b = c.request(req.method.clone(), req.url.clone());
            if let Some(timeout) = req.timeout {
                b = b.timeout(timeout);
            }
            if let Some(content_type) = req.content_type {
                b = b.header("content-type", content_type);
            }
            if let Some(accept) = req.accept {
                b = b.header("accept", accept);
            }
            if let Some(body) = req.body {
                b = b.body(body.to_vec());
            }
            for (k, v) in &headers {
                if !k.eq_ignore_ascii_case("host") {
                    b = b.header(k.as_str(), v.as_str());
                }
            }
            b
        })
        .await
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "client_signed_tests.rs"]
mod signed_tests;
