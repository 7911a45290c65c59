//! Account-lifecycle settings: mail delivery, links, token lifetimes and verification policy
//! (docs/configuration.md, "Account e-mails").

use std::time::Duration;

use super::{ConfigError, Environment, Reader, Secret};

/// Default `MAIL_FROM`.
pub const DEFAULT_MAIL_FROM: &str = "warden <no-reply@localhost>";
/// The placeholder a link template must contain.
pub const TOKEN_PLACEHOLDER: &str = "{token}";
/// Messages waiting for delivery at most; a full queue drops new messages.
pub const MAIL_QUEUE_CAPACITY: usize = 1_000;
/// Waits before the second and third delivery attempt.
pub const MAIL_RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(10)];

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: no TLS.
    Plain,
    /// `smtp://…?tls=starttls`: STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// A parsed `SMTP_URL`; the credentials are already percent-decoded.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<Secret>,
    pub password: Option<Secret>,
    pub timeout: Duration,
    /// An extra CA (PEM) trusted besides the system roots; not read from the environment
    /// (tests use a throw-away CA).
    pub extra_root_pem: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub enum MailTransportSetting {
    Smtp(SmtpSettings),
    Log,
    None,
}

impl MailTransportSetting {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Log => "log",
            Self::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransportSetting,
    /// The `From:` mailbox, validated (`Name <addr>` or `addr`).
    pub from: String,
    pub public_url: String,
    pub password_reset_url: String,
    pub email_verify_url: String,
    /// Not configurable from the environment; tests shorten them.
    pub retry_delays: Vec<Duration>,
    pub queue_capacity: usize,
}

#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub send_verification_on_register: bool,
    pub require_verified_email: bool,
    pub password_reset_ttl_secs: i64,
    pub email_verify_ttl_secs: i64,
}

fn percent_decoded(variable: &'static str, raw: &str) -> Result<Option<Secret>, ConfigError> {
    if raw.is_empty() {
        return Ok(None);
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|text| Some(Secret::new(text.into_owned())))
        .map_err(|_| ConfigError::new(variable, "credentials are not valid UTF-8"))
}

/// `smtp://[user[:password]@]host[:port][?tls=starttls]` or `smtps://…`.
pub fn parse_smtp_url(raw: &str, timeout: Duration) -> Result<SmtpSettings, ConfigError> {
    const VAR: &str = "SMTP_URL";
    let url = url::Url::parse(raw.trim())
        .map_err(|_| ConfigError::new(VAR, "must be smtp://host[:port] or smtps://host[:port]"))?;
    let tls_param = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.to_ascii_lowercase());
    let security = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => SmtpSecurity::Plain,
        ("smtp", Some("starttls")) => SmtpSecurity::StartTls,
        ("smtps", None) => SmtpSecurity::Implicit,
        ("smtp" | "smtps", Some(other)) => {
            return Err(ConfigError::new(
                VAR,
                format!("unknown tls mode '{other}' (only tls=starttls with smtp://)"),
            ));
        }
        _ => {
            return Err(ConfigError::new(VAR, "must start with smtp:// or smtps://"));
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ConfigError::new(VAR, "needs a host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let default_port = if security == SmtpSecurity::Implicit {
        465
    } else {
        25
    };
    Ok(SmtpSettings {
        host,
        port: url.port().unwrap_or(default_port),
        security,
        username: percent_decoded(VAR, url.username())?,
        password: percent_decoded(VAR, url.password().unwrap_or_default())?,
        timeout,
        extra_root_pem: None,
    })
}

fn parse_transport(
    r: &Reader<'_>,
    env: Environment,
    warnings: &mut Vec<String>,
) -> Result<MailTransportSetting, ConfigError> {
    let timeout = Duration::from_secs(r.positive("SMTP_TIMEOUT_SECS", 10u64)?);
    let smtp_url = r.raw("SMTP_URL").map(str::trim).filter(|v| !v.is_empty());
    let chosen = r
        .raw("MAIL_TRANSPORT")
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty());
    let name = match (chosen.as_deref(), smtp_url, env) {
        (Some(name), _, _) => name.to_string(),
        (None, Some(_), _) => "smtp".into(),
        (None, None, Environment::Production) => "none".into(),
        (None, None, _) => "log".into(),
    };
    let transport = match name.as_str() {
        "smtp" => {
            let url = smtp_url.ok_or_else(|| {
                ConfigError::new("SMTP_URL", "must be set when MAIL_TRANSPORT is smtp")
            })?;
            MailTransportSetting::Smtp(parse_smtp_url(url, timeout)?)
        }
        "log" if env.is_production() => {
            return Err(ConfigError::new(
                "MAIL_TRANSPORT",
                "log is not allowed in production (it writes reset links to the log)",
            ));
        }
        "log" => MailTransportSetting::Log,
        "none" => MailTransportSetting::None,
        other => {
            return Err(ConfigError::new(
                "MAIL_TRANSPORT",
                format!("must be smtp, log or none, got '{other}'"),
            ));
        }
    };
    if env.is_production() && matches!(transport, MailTransportSetting::None) {
        warnings.push("MAIL_TRANSPORT is none: account e-mails are disabled".into());
    }
    Ok(transport)
}

fn parse_from(r: &Reader<'_>) -> Result<String, ConfigError> {
    let from = r
        .raw("MAIL_FROM")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_MAIL_FROM);
    from.parse::<lettre::message::Mailbox>()
        .map_err(|_| ConfigError::new("MAIL_FROM", "must be 'Name <address>' or 'address'"))?;
    Ok(from.to_string())
}

fn link_template(
    r: &Reader<'_>,
    variable: &'static str,
    default: String,
) -> Result<String, ConfigError> {
    let template = r
        .raw(variable)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map_or(default, str::to_string);
    if !template.contains(TOKEN_PLACEHOLDER) {
        return Err(ConfigError::new(variable, "must contain {token}"));
    }
    Ok(template)
}

pub(super) fn parse_mail(
    r: &Reader<'_>,
    env: Environment,
    port: u16,
    warnings: &mut Vec<String>,
) -> Result<MailSettings, ConfigError> {
    let transport = parse_transport(r, env, warnings)?;
    let configured_public = r
        .raw("PUBLIC_URL")
        .map(|v| v.trim().trim_end_matches('/'))
        .filter(|v| !v.is_empty());
    if env.is_production()
        && matches!(transport, MailTransportSetting::Smtp(_))
        && !configured_public.is_some_and(|url| url.starts_with("https://"))
    {
        return Err(ConfigError::new(
            "PUBLIC_URL",
            "must be set to an https:// URL in production when mail is sent over SMTP",
        ));
    }
    if let Some(url) = configured_public {
        url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| ConfigError::new("PUBLIC_URL", "must be an absolute http(s) URL"))?;
    }
    let public_url =
        configured_public.map_or_else(|| format!("http://localhost:{port}"), str::to_string);
    Ok(MailSettings {
        transport,
        from: parse_from(r)?,
        password_reset_url: link_template(
            r,
            "PASSWORD_RESET_URL",
            format!("{public_url}/reset-password?token={TOKEN_PLACEHOLDER}"),
        )?,
        email_verify_url: link_template(
            r,
            "EMAIL_VERIFY_URL",
            format!("{public_url}/verify-email?token={TOKEN_PLACEHOLDER}"),
        )?,
        public_url,
        retry_delays: MAIL_RETRY_DELAYS.to_vec(),
        queue_capacity: MAIL_QUEUE_CAPACITY,
    })
}

pub(super) fn parse_account(r: &Reader<'_>) -> Result<AccountSettings, ConfigError> {
    Ok(AccountSettings {
        send_verification_on_register: r.bool_or("SEND_VERIFICATION_ON_REGISTER", true)?,
        require_verified_email: r.bool_or("REQUIRE_VERIFIED_EMAIL", false)?,
        password_reset_ttl_secs: r.positive("PASSWORD_RESET_TOKEN_EXPIRES", 1_800)?,
        email_verify_ttl_secs: r.positive("EMAIL_VERIFY_TOKEN_EXPIRES", 86_400)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Vars};

    const PRODUCTION: &[(&str, &str)] = &[
        ("APP_ENV", "production"),
        (
            "SECRET_KEY",
            "a-production-secret-of-at-least-32-characters",
        ),
        ("DATABASE_URL", "sqlite::memory:"),
    ];

    fn production(extra: &[(&'static str, &'static str)]) -> Result<Config, super::ConfigError> {
        let mut vars = PRODUCTION.to_vec();
        vars.extend_from_slice(extra);
        Config::from_vars(&Vars::from_pairs(vars))
    }

    fn refused_variable(extra: &[(&'static str, &'static str)]) -> &'static str {
        production(extra).map(|_| "").unwrap_or_else(|e| e.variable)
    }

    #[test]
    fn production_refuses_the_log_transport_and_smtp_without_an_https_public_url() {
        assert_eq!(
            refused_variable(&[("MAIL_TRANSPORT", "log")]),
            "MAIL_TRANSPORT"
        );
        assert_eq!(
            refused_variable(&[("SMTP_URL", "smtp://mail:25")]),
            "PUBLIC_URL"
        );
        assert_eq!(
            refused_variable(&[
                ("SMTP_URL", "smtp://mail:25"),
                ("PUBLIC_URL", "http://id.example.com"),
            ]),
            "PUBLIC_URL"
        );
        assert_eq!(
            refused_variable(&[
                ("SMTP_URL", "smtp://mail:25"),
                ("PUBLIC_URL", "https://id.example.com"),
                ("PASSWORD_RESET_URL", "https://id.example.com/reset"),
            ]),
            "PASSWORD_RESET_URL"
        );
        assert_eq!(
            refused_variable(&[
                ("SMTP_URL", "smtp://mail:25"),
                ("PUBLIC_URL", "https://id.example.com"),
                ("EMAIL_VERIFY_URL", "https://id.example.com/verify"),
            ]),
            "EMAIL_VERIFY_URL"
        );
        assert_eq!(
            refused_variable(&[("MAIL_FROM", "not an address")]),
            "MAIL_FROM"
        );
        assert_eq!(
            refused_variable(&[("MAIL_TRANSPORT", "pigeon")]),
            "MAIL_TRANSPORT"
        );
        assert_eq!(refused_variable(&[("MAIL_TRANSPORT", "smtp")]), "SMTP_URL");
        assert_eq!(
            refused_variable(&[("PASSWORD_RESET_TOKEN_EXPIRES", "0")]),
            "PASSWORD_RESET_TOKEN_EXPIRES"
        );
    }

    #[test]
    fn production_defaults_to_no_mail_with_a_warning_and_accepts_smtp_with_https() {
        let config = production(&[]).expect("starts");
        assert_eq!(config.mail.transport.name(), "none");
        assert!(config.warnings.iter().any(|w| w.contains("MAIL_TRANSPORT")));
        let config = production(&[
            ("SMTP_URL", "smtps://user:p%40ss@mail.example.com"),
            ("PUBLIC_URL", "https://id.example.com/"),
        ])
        .expect("starts");
        assert_eq!(config.mail.transport.name(), "smtp");
        assert_eq!(
            config.mail.password_reset_url,
            "https://id.example.com/reset-password?token={token}"
        );
    }

    #[test]
    fn smtp_urls_of_every_form_parse() {
        let t = Duration::from_secs(10);
        let plain = parse_smtp_url("smtp://mail.example.com", t).unwrap();
        assert_eq!((plain.port, plain.security), (25, SmtpSecurity::Plain));
        let starttls = parse_smtp_url("smtp://u%40x:p%3Aw@mail:587?tls=starttls", t).unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, SmtpSecurity::StartTls)
        );
        assert_eq!(starttls.username.unwrap().expose(), "u@x");
        assert_eq!(starttls.password.unwrap().expose(), "p:w");
        let implicit = parse_smtp_url("smtps://mail", t).unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, SmtpSecurity::Implicit)
        );
        for bad in ["http://mail", "smtp://", "smtp://mail?tls=maybe", "mail:25"] {
            assert!(parse_smtp_url(bad, t).is_err(), "{bad}");
        }
    }
}
