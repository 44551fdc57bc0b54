//! The one table from the project's error codes to gRPC status codes, and how an error becomes a status.
//!
//! Every error type implements [`ee_domain::ServiceError`] once (its code, what a client may be told, the fields
//! it names); any of them converts into [`ApiError`] with `?`, and [`ApiError`] into a `tonic::Status` here:
//! `INVALID_ARGUMENT` carries google.rpc.BadRequest details naming every wrong field; `UNAVAILABLE` is logged as a
//! warning; `INTERNAL` is logged with its whole cause chain and answered with a generic message.

use ee_domain::{
    ErrorCode, FieldViolation as Violation, InvalidInput, ServiceError, error_chain as chain,
};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The gRPC code of each error code: the whole table.
pub fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::AlreadyExists => Code::AlreadyExists,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::OutOfRange => Code::OutOfRange,
        ErrorCode::ResourceExhausted => Code::ResourceExhausted,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Internal => Code::Internal,
    }
}

/// Everything an RPC can fail with.
#[derive(Debug)]
pub enum ApiError {
    /// The request is wrong; every wrong field is named (google.rpc.BadRequest details).
    InvalidArgument(InvalidInput),
    NotFound(String),
    AlreadyExists(String),
    FailedPrecondition(String),
    OutOfRange(String),
    ResourceExhausted(String),
    Unauthenticated(String),
    Unavailable(String),
    /// A fault of the server: logged with its cause, answered with a generic message.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl<E: ServiceError> From<E> for ApiError {
    fn from(e: E) -> Self {
        let message = e.client_message();
        match e.error_code() {
            ErrorCode::InvalidArgument => ApiError::InvalidArgument(InvalidInput {
                violations: e.field_violations(),
            }),
            ErrorCode::NotFound => ApiError::NotFound(message),
            ErrorCode::AlreadyExists => ApiError::AlreadyExists(message),
            ErrorCode::FailedPrecondition => ApiError::FailedPrecondition(message),
            ErrorCode::OutOfRange => ApiError::OutOfRange(message),
            ErrorCode::ResourceExhausted => ApiError::ResourceExhausted(message),
            ErrorCode::Unauthenticated => ApiError::Unauthenticated(message),
            ErrorCode::Unavailable => {
                tracing::warn!(error = %chain(&e), "unavailable");
                ApiError::Unavailable(message)
            }
            ErrorCode::Internal => ApiError::Internal(Box::new(e)),
        }
    }
}

impl ApiError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ApiError::InvalidArgument(InvalidInput::one(field, description))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::AlreadyExists(_) => ErrorCode::AlreadyExists,
            ApiError::FailedPrecondition(_) => ErrorCode::FailedPrecondition,
            ApiError::OutOfRange(_) => ErrorCode::OutOfRange,
            ApiError::ResourceExhausted(_) => ErrorCode::ResourceExhausted,
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        let code = grpc_code(e.code());
        match e {
            ApiError::InvalidArgument(input) => {
                let violations: Vec<FieldViolation> = input
                    .violations
                    .iter()
                    .map(|v: &Violation| {
                        FieldViolation::new(v.field.clone(), v.description.clone())
                    })
                    .collect();
                Status::with_error_details(
                    code,
                    input.to_string(),
                    ErrorDetails::with_bad_request(violations),
                )
            }
            ApiError::NotFound(m)
            | ApiError::AlreadyExists(m)
            | ApiError::FailedPrecondition(m)
            | ApiError::OutOfRange(m)
            | ApiError::ResourceExhausted(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Unavailable(m) => Status::new(code, m),
            ApiError::Internal(cause) => {
                tracing::error!(error = %chain(cause.as_ref()), "internal error");
                Status::internal("internal error; the server log has the details")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the disk is on fire")]
    struct Fire;

    impl ServiceError for Fire {
        fn error_code(&self) -> ErrorCode {
            ErrorCode::Internal
        }
    }

    #[test]
    fn internal_errors_are_not_told() {
        let status = Status::from(ApiError::from(Fire));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("fire"), "{status:?}");
    }

    #[test]
    fn invalid_input_names_every_field() {
        let input = InvalidInput {
            violations: vec![Violation::new("a", "x"), Violation::new("b.c", "y")],
        };
        let status = Status::from(ApiError::from(input));
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> = status
            .get_details_bad_request()
            .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["a", "b.c"]);
    }
}
