//! Black-box tests: a real server on loopback, called over real gRPC, on SQLite and (when EE_TEST_POSTGRES_URL is
//! set at build time) on PostgreSQL.

/// Runs each named `async fn(Backend)` once per backend: `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(ee_tests::Backend::Sqlite).await
                }
            )*
        }
        #[cfg(postgres_tests)]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(ee_tests::Backend::Postgres).await
                }
            )*
        }
    };
}

mod eligibility;
mod helpers;
mod history;
mod live;
mod python_client;
mod server;
mod writes;
