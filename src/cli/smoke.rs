//! `warden smoke --base-url URL`: the post-deploy black-box check (README, "Command line"). Each step prints
//! `PASS <step>` or `FAIL <step>: <reason>`; the exit code is 0 only when every step passed.

use std::process::ExitCode;
use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::exit;

struct Smoke {
    client: Client,
    base: String,
    passed: usize,
    failed: usize,
}

type StepResult = Result<(), String>;

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Smoke {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    fn record(&mut self, step: &str, result: StepResult) -> bool {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("PASS {step}");
                true
            }
            Err(reason) => {
                self.failed += 1;
                println!("FAIL {step}: {reason}");
                false
            }
        }
    }
}

fn expect(answer: &Answer, status: u16) -> StepResult {
    if answer.status.as_u16() == status {
        Ok(())
    } else {
        Err(format!(
            "expected {status}, got {} {}",
            answer.status.as_u16(),
            answer.body["error"]["code"]
        ))
    }
}

fn expect_error(answer: &Answer, status: u16, code: &str) -> StepResult {
    expect(answer, status)?;
    match answer.body["error"]["code"].as_str() {
        Some(actual) if actual == code => Ok(()),
        other => Err(format!("expected error code {code}, got {other:?}")),
    }
}

fn field(answer: &Answer, pointer: &str) -> Result<String, String> {
    answer
        .body
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("missing {pointer}"))
}

async fn probes(smoke: &mut Smoke) {
    for path in ["/livez", "/readyz", "/api/v1/health"] {
        let result = smoke
            .call(Method::GET, path, None, None)
            .await
            .and_then(|a| expect(&a, 200));
        smoke.record(&format!("GET {path}"), result);
    }
    let welcome = smoke
        .call(Method::GET, "/api/v1/", None, None)
        .await
        .and_then(|a| {
            expect(&a, 200)?;
            match field(&a, "/data/message")?.as_str() {
                "Welcome to warden!" => Ok(()),
                other => Err(format!("unexpected welcome message {other:?}")),
            }
        });
    smoke.record("GET /api/v1/", welcome);
    let docs = smoke
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .and_then(|a| {
            expect(&a, 200)?;
            let version = field(&a, "/openapi")?;
            if version.starts_with("3.1") {
                Ok(())
            } else {
                Err(format!("openapi version {version}"))
            }
        });
    smoke.record("GET /openapi.json", docs);
}

struct Account {
    email: String,
    password: String,
    username: String,
}

async fn login(smoke: &Smoke, account: &Account) -> Result<(String, String, i64), String> {
    let answer = smoke
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": account.email, "password": account.password})),
        )
        .await?;
    expect(&answer, 200)?;
    let id = answer
        .body
        .pointer("/data/user/id")
        .and_then(Value::as_i64)
        .ok_or("missing user id")?;
    Ok((
        field(&answer, "/data/access_token")?,
        field(&answer, "/data/refresh_token")?,
        id,
    ))
}

async fn session_flow(smoke: &mut Smoke) {
    let suffix: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(8)
        .collect();
    let account = Account {
        username: format!("smoke_{suffix}"),
        email: format!("smoke_{suffix}@example.com"),
        password: format!("Smoke-{}-Aa1", uuid::Uuid::new_v4().simple()),
    };
    let body = json!({"username": account.username, "email": account.email, "password": account.password, "first_name": "Smoke"});
    let registered = smoke
        .call(Method::POST, "/api/v1/auth/register", None, Some(body))
        .await
        .and_then(|a| expect(&a, 201));
    if !smoke.record("register", registered) {
        return;
    }
    let first = login(smoke, &account).await;
    let Some((access, refresh, _)) = first.as_ref().ok().cloned() else {
        smoke.record("login", first.map(|_| ()));
        return;
    };
    smoke.record("login", Ok(()));
    let me = smoke
        .call(Method::GET, "/api/v1/auth/me", Some(&access), None)
        .await
        .and_then(|a| {
            expect(&a, 200)?;
            let name = field(&a, "/data/username")?;
            if name == account.username {
                Ok(())
            } else {
                Err(format!("me returned {name}"))
            }
        });
    smoke.record("me", me);
    refresh_flow(smoke, &refresh).await;
    logout_flow(smoke, &account).await;
    cleanup(smoke, &account).await;
}

async fn refresh_flow(smoke: &mut Smoke, refresh: &str) {
    let rotated = smoke
        .call(Method::POST, "/api/v1/auth/refresh", Some(refresh), None)
        .await;
    let newest_access = rotated
        .as_ref()
        .ok()
        .and_then(|a| field(a, "/data/access_token").ok());
    smoke.record("refresh", rotated.and_then(|a| expect(&a, 200)));
    let replay = smoke
        .call(Method::POST, "/api/v1/auth/refresh", Some(refresh), None)
        .await;
    smoke.record(
        "refresh reuse rejected",
        replay.and_then(|a| expect_error(&a, 401, "TOKEN_INVALID")),
    );
    let revoked = match newest_access {
        Some(token) => {
            smoke
                .call(Method::GET, "/api/v1/auth/me", Some(&token), None)
                .await
        }
        None => Err("no access token from refresh".into()),
    };
    smoke.record(
        "session revoked after reuse",
        revoked.and_then(|a| expect_error(&a, 401, "TOKEN_INVALID")),
    );
}

async fn logout_flow(smoke: &mut Smoke, account: &Account) {
    let access = match login(smoke, account).await {
        Ok((access, _, _)) => access,
        Err(reason) => {
            smoke.record("logout", Err(reason));
            return;
        }
    };
    let logout = smoke
        .call(Method::POST, "/api/v1/auth/logout", Some(&access), None)
        .await;
    smoke.record("logout", logout.and_then(|a| expect(&a, 200)));
    let after = smoke
        .call(Method::GET, "/api/v1/auth/me", Some(&access), None)
        .await;
    smoke.record(
        "token rejected after logout",
        after.and_then(|a| expect_error(&a, 401, "TOKEN_INVALID")),
    );
}

async fn cleanup(smoke: &mut Smoke, account: &Account) {
    let result = match login(smoke, account).await {
        Ok((access, _, id)) => smoke
            .call(
                Method::DELETE,
                &format!("/api/v1/users/{id}"),
                Some(&access),
                None,
            )
            .await
            .and_then(|a| expect(&a, 200)),
        Err(reason) => Err(reason),
    };
    smoke.record("delete throwaway account", result);
}

pub async fn run(base_url: &str, timeout_secs: u64) -> ExitCode {
    let client = match Client::builder()
        .timeout(Duration::from_secs(timeout_secs))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            println!("FAIL setup: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let mut smoke = Smoke {
        client,
        base: base_url.trim_end_matches('/').to_string(),
        passed: 0,
        failed: 0,
    };
    println!("smoke test of {}", smoke.base);
    probes(&mut smoke).await;
    session_flow(&mut smoke).await;
    println!("{} passed, {} failed", smoke.passed, smoke.failed);
    ExitCode::from(if smoke.failed == 0 {
        exit::OK
    } else {
        exit::FAILURE
    })
}
