//! The credentials of a call: chosen once per call by the operation's
//! security requirement, placed on each attempt's request.

use std::future::Future;

use tokio::time::Instant;

use crate::auth::{self, AuthFailure, Choice, Placement, TokenProvider};
use crate::error::{CallContext, InvalidRequestReason, MicroserviceError, UnavailableReason};
use crate::request::Operation;

use super::prepare::Prepared;
use crate::secret::Secret;
use crate::session::ServiceClient;
use crate::transport::HttpRequest;

/// How a call authenticates.
pub(super) enum CallAuth<'a> {
    /// With a placement that is the same on every attempt (or nothing).
    Fixed(Placement),
    /// With a provider's bearer token, asked for on every attempt.
    Provider(&'a dyn TokenProvider),
    /// With several placements at once (a requirement that combines
    /// schemes), and a provider's token too when one of them is a bearer.
    Combined {
        /// The same on every attempt.
        fixed: Vec<Placement>,
        /// Asked for its token on every attempt.
        provider: Option<&'a dyn TokenProvider>,
    },
}

impl ServiceClient {
    /// How calls of `operation` authenticate with the service's
    /// credentials.
    pub(super) fn call_auth(
        &self,
        operation: &Operation,
        context: &CallContext,
    ) -> Result<CallAuth<'_>, MicroserviceError> {
        let choice = auth::choose(
            &operation.security,
            self.state.credentials.as_ref(),
            &self.state.env_prefix,
        )
        .map_err(|failure| auth_error(context, failure))?;
        Ok(match choice {
            Choice::Anonymous => CallAuth::Fixed(Placement::Anonymous),
            Choice::Static(credentials, scheme) => {
                CallAuth::Fixed(auth::placement(credentials, scheme))
            }
            Choice::Provider(provider) => CallAuth::Provider(provider),
            Choice::Combined { fixed, provider } => CallAuth::Combined {
                fixed: fixed
                    .into_iter()
                    .map(|(credentials, scheme)| auth::placement(credentials, scheme))
                    .collect(),
                provider,
            },
        })
    }

    /// A fresh token after a 401, when the credentials can refresh;
    /// `made` attempts were made so far.
    pub(super) async fn refresh(
        &self,
        prepared: &Prepared,
        deadline: Instant,
        made: u32,
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
        within_deadline(&prepared.context, deadline, made, refreshing).await
    }
}

impl CallAuth<'_> {
    /// Whether a 401 may be answered with a refreshed token: only when the
    /// call chose the provider's bearer token.
    pub(super) fn can_refresh(&self) -> bool {
        matches!(
            self,
            CallAuth::Provider(_)
                | CallAuth::Combined {
                    provider: Some(_),
                    ..
                }
        )
    }

    /// Places the credentials on one attempt's request: the fixed
    /// placements, then the bearer token (the refreshed one when a 401 gave
    /// one, else the provider's current token); `made` attempts were made
    /// so far. Only calls that chose a provider are refreshed, so a
    /// refreshed token never meets a call without one.
    pub(super) async fn place(
        &self,
        request: &mut HttpRequest,
        refreshed: Option<&Secret>,
        prepared: &Prepared,
        deadline: Instant,
        made: u32,
    ) -> Result<(), MicroserviceError> {
        let context = &prepared.context;
        let invalid = |name| {
            MicroserviceError::invalid(context.clone(), InvalidRequestReason::Header { name }, None)
        };
        let (fixed, provider) = match self {
            CallAuth::Fixed(placement) => (std::slice::from_ref(placement), None),
            CallAuth::Provider(provider) => (&[][..], Some(*provider)),
            CallAuth::Combined { fixed, provider } => (fixed.as_slice(), *provider),
        };
        for placement in fixed {
            place(request, placement).map_err(invalid)?;
        }
        let token = match (refreshed, provider) {
            (Some(token), _) => auth::bearer(token),
            (None, Some(provider)) => {
                let fetching = async { provider.token().await.map_err(AuthFailure::Provider) };
                auth::bearer(&within_deadline(context, deadline, made, fetching).await?)
            }
            (None, None) => return Ok(()),
        };
        place(request, &token).map_err(invalid)
    }
}

/// Puts a credential where `placement` says: a header replaces any of the
/// same name, a cookie joins the request's `Cookie` header, a query
/// parameter goes after the others. A credential that cannot travel (e.g. a
/// token with a line break) fails the call instead of going out without it;
/// the error names the header or parameter.
fn place(request: &mut HttpRequest, placement: &Placement) -> Result<(), String> {
    match placement {
        Placement::Anonymous => Ok(()),
        Placement::Header(name, secret) => request
            .headers
            .insert_secret(name, secret.expose())
            .map_err(|invalid| invalid.name),
        Placement::Cookie(name, secret) => {
            // A value that is not one cookie (`;`, `,`, spaces, quotes)
            // would smuggle in others.
            if !secret.expose().bytes().all(is_cookie_octet) {
                return Err((*name).to_owned());
            }
            let pair = format!("{name}={}", secret.expose());
            let cookie = match request.headers.get("cookie") {
                Some(cookies) => format!("{cookies}; {pair}"),
                None => pair,
            };
            request
                .headers
                .insert_secret("cookie", &cookie)
                .map_err(|_| (*name).to_owned())
        }
        Placement::Query(name, secret) => {
            request
                .url
                .query_pairs_mut()
                .append_pair(name, secret.expose());
            Ok(())
        }
    }
}

/// RFC 6265's `cookie-octet`: what a cookie value may hold unquoted.
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

fn auth_error(context: &CallContext, failure: AuthFailure) -> MicroserviceError {
    match failure {
        AuthFailure::Missing { accepted, hint } => MicroserviceError::invalid(
            context.clone(),
            InvalidRequestReason::MissingCredentials { accepted, hint },
            None,
        ),
        AuthFailure::Provider(source) => MicroserviceError::invalid(
            context.clone(),
            InvalidRequestReason::Credentials,
            Some(source),
        ),
    }
}

/// Runs a credentials step (fetching or refreshing a token) within the
/// call's deadline, after `made` attempts.
async fn within_deadline<T>(
    context: &CallContext,
    deadline: Instant,
    made: u32,
    step: impl Future<Output = Result<T, AuthFailure>>,
) -> Result<T, MicroserviceError> {
    match tokio::time::timeout_at(deadline, step).await {
        Ok(result) => result.map_err(|failure| auth_error(context, failure)),
        Err(_) => Err(MicroserviceError::unavailable(
            context.clone(),
            UnavailableReason::DeadlineExceeded,
            made,
            None,
        )),
    }
}
