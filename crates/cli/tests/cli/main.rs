//! `ee` run as a process against real servers (TestApp, on SQLite and on PostgreSQL where the database matters),
//! over real gRPC on loopback.

mod errors;
mod explore;
mod history;
mod invitation_history;
mod pool_outlook;
mod profiles;
mod support;
mod tls;
mod watch;
