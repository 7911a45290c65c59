//! The account e-mails: plain text, each link alone on its own line, exactly once.

use crate::config::TOKEN_PLACEHOLDER;

/// What a message is about; also the `kind` label of `warden_mail_messages_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    PasswordReset,
    EmailVerify,
    PasswordChanged,
    Test,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerify => "email_verify",
            Self::PasswordChanged => "password_changed",
            Self::Test => "test",
        }
    }
}

/// A message ready for a transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub kind: MailKind,
    /// The account it concerns (for logs; never the address or the token).
    pub user_id: Option<i32>,
    pub to: String,
    pub subject: &'static str,
    pub body: String,
}

/// The link of a template with the token put in.
pub fn link(template: &str, token: &str) -> String {
    template.replace(TOKEN_PLACEHOLDER, token)
}

fn minutes(secs: i64) -> i64 {
    (secs + 59) / 60
}

fn hours(secs: i64) -> i64 {
    (secs + 3_599) / 3_600
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("{n} {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub fn password_reset(user_id: i32, to: &str, link: &str, ttl_secs: i64) -> Outgoing {
    let expires = plural(minutes(ttl_secs), "minute");
    Outgoing {
        kind: MailKind::PasswordReset,
        user_id: Some(user_id),
        to: to.to_string(),
        subject: "Reset your warden password",
        body: format!(
            "Hello,\n\n\
             someone asked to reset the password of your warden account.\n\
             To choose a new password, open this link:\n\n\
             {link}\n\n\
             The link expires in {expires} and works once.\n\n\
             If you did not ask for this, you can ignore this email: your password stays unchanged.\n"
        ),
    }
}

pub fn email_verify(user_id: i32, to: &str, link: &str, ttl_secs: i64) -> Outgoing {
    let expires = plural(hours(ttl_secs), "hour");
    Outgoing {
        kind: MailKind::EmailVerify,
        user_id: Some(user_id),
        to: to.to_string(),
        subject: "Verify your email address",
        body: format!(
            "Hello,\n\n\
             please confirm that this address belongs to your warden account by opening this link:\n\n\
             {link}\n\n\
             The link expires in {expires}.\n\n\
             If you did not create an account, you can ignore this email.\n"
        ),
    }
}

pub fn password_changed(user_id: i32, to: &str, at: &str, client_ip: Option<&str>) -> Outgoing {
    let ip = client_ip.unwrap_or("unknown");
    Outgoing {
        kind: MailKind::PasswordChanged,
        user_id: Some(user_id),
        to: to.to_string(),
        subject: "Your warden password was changed",
        body: format!(
            "Hello,\n\n\
             the password of your warden account was changed at {at} (UTC) from the IP address {ip}.\n\n\
             If this was you, there is nothing to do.\n\
             If it was not you, reset your password at once with \"Forgot password\" and \
             contact your administrator: someone else may know your password.\n"
        ),
    }
}

pub fn test_message(to: &str) -> Outgoing {
    Outgoing {
        kind: MailKind::Test,
        user_id: None,
        to: to.to_string(),
        subject: "warden test message",
        body: "This is a test message from warden: the mail settings work.\n".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_stands_alone_on_its_own_line_exactly_once() {
        let url = link("https://x.test/reset?token={token}", "abc");
        let message = password_reset(1, "a@b.test", &url, 1_800);
        let lines: Vec<&str> = message.body.lines().filter(|l| l.contains("abc")).collect();
        assert_eq!(lines, vec!["https://x.test/reset?token=abc"]);
        assert!(message.body.contains("30 minutes"));
        let verify = email_verify(1, "a@b.test", &url, 86_400);
        assert!(verify.body.contains("24 hours"));
    }
}
