//! Server-sent events as a typed stream: each event's `data` decoded from
//! JSON, with the event's type, id and retry beside it.
//!
//! When the connection breaks (a reset, or silence past the stream's idle
//! timeout), a stream of an idempotent operation reconnects after the
//! server's `retry:` delay (or a default), sending the last event id as
//! `Last-Event-ID`, so the server can resume; up to
//! [`MAX_RECONNECTS`] times in a row without an event in between. A stream
//! the server ends cleanly ends. Dropping the stream closes the connection.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{DecodeReason, MicroserviceError};
use crate::request::Request;
use crate::session::ServiceClient;
use crate::sse::{Event, EventParser};
use crate::stream::ByteStream;

/// Reconnections in a row, without an event between them, before the
/// stream gives up with the last error.
pub const MAX_RECONNECTS: u32 = 5;

/// The wait before reconnecting when the server set no `retry:`.
const DEFAULT_RETRY: Duration = Duration::from_secs(3);

/// One event, its data decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedEvent<T> {
    /// The event's type (`message` unless the server named one).
    pub event: String,
    /// The last event id the server set, at this event.
    pub id: Option<String>,
    /// The event's `data`, decoded.
    pub data: T,
}

/// A typed stream of server-sent events; read it with
/// [`next`](Self::next).
pub struct EventStream<T> {
    client: ServiceClient,
    /// The request, kept to reconnect with.
    request: Request,
    body: ByteStream,
    parser: EventParser,
    ready: VecDeque<Event>,
    reconnects: u32,
    ended: bool,
    data: PhantomData<fn() -> T>,
}

impl ServiceClient {
    /// Sends `request` and returns its `text/event-stream` answer as a
    /// stream of events whose data decode as `T`.
    pub async fn execute_events<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<EventStream<T>, MicroserviceError> {
        let response = self.execute_streaming(request.clone()).await?;
        Ok(EventStream {
            client: self.clone(),
            request,
            body: response.into_body(),
            parser: EventParser::default(),
            ready: VecDeque::new(),
            reconnects: 0,
            ended: false,
            data: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> EventStream<T> {
    /// The next event; `None` once the stream ended. An event whose data
    /// does not decode is an error naming the event, and the stream goes
    /// on; a connection that cannot be resumed ends it with its error.
    pub async fn next(&mut self) -> Option<Result<TypedEvent<T>, MicroserviceError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                self.reconnects = 0;
                return Some(self.decode(event));
            }
            if self.ended {
                return None;
            }
            match self.body.chunk().await {
                Some(Ok(chunk)) => {
                    let mut events = Vec::new();
                    self.parser.feed(&chunk, &mut events);
                    self.ready.extend(events);
                }
                None => self.ended = true,
                Some(Err(error)) => {
                    if let Err(error) = self.reconnect(error).await {
                        self.ended = true;
                        return Some(Err(error));
                    }
                }
            }
        }
    }

    /// The last event id the server set.
    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id()
    }

    /// Resumes after the connection broke with `error`, or gives `error`
    /// back when the operation may not be sent again or the reconnections
    /// ran out.
    async fn reconnect(&mut self, error: MicroserviceError) -> Result<(), MicroserviceError> {
        let operation = self.request.operation();
        let idempotent = operation.method.is_idempotent() || operation.idempotent;
        if !idempotent || self.reconnects >= MAX_RECONNECTS {
            return Err(error);
        }
        self.reconnects += 1;
        tokio::time::sleep(self.parser.retry().unwrap_or(DEFAULT_RETRY)).await;
        let mut request = self.request.clone();
        if let Some(id) = self.parser.last_event_id() {
            request = request.header("last-event-id", id);
        }
        let response = self.client.execute_streaming(request).await?;
        self.body = response.into_body();
        Ok(())
    }

    fn decode(&self, event: Event) -> Result<TypedEvent<T>, MicroserviceError> {
        match serde_json::from_str(&event.data) {
            Ok(data) => Ok(TypedEvent {
                event: event.event,
                id: event.id,
                data,
            }),
            Err(error) => Err(MicroserviceError::decode(
                self.body.context.clone(),
                200,
                DecodeReason::Json,
                event.data.as_bytes(),
                1,
                Some(Box::new(EventDecodeError {
                    event: event.event,
                    id: event.id,
                    source: error,
                })),
            )),
        }
    }
}

impl<T> fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("body", &self.body)
            .field("last_event_id", &self.parser.last_event_id())
            .field("reconnects", &self.reconnects)
            .finish_non_exhaustive()
    }
}

/// The data of an event did not decode.
#[derive(Debug, thiserror::Error)]
#[error("the data of event `{event}`{} did not decode", id.as_ref().map(|id| format!(" (id {id})")).unwrap_or_default())]
pub struct EventDecodeError {
    /// The event's type.
    pub event: String,
    /// Its id, if the server set one.
    pub id: Option<String>,
    /// What the JSON decoder said.
    #[source]
    pub source: serde_json::Error,
}
