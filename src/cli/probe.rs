//! `healthcheck` (Docker HEALTHCHECK without curl) and `openapi`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::exit;

fn default_url() -> String {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(5500);
    format!("http://127.0.0.1:{port}/readyz")
}

pub async fn healthcheck(url: Option<String>, timeout_secs: u64) -> ExitCode {
    let url = url.unwrap_or_else(default_url);
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_secs))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            println!("unhealthy: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match client.get(&url).send().await {
        Ok(response) if response.status() == reqwest::StatusCode::OK => {
            println!("healthy");
            ExitCode::from(exit::OK)
        }
        Ok(response) => {
            println!("unhealthy: {}", response.status().as_u16());
            ExitCode::from(exit::FAILURE)
        }
        Err(err) => {
            println!("unhealthy: {err}");
            ExitCode::from(exit::FAILURE)
        }
    }
}

pub fn openapi(output: Option<&Path>) -> ExitCode {
    let document = crate::http::routes::docs::document_pretty();
    let written = match output {
        Some(path) => std::fs::write(path, document.as_bytes()).map_err(|e| e.to_string()),
        None => {
            print!("{document}");
            Ok(())
        }
    };
    match written {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
