//! `warden send-test-mail --to <address>`: one plain message through the configured transport,
//! to check SMTP settings.

use crate::cli::exit;
use crate::config::{Config, MailTransportSetting};
use crate::mail::{messages, send_now};

pub async fn send_test_mail(config: Config, to: &str) -> u8 {
    if matches!(config.mail.transport, MailTransportSetting::None) {
        println!("failed: MAIL_TRANSPORT is none: nothing would be sent");
        return exit::FAILURE;
    }
    let message = messages::test_message(to.trim());
    match send_now(&config.mail, &message).await {
        Ok(()) => {
            println!("sent");
            exit::OK
        }
        Err(err) => {
            println!("failed: {err}");
            exit::FAILURE
        }
    }
}
