//! The operator token of the test servers, and requests that carry a token.

use tonic::Request;

/// The operator token the test servers are started with.
pub const OPERATOR_TOKEN: &str = "test-operator-token";

/// A request carrying the operator token.
pub fn authorized<T>(message: T) -> Request<T> {
    with_token(message, OPERATOR_TOKEN)
}

/// A request carrying `token` as `authorization: Bearer <token>`.
pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header value"),
    );
    r
}
