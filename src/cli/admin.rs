//! `create-admin` and `assign-admin` (README, "Command line"); the account is created by the same
//! service code as a registration.

use std::io::{BufRead, IsTerminal};

use serde_json::Value;

use crate::cli::database::prepared_database;
use crate::cli::exit;
use crate::config::Config;
use crate::domain::{JsonObject, NewUser, parse_user_create};
use crate::error::AppError;
use crate::service::Context;
use crate::service::users::{self, Enrolment};
use crate::store::Db;
use crate::store::rbac::{self, RoleRow};
use crate::store::seed::seed_rbac;

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

/// The fields of a command-line account, validated by the registration parser so that it
/// obeys the same rules as one registered over HTTP.
pub struct AccountDraft<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    pub bio: Option<&'a str>,
}

impl AccountDraft<'_> {
    pub fn validate(&self) -> Result<NewUser, u8> {
        let text = |value: &str| Value::String(value.to_owned());
        let optional = |value: Option<&str>| value.map_or(Value::Null, text);
        let mut body = JsonObject::new();
        body.insert("username".into(), text(self.username));
        body.insert("email".into(), text(self.email));
        body.insert("password".into(), text(self.password));
        body.insert("first_name".into(), text(self.first_name));
        body.insert("last_name".into(), optional(self.last_name));
        if let Some(bio) = self.bio {
            body.insert("bio".into(), text(bio));
        }
        parse_user_create(&body).map_err(|errors| {
            for (field, message) in errors {
                println!("{field}: {message}");
            }
            exit::USAGE
        })
    }
}

/// The live `super_admin` role, or a refusal when it is missing or was soft-deleted.
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
    let new_user = AccountDraft {
        username: &request.username,
        email: &request.email,
        password: &password,
        first_name: &request.first_name,
        last_name: request.last_name.as_deref(),
        bio: None,
    }
    .validate()?;
    let db = prepared_database(&config).await?;
    seed_rbac(&db).await.map_err(|e| {
        println!("error: {e}");
        exit::FAILURE
    })?;
    let role = super_admin_role(&db).await?;
    let ctx = Context::offline(&config, db);
    let enrolment = Enrolment {
        roles: std::slice::from_ref(&role.name),
        client: None,
        email_verified: true,
    };
    let user = users::create(&ctx, &new_user, enrolment)
        .await
        .map_err(|err| report_failure(&err))?;
    println!("created super admin {} (id {})", user.username, user.id);
    Ok(exit::OK)
}

/// A refused or failed account creation, as the command prints it.
pub fn report_failure(err: &AppError) -> u8 {
    match err {
        AppError::AlreadyExists(message) => println!("{message}"),
        AppError::Database(err) => println!("error: {err}"),
        AppError::Internal { detail, .. } => println!("error: {detail}"),
        other => println!("error: {other}"),
    }
    exit::FAILURE
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
    let Some(user) = crate::store::users::find_live_by_username(&db, &username)
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
