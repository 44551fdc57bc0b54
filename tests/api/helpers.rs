//! Assertions on gRPC statuses.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The status of a call that must fail with `code`.
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got a response: {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), code, "{s:?}");
            s
        }
    }
}

/// The fields a BadRequest detail names.
pub fn bad_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A call that must fail with INVALID_ARGUMENT naming `field` in its BadRequest details.
pub fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) -> Status {
    let s = expect_code(result, Code::InvalidArgument);
    let fields = bad_fields(&s);
    assert!(
        fields.iter().any(|f| f == field),
        "expected {field} among {fields:?}: {s:?}"
    );
    s
}
