//! `cfg(postgres_tests)` when EE_TEST_POSTGRES_URL is set at build time: the PostgreSQL variants that
//! `on_both_backends!` writes exist only then, so a run without PostgreSQL never counts a skipped test as a pass.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=EE_TEST_POSTGRES_URL");
    if std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.trim().is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
