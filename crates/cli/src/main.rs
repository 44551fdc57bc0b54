//! `ee`: the command-line client. Everything is in the library (`ee_cli`), so tests and other tools can reuse it.

fn main() -> std::process::ExitCode {
    ee_cli::main()
}
