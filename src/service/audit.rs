//! The security audit log (docs/operations.md, "Audit log"): one typed event per
//! security-relevant action, stored in the same transaction as the change it describes and,
//! once committed, logged at INFO with target `warden::audit` and counted in
//! `warden_audit_events_total{event}`.
//!
//! Each variant fixes its actor, subject and details, so a caller cannot put a password, a
//! token, a hash or a `bio` value into the log: the variants carry none.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::AppResult;
use crate::service::Context;
use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::types::Ts;

/// The `warden::audit` log target (a SIEM can route on it).
pub const LOG_TARGET: &str = "warden::audit";
/// Column sizes of `auth.audit_events`.
const REQUEST_ID_MAX_CHARS: usize = 64;
const USER_AGENT_MAX_CHARS: usize = 512;

/// Client facts of a request: recorded on new sessions and on audit events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Every event name, in the order of the documentation; the one source for the admin route's
/// `event` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    Logout,
    RefreshReuse,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    EmailVerified,
    SessionsRevoked,
    AccountThrottled,
    UserUpdated,
    UserDeactivated,
    UserDeleted,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    RoleAssigned,
    RoleRevoked,
    PermissionGranted,
    PermissionRevoked,
}

impl EventKind {
    pub const ALL: [Self; 21] = [
        Self::UserRegistered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Logout,
        Self::RefreshReuse,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailVerified,
        Self::SessionsRevoked,
        Self::AccountThrottled,
        Self::UserUpdated,
        Self::UserDeactivated,
        Self::UserDeleted,
        Self::RoleCreated,
        Self::RoleUpdated,
        Self::RoleDeleted,
        Self::RoleAssigned,
        Self::RoleRevoked,
        Self::PermissionGranted,
        Self::PermissionRevoked,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::LoginSucceeded => "auth.login_succeeded",
            Self::LoginFailed => "auth.login_failed",
            Self::Logout => "auth.logout",
            Self::RefreshReuse => "auth.refresh_reuse",
            Self::PasswordChanged => "auth.password_changed",
            Self::PasswordResetRequested => "auth.password_reset_requested",
            Self::PasswordReset => "auth.password_reset",
            Self::EmailVerified => "auth.email_verified",
            Self::SessionsRevoked => "auth.sessions_revoked",
            Self::AccountThrottled => "auth.account_throttled",
            Self::UserUpdated => "user.updated",
            Self::UserDeactivated => "user.deactivated",
            Self::UserDeleted => "user.deleted",
            Self::RoleCreated => "rbac.role_created",
            Self::RoleUpdated => "rbac.role_updated",
            Self::RoleDeleted => "rbac.role_deleted",
            Self::RoleAssigned => "rbac.role_assigned",
            Self::RoleRevoked => "rbac.role_revoked",
            Self::PermissionGranted => "rbac.permission_granted",
            Self::PermissionRevoked => "rbac.permission_revoked",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Why a login was refused (`details.reason` of `auth.login_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    InvalidCredentials,
    AccountDeactivated,
    EmailUnverified,
}

impl LoginFailure {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDeactivated => "account_deactivated",
            Self::EmailUnverified => "email_unverified",
        }
    }
}

/// One security-relevant action with the facts the log keeps about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEvent {
    UserRegistered {
        user_id: i32,
    },
    LoginSucceeded {
        user_id: i32,
    },
    LoginFailed {
        email: String,
        user_id: Option<i32>,
        reason: LoginFailure,
    },
    Logout {
        user_id: i32,
    },
    RefreshReuse {
        user_id: i32,
    },
    PasswordChanged {
        user_id: i32,
    },
    PasswordResetRequested {
        user_id: i32,
    },
    PasswordReset {
        user_id: i32,
    },
    EmailVerified {
        user_id: i32,
    },
    SessionsRevoked {
        caller_id: i32,
        owner_id: i32,
        count: u64,
        reason: &'static str,
    },
    AccountThrottled {
        email: String,
        user_id: Option<i32>,
    },
    /// `fields`: the names of the stored changes (never their values).
    UserUpdated {
        caller_id: i32,
        target_id: i32,
        fields: Vec<&'static str>,
    },
    UserDeactivated {
        caller_id: i32,
        target_id: i32,
    },
    UserDeleted {
        caller_id: i32,
        target_id: i32,
    },
    RoleCreated {
        caller_id: i32,
        role: String,
    },
    RoleUpdated {
        caller_id: i32,
        role: String,
    },
    RoleDeleted {
        caller_id: i32,
        role: String,
    },
    RoleAssigned {
        caller_id: i32,
        target_id: i32,
        role: String,
    },
    RoleRevoked {
        caller_id: i32,
        target_id: i32,
        role: String,
    },
    PermissionGranted {
        caller_id: i32,
        target_id: i32,
        permission: String,
    },
    PermissionRevoked {
        caller_id: i32,
        target_id: i32,
        permission: String,
    },
}

impl AuditEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::UserRegistered { .. } => EventKind::UserRegistered,
            Self::LoginSucceeded { .. } => EventKind::LoginSucceeded,
            Self::LoginFailed { .. } => EventKind::LoginFailed,
            Self::Logout { .. } => EventKind::Logout,
            Self::RefreshReuse { .. } => EventKind::RefreshReuse,
            Self::PasswordChanged { .. } => EventKind::PasswordChanged,
            Self::PasswordResetRequested { .. } => EventKind::PasswordResetRequested,
            Self::PasswordReset { .. } => EventKind::PasswordReset,
            Self::EmailVerified { .. } => EventKind::EmailVerified,
            Self::SessionsRevoked { .. } => EventKind::SessionsRevoked,
            Self::AccountThrottled { .. } => EventKind::AccountThrottled,
            Self::UserUpdated { .. } => EventKind::UserUpdated,
            Self::UserDeactivated { .. } => EventKind::UserDeactivated,
            Self::UserDeleted { .. } => EventKind::UserDeleted,
            Self::RoleCreated { .. } => EventKind::RoleCreated,
            Self::RoleUpdated { .. } => EventKind::RoleUpdated,
            Self::RoleDeleted { .. } => EventKind::RoleDeleted,
            Self::RoleAssigned { .. } => EventKind::RoleAssigned,
            Self::RoleRevoked { .. } => EventKind::RoleRevoked,
            Self::PermissionGranted { .. } => EventKind::PermissionGranted,
            Self::PermissionRevoked { .. } => EventKind::PermissionRevoked,
        }
    }

    /// Who did it: the user for their own account actions, the caller for administration,
    /// nobody for actions without an authenticated user.
    pub fn actor(&self) -> Option<i32> {
        match self {
            Self::UserRegistered { user_id }
            | Self::LoginSucceeded { user_id }
            | Self::Logout { user_id }
            | Self::PasswordChanged { user_id } => Some(*user_id),
            Self::SessionsRevoked { caller_id, .. }
            | Self::UserUpdated { caller_id, .. }
            | Self::UserDeactivated { caller_id, .. }
            | Self::UserDeleted { caller_id, .. }
            | Self::RoleCreated { caller_id, .. }
            | Self::RoleUpdated { caller_id, .. }
            | Self::RoleDeleted { caller_id, .. }
            | Self::RoleAssigned { caller_id, .. }
            | Self::RoleRevoked { caller_id, .. }
            | Self::PermissionGranted { caller_id, .. }
            | Self::PermissionRevoked { caller_id, .. } => Some(*caller_id),
            Self::LoginFailed { .. }
            | Self::RefreshReuse { .. }
            | Self::PasswordResetRequested { .. }
            | Self::PasswordReset { .. }
            | Self::EmailVerified { .. }
            | Self::AccountThrottled { .. } => None,
        }
    }

    /// Whose account it concerns (none for role definitions).
    pub fn subject(&self) -> Option<i32> {
        match self {
            Self::UserRegistered { user_id }
            | Self::LoginSucceeded { user_id }
            | Self::Logout { user_id }
            | Self::RefreshReuse { user_id }
            | Self::PasswordChanged { user_id }
            | Self::PasswordResetRequested { user_id }
            | Self::PasswordReset { user_id }
            | Self::EmailVerified { user_id } => Some(*user_id),
            Self::LoginFailed { user_id, .. } | Self::AccountThrottled { user_id, .. } => *user_id,
            Self::SessionsRevoked { owner_id, .. } => Some(*owner_id),
            Self::UserUpdated { target_id, .. }
            | Self::UserDeactivated { target_id, .. }
            | Self::UserDeleted { target_id, .. }
            | Self::RoleAssigned { target_id, .. }
            | Self::RoleRevoked { target_id, .. }
            | Self::PermissionGranted { target_id, .. }
            | Self::PermissionRevoked { target_id, .. } => Some(*target_id),
            Self::RoleCreated { .. } | Self::RoleUpdated { .. } | Self::RoleDeleted { .. } => None,
        }
    }

    /// The `details` object.
    pub fn details(&self) -> EventDetails<'_> {
        match self {
            Self::LoginFailed { email, reason, .. } => EventDetails::LoginFailed {
                email,
                reason: reason.as_str(),
            },
            Self::AccountThrottled { email, .. } => EventDetails::Email { email },
            Self::SessionsRevoked { count, reason, .. } => EventDetails::SessionsRevoked {
                count: *count,
                reason,
            },
            Self::UserUpdated { fields, .. } => EventDetails::Fields { fields },
            Self::RoleCreated { role, .. }
            | Self::RoleUpdated { role, .. }
            | Self::RoleDeleted { role, .. }
            | Self::RoleAssigned { role, .. }
            | Self::RoleRevoked { role, .. } => EventDetails::Role { role },
            Self::PermissionGranted { permission, .. }
            | Self::PermissionRevoked { permission, .. } => EventDetails::Permission { permission },
            _ => EventDetails::Nothing {},
        }
    }

    /// The row to store, stamped now with the request's facts.
    pub fn stamp(&self, client: &ClientInfo) -> NewAuditEvent {
        NewAuditEvent {
            occurred_at: Ts::now(),
            event: self.kind().as_str(),
            actor_user_id: self.actor(),
            subject_user_id: self.subject(),
            ip_address: client.ip.clone(),
            user_agent: truncated(client.user_agent.as_deref(), USER_AGENT_MAX_CHARS),
            request_id: truncated(client.request_id.as_deref(), REQUEST_ID_MAX_CHARS),
            details: serde_json::to_string(&self.details()).unwrap_or_else(|_| "{}".to_owned()),
        }
    }
}

/// The event-specific facts of an event, as stored: keys in byte order, like every JSON
/// object warden writes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum EventDetails<'a> {
    LoginFailed {
        email: &'a str,
        reason: &'static str,
    },
    Email {
        email: &'a str,
    },
    SessionsRevoked {
        count: u64,
        reason: &'static str,
    },
    Fields {
        fields: &'a [&'static str],
    },
    Role {
        role: &'a str,
    },
    Permission {
        permission: &'a str,
    },
    Nothing {},
}

fn truncated(value: Option<&str>, max_chars: usize) -> Option<String> {
    value.map(|v| v.chars().take(max_chars).collect())
}

/// `details` for the log line: the same object, except that an `email` (which logs must never
/// show, docs/operations.md "Shipping to a SIEM") becomes `email_sha256`, the SHA-256 hex of the
/// trimmed, lower-cased address — still enough to correlate lines about one address.
fn details_for_log(details: &str) -> String {
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(details) else {
        return details.to_owned();
    };
    if let Some(Value::String(email)) = fields.remove("email") {
        let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
        fields.insert("email_sha256".into(), Value::String(hex::encode(digest)));
    }
    Value::Object(fields).to_string()
}

/// After the transaction that stored `events` committed: the log lines and the metric.
pub fn announce(ctx: &Context, events: &[NewAuditEvent]) {
    for event in events {
        tracing::info!(
            target: LOG_TARGET,
            event = event.event,
            occurred_at = %event.occurred_at.to_api(),
            actor_user_id = event.actor_user_id,
            subject_user_id = event.subject_user_id,
            ip_address = event.ip_address.as_deref(),
            user_agent = event.user_agent.as_deref(),
            request_id = event.request_id.as_deref(),
            details = %details_for_log(&event.details),
            "audit event"
        );
        ctx.metrics.audit_event(event.event);
    }
}

/// Record an event that describes no stored change (a failed login, a throttle): its own
/// insert, then the log line.
pub async fn record_alone(ctx: &Context, event: &AuditEvent, client: &ClientInfo) -> AppResult<()> {
    let row = event.stamp(client);
    audit_events::insert_alone(&ctx.db, &row).await?;
    announce(ctx, std::slice::from_ref(&row));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_name_that_round_trips() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
            assert!(kind.as_str().len() <= 48, "event column is VARCHAR(48)");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
    }

    #[test]
    fn the_log_line_carries_a_digest_instead_of_the_email() {
        let logged =
            details_for_log(r#"{"email":" John@Example.com","reason":"invalid_credentials"}"#);
        assert!(
            !logged.contains("john") && !logged.contains("John"),
            "{logged}"
        );
        let expected = hex::encode(Sha256::digest(b"john@example.com"));
        assert_eq!(
            logged,
            format!(r#"{{"email_sha256":"{expected}","reason":"invalid_credentials"}}"#)
        );
        assert_eq!(details_for_log(r#"{"role":"x"}"#), r#"{"role":"x"}"#);
    }

    #[test]
    fn a_failed_login_has_no_actor_and_names_email_and_reason() {
        let event = AuditEvent::LoginFailed {
            email: "john@example.com".into(),
            user_id: Some(5),
            reason: LoginFailure::InvalidCredentials,
        };
        let row = event.stamp(&ClientInfo {
            ip: Some("203.0.113.7".into()),
            user_agent: Some("curl/8.5.0".into()),
            request_id: Some("r".repeat(128)),
        });
        assert_eq!(row.event, "auth.login_failed");
        assert_eq!((row.actor_user_id, row.subject_user_id), (None, Some(5)));
        assert_eq!(
            row.details,
            r#"{"email":"john@example.com","reason":"invalid_credentials"}"#
        );
        assert_eq!(row.request_id.map(|r| r.len()), Some(64));
    }
}
