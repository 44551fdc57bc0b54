//! The API's error codes, mapped to gRPC status codes in one place.

use ee_domain::InvalidInput;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

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

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::InvalidArgument(e)
    }
}

impl ApiError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ApiError::InvalidArgument(InvalidInput::one(field, description))
    }

    pub fn code(&self) -> Code {
        match self {
            ApiError::InvalidArgument(_) => Code::InvalidArgument,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::AlreadyExists(_) => Code::AlreadyExists,
            ApiError::FailedPrecondition(_) => Code::FailedPrecondition,
            ApiError::OutOfRange(_) => Code::OutOfRange,
            ApiError::ResourceExhausted(_) => Code::ResourceExhausted,
            ApiError::Unauthenticated(_) => Code::Unauthenticated,
            ApiError::Unavailable(_) => Code::Unavailable,
            ApiError::Internal(_) => Code::Internal,
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        let code = e.code();
        match e {
            ApiError::InvalidArgument(input) => {
                let violations: Vec<FieldViolation> = input
                    .violations
                    .iter()
                    .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
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
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(error = %chain, "internal error");
                Status::internal("internal error; the server log has the details")
            }
        }
    }
}
