#![forbid(unsafe_code)]

// mimalloc: −10 % CPU per authenticated read, −17 % per login, and RSS under a login burst
// 164 MiB instead of 1.1 GiB with glibc, which keeps freed 19 MiB Argon2 buffers per thread
// (measured by bench/, see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    warden::cli::run()
}
