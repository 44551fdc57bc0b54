//! Assertions on the answers of gRPC calls.

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{Draw, GetDrawRequest};
use tonic::transport::Channel;
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

/// The round with this number, which must exist.
pub async fn get(client: &mut DrawServiceClient<Channel>, number: impl Into<String>) -> Draw {
    let number = number.into();
    client
        .get_draw(GetDrawRequest {
            number: number.clone(),
        })
        .await
        .unwrap_or_else(|e| panic!("GetDraw {number}: {e:?}"))
        .into_inner()
        .draw
        .unwrap_or_else(|| panic!("GetDraw {number}: no draw in the response"))
}
