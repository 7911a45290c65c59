//! Account e-mails, sent off the request path: routes queue a message and answer at once; the
//! mailer's own task delivers it, retrying twice, and drops it with a WARN when all attempts
//! fail (docs/operations.md, "Mail").

pub mod messages;
pub mod transport;

use std::sync::Mutex;
use std::time::Duration;

use lettre::message::Mailbox;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::config::MailSettings;
use crate::metrics::MailLabels;
pub use messages::{MailKind, Outgoing};
pub use transport::{MailError, Transport};

/// Messages delivered at the same time at most (the SMTP pool is of the same order).
const CONCURRENT_DELIVERIES: usize = 8;

type Counters = Family<MailLabels, Counter>;

/// The queue in front of the transport.
pub struct Mailer {
    sender: Mutex<Option<mpsc::Sender<Outgoing>>>,
    worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
    enabled: bool,
    counters: Counters,
}

fn count(counters: &Counters, kind: MailKind, outcome: &'static str) {
    counters
        .get_or_create(&MailLabels {
            kind: kind.as_str(),
            outcome,
        })
        .inc();
}

/// Shared by every delivery task.
struct Delivery {
    transport: Transport,
    from: Mailbox,
    retry_delays: Vec<Duration>,
    counters: Counters,
}

impl Delivery {
    /// The first attempt plus one per retry delay; then the message is dropped.
    async fn deliver(&self, message: Outgoing) {
        let mut delays = self.retry_delays.iter();
        loop {
            match self.transport.send(&self.from, &message).await {
                Ok(()) => {
                    count(&self.counters, message.kind, "sent");
                    tracing::debug!(
                        user_id = message.user_id,
                        kind = message.kind.as_str(),
                        "mail sent"
                    );
                    return;
                }
                Err(err) => {
                    count(&self.counters, message.kind, "failed");
                    let Some(delay) = delays.next() else {
                        count(&self.counters, message.kind, "dropped");
                        tracing::warn!(
                            user_id = message.user_id,
                            kind = message.kind.as_str(),
                            error = %err,
                            "mail dropped after retries"
                        );
                        return;
                    };
                    tracing::info!(kind = message.kind.as_str(), error = %err, retry_in_ms = delay.as_millis() as u64, "mail attempt failed");
                    tokio::time::sleep(*delay).await;
                }
            }
        }
    }
}

async fn run(delivery: Delivery, mut queue: mpsc::Receiver<Outgoing>) {
    let delivery = std::sync::Arc::new(delivery);
    let mut in_flight = JoinSet::new();
    while let Some(message) = queue.recv().await {
        while in_flight.len() >= CONCURRENT_DELIVERIES {
            in_flight.join_next().await;
        }
        let delivery = delivery.clone();
        in_flight.spawn(async move { delivery.deliver(message).await });
    }
    while in_flight.join_next().await.is_some() {}
}

impl Mailer {
    /// Start the delivery task (needs a Tokio runtime). `none` starts nothing.
    pub fn start(settings: &MailSettings, counters: Counters) -> Result<Self, MailError> {
        let transport = Transport::from_settings(settings)?;
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
        if matches!(transport, Transport::None) {
            return Ok(Self::disabled(counters));
        }
        let (sender, receiver) = mpsc::channel(settings.queue_capacity.max(1));
        let delivery = Delivery {
            transport,
            from,
            retry_delays: settings.retry_delays.clone(),
            counters: counters.clone(),
        };
        let worker = tokio::spawn(run(delivery, receiver));
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
            enabled: true,
            counters,
        })
    }

    /// A mailer that sends nothing (`MAIL_TRANSPORT=none`, and the command line).
    pub fn disabled(counters: Counters) -> Self {
        Self {
            sender: Mutex::new(None),
            worker: Mutex::new(None),
            enabled: false,
            counters,
        }
    }

    /// False with `MAIL_TRANSPORT=none`: callers may skip preparing messages.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Queue a message without waiting; a full or closed queue drops it with a WARN.
    pub fn queue(&self, message: Outgoing) {
        let sender = self.sender.lock().ok().and_then(|guard| guard.clone());
        let Some(sender) = sender else {
            if self.enabled {
                count(&self.counters, message.kind, "dropped");
                tracing::warn!(
                    user_id = message.user_id,
                    kind = message.kind.as_str(),
                    "mail dropped: mailer stopped"
                );
            }
            return;
        };
        let kind = message.kind;
        let user_id = message.user_id;
        if let Err(err) = sender.try_send(message) {
            count(&self.counters, kind, "dropped");
            let reason = match err {
                mpsc::error::TrySendError::Full(_) => "queue full",
                mpsc::error::TrySendError::Closed(_) => "mailer stopped",
            };
            tracing::warn!(user_id, kind = kind.as_str(), reason, "mail dropped");
        }
    }

    /// Stop taking messages and deliver what is queued, for at most `patience`.
    pub async fn flush(&self, patience: Duration) {
        if let Ok(mut guard) = self.sender.lock() {
            guard.take();
        }
        let worker = self.worker.lock().ok().and_then(|mut guard| guard.take());
        if let Some(worker) = worker {
            let abort = worker.abort_handle();
            if tokio::time::timeout(patience, worker).await.is_err() {
                abort.abort();
                tracing::warn!(
                    "mail queue not flushed within the shutdown time; undelivered mail dropped"
                );
            }
        }
    }
}

/// Send one message now, without queue or retries (`warden send-test-mail`).
pub async fn send_now(settings: &MailSettings, message: &Outgoing) -> Result<(), MailError> {
    let transport = Transport::from_settings(settings)?;
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
    transport.send(&from, message).await
}
