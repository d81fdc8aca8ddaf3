//! Tests of the guarded client: the private-range table, URL checks, connections.
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
    let key_der =
        tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
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
    let one = serve_once(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{end}/\r\nContent-Length: 0\r\n\r\n"
        ),
        vec![],
        Duration::ZERO,
    )
    .await;
    let two = serve_once(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{one}/\r\nContent-Length: 0\r\n\r\n"
        ),
        vec![],
        Duration::ZERO,
    )
    .await;
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
