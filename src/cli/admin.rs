//! `create-admin` and `assign-admin` (README, "Command line").

use std::io::{BufRead, IsTerminal};

use serde_json::{Value, json};

use crate::cli::database::prepared_database;
use crate::cli::exit;
use crate::config::Config;
use crate::domain::{NewUser, parse_user_create};
use crate::security::password_hash::hash_password;
use crate::store::rbac::{self, RoleRow};
use crate::store::seed::seed_rbac;
use crate::store::users::{self, NewUserRow};
use crate::store::{Db, DbError, email_verifications};

const SUPER_ADMIN: &str = "super_admin";

pub struct CreateAdmin {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub password_stdin: bool,
}

fn read_password(from_stdin: bool) -> Result<String, u8> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|_| exit::USAGE)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Ok(password) = std::env::var("WARDEN_ADMIN_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        println!(
            "error: no password given: use --password-stdin, WARDEN_ADMIN_PASSWORD or a terminal"
        );
        return Err(exit::USAGE);
    }
    let first = rpassword::prompt_password("Password: ").map_err(|_| exit::USAGE)?;
    let second = rpassword::prompt_password("Repeat password: ").map_err(|_| exit::USAGE)?;
    if first != second {
        println!("error: passwords do not match");
        return Err(exit::USAGE);
    }
    Ok(first)
}

fn validate(request: &CreateAdmin, password: String) -> Result<NewUser, u8> {
    let body = json!({
        "username": request.username,
        "email": request.email,
        "password": password,
        "first_name": request.first_name,
        "last_name": request.last_name,
    });
    let Value::Object(object) = body else {
        return Err(exit::USAGE);
    };
    parse_user_create(&object).map_err(|errors| {
        for (field, message) in errors {
            println!("{field}: {message}");
        }
        exit::USAGE
    })
}

/// The live `super_admin` role, or a refusal when it was soft-deleted.
async fn super_admin_role(db: &Db) -> Result<RoleRow, u8> {
    match rbac::role_by_name_any(db, SUPER_ADMIN).await {
        Ok(Some(role)) if !role.is_deleted => Ok(role),
        Ok(Some(_)) => {
            println!("role '{SUPER_ADMIN}' is deleted");
            Err(exit::FAILURE)
        }
        Ok(None) => {
            println!("role '{SUPER_ADMIN}' not found");
            Err(exit::FAILURE)
        }
        Err(err) => {
            println!("error: {err}");
            Err(exit::FAILURE)
        }
    }
}

pub async fn create_admin(config: Config, request: CreateAdmin) -> u8 {
    match create_admin_steps(config, request).await {
        Ok(code) | Err(code) => code,
    }
}

async fn create_admin_steps(config: Config, request: CreateAdmin) -> Result<u8, u8> {
    let password = read_password(request.password_stdin)?;
    let new_user = validate(&request, password)?;
    let db = prepared_database(&config).await?;
    let failed = |err: &dyn std::fmt::Display| {
        println!("error: {err}");
        exit::FAILURE
    };
    seed_rbac(&db).await.map_err(|e| failed(&e))?;
    let role = super_admin_role(&db).await?;
    if users::username_taken(&db, new_user.username.as_str())
        .await
        .map_err(|e| failed(&e))?
    {
        println!("Username already exists");
        return Err(exit::FAILURE);
    }
    if users::email_taken(&db, new_user.email.as_str())
        .await
        .map_err(|e| failed(&e))?
    {
        println!("Email already exists");
        return Err(exit::FAILURE);
    }
    let plain = new_user.password.as_str().to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&plain))
        .await
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))?;
    let row = NewUserRow {
        username: new_user.username.as_str(),
        email: new_user.email.as_str(),
        password_hash: &hash,
        first_name: new_user.first_name.as_str(),
        middle_name: None,
        last_name: new_user.last_name.as_ref().map(|n| n.as_str()),
        bio: None,
    };
    // No audit event: the operator's shell is not a request (the command prints what it did).
    let user =
        users::insert_with_roles(&db, &row, std::slice::from_ref(&role.name), |_| Vec::new())
            .await
            .map_err(|e| failed(&e))?
            .row;
    // The operator typed this address: it counts as verified.
    record_verified(&db, user.id, &user.email)
        .await
        .map_err(|e| failed(&e))?;
    println!("created super admin {} (id {})", user.username, user.id);
    Ok(exit::OK)
}

async fn record_verified(db: &Db, user_id: i32, email: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    email_verifications::record(&mut tx, user_id, email).await?;
    tx.commit().await
}

pub async fn assign_admin(config: Config, raw_username: &str) -> u8 {
    match assign_admin_steps(config, raw_username).await {
        Ok(code) | Err(code) => code,
    }
}

async fn assign_admin_steps(config: Config, raw_username: &str) -> Result<u8, u8> {
    let username = raw_username.trim().to_lowercase();
    let db = prepared_database(&config).await?;
    let failed = |err: &dyn std::fmt::Display| {
        println!("error: {err}");
        exit::FAILURE
    };
    let role = super_admin_role(&db).await?;
    let Some(user) = users::find_live_by_username(&db, &username)
        .await
        .map_err(|e| failed(&e))?
    else {
        println!("user '{username}' not found");
        return Err(exit::FAILURE);
    };
    if rbac::assign_role(&db, user.id, role.id, None, &[])
        .await
        .map_err(|e| failed(&e))?
    {
        println!("assigned role '{SUPER_ADMIN}' to user '{username}'");
    } else {
        println!("user '{username}' already has role '{SUPER_ADMIN}'");
    }
    Ok(exit::OK)
}
