//! Black-box tests: a real server on loopback, called over real gRPC, on SQLite and (when EE_TEST_POSTGRES_URL is
//! set at build time) on PostgreSQL.

mod calls;
mod eligibility;
mod faults;
mod feeds;
mod grpcurl;
mod history;
mod insights;
mod live;
mod outlook;
mod python_client;
mod read_model;
mod server;
mod shutdown;
mod tls;
mod writes;
