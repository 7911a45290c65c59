//! Where messages go: an SMTP server (pooled `lettre` client), the log, or nowhere.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::messages::Outgoing;
use crate::config::{MailSettings, MailTransportSetting, SmtpSecurity, SmtpSettings};

/// Pooled SMTP connections kept open at most.
const SMTP_POOL_SIZE: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("smtp: {0}")]
    Smtp(String),
    #[error("smtp: no answer within {0} s")]
    Timeout(u64),
    #[error("tls setup: {0}")]
    Tls(String),
}

pub enum Transport {
    Smtp {
        client: AsyncSmtpTransport<Tokio1Executor>,
        timeout: std::time::Duration,
    },
    Log,
    None,
}

fn tls_parameters(smtp: &SmtpSettings) -> Result<TlsParameters, MailError> {
    let tls_error = |e: lettre::transport::smtp::Error| MailError::Tls(e.to_string());
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if let Some(pem) = &smtp.extra_root_pem {
        builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(tls_error)?);
    }
    builder.build_rustls().map_err(tls_error)
}

fn smtp_client(smtp: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let tls = match smtp.security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(tls_parameters(smtp)?),
        SmtpSecurity::Implicit => Tls::Wrapper(tls_parameters(smtp)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(smtp.timeout))
        .pool_config(PoolConfig::new().max_size(SMTP_POOL_SIZE));
    if let Some(user) = &smtp.username {
        let password = smtp
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.expose().to_string(), password));
    }
    Ok(builder.build())
}

impl Transport {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, MailError> {
        Ok(match &settings.transport {
            MailTransportSetting::Smtp(smtp) => Self::Smtp {
                client: smtp_client(smtp)?,
                timeout: smtp.timeout,
            },
            MailTransportSetting::Log => Self::Log,
            MailTransportSetting::None => Self::None,
        })
    }

    /// One delivery attempt.
    pub async fn send(&self, from: &Mailbox, message: &Outgoing) -> Result<(), MailError> {
        match self {
            Self::Smtp { client, timeout } => {
                let email = build(from, message)?;
                match tokio::time::timeout(*timeout, client.send(email)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(err)) => Err(MailError::Smtp(err.to_string())),
                    Err(_) => Err(MailError::Timeout(timeout.as_secs())),
                }
            }
            Self::Log => {
                // A development aid (refused in production): the body carries the link.
                tracing::info!(
                    target: "warden::mail",
                    to = %message.to,
                    subject = message.subject,
                    text = %message.body,
                    "mail (log transport)"
                );
                Ok(())
            }
            Self::None => Ok(()),
        }
    }
}

/// The RFC 5322 message: From, To, Subject, Date, a unique Message-ID, plain UTF-8 text.
fn build(from: &Mailbox, message: &Outgoing) -> Result<Message, MailError> {
    let to: Mailbox = message
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject)
        .date_now()
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| MailError::Build(e.to_string()))
}
