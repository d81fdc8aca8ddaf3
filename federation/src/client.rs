//! Kogi's own HTTP client for federation: TLS, timeouts, a response size limit, at most one
//! checked redirect, and a resolver that refuses private, loopback and link-local addresses
//! unless `federation.allow_private_addresses` is on (tests, closed networks).

use std::net::{IpAddr, SocketAddr};
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

/// Addresses a server on the public internet never needs to reach.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT 100.64/10
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
                || o[0] >= 240
        }
        IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v.segments();
            v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
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
        Some(url::Host::Domain(d))
            if !allow_private && (d == "localhost" || d.ends_with(".localhost")) =>
        {
            Err(FetchError::Refused(format!("{d} is a loopback name")))
        }
        _ => Ok(()),
    }
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

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn url_checks() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(check_url(&u("http://127.0.0.1/x"), false).is_err());
        assert!(check_url(&u("http://[::1]/x"), false).is_err());
        assert!(check_url(&u("http://10.0.0.8/x"), false).is_err());
        assert!(check_url(&u("http://localhost:8080/x"), false).is_err());
        assert!(check_url(&u("ftp://example.org/x"), true).is_err());
        assert!(check_url(&u("https://example.org/x"), false).is_ok());
        assert!(check_url(&u("http://127.0.0.1/x"), true).is_ok());
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
