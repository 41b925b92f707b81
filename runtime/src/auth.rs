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

/// The security of an operation: any one of `requirements` satisfies it,
/// and a requirement is met when all of its schemes are applied together
/// (`[{a: [], b: []}]` in the spec); when `optional`, the call may also go
/// out without credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Security {
    /// Accepted requirements, in the spec's order of preference; most have
    /// one scheme.
    pub requirements: &'static [&'static [AuthScheme]],
    /// Whether the spec also allows anonymous calls (an empty requirement).
    pub optional: bool,
}

impl Security {
    /// No credentials are needed.
    pub const NONE: Security = Security {
        requirements: &[],
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
    /// Several credentials, for operations whose requirement combines
    /// schemes (a bearer token and an API key, say): each scheme takes the
    /// first of these that fits it and no other scheme took.
    All(Vec<Credentials>),
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

    /// Several credentials, used together where a requirement combines
    /// schemes (`Credentials::all([Credentials::bearer(t), Credentials::api_key(k)])`).
    pub fn all(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        Self::All(
            credentials
                .into_iter()
                .flat_map(Self::into_members)
                .collect(),
        )
    }

    /// The single credentials these hold.
    fn into_members(self) -> Vec<Credentials> {
        match self {
            Self::All(members) => members,
            single => vec![single],
        }
    }

    /// The single credentials these hold, by reference.
    fn members(&self) -> &[Credentials] {
        match self {
            Self::All(members) => members,
            single => std::slice::from_ref(single),
        }
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
        self.members().iter().find_map(|member| match member {
            Self::Provider(provider) => Some(provider.as_ref()),
            _ => None,
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(***)"),
            Self::ApiKey(_) => f.write_str("ApiKey(***)"),
            Self::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Self::Provider(_) => f.write_str("Provider(..)"),
            Self::All(members) => f.debug_tuple("All").field(members).finish(),
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
    /// A requirement that combines schemes: static credentials under each
    /// of theirs, and a provider's token when one of them is a bearer.
    Combined {
        /// Static credentials and their schemes.
        fixed: Vec<(&'a Credentials, AuthScheme)>,
        /// The provider whose token goes along, if any.
        provider: Option<&'a dyn TokenProvider>,
    },
}

/// Chooses how an operation with `security` authenticates with the
/// service's `credentials`: the first requirement, in the spec's order of
/// preference, whose every scheme the credentials satisfy.
pub(crate) fn choose<'a>(
    security: &Security,
    credentials: Option<&'a Credentials>,
    env_prefix: &str,
) -> Result<Choice<'a>, AuthFailure> {
    let members = credentials.map_or(&[][..], Credentials::members);
    // A requirement of one scheme (the common case) takes the first member
    // that satisfies it, with nothing to collect.
    for requirement in security.requirements {
        match requirement {
            [] => {}
            [scheme] => {
                if let Some(member) = members.iter().find(|member| member.satisfies(*scheme)) {
                    return Ok(match member {
                        Credentials::Provider(provider) => Choice::Provider(provider.as_ref()),
                        other => Choice::Static(other, *scheme),
                    });
                }
            }
            several => {
                if let Some(pairs) = assign(several, members) {
                    return Ok(combined(pairs));
                }
            }
        }
    }
    if security.optional || security.requirements.is_empty() {
        Ok(Choice::Anonymous)
    } else {
        Err(missing(security, env_prefix))
    }
}

/// The choice of a requirement that combines schemes.
fn combined<'a>(pairs: Vec<(&'a Credentials, AuthScheme)>) -> Choice<'a> {
    let mut provider = None;
    let mut fixed = Vec::with_capacity(pairs.len());
    for (credentials, scheme) in pairs {
        match credentials {
            Credentials::Provider(tokens) => provider = Some(tokens.as_ref()),
            _ => fixed.push((credentials, scheme)),
        }
    }
    Choice::Combined { fixed, provider }
}

/// Credentials for each scheme of `requirement`: each takes the first of
/// `members` that satisfies it and no earlier scheme took; `None` when one
/// is left without.
fn assign<'a>(
    requirement: &[AuthScheme],
    members: &'a [Credentials],
) -> Option<Vec<(&'a Credentials, AuthScheme)>> {
    let mut pairs: Vec<(&'a Credentials, AuthScheme)> = Vec::with_capacity(requirement.len());
    for scheme in requirement {
        let member = members.iter().find(|member| {
            member.satisfies(*scheme)
                && !pairs.iter().any(|(taken, _)| std::ptr::eq(*taken, *member))
        })?;
        pairs.push((member, *scheme));
    }
    Some(pairs)
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
        // `choose` pairs credentials only with a scheme they satisfy, and
        // only single ones.
        (Credentials::ApiKey(_) | Credentials::Provider(_) | Credentials::All(_), _) => {
            Placement::Anonymous
        }
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
    let each = |describe: &dyn Fn(&AuthScheme) -> String| {
        security
            .requirements
            .iter()
            .map(|requirement| {
                requirement
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let accepted = each(&|scheme| scheme.describe().to_owned());
    let hint = each(&|scheme| format!("{env_prefix}_SERVICE_{}", scheme.env_suffix()));
    AuthFailure::Missing { accepted, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_IN_QUERY: AuthScheme = AuthScheme::ApiKey {
        location: ApiKeyLocation::Query,
        name: "api_key",
    };

    const BEARER_OR_KEY: Security = Security {
        requirements: &[&[AuthScheme::Bearer], &[KEY_IN_QUERY]],
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
            Choice::Provider(_) | Choice::Combined { .. } => {
                panic!("expected one static credential")
            }
        }
    }

    /// A requirement that combines schemes needs credentials for each, and
    /// alternatives still take the first requirement that can be met.
    #[test]
    fn combined_requirements_need_every_scheme() {
        const BOTH_OR_BASIC: Security = Security {
            requirements: &[&[AuthScheme::Bearer, KEY_IN_QUERY], &[AuthScheme::Basic]],
            optional: false,
        };
        let both = Credentials::all([Credentials::api_key("k-1"), Credentials::bearer("t-1")]);
        let Ok(Choice::Combined { fixed, provider }) = choose(&BOTH_OR_BASIC, Some(&both), "X")
        else {
            panic!("expected both schemes");
        };
        assert!(provider.is_none());
        let placed: Vec<Placement> = fixed
            .into_iter()
            .map(|(credentials, scheme)| placement(credentials, scheme))
            .collect();
        assert!(
            matches!(&placed[..], [Placement::Header("authorization", token), Placement::Query("api_key", key)]
                if token.expose() == "Bearer t-1" && key.expose() == "k-1"),
            "{placed:?}"
        );
        // A bearer token alone meets neither requirement.
        let token = Credentials::bearer("t-1");
        let Err(AuthFailure::Missing { accepted, hint }) =
            choose(&BOTH_OR_BASIC, Some(&token), "X")
        else {
            panic!("a token alone is not enough");
        };
        assert_eq!(
            accepted,
            "a bearer token and an API key or basic credentials"
        );
        assert_eq!(
            hint,
            "X_SERVICE_TOKEN and X_SERVICE_API_KEY or X_SERVICE_USERNAME and _PASSWORD"
        );
        // Basic credentials among several meet the second.
        let mixed = Credentials::all([token, Credentials::basic("u", "p")]);
        assert!(matches!(
            choose(&BOTH_OR_BASIC, Some(&mixed), "X"),
            Ok(Choice::Static(Credentials::Basic { .. }, AuthScheme::Basic))
        ));
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
            requirements: &[&[AuthScheme::Basic]],
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
