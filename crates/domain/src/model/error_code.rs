//! The error policy: every error type of the project says, once, which of a small set of codes it is; the transport
//! maps those codes to its own (gRPC in `ee-proto`'s `error` module) in one place.
//!
//! - A caller's mistake is [`ErrorCode::InvalidArgument`] and names every wrong field
//!   ([`ServiceError::field_violations`]); nothing is written.
//! - A fault that may go away by itself (a database that cannot be reached, a server shutting down) is
//!   [`ErrorCode::Unavailable`]: the client retries, possibly on another replica. Its message never carries the
//!   database's own words.
//! - A fault of the server is [`ErrorCode::Internal`]: logged with its whole cause chain, answered with a generic
//!   message.
//! - The other codes (not found, already exists, ...) carry a sentence that says what to do instead.
//!
//! The model is quickwit's `ServiceError`/`ServiceErrorCode`.

use super::error::{FieldViolation, InvalidInput};

/// What kind of failure an error is, whatever the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    OutOfRange,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Internal,
}

/// An error that knows its [`ErrorCode`]: implemented once by each error type.
pub trait ServiceError: std::error::Error + Send + Sync + 'static {
    fn error_code(&self) -> ErrorCode;

    /// What a client is told. Internal errors are never told (the transport answers a generic message).
    fn client_message(&self) -> String {
        self.to_string()
    }

    /// For [`ErrorCode::InvalidArgument`]: every wrong field.
    fn field_violations(&self) -> Vec<FieldViolation> {
        Vec::new()
    }
}

impl ServiceError for InvalidInput {
    fn error_code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }

    fn field_violations(&self) -> Vec<FieldViolation> {
        self.violations.clone()
    }
}

/// An error and its sources joined with ": ", for logs.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a caught panic says (its `&str` or `String` payload), for logs.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}
