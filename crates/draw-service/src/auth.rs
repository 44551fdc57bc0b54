//! The operator token that guards writes.

use std::fmt;

use ee_proto::error::ApiError;
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

/// A secret that never prints.
#[derive(Clone)]
pub struct OperatorToken(String);

impl OperatorToken {
    /// The token without surrounding white space (a secret file usually ends with a newline); `None` for an empty
    /// token: an empty token would let anyone write.
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let t = token.into();
        let t = t.trim();
        (!t.is_empty()).then(|| Self(t.to_owned()))
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
        // The scheme is case-insensitive (RFC 9110 section 11.1).
        let given = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with(header: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert("authorization", header.parse().expect("header"));
        m
    }

    #[test]
    fn the_token_is_trimmed_and_the_scheme_case_insensitive() {
        let auth = Authorizer::new(OperatorToken::new("s3cret\n"));
        for ok in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER s3cret",
            "Bearer  s3cret ",
            "bEaReR s3cret",
        ] {
            assert!(auth.authorize(&with(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "Bearer s3cre",
            "Basic s3cret",
            "Bearers3cret",
            "s3cret",
            "Bearer",
            "Bearer s3cret x",
        ] {
            assert!(
                matches!(
                    auth.authorize(&with(bad)),
                    Err(ApiError::Unauthenticated(_))
                ),
                "{bad}"
            );
        }
        assert!(OperatorToken::new(" \n").is_none());
        assert_eq!(
            format!("{:?}", OperatorToken::new("s3cret")),
            "Some(OperatorToken(***))"
        );
    }
}
