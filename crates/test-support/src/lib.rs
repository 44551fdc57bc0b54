#![doc = include_str!("../README.md")]

pub mod app;
pub mod auth;
pub mod db;
pub mod fault_proxy;
pub mod feed_server;
pub mod fixtures;
pub mod ircc;
pub mod status;
pub mod streams;
pub mod tls;

pub use app::TestApp;
pub use auth::{OPERATOR_TOKEN, authorized, with_token};
pub use db::{Backend, TestDb};
pub use feed_server::FeedServer;

/// Writes, for each listed `async fn name(backend: Backend)` of the calling module, the tests `sqlite::name` and
/// (when the PostgreSQL tests are built) `postgres::name`. Call it inside a module, so that the test names read
/// `<module>::sqlite::<name>` and `<module>::postgres::<name>`, as `.ci/run` counts them.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        $crate::if_postgres_tests! {
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::$name($crate::Backend::Postgres).await
                    }
                )*
            }
        }
    };
}

/// The items it is given when the PostgreSQL tests are built (EE_TEST_POSTGRES_URL set at build time), nothing
/// otherwise. The decision is this crate's build script's, so every test crate gets the same answer.
#[cfg(postgres_tests)]
#[macro_export]
macro_rules! if_postgres_tests {
    ($($item:item)*) => {
        $($item)*
    };
}

/// The items it is given when the PostgreSQL tests are built (EE_TEST_POSTGRES_URL set at build time), nothing
/// otherwise. The decision is this crate's build script's, so every test crate gets the same answer.
#[cfg(not(postgres_tests))]
#[macro_export]
macro_rules! if_postgres_tests {
    ($($item:item)*) => {};
}
