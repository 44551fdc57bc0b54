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
        match self {
            StoreError::Pool(_) | StoreError::Connect(_) | StoreError::Cancelled(_) => true,
            StoreError::Query(DieselError::BrokenTransactionManager) => true,
            StoreError::Query(DieselError::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection
                        | DatabaseErrorKind::UnableToSendCommand
                        | DatabaseErrorKind::SerializationFailure
                ) || transient(info.message())
            }
            _ => false,
        }
    }
}

/// Whether a database's message says something a retry can outlast: a connection lost, a server starting or
/// stopping, a full disk, a busy or read-only file. Nothing was written: each write is one transaction.
fn transient(message: &str) -> bool {
    const TRANSIENT: [&str; 16] = [
        "database or disk is full",
        "disk i/o error",
        "database is locked",
        "readonly database",
        "no space left on device",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "could not send data",
        "could not receive data",
        "connection refused",
        "too many connections",
        "could not extend file",
    ];
    let message = message.to_ascii_lowercase();
    TRANSIENT.iter().any(|t| message.contains(t))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn database(kind: DatabaseErrorKind, message: &str) -> StoreError {
        StoreError::Query(DieselError::DatabaseError(
            kind,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn faults_a_retry_can_outlast_are_unavailable() {
        for e in [
            database(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection unexpectedly",
            ),
            database(DatabaseErrorKind::Unknown, "database or disk is full"),
            database(
                DatabaseErrorKind::Unknown,
                "FATAL: the database system is starting up",
            ),
            database(
                DatabaseErrorKind::Unknown,
                "could not extend file \"base/16384/2619\": No space left on device",
            ),
            database(
                DatabaseErrorKind::Unknown,
                "attempt to write a readonly database",
            ),
            database(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access",
            ),
        ] {
            assert_eq!(e.error_code(), ErrorCode::Unavailable, "{e}");
            assert_eq!(
                e.client_message(),
                "the database is unavailable; retry later"
            );
        }
        for e in [
            database(
                DatabaseErrorKind::Unknown,
                "relation \"draws\" does not exist",
            ),
            database(DatabaseErrorKind::UniqueViolation, "duplicate key"),
            StoreError::Corrupt("x".into()),
        ] {
            assert_eq!(e.error_code(), ErrorCode::Internal, "{e}");
        }
        assert_eq!(
            StoreError::Conflict("435".into()).error_code(),
            ErrorCode::AlreadyExists
        );
    }
}
