//! The per-request reads (session check, user by id): on PostgreSQL they share a few pipelined
//! connections (`store::pg_reads`), so answers must never cross between callers, and a
//! statement whose request was dropped must not leave its answer to the next one.

use futures_util::FutureExt;
use futures_util::future::join_all;

use crate::helpers::spawn_app_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_of_different_callers_each_get_their_own_answer() {
    // Two connections in all: on PostgreSQL one of them carries every read.
    let app = spawn_app_with(&[("DB_POOL_SIZE", "2")]).await;
    let mut callers = Vec::new();
    for name in ["reader_a", "reader_b", "reader_c"] {
        let (id, token) = app.user(name).await;
        callers.push((name, id, token));
    }
    let requests = (0..20)
        .flat_map(|_| callers.iter())
        .map(|(name, id, token)| {
            let app = &app;
            async move {
                let me = app.get("/api/v1/auth/me", Some(token)).await;
                let by_id = app.get(&format!("/api/v1/users/{id}"), Some(token)).await;
                (*name, me, by_id)
            }
        });
    for (name, me, by_id) in join_all(requests).await {
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.body["data"]["username"], name, "{}", me.text);
        assert_eq!(by_id.status, 200, "{}", by_id.text);
        assert_eq!(by_id.body["data"]["username"], name, "{}", by_id.text);
    }
}

#[tokio::test]
async fn a_dropped_read_leaves_no_answer_behind_for_the_next_one() {
    let app = spawn_app_with(&[("DB_POOL_SIZE", "2")]).await;
    let Some(reads) = app.state.db.reads() else {
        // SQLite has no read pool: the reads go through the general pool like every statement.
        assert_eq!(app.state.db.backend(), warden::store::Backend::Sqlite);
        return;
    };
    const SLOW: &str = "SELECT $1::int4 AS n FROM pg_sleep(0.05)";
    const FAST: &str = "SELECT $1::int4 AS n";
    assert!(
        reads
            .query_opt(FAST, &[&0_i32])
            .await
            .expect("warm")
            .is_some()
    );
    for dropped in 1..=20_i32 {
        // Polled once: the statement is sent, then its future is dropped before the answer.
        let sent = reads.query_opt(SLOW, &[&dropped]).now_or_never();
        assert!(sent.is_none(), "a slow statement cannot have answered yet");
    }
    for expected in 100..110_i32 {
        let row = reads
            .query_opt(FAST, &[&expected])
            .await
            .expect("the connection is still usable")
            .expect("one row");
        assert_eq!(row.get::<_, i32>("n"), expected);
    }
}
