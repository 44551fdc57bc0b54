//! One line per failure, saying what happened and what to do, and the exit status for it.

use std::fmt;

use tonic::{Code, Status};

/// The documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Anything that went wrong that is not one of the others.
    Error = 1,
    /// A bad flag, argument, server address or missing token: the command line needs fixing.
    Usage = 2,
    /// The server has no such round, category or version.
    NotFound = 3,
}

/// A failure to report: its one-line message and its exit status.
#[derive(Debug)]
pub struct Error {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Error {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> anyhow::Error {
        Self::new(Exit::Usage, message).into()
    }

    /// The failure an error of any command stands for. A gRPC status that no command explained is explained here.
    pub fn from_anyhow(e: anyhow::Error) -> Self {
        let e = match e.downcast::<Error>() {
            Ok(e) => return e,
            Err(e) => e,
        };
        match e.downcast::<Status>() {
            Ok(s) => from_status(&s, ""),
            // `{:#}` joins the causes on one line.
            Err(e) => Self::new(Exit::Error, format!("{e:#}")),
        }
    }
}

/// A status as one line. `not_found_hint` says what to do when the server has no such thing.
pub fn from_status(s: &Status, not_found_hint: &str) -> Error {
    let message = one_line(s.message());
    // A status with a source was made by the client: the connection failed (TLS handshake, reset, refused).
    if let Some(source) = std::error::Error::source(s) {
        return Error::new(
            Exit::Error,
            format!(
                "cannot reach the server ({}); check that ee-server runs at --server (or EE_SERVER), and the \
                 TLS flags if it uses TLS",
                source_chain(source)
            ),
        );
    }
    let fields = field_violations(s);
    match s.code() {
        Code::NotFound => {
            let hint = if not_found_hint.is_empty() {
                String::new()
            } else {
                format!("; {not_found_hint}")
            };
            Error::new(Exit::NotFound, format!("{message}{hint}"))
        }
        Code::Unauthenticated => Error::new(
            Exit::Error,
            format!(
                "the server refused the operator token ({message}); pass the server's token with --token, \
                 EE_OPERATOR_TOKEN or EE_OPERATOR_TOKEN_FILE"
            ),
        ),
        Code::PermissionDenied => Error::new(
            Exit::Error,
            format!("the server refused the request ({message}); check the operator token"),
        ),
        Code::InvalidArgument | Code::OutOfRange => {
            let detail = if fields.is_empty() || message.contains(&fields) {
                message
            } else {
                format!("{message} ({fields})")
            };
            Error::new(
                Exit::Error,
                format!("the server refused the request: {detail}; fix the named field and retry"),
            )
        }
        Code::Unavailable => Error::new(
            Exit::Error,
            format!(
                "the server is unavailable ({message}); check that ee-server runs at --server (or EE_SERVER) \
                 and retry"
            ),
        ),
        Code::DeadlineExceeded => Error::new(
            Exit::Error,
            format!("the server did not answer in time ({message}); retry later"),
        ),
        Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => {
            Error::new(Exit::Error, format!("the server refused: {message}"))
        }
        Code::ResourceExhausted => Error::new(
            Exit::Error,
            format!("the server refused the request as too large or too many ({message})"),
        ),
        Code::Unimplemented => Error::new(
            Exit::Error,
            format!(
                "the server does not offer this call ({message}); it may be an older ee-server: upgrade it"
            ),
        ),
        code => Error::new(
            Exit::Error,
            format!(
                "the server failed ({code:?}: {message}); retry, and if it persists see the server's log"
            ),
        ),
    }
}

/// `field: description` for each field the server's BadRequest detail names, joined by "; ".
fn field_violations(s: &Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| format!("{}: {}", v.field, one_line(&v.description)))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// Newlines and runs of spaces collapsed: an error is one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error and its causes on one line, without repeating a cause whose text its parent already carries.
pub fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
