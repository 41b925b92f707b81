//! Credentials per service, applied the way each operation's security
//! requirement says.
//!
//! Configuration holds the secret ([`Credentials`]); the spec says where it
//! goes ([`AuthScheme`]). A [`TokenProvider`] supplies rotating bearer tokens
//! and may refresh once when the upstream answers 401.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::secret::Secret;

/// Where the spec puts an API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiKeyLocation {
    /// In a request header.
    Header,
    /// In a query parameter.
    Query,
    /// In a cookie.
    Cookie,
}

/// One security scheme from the spec's `securitySchemes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (HTTP bearer, OAuth 2, OpenID Connect).
    Bearer,
    /// `Authorization: Basic <base64(user:password)>`.
    Basic,
    /// An API key in a header, query parameter or cookie called `name`.
    ApiKey {
        /// Where the key goes.
        location: ApiKeyLocation,
        /// The header, parameter or cookie name.
        name: &'static str,
    },
}

impl AuthScheme {
    fn describe(self) -> &'static str {
        match self {
            Self::Bearer => "a bearer token",
            Self::Basic => "basic credentials",
            Self::ApiKey { .. } => "an API key",
        }
    }

    fn env_suffix(self) -> &'static str {
        match self {
            Self::Bearer => "TOKEN",
            Self::Basic => "USERNAME and _PASSWORD",
            Self::ApiKey { .. } => "API_KEY",
        }
    }
}

/// The security requirement of an operation: any one of `schemes` satisfies
/// it; when `optional`, the call may also go out without credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Security {
    /// Accepted schemes, in the spec's order of preference.
    pub schemes: &'static [AuthScheme],
    /// Whether the spec also allows anonymous calls (an empty requirement).
    pub optional: bool,
}

impl Security {
    /// No credentials are needed.
    pub const NONE: Security = Security {
        schemes: &[],
        optional: true,
    };
}

/// The error type a [`TokenProvider`] returns.
pub type TokenError = Box<dyn StdError + Send + Sync + 'static>;

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, TokenError>> + Send + 'a>>;

/// A source of bearer tokens that may rotate, such as an OAuth client.
pub trait TokenProvider: Send + Sync + 'static {
    /// The current token.
    fn token(&self) -> TokenFuture<'_>;

    /// A fresh token after the upstream answered 401, or `None` when this
    /// provider cannot refresh. The call is retried once with the new token.
    fn refresh(&self) -> Option<TokenFuture<'_>> {
        None
    }
}

/// The secret a service's calls authenticate with.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A bearer token.
    Bearer(Secret),
    /// An API key; the spec says where it goes.
    ApiKey(Secret),
    /// A user name and password for HTTP basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// Bearer tokens from a provider.
    Provider(Arc<dyn TokenProvider>),
}

impl Credentials {
    /// A static bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(Secret::new(token))
    }

    /// A static API key.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self::ApiKey(Secret::new(key))
    }

    /// HTTP basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password: Secret::new(password),
        }
    }

    /// Bearer tokens from `provider`.
    pub fn provider(provider: impl TokenProvider) -> Self {
        Self::Provider(Arc::new(provider))
    }

    fn satisfies(&self, scheme: AuthScheme) -> bool {
        matches!(
            (self, scheme),
            (Self::Bearer(_) | Self::Provider(_), AuthScheme::Bearer)
                | (Self::Basic { .. }, AuthScheme::Basic)
                | (Self::ApiKey(_), AuthScheme::ApiKey { .. })
        )
    }

    /// The provider, when these credentials can refresh.
    pub(crate) fn provider_ref(&self) -> Option<&dyn TokenProvider> {
        match self {
            Self::Provider(provider) => Some(provider.as_ref()),
            _ => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(***)"),
            Self::ApiKey(_) => f.write_str("ApiKey(***)"),
            Self::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Self::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}

/// Where a credential lands on the wire for one attempt.
#[derive(Debug)]
pub(crate) enum Placement {
    /// Send nothing.
    Anonymous,
    /// A header, always marked sensitive.
    Header(&'static str, Secret),
    /// A query parameter.
    Query(&'static str, Secret),
    /// A cookie `name=value`.
    Cookie(&'static str, Secret),
}

/// Why credentials could not be applied.
#[derive(Debug)]
pub(crate) enum AuthFailure {
    /// The spec requires credentials that are not configured.
    Missing { accepted: String, hint: String },
    /// The provider failed.
    Provider(TokenError),
}

/// Which credentials an operation's calls authenticate with.
pub(crate) enum Choice<'a> {
    /// None: the operation allows anonymous calls, or the configured
    /// credentials fit none of its schemes and it does not require one.
    Anonymous,
    /// Static credentials under `scheme`: the same wire form for every
    /// attempt, so callers may build it once ([`placement`]).
    Static(&'a Credentials, AuthScheme),
    /// A provider's bearer token: fetched per attempt, refreshed after a 401,
    /// and placed with [`bearer`].
    Provider(&'a dyn TokenProvider),
}

/// Chooses how an operation with `security` authenticates with the
/// service's `credentials`: the first scheme the credentials satisfy, in the
/// spec's order of preference.
pub(crate) fn choose<'a>(
    security: &Security,
    credentials: Option<&'a Credentials>,
    env_prefix: &str,
) -> Result<Choice<'a>, AuthFailure> {
    let chosen = credentials.and_then(|credentials| {
        security
            .schemes
            .iter()
            .find(|scheme| credentials.satisfies(**scheme))
            .map(|scheme| (credentials, *scheme))
    });
    Ok(match chosen {
        None if security.optional || security.schemes.is_empty() => Choice::Anonymous,
        None => return Err(missing(security, env_prefix)),
        Some((Credentials::Provider(provider), _)) => Choice::Provider(provider.as_ref()),
        Some((credentials, scheme)) => Choice::Static(credentials, scheme),
    })
}

/// Where static `credentials` go under `scheme`.
pub(crate) fn placement(credentials: &Credentials, scheme: AuthScheme) -> Placement {
    match (credentials, scheme) {
        (Credentials::Bearer(token), _) => bearer(token),
        (Credentials::Basic { username, password }, _) => {
            let pair = format!("{username}:{}", password.expose());
            Placement::Header(
                "authorization",
                Secret::new(format!("Basic {}", crate::data::base64(pair.as_bytes()))),
            )
        }
        (Credentials::ApiKey(key), AuthScheme::ApiKey { location, name }) => match location {
            ApiKeyLocation::Header => Placement::Header(name, key.clone()),
            ApiKeyLocation::Query => Placement::Query(name, key.clone()),
            ApiKeyLocation::Cookie => Placement::Cookie(name, key.clone()),
        },
        // `choose` pairs credentials only with a scheme they satisfy.
        (Credentials::ApiKey(_) | Credentials::Provider(_), _) => Placement::Anonymous,
    }
}

/// A bearer token's placement.
pub(crate) fn bearer(token: &Secret) -> Placement {
    Placement::Header(
        "authorization",
        Secret::new(format!("Bearer {}", token.expose())),
    )
}

/// The failure of an operation whose credentials are not configured; its
/// hint names the variables of the service whose prefix is `env_prefix`.
fn missing(security: &Security, env_prefix: &str) -> AuthFailure {
    let accepted = security
        .schemes
        .iter()
        .map(|scheme| scheme.describe())
        .collect::<Vec<_>>()
        .join(" or ");
    let prefix = env_prefix;
    let hint = security
        .schemes
        .iter()
        .map(|scheme| format!("{prefix}_SERVICE_{}", scheme.env_suffix()))
        .collect::<Vec<_>>()
        .join(" or ");
    AuthFailure::Missing { accepted, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEARER_OR_KEY: Security = Security {
        schemes: &[
            AuthScheme::Bearer,
            AuthScheme::ApiKey {
                location: ApiKeyLocation::Query,
                name: "api_key",
            },
        ],
        optional: false,
    };

    /// The placement of static credentials, which never wait.
    fn placed(
        security: &Security,
        credentials: Option<&Credentials>,
        service: &str,
    ) -> Result<Placement, AuthFailure> {
        match choose(security, credentials, service)? {
            Choice::Anonymous => Ok(Placement::Anonymous),
            Choice::Static(credentials, scheme) => Ok(placement(credentials, scheme)),
            Choice::Provider(_) => panic!("static credentials asked for a token"),
        }
    }

    #[test]
    fn api_key_goes_where_the_spec_says() {
        let credentials = Credentials::api_key("k-1");
        let placed = placed(&BEARER_OR_KEY, Some(&credentials), "AUDIT");
        assert!(
            matches!(placed, Ok(Placement::Query("api_key", ref key)) if key.expose() == "k-1")
        );
    }

    #[test]
    fn missing_credentials_name_the_variables() {
        let placed = placed(&BEARER_OR_KEY, None, "LEAVES_WALLET");
        let Err(AuthFailure::Missing { accepted, hint }) = placed else {
            panic!("expected missing credentials, got {placed:?}");
        };
        assert_eq!(accepted, "a bearer token or an API key");
        assert_eq!(
            hint,
            "LEAVES_WALLET_SERVICE_TOKEN or LEAVES_WALLET_SERVICE_API_KEY"
        );
    }

    #[test]
    fn optional_security_sends_anonymously() {
        let security = Security {
            optional: true,
            ..BEARER_OR_KEY
        };
        let placed = placed(&security, None, "AUTH");
        assert!(matches!(placed, Ok(Placement::Anonymous)));
    }

    #[test]
    fn basic_credentials_are_encoded_and_redacted() {
        let credentials = Credentials::basic("svc", "pa:ss");
        let security = Security {
            schemes: &[AuthScheme::Basic],
            optional: false,
        };
        let placed = placed(&security, Some(&credentials), "CONFIG");
        let Ok(Placement::Header("authorization", value)) = placed else {
            panic!("expected a header, got {placed:?}");
        };
        assert_eq!(value.expose(), "Basic c3ZjOnBhOnNz");
        assert_eq!(format!("{credentials:?}"), "Basic(svc:***)");
    }
}
