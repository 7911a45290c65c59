//! A real SMTP server for the tests: it speaks enough of RFC 5321 for `lettre` (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it receives, parsed with `mail-parser`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

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
    /// Whether the message came over TLS.
    pub tls: bool,
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
        tls: false,
    }
}

/// How the sink secures its connections.
#[derive(Clone)]
pub enum Security {
    Plain,
    StartTls(TlsAcceptor),
    Implicit(TlsAcceptor),
}

/// A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it.
pub struct TestCa {
    pub ca_pem: Vec<u8>,
    pub acceptor: TlsAcceptor,
}

impl TestCa {
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("leaf params")
            .signed_by(&leaf_key, &ca, &ca_key)
            .expect("leaf");
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server config");
        Self {
            ca_pem: ca.pem().into_bytes(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }
}

struct Shared {
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

/// Serve commands until QUIT/EOF; returns the stream when the client asked for STARTTLS.
async fn commands<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: BufReader<S>,
    offer_starttls: bool,
    secured: bool,
    shared: &Shared,
) -> Option<S> {
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            if offer_starttls {
                b"250-sink\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            } else {
                b"250-sink\r\n250 8BITMIME\r\n"
            }
        } else if command == "STARTTLS" && offer_starttls {
            stream.get_mut().write_all(b"220 ready\r\n").await.ok()?;
            return Some(stream.into_inner());
        } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") {
            recipients.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            recipients.push(line.trim_end()[8..].trim().to_string());
            b"250 OK\r\n"
        } else if command == "DATA" {
            stream.get_mut().write_all(b"354 go ahead\r\n").await.ok()?;
            let mut raw = String::new();
            loop {
                line.clear();
                if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return None;
                }
                if line == ".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                raw.push_str(unstuffed);
            }
            let mut received = parse(&raw, std::mem::take(&mut recipients));
            received.tls = secured;
            shared.messages.lock().expect("lock").push(received);
            shared.arrived.notify_waiters();
            b"250 queued\r\n"
        } else if command == "QUIT" {
            let _ = stream.get_mut().write_all(b"221 bye\r\n").await;
            return None;
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        stream.get_mut().write_all(reply).await.ok()?;
    }
}

async fn session(mut stream: TcpStream, security: Security, shared: Shared) {
    match security {
        Security::Plain => {
            if stream.write_all(b"220 sink ESMTP\r\n").await.is_ok() {
                commands(BufReader::new(stream), false, false, &shared).await;
            }
        }
        Security::StartTls(acceptor) => {
            if stream.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                return;
            }
            let Some(plain) = commands(BufReader::new(stream), true, false, &shared).await else {
                return;
            };
            if let Ok(tls) = acceptor.accept(plain).await {
                commands(BufReader::new(tls), false, true, &shared).await;
            }
        }
        Security::Implicit(acceptor) => {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            if tls.write_all(b"220 sink ESMTP\r\n").await.is_ok() {
                commands(BufReader::new(tls), false, true, &shared).await;
            }
        }
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_with(Security::Plain).await
    }

    pub async fn start_with(security: Security) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (m, a) = (messages.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = Shared {
                    messages: m.clone(),
                    arrived: a.clone(),
                };
                tokio::spawn(session(stream, security.clone(), shared));
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
