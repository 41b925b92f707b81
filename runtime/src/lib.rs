//! The runtime every clientgen-generated client stands on.
//!
//! One call goes through the layers in this order: overall deadline -> retry
//! (policy, budget, backoff) -> circuit breaker -> per-attempt timeout ->
//! transport -> bounded body read -> status and error mapping.
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | `FRONTEND_URL`, service URLs, timeouts, retry, breaker and HTTP client settings |
//! | [`session`] | a session over one transport, per-service handles |
//! | [`transport`] | the seam every attempt goes through; the default pooled HTTP client |
//! | [`retry`] | retry policy, backoff, `Retry-After`, retry budget |
//! | [`breaker`] | one circuit breaker per upstream service |
//! | [`error`] | [`MicroserviceError`] and its categories |
//! | [`links`] | the `FRONTEND_URL` link resolver |
//! | [`auth`] | credentials and how they are applied |
//! | [`options`] | per-handle overrides |
//! | [`request`], [`response`] | how generated code describes a call, and its 2xx response |
//! | `builder` | what generated call builders share: per-call settings, the call's future ([`CallFuture`]), the typed answer with its metadata ([`Reply`]) |
//! | [`multipart`] | `multipart/form-data` bodies |
//! | [`secret`] | values kept out of `Debug` and `Display` |
//! | [`types`] | the types models use: dates, UUIDs, base64, JSON |
//!
//! Callers never see an HTTP-stack type: only this crate's own.
//!
//! A generated method describes its request and hands it to one runtime call:
//!
//! ```no_run
//! use clientgen_runtime::codegen::{self, Method, Operation, Request};
//! use clientgen_runtime::{MicroserviceError, RuntimeConfig, Session};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct User {
//!     id: String,
//!     name: String,
//! }
//!
//! struct AuthClient {
//!     inner: codegen::ServiceClient,
//! }
//!
//! impl AuthClient {
//!     async fn get_user(&self, user_id: &str) -> Result<User, MicroserviceError> {
//!         static OPERATION: Operation = Operation::new("getUser", Method::Get, "/users/{user_id}");
//!         let request = Request::new(&OPERATION).path_param("user_id", user_id);
//!         self.inner.execute(request).await?.json()
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session = Session::new(RuntimeConfig::from_env()?)?;
//! let auth = AuthClient { inner: session.service("auth")? };
//! let user = auth.get_user("42").await?;
//! println!("{} is {}", user.id, user.name);
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod body;
pub mod breaker;
mod builder;
mod call;
#[doc(hidden)]
pub mod codegen;
pub mod config;
mod data;
mod encoding;
pub mod error;
pub mod events;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod links;
pub mod multipart;
pub mod options;
pub mod pagination;
pub mod request;
mod request_url;
pub mod response;
pub mod retry;
pub mod secret;
pub mod session;
pub mod sse;
pub mod stream;
mod telemetry;
pub mod transport;
pub mod types;
mod window;

pub use ::url::Url;
pub use auth::{Credentials, TokenProvider};
pub use breaker::{BreakerConfig, BreakerState};
pub use builder::{CallFuture, Reply, ReplyFuture, StreamFuture};
pub use config::{ConfigError, RuntimeConfig, RuntimeConfigBuilder};
pub use error::{ErrorCategory, MicroserviceError};
pub use events::{EventStream, TypedEvent};
pub use links::{LinkError, LinkResolver};
pub use multipart::Multipart;
pub use options::CallOptions;
pub use retry::{BudgetConfig, RetryPolicy};
pub use secret::Secret;
pub use session::{ServiceClient, Session};
pub use stream::{ByteStream, StreamingResponse};
pub use transport::{Headers, InvalidHeader, ResponseBody, Transport};
