//! The credentials of an attempt, in wire form.
//!
//! Static credentials (a bearer token, basic credentials, an API key) go out
//! the same way on every attempt of every call that chooses the same scheme:
//! their wire form is built and checked once per service and then cloned,
//! which costs two reference-count increments. Only a token provider's
//! bearer token is placed per attempt.

use std::future::Future;
use std::sync::OnceLock;

use reqwest::header::{HeaderName, HeaderValue};
use tokio::time::Instant;

use super::prepare::{self, Prepared};
use crate::auth::{self, AuthFailure, AuthScheme, Choice, Placement, TokenProvider};
use crate::error::{InvalidRequestReason, MicroserviceError, UnavailableReason};
use crate::secret::Secret;
use crate::session::ServiceClient;

/// Credentials in wire form, checked before the attempt is sent.
#[derive(Clone, Debug)]
pub(crate) enum Applied {
    /// Nothing to add.
    Nothing,
    /// A header, marked sensitive.
    Header(HeaderName, HeaderValue),
    /// A `Cookie` header, marked sensitive, added beside any other cookie.
    Cookie(HeaderValue),
    /// A query parameter.
    Query(&'static str, Secret),
}

/// A service's static credentials in wire form, for the scheme the first
/// call chose. A service's operations nearly always share one scheme; a call
/// that chooses another builds its own wire form.
#[derive(Debug, Default)]
pub(crate) struct WireCredentials(OnceLock<(AuthScheme, Applied)>);

impl WireCredentials {
    /// The kept wire form, if it was built for `scheme`.
    fn kept(&self, scheme: AuthScheme) -> Option<Applied> {
        let (kept, applied) = self.0.get()?;
        (*kept == scheme).then(|| applied.clone())
    }

    /// The wire form under `scheme`: the kept one, or `build`'s, which is
    /// kept when nothing is yet. A failed build is not kept: the next call
    /// reports it again.
    fn get_or_build(
        &self,
        scheme: AuthScheme,
        build: impl FnOnce() -> Result<Applied, MicroserviceError>,
    ) -> Result<Applied, MicroserviceError> {
        if let Some(applied) = self.kept(scheme) {
            return Ok(applied);
        }
        let applied = build()?;
        // Losing a race to another first call is fine: both built the same.
        let _ = self.0.set((scheme, applied.clone()));
        Ok(applied)
    }
}

/// The credentials of an attempt: ready, or a token still to fetch.
pub(super) enum Step<'a> {
    /// In wire form.
    Ready(Applied),
    /// A bearer token must first come from this provider ([`ServiceClient::fetch`]).
    Fetch(&'a dyn TokenProvider),
}

impl ServiceClient {
    /// The credentials of one attempt. `refreshed` is a provider's token
    /// after a 401. Static credentials are ready at once; only a provider's
    /// token needs a wait, which the caller boxes, so that the call's state
    /// stays small for everyone else.
    pub(super) fn credentials(
        &self,
        prepared: &Prepared,
        refreshed: Option<&Secret>,
    ) -> Result<Step<'_>, MicroserviceError> {
        // When the operation's preferred scheme is the one kept in wire
        // form, the service's credentials satisfied it when it was built, so
        // `choose` would pick it again.
        if let Some(&preferred) = prepared.operation.security.schemes.first()
            && let Some(applied) = self.state.wire.kept(preferred)
        {
            return Ok(Step::Ready(applied));
        }
        self.choose_credentials(prepared, refreshed)
    }

    /// [`credentials`](Self::credentials) by the spec's order of preference.
    #[inline(never)]
    fn choose_credentials(
        &self,
        prepared: &Prepared,
        refreshed: Option<&Secret>,
    ) -> Result<Step<'_>, MicroserviceError> {
        let choice = auth::choose(
            &prepared.operation.security,
            self.state.credentials.as_ref(),
            self.state.name.as_str(),
        )
        .map_err(|failure| auth_error(prepared, failure))?;
        Ok(match choice {
            Choice::Anonymous => Step::Ready(Applied::Nothing),
            Choice::Static(credentials, scheme) => {
                Step::Ready(self.state.wire.get_or_build(scheme, || {
                    apply(prepared, auth::placement(credentials, scheme))
                })?)
            }
            Choice::Provider(provider) => match refreshed {
                Some(token) => Step::Ready(apply(prepared, auth::bearer(token))?),
                None => Step::Fetch(provider),
            },
        })
    }

    /// A provider's current token in wire form, fetched within the call's
    /// deadline.
    pub(super) async fn fetch(
        prepared: &Prepared,
        provider: &dyn TokenProvider,
        deadline: Instant,
    ) -> Result<Applied, MicroserviceError> {
        let fetching = async { provider.token().await.map_err(AuthFailure::Provider) };
        let token = credential_step(prepared, deadline, fetching).await?;
        apply(prepared, auth::bearer(&token))
    }

    /// A refreshed token after a 401, when the credentials can refresh.
    pub(super) async fn refresh(
        &self,
        prepared: &Prepared,
        deadline: Instant,
    ) -> Result<Option<Secret>, MicroserviceError> {
        let Some(provider) = self
            .state
            .credentials
            .as_ref()
            .and_then(|credentials| credentials.provider_ref())
        else {
            return Ok(None);
        };
        let Some(refreshing) = provider.refresh() else {
            return Ok(None);
        };
        let refreshing = async { refreshing.await.map(Some).map_err(AuthFailure::Provider) };
        credential_step(prepared, deadline, refreshing).await
    }
}

/// Turns a placement into wire form. A credential that cannot travel as a
/// header (e.g. a token with a line break) fails the call instead of going
/// out without credentials.
fn apply(prepared: &Prepared, placement: Placement) -> Result<Applied, MicroserviceError> {
    let invalid = |name: &str| {
        MicroserviceError::invalid(
            prepared.context(),
            InvalidRequestReason::Header {
                name: name.to_owned(),
            },
            None,
        )
    };
    Ok(match placement {
        Placement::Anonymous => Applied::Nothing,
        Placement::Query(name, secret) => Applied::Query(name, secret),
        Placement::Header(name, secret) => {
            let (header, mut value) =
                prepare::header_pair(name, secret.expose()).map_err(|_| invalid(name))?;
            value.set_sensitive(true);
            Applied::Header(header, value)
        }
        Placement::Cookie(name, secret) => {
            let mut value = HeaderValue::from_str(&format!("{name}={}", secret.expose()))
                .map_err(|_| invalid(name))?;
            value.set_sensitive(true);
            Applied::Cookie(value)
        }
    })
}

fn auth_error(prepared: &Prepared, failure: AuthFailure) -> MicroserviceError {
    let context = prepared.context();
    match failure {
        AuthFailure::Missing { accepted, hint } => MicroserviceError::invalid(
            context,
            InvalidRequestReason::MissingCredentials { accepted, hint },
            None,
        ),
        AuthFailure::Provider(source) => {
            MicroserviceError::invalid(context, InvalidRequestReason::Credentials, Some(source))
        }
    }
}

/// Runs a credentials step (placing or refreshing a token) within the call's
/// deadline, mapping its failure to the call's error.
async fn credential_step<T>(
    prepared: &Prepared,
    deadline: Instant,
    step: impl Future<Output = Result<T, AuthFailure>>,
) -> Result<T, MicroserviceError> {
    match tokio::time::timeout_at(deadline, step).await {
        Ok(result) => result.map_err(|failure| auth_error(prepared, failure)),
        Err(_) => Err(MicroserviceError::unavailable(
            prepared.context(),
            UnavailableReason::DeadlineExceeded,
            0,
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ApiKeyLocation;
    use crate::error::CallContext;

    const IN_HEADER: AuthScheme = AuthScheme::ApiKey {
        location: ApiKeyLocation::Header,
        name: "x-api-key",
    };
    const IN_QUERY: AuthScheme = AuthScheme::ApiKey {
        location: ApiKeyLocation::Query,
        name: "api_key",
    };

    fn header(value: &'static str) -> Result<Applied, MicroserviceError> {
        Ok(Applied::Header(
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_static(value),
        ))
    }

    fn value_of(applied: &Applied) -> Option<&str> {
        match applied {
            Applied::Header(_, value) => value.to_str().ok(),
            Applied::Query(_, secret) => Some(secret.expose()),
            _ => None,
        }
    }

    #[test]
    fn the_first_wire_form_is_kept_for_its_scheme() {
        let wire = WireCredentials::default();
        let first = wire.get_or_build(IN_HEADER, || header("k-1")).unwrap();
        assert_eq!(value_of(&first), Some("k-1"));
        let again = wire
            .get_or_build(IN_HEADER, || panic!("the kept wire form was built again"))
            .unwrap();
        assert_eq!(value_of(&again), Some("k-1"));
    }

    #[test]
    fn another_scheme_builds_its_own_wire_form() {
        let wire = WireCredentials::default();
        wire.get_or_build(IN_HEADER, || header("k-1")).unwrap();
        let query = wire
            .get_or_build(IN_QUERY, || {
                Ok(Applied::Query("api_key", Secret::new("k-1")))
            })
            .unwrap();
        assert!(matches!(query, Applied::Query("api_key", _)));
        let header_again = wire
            .get_or_build(IN_HEADER, || panic!("the kept wire form was built again"))
            .unwrap();
        assert!(matches!(header_again, Applied::Header(..)));
    }

    #[test]
    fn a_failed_build_is_not_kept() {
        let wire = WireCredentials::default();
        let failed = wire.get_or_build(IN_HEADER, || {
            Err(MicroserviceError::invalid(
                CallContext::new("svc", "op", crate::request::Method::Get, "/"),
                InvalidRequestReason::Header {
                    name: "x-api-key".to_owned(),
                },
                None,
            ))
        });
        assert!(failed.is_err());
        let built = wire.get_or_build(IN_HEADER, || header("k-2")).unwrap();
        assert_eq!(value_of(&built), Some("k-2"));
    }
}
