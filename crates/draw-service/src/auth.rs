//! The operator token that guards writes.

use std::fmt;

use ee_proto::error::ApiError;
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

/// A secret that never prints.
#[derive(Clone)]
pub struct OperatorToken(String);

impl OperatorToken {
    /// `None` for an empty token: an empty token would let anyone write.
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let t = token.into();
        (!t.trim().is_empty()).then_some(Self(t))
    }
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(***)")
    }
}

/// Decides whether a request may write.
#[derive(Debug, Clone)]
pub struct Authorizer {
    token: Option<OperatorToken>,
}

impl Authorizer {
    pub fn new(token: Option<OperatorToken>) -> Self {
        Self { token }
    }

    pub fn authorize(&self, metadata: &MetadataMap) -> Result<(), ApiError> {
        let Some(expected) = &self.token else {
            return Err(ApiError::FailedPrecondition(
                "writes are disabled because no operator token is configured; start the server with \
                 --operator-token or set EE_OPERATOR_TOKEN"
                    .into(),
            ));
        };
        let given = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "this call needs the header \"authorization: Bearer <operator token>\"".into(),
                )
            })?;
        if bool::from(given.trim().as_bytes().ct_eq(expected.0.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::Unauthenticated(
                "the operator token is not valid".into(),
            ))
        }
    }
}
