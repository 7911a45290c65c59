//! A real SMTP server for the tests: it speaks enough of RFC 5321 for `lettre` (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it receives, parsed with `mail-parser`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub date: bool,
    pub message_id: Option<String>,
    pub content_type: String,
}

impl Received {
    /// Lines of the body that contain `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.body
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }

    /// The token of the single link (`…?token=<token>`), asserting there is exactly one.
    pub fn token(&self) -> String {
        let links = self.lines_with("token=");
        assert_eq!(links.len(), 1, "exactly one link line: {}", self.body);
        let line = links[0].trim();
        assert!(!line.contains(' '), "the link stands alone: {line:?}");
        line.rsplit("token=").next().expect("token").to_string()
    }
}

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn parse(raw: &str, recipients: Vec<String>) -> Received {
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parsable message");
    let address = |list: Option<&mail_parser::Address<'_>>| {
        list.and_then(|a| a.first())
            .map(|a| {
                let addr = a.address().unwrap_or_default();
                match a.name() {
                    Some(name) => format!("{name} <{addr}>"),
                    None => addr.to_string(),
                }
            })
            .unwrap_or_default()
    };
    let content_type = message
        .content_type()
        .map(|ct| {
            let charset = ct.attribute("charset").unwrap_or_default();
            format!(
                "{}/{}; charset={}",
                ct.ctype(),
                ct.subtype().unwrap_or_default(),
                charset
            )
        })
        .unwrap_or_default();
    Received {
        recipients,
        subject: message.subject().unwrap_or_default().to_string(),
        from: address(message.from()),
        to: address(message.to()),
        body: message.body_text(0).unwrap_or_default().to_string(),
        date: message.date().is_some(),
        message_id: message.message_id().map(str::to_string),
        content_type,
    }
}

async fn session(stream: TcpStream, messages: Arc<Mutex<Vec<Received>>>, arrived: Arc<Notify>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") {
            recipients.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            recipients.push(line.trim_end()[8..].trim().to_string());
            b"250 OK\r\n"
        } else if command == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                raw.push_str(unstuffed);
            }
            let received = parse(&raw, std::mem::take(&mut recipients));
            messages.lock().expect("lock").push(received);
            arrived.notify_waiters();
            b"250 queued\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (m, a) = (messages.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, m.clone(), a.clone()));
            }
        });
        Self {
            port,
            messages,
            arrived,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }

    /// Wait until at least `count` messages arrived (panics after 10 s).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let now = self.messages();
            if now.len() >= count {
                return now;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("expected {count} messages, got {}", self.messages().len());
            }
        }
    }

    /// Assert that no further message arrives within `wait` (for "nothing is sent" cases).
    pub async fn assert_quiet(&self, already: usize, wait: Duration) {
        tokio::time::sleep(wait).await;
        assert_eq!(self.messages().len(), already, "{:#?}", self.messages());
    }
}
