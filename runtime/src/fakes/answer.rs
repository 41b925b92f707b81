//! What a typed fake's operation answers: its success value, one of its
//! declared errors with the typed body the spec gives that status, or a
//! fault (a status without a body, a dropped or refused connection, no
//! answer at all), each after an optional delay on tokio's clock.

use std::time::Duration;

use crate::transport::FakeReply;

/// One answer of a typed fake's operation: `T` is what the operation
/// returns on success, `E` its generated enum of declared errors.
#[derive(Clone, Debug)]
#[must_use = "an answer does nothing until a fake gives it"]
pub struct Answer<T, E> {
    outcome: Outcome<T, E>,
    headers: Vec<(String, String)>,
    delay: Duration,
}

#[derive(Clone, Debug)]
enum Outcome<T, E> {
    Success(T),
    Error(E),
    Fault(FakeReply),
}

impl<T, E> Answer<T, E> {
    fn of(outcome: Outcome<T, E>) -> Self {
        Self {
            outcome,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Succeeds with `value`: under the operation's first declared 2xx
    /// status, or, for an operation with several kinds of success, the
    /// status of `value`'s variant.
    pub fn ok(value: T) -> Self {
        Self::of(Outcome::Success(value))
    }

    /// Fails with a declared error: its status and typed body.
    pub fn error(error: E) -> Self {
        Self::of(Outcome::Error(error))
    }

    /// Answers `status` without a body (e.g. a 503 from a proxy).
    pub fn status(status: u16) -> Self {
        Self::of(Outcome::Fault(FakeReply::status(status)))
    }

    /// Drops the connection before answering.
    pub fn drop_connection() -> Self {
        Self::of(Outcome::Fault(FakeReply::Drop))
    }

    /// Refuses the connection, as an upstream that is down does: the
    /// client sees a connection error (the fake still records the call).
    pub fn refuse() -> Self {
        Self::of(Outcome::Fault(FakeReply::Refuse))
    }

    /// Never answers: the call's timeouts end it.
    pub fn hang() -> Self {
        Self::of(Outcome::Fault(FakeReply::Hang))
    }

    /// Adds a response header (an invalid one is left out).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers after `delay`, on tokio's clock (a paused clock skips it).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The reply on the wire: a success written by `success`.
    pub(crate) fn into_reply(self, success: fn(T) -> FakeReply) -> FakeReply
    where
        E: FakeError,
    {
        let reply = match self.outcome {
            Outcome::Success(value) => success(value),
            Outcome::Error(error) => error.into_reply(),
            Outcome::Fault(reply) => reply,
        };
        let reply = self
            .headers
            .iter()
            .fold(reply, |reply, (name, value)| reply.header(name, value));
        if self.delay.is_zero() {
            reply
        } else {
            reply.after(self.delay)
        }
    }
}

/// A generated enum of an operation's declared errors: each variant
/// answers its status with its typed body.
pub trait FakeError {
    /// The reply on the wire.
    fn into_reply(self) -> FakeReply;
}

/// The errors of an operation that declares no error body: there is no
/// value, so only [`Answer::status`] and the faults can fail it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoError {}

impl FakeError for NoError {
    fn into_reply(self) -> FakeReply {
        match self {}
    }
}
