//! What can go wrong in the store, and which error code each failure is (see `ee_domain::error_code`).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ee_domain::{ErrorCode, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database configuration: {0}")]
    Config(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(
        "round {0} is already recorded with different content; IRCC's corrections arrive through ImportFeed"
    )]
    Conflict(String),
    /// A caller broke the store's contract (for example a batch naming a round twice).
    #[error("store misuse: {0}")]
    Misuse(String),
    /// The blocking task was cancelled: the runtime is shutting down.
    #[error("the database call was cancelled: {0}")]
    Cancelled(String),
}

impl StoreError {
    /// The database could not be reached (rather than a query failing): callers may retry later.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Pool(_)
                | StoreError::Connect(_)
                | StoreError::Cancelled(_)
                | StoreError::Query(
                    DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
                        | DieselError::BrokenTransactionManager
                )
        )
    }
}

impl ServiceError for StoreError {
    fn error_code(&self) -> ErrorCode {
        match self {
            StoreError::Conflict(_) => ErrorCode::AlreadyExists,
            e if e.is_unavailable() => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }

    fn client_message(&self) -> String {
        if self.is_unavailable() {
            "the database is unavailable; retry later".into()
        } else {
            self.to_string()
        }
    }
}
