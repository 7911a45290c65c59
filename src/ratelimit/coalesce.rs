//! Limiter hits that arrive while the previous Redis call is in flight travel together in the
//! next one. Each distinct counter is raised once, by the number of its hits (`INCRBY`), and
//! each hit gets back the count it would have read had the hits been sent one by one (the
//! counter before the call + 1, + 2, …). Decisions stay exact, the counters are the same keys
//! and values instances of any version share, and under load many Redis calls become few;
//! a lone hit still costs one call (docs/performance.md, "Redis limiter").

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use super::error::StoreError;
use super::redis::{OPERATION_TIMEOUT, within};

/// Most hits in one Redis call; the rest wait for the next.
const MAX_HITS_PER_CALL: usize = 256;
/// Hits waiting for a call. A request finding it full waits, inside its own timeout.
const QUEUE_CAPACITY: usize = 4_096;

/// Per counter, in one `MULTI`: create it at 0 with the window as its TTL unless it exists
/// (`SET NX PX`, so a running window keeps its end), raise it by its hits (`INCRBY` keeps the
/// TTL), read the TTL. Plain commands cost Redis a fifth of what a Lua script call does
/// (docs/performance.md) and need no script cache. A counter left without a TTL (read as
/// `-1`) gets one in a second, rare, call.
fn hit_pipeline(counters: &[BatchCounter]) -> redis::Pipeline {
    let mut pipeline = redis::Pipeline::with_capacity(counters.len() * 3);
    pipeline.atomic();
    for counter in counters {
        pipeline
            .cmd("SET")
            .arg(&counter.key)
            .arg(0)
            .arg("PX")
            .arg(counter.period_ms)
            .arg("NX")
            .ignore()
            .cmd("INCRBY")
            .arg(&counter.key)
            .arg(counter.hits)
            .cmd("PTTL")
            .arg(&counter.key);
    }
    pipeline
}

/// Gives every counter that came back without a TTL (`-1`) its window, and reports that
/// window instead.
async fn expire_counters_without_ttl(
    connection: &mut ConnectionManager,
    counters: &[BatchCounter],
    values: &mut [i64],
) -> Result<(), StoreError> {
    let mut pipeline = redis::Pipeline::new();
    for (counter, pair) in counters.iter().zip(values.chunks_exact_mut(2)) {
        if let [_, pttl @ -1] = pair {
            pipeline
                .cmd("PEXPIRE")
                .arg(&counter.key)
                .arg(counter.period_ms)
                .ignore();
            *pttl = i64::try_from(counter.period_ms).unwrap_or(i64::MAX);
        }
    }
    if !pipeline.is_empty() {
        within(OPERATION_TIMEOUT, pipeline.query_async::<()>(connection)).await?;
    }
    Ok(())
}

/// One counter a request raises: its Redis key and window length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CounterHit {
    pub key: String,
    pub period_ms: u64,
}

/// `{count, pttl}` per counter of the request, in its order.
type Readings = Result<Vec<i64>, StoreError>;

/// One request's counters and where its readings go.
#[derive(Debug)]
pub(super) struct Hit {
    counters: Vec<CounterHit>,
    reply: oneshot::Sender<Readings>,
}

/// The sending side; cloning shares the queue. The task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct HitQueue {
    sender: mpsc::Sender<Hit>,
}

impl HitQueue {
    /// Starts the task that sends queued hits over `connection`. Needs a Tokio runtime.
    pub fn spawn(connection: ConnectionManager) -> Self {
        let (sender, queue) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(send_batches(queue, connection));
        Self { sender }
    }

    /// Counts one request against `counters`; `{count, pttl}` per counter, within the
    /// request's budget for the store.
    pub async fn hit(&self, counters: Vec<CounterHit>) -> Readings {
        let (reply, readings) = oneshot::channel();
        within(OPERATION_TIMEOUT, async {
            self.sender
                .send(Hit { counters, reply })
                .await
                .map_err(|_| StoreError::Protocol("limiter task stopped"))?;
            readings
                .await
                .map_err(|_| StoreError::Protocol("limiter task stopped"))?
        })
        .await
    }
}

/// One call at a time: what queues up meanwhile is the next batch, so a batch is as large
/// as the load makes it and no hit waits for a timer.
async fn send_batches(mut queue: mpsc::Receiver<Hit>, mut connection: ConnectionManager) {
    let mut hits = Vec::with_capacity(MAX_HITS_PER_CALL);
    while queue.recv_many(&mut hits, MAX_HITS_PER_CALL).await > 0 {
        // A request that gave up (timeout) is not counted: under a slow Redis, stale hits
        // would only add to its load.
        hits.retain(|hit| !hit.reply.is_closed());
        if !hits.is_empty() {
            let batch = Batch::of(&hits);
            let reply = call(&mut connection, &batch).await;
            batch.answer(hits.drain(..), reply);
        }
    }
}

async fn call(connection: &mut ConnectionManager, batch: &Batch) -> Result<Vec<i64>, StoreError> {
    let pipeline = hit_pipeline(&batch.counters);
    let mut values: Vec<i64> = within(OPERATION_TIMEOUT, pipeline.query_async(connection)).await?;
    if values.len() != batch.counters.len() * 2 {
        return Err(StoreError::Protocol("wrong number of values"));
    }
    expire_counters_without_ttl(connection, &batch.counters, &mut values).await?;
    Ok(values)
}

/// A distinct counter of a batch and how many of its hits raise it.
#[derive(Debug, PartialEq, Eq)]
struct BatchCounter {
    key: String,
    period_ms: u64,
    hits: u64,
}

/// A batch's distinct counters, and for each hit's counters: which batch counter, and the
/// hit's place (1, 2, …) among that counter's hits.
#[derive(Debug)]
struct Batch {
    counters: Vec<BatchCounter>,
    places: Vec<Vec<(usize, u64)>>,
}

impl Batch {
    fn of(hits: &[Hit]) -> Self {
        let mut counters: Vec<BatchCounter> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut places = Vec::with_capacity(hits.len());
        for hit in hits {
            let mut hit_places = Vec::with_capacity(hit.counters.len());
            for counter in &hit.counters {
                let slot = match index.entry(counter.key.as_str()) {
                    Entry::Occupied(entry) => *entry.get(),
                    Entry::Vacant(entry) => {
                        counters.push(BatchCounter {
                            key: counter.key.clone(),
                            period_ms: counter.period_ms,
                            hits: 0,
                        });
                        *entry.insert(counters.len() - 1)
                    }
                };
                if let Some(batch_counter) = counters.get_mut(slot) {
                    batch_counter.hits += 1;
                    hit_places.push((slot, batch_counter.hits));
                }
            }
            places.push(hit_places);
        }
        Self { counters, places }
    }

    /// Sends each hit its readings: a counter's count after the call, less the hits after
    /// this one, and the counter's TTL.
    fn answer(&self, hits: impl Iterator<Item = Hit>, reply: Result<Vec<i64>, StoreError>) {
        for (hit, places) in hits.zip(&self.places) {
            let readings = match &reply {
                Ok(values) => self.readings(values, places),
                Err(err) => Err(err.clone()),
            };
            // The request may have given up meanwhile; nobody is left to tell.
            let _gone = hit.reply.send(readings);
        }
    }

    fn readings(&self, values: &[i64], places: &[(usize, u64)]) -> Readings {
        if values.len() != self.counters.len() * 2 {
            return Err(StoreError::Protocol("wrong number of values"));
        }
        let mut readings = Vec::with_capacity(places.len() * 2);
        for &(slot, place) in places {
            let (Some(counter), Some(&count), Some(&pttl)) = (
                self.counters.get(slot),
                values.get(2 * slot),
                values.get(2 * slot + 1),
            ) else {
                return Err(StoreError::Protocol("missing value"));
            };
            let later_hits = i64::try_from(counter.hits - place)
                .map_err(|_| StoreError::Protocol("too many hits"))?;
            readings.push(count - later_hits);
            readings.push(pttl);
        }
        Ok(readings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(keys: &[&str]) -> (Hit, oneshot::Receiver<Readings>) {
        let (reply, readings) = oneshot::channel();
        let counters = keys
            .iter()
            .map(|key| CounterHit {
                key: (*key).to_owned(),
                period_ms: if key.ends_with(":60") {
                    60_000
                } else {
                    3_600_000
                },
            })
            .collect();
        (Hit { counters, reply }, readings)
    }

    #[test]
    fn a_batch_raises_each_distinct_counter_once_by_its_hits() {
        let hits: Vec<Hit> = [
            &["a:60", "a:3600"][..],
            &["b:60"],
            &["a:60", "a:3600"],
            &["a:60", "a:3600"],
        ]
        .iter()
        .map(|keys| hit(keys).0)
        .collect();
        let batch = Batch::of(&hits);
        let raised: Vec<(&str, u64, u64)> = batch
            .counters
            .iter()
            .map(|c| (c.key.as_str(), c.period_ms, c.hits))
            .collect();
        assert_eq!(
            raised,
            [
                ("a:60", 60_000, 3),
                ("a:3600", 3_600_000, 3),
                ("b:60", 60_000, 1)
            ]
        );
    }

    #[tokio::test]
    async fn each_hit_reads_the_count_one_by_one_sending_would_have_given() {
        let (first, first_readings) = hit(&["a:60", "a:3600"]);
        let (other, other_readings) = hit(&["b:60"]);
        let (second, second_readings) = hit(&["a:60", "a:3600"]);
        let hits = vec![first, other, second];
        let batch = Batch::of(&hits);
        // After the call: a:60 = 10 (was 8), a:3600 = 42 (was 40), b:60 = 1 (new).
        batch.answer(
            hits.into_iter(),
            Ok(vec![10, 50_000, 42, 3_000_000, 1, 60_000]),
        );
        assert_eq!(
            first_readings.await.unwrap().unwrap(),
            [9, 50_000, 41, 3_000_000]
        );
        assert_eq!(other_readings.await.unwrap().unwrap(), [1, 60_000]);
        assert_eq!(
            second_readings.await.unwrap().unwrap(),
            [10, 50_000, 42, 3_000_000]
        );
    }

    #[tokio::test]
    async fn a_failed_call_fails_every_hit_of_the_batch() {
        let (first, first_readings) = hit(&["a:60"]);
        let (second, second_readings) = hit(&["b:60"]);
        let hits = vec![first, second];
        let batch = Batch::of(&hits);
        batch.answer(
            hits.into_iter(),
            Err(StoreError::Timeout(OPERATION_TIMEOUT)),
        );
        assert!(matches!(
            first_readings.await.unwrap(),
            Err(StoreError::Timeout(_))
        ));
        assert!(matches!(
            second_readings.await.unwrap(),
            Err(StoreError::Timeout(_))
        ));
    }

    #[tokio::test]
    async fn a_reply_of_the_wrong_shape_is_a_protocol_error_for_every_hit() {
        let (only, readings) = hit(&["a:60", "a:3600"]);
        let hits = vec![only];
        let batch = Batch::of(&hits);
        batch.answer(hits.into_iter(), Ok(vec![1, 60_000]));
        assert!(matches!(
            readings.await.unwrap(),
            Err(StoreError::Protocol(_))
        ));
    }
}
