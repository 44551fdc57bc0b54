//! `cfg(postgres_tests)` for this crate's own PostgreSQL-only tests (the LISTEN connection over TLS) when
//! EE_TEST_POSTGRES_URL is set at build time, as tests/build.rs does: a run without PostgreSQL never counts a
//! skipped test as a pass.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=EE_TEST_POSTGRES_URL");
    if std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.trim().is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
