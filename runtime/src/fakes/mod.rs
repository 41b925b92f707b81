//! Typed fakes: what the fakes a generated crate has under its `fakes`
//! feature are made of. Each service's fake (`auth::fake::AuthFake`, ...)
//! declares its operations on a [`FakeUpstream`], the in-memory
//! [`Transport`](crate::Transport) the session runs over; its handlers take
//! the operation's typed arguments and give an [`Answer`]: the typed
//! success value, a declared error with its typed body, or a fault.
//!
//! Every request is read against the spec before anything answers it: a
//! required parameter missing, a value of the wrong type, a JSON body its
//! schema refuses (types, required properties, and the constraints types
//! cannot hold: bounds, lengths, patterns, enum values), a query parameter
//! the spec does not declare or a path outside the template fails the test
//! that made the call (the transport panics like an assertion), naming the
//! service, the operation and the mismatch.

mod answer;
mod request;
mod schema;
mod values;

pub use answer::{Answer, FakeError, NoError};
pub use request::{FakeRequest, Mismatch};

use crate::transport::{FakeReply, FakeUpstream, RecordedCall};

/// What a typed fake knows of one operation; generated code keeps one in
/// a `static` per operation. `A` is the operation's generated arguments
/// type, `T` what it returns on success.
#[derive(Debug)]
pub struct FakeOperation<A, T> {
    /// The service's name in the configuration.
    pub service: &'static str,
    /// The operation id.
    pub id: &'static str,
    /// The URL template.
    pub path: &'static str,
    /// The query parameters it declares (`None` when an object parameter
    /// is spread over names that cannot be listed).
    pub query: Option<&'static [&'static str]>,
    /// The JSON body's schema, bundled with every schema it references
    /// (`{"schema": ..., "defs": {reference: ...}}`, JSON text): a body is
    /// checked against it for what its type cannot hold (`minimum`,
    /// `maxLength`, `pattern`, `enum`, ...).
    pub body_schema: Option<&'static str>,
    /// Reads the typed arguments of a request.
    pub arguments: fn(&FakeRequest<'_>) -> Result<A, Mismatch>,
    /// Writes a success value as the operation's first 2xx answer.
    pub success: fn(T) -> FakeReply,
}

impl<A, T> FakeOperation<A, T> {
    /// The arguments of `call`, or the message that fails the test.
    fn read(&self, call: &RecordedCall) -> Result<A, String> {
        FakeRequest::new(call, self.path, self.query)
            .and_then(|request| {
                let arguments = (self.arguments)(&request)?;
                if let Some(bundle) = self.body_schema {
                    request.check_body(bundle)?;
                }
                Ok(arguments)
            })
            .map_err(|mismatch| {
                format!(
                    "fake `{}`: the request to `{}` ({} {}) does not match the spec: {mismatch}",
                    self.service,
                    self.id,
                    call.method.as_str(),
                    self.path
                )
            })
    }

    fn key(&self) -> (&'static str, &'static str) {
        (self.service, self.id)
    }
}

/// One service's operations on a [`FakeUpstream`]: what generated fakes
/// wrap. Clones share the upstream.
#[derive(Clone, Debug)]
pub struct ServiceFake {
    upstream: FakeUpstream,
}

impl ServiceFake {
    /// A service on `upstream` (which may carry other services too).
    pub fn new(upstream: &FakeUpstream) -> Self {
        Self {
            upstream: upstream.clone(),
        }
    }

    /// The upstream, for a session's transport.
    pub fn upstream(&self) -> &FakeUpstream {
        &self.upstream
    }

    /// Checks every request to `operation` against the spec, from now on.
    pub fn declare<A: 'static, T: 'static>(&self, operation: &'static FakeOperation<A, T>) {
        self.upstream
            .check_in(operation.key(), move |call| operation.read(call).map(drop));
    }

    /// Answers `operation` with `handler` once its script is used up.
    pub fn on<A, T, E>(
        &self,
        operation: &'static FakeOperation<A, T>,
        handler: impl Fn(A) -> Answer<T, E> + Send + Sync + 'static,
    ) where
        A: 'static,
        T: 'static,
        E: FakeError,
    {
        self.upstream.answer_in(operation.key(), move |call| {
            let arguments = operation.read(call)?;
            Ok(handler(arguments).into_reply(operation.success))
        });
    }

    /// Answers the next requests to `operation` with `answers`, in order.
    pub fn script<A, T, E: FakeError>(
        &self,
        operation: &'static FakeOperation<A, T>,
        answers: impl IntoIterator<Item = Answer<T, E>>,
    ) {
        let replies = answers
            .into_iter()
            .map(|answer| answer.into_reply(operation.success));
        self.upstream.script_in(operation.key(), replies);
    }

    /// The typed arguments of every request `operation` received, in
    /// order (those that did not match the spec failed their test and are
    /// left out).
    pub fn calls<A, T>(&self, operation: &'static FakeOperation<A, T>) -> Vec<A> {
        self.upstream
            .calls_in(operation.service, operation.id)
            .iter()
            .filter_map(|call| operation.read(call).ok())
            .collect()
    }
}
