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

    /// Both results, or every bad field of both: two checks of one request that fail are reported together, so
    /// that one bad part does not hide the others. Another error than a bad argument is reported alone.
    pub fn join<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
        match (a, b) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            (Err(ApiError::InvalidArgument(mut x)), Err(ApiError::InvalidArgument(y))) => {
                x.violations.extend(y.violations);
                Err(ApiError::InvalidArgument(x))
            }
            (Err(e @ ApiError::InvalidArgument(_)), Err(other))
            | (Err(other), Err(e @ ApiError::InvalidArgument(_))) => {
                drop(e);
                Err(other)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
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

/// Bounds on what a status carries, so that it reaches every client: gRPC libraries refuse trailers over 8 to 16 KB.
pub mod bounds {
    /// Field violations listed in the details; the rest are counted in a last one.
    pub const MAX_VIOLATIONS: usize = 20;
    /// Characters of one violation's description.
    pub const MAX_DESCRIPTION: usize = 240;
    /// Characters of the message.
    pub const MAX_MESSAGE: usize = 1024;
    /// Characters of a quoted input shown in a message: an excerpt, never the whole input.
    pub const MAX_QUOTED: usize = 40;
}

/// The text with every quoted input longer than [`bounds::MAX_QUOTED`] cut to an excerpt, and the whole cut to `max`
/// characters.
pub fn bounded(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 16));
    let mut quoted: Option<usize> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quoted {
            Some(n) => {
                if !escaped && c == '"' {
                    if n > bounds::MAX_QUOTED {
                        out.push_str(&format!("…({} characters)", n));
                    }
                    out.push(c);
                    quoted = None;
                } else {
                    if n < bounds::MAX_QUOTED {
                        out.push(c);
                    }
                    escaped = !escaped && c == '\\';
                    quoted = Some(n + 1);
                }
            }
            None => {
                out.push(c);
                if c == '"' {
                    quoted = Some(0);
                    escaped = false;
                }
            }
        }
    }
    truncated(out, max)
}

/// The text cut to `max` characters (then "…"); quotes are left as they are.
fn truncated(text: String, max: usize) -> String {
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        return format!("{cut}…");
    }
    text
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        let code = grpc_code(e.code());
        match e {
            ApiError::InvalidArgument(input) => {
                let total = input.violations.len();
                let mut violations: Vec<FieldViolation> = input
                    .violations
                    .iter()
                    .take(bounds::MAX_VIOLATIONS)
                    .map(|v: &Violation| {
                        FieldViolation::new(
                            bounded(&v.field, bounds::MAX_QUOTED * 2),
                            bounded(&v.description, bounds::MAX_DESCRIPTION),
                        )
                    })
                    .collect();
                if total > bounds::MAX_VIOLATIONS {
                    violations.push(FieldViolation::new(
                        "",
                        format!("and {} more", total - bounds::MAX_VIOLATIONS),
                    ));
                }
                let shown: Vec<String> = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect();
                // The descriptions are bounded already: cutting their excerpts again would count the excerpt's
                // characters, not the input's.
                let message = truncated(
                    format!("invalid input: {}", shown.join("; ")),
                    bounds::MAX_MESSAGE,
                );
                Status::with_error_details(
                    code,
                    message,
                    ErrorDetails::with_bad_request(violations),
                )
            }
            ApiError::NotFound(m)
            | ApiError::AlreadyExists(m)
            | ApiError::FailedPrecondition(m)
            | ApiError::OutOfRange(m)
            | ApiError::ResourceExhausted(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Unavailable(m) => Status::new(code, bounded(&m, bounds::MAX_MESSAGE)),
            ApiError::Internal(cause) => {
                tracing::error!(error = %bounded(&chain(cause.as_ref()), 4 * bounds::MAX_MESSAGE), "internal error");
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
    fn statuses_stay_small_whatever_the_input() {
        let huge = "9".repeat(5000);
        let input = InvalidInput {
            violations: (0..60)
                .map(|i| Violation::new(format!("f{i}"), format!("{huge:?} is not a round number")))
                .collect(),
        };
        let status = Status::from(ApiError::from(input));
        let details = status.details().len();
        assert!(
            status.message().len() + details < 8 * 1024,
            "{} + {details}",
            status.message().len()
        );
        let fields = status
            .get_details_bad_request()
            .map(|b| b.field_violations)
            .unwrap_or_default();
        assert_eq!(fields.len(), bounds::MAX_VIOLATIONS + 1);
        assert!(
            fields[0].description.contains("…(5000 characters)"),
            "{}",
            fields[0].description
        );
        assert!(
            status.message().contains("…(5000 characters)"),
            "the message counts the input's characters, not the excerpt's: {}",
            status.message()
        );
        assert!(fields[0].description.ends_with("is not a round number"));
        assert_eq!(fields[bounds::MAX_VIOLATIONS].description, "and 40 more");
        let nf = Status::from(ApiError::NotFound(format!("there is no round {huge}")));
        assert!(nf.message().len() < 1100);
    }

    #[test]
    fn short_quotes_are_kept_whole() {
        assert_eq!(
            bounded(r#""abc" is not a round number"#, 100),
            r#""abc" is not a round number"#
        );
        assert_eq!(bounded(r#"a "q\"uote" here"#, 100), r#"a "q\"uote" here"#);
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
