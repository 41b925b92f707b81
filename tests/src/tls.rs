//! A TLS upstream on 127.0.0.1 that speaks HTTP/2 and HTTP/1.1 (chosen by
//! ALPN) with a certificate from a test CA, and can ask for a client
//! certificate. The certificates are in `tests/fixtures/tls/`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The path of a file of the test PKI: `ca.pem`, `server.pem`,
/// `server.key`, `client.pem`, `client.key`.
pub fn fixture(name: &str) -> String {
    format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A running TLS upstream. Every request is answered `200` with a small
/// JSON user after `delay`; the server records the HTTP version of each.
pub struct TlsServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    versions: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl TlsServer {
    /// Starts the server; with `client_auth`, it refuses clients that
    /// present no certificate signed by the test CA.
    pub async fn start(
        client_auth: bool,
        delay: Duration,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        // Deprecated from rustls 0.23.48 on (no post-quantum key exchange),
        // which does not matter to a test server.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain =
            CertificateDer::pem_file_iter(fixture("server.pem"))?.collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(fixture("server.key"))?;
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(fixture("ca.pem"))? {
                roots.add(ca?)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder.with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let versions = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_loop(
            listener,
            acceptor,
            Arc::clone(&accepted),
            Arc::clone(&versions),
            delay,
        ));
        Ok(Self {
            addr,
            accepted,
            versions,
            task,
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// TCP connections accepted so far (handshakes that failed included).
    pub fn accepted_connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The HTTP version of every request answered, e.g. `HTTP/2.0`.
    pub fn versions(&self) -> Vec<String> {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    accepted: Arc<AtomicUsize>,
    versions: Arc<Mutex<Vec<String>>>,
    delay: Duration,
) {
    while let Ok((stream, _)) = listener.accept().await {
        accepted.fetch_add(1, Ordering::SeqCst);
        let acceptor = acceptor.clone();
        let versions = Arc::clone(&versions);
        tokio::spawn(async move {
            // A refused handshake is what the client observes; nothing to do.
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let versions = Arc::clone(&versions);
                async move {
                    versions
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(format!("{:?}", request.version()));
                    tokio::time::sleep(delay).await;
                    let body = Full::new(Bytes::from_static(br#"{"id":"7","name":"Ada"}"#));
                    Ok::<_, hyper::Error>(Response::new(body))
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
