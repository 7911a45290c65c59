#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    warden::cli::run()
}
