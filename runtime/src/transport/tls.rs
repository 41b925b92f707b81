//! TLS settings of the default transport: extra root certificates, a client
//! identity for mutual TLS, and the rustls configuration built from them
//! with the crypto provider passed in, never installed for the process.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate or key that could not be read, or a TLS configuration that
/// could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

/// A trusted root certificate, added to the platform's roots.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate(CertificateDer<'static>);

impl Certificate {
    /// Every certificate in a PEM document (`-----BEGIN CERTIFICATE-----`).
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Self>, TlsError> {
        let certificates = CertificateDer::pem_slice_iter(pem)
            .map(|certificate| certificate.map(Self))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError(format!("not a PEM certificate: {error}")))?;
        if certificates.is_empty() {
            return Err(TlsError("no PEM certificate found".to_owned()));
        }
        Ok(certificates)
    }

    /// A certificate in DER form.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        Self(CertificateDer::from(der.into()))
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate({} bytes)", self.0.len())
    }
}

/// A client certificate chain and its private key, for mutual TLS.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// The certificate chain and the private key (PKCS #8, PKCS #1 or SEC1)
    /// in PEM form, in one document or two.
    pub fn from_pem(certificates: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        let chain = Certificate::from_pem(certificates)?
            .into_iter()
            .map(|certificate| certificate.0)
            .collect();
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|error| TlsError(format!("no usable PEM private key: {error}")))?;
        Ok(Self { chain, key })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.chain == other.chain && self.key.secret_der() == other.key.secret_der()
    }
}

impl fmt::Debug for Identity {
    /// The key is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// The rustls configuration of a client: the platform's roots and `roots`,
/// `identity` if any, and `alpn` protocols, on the ring provider.
pub(super) fn client_config(
    roots: &[Certificate],
    identity: Option<&Identity>,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(ring_provider());
    let extra = roots.iter().map(|root| root.0.clone());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(|error| TlsError(format!("the root certificates are not usable: {error}")))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|error| TlsError(format!("the client identity is not usable: {error}")))?,
    };
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(config)
}

/// rustls's provider on ring: pure Rust apart from ring's own assembly, so
/// building it needs no CMake or Go.
#[allow(
    deprecated,
    reason = "rustls 0.23.48 deprecates ring's provider for its lack of post-quantum key \
              exchange; the alternative, aws-lc-rs, needs a C toolchain with CMake to build"
)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
