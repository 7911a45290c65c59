//! Concurrency: updates racing each other must not undo one another (a profile update writes
//! only the fields present; escalation guards are checked and written with no other guarded
//! change in between: docs/architecture.md, "Authorization").

use std::time::Duration;

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::rbac::{self, ROLES};

const ROUNDS: usize = 20;

async fn reactivate_and_login(app: &TestApp, admin: &str, id: i64, email: &str) -> String {
    let reply = app
        .put(
            &format!("/api/v1/users/{id}"),
            Some(admin),
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.login(email, PASSWORD).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_profile_edit_racing_a_deactivation_never_reactivates_the_account() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role("racer_admin", "super_admin").await;
    let id = app.register("racer").await;
    let path = format!("/api/v1/users/{id}");
    for round in 0..ROUNDS {
        let token = reactivate_and_login(&app, &admin, id, "racer@example.com").await;
        // Several edits spread over the deactivation's lifetime, so one of them reads the row
        // before the deactivation is written and writes after it (the lost update of old).
        let edits = (0..4u64).map(|k| {
            let (app, path, token) = (&app, &path, &token);
            async move {
                tokio::time::sleep(Duration::from_millis(2 * k)).await;
                app.put(
                    path,
                    Some(token),
                    json!({"bio": format!("edit {round}.{k}")}),
                )
                .await
            }
        });
        let deactivate = app.put(&path, Some(&admin), json!({"is_active": false}));
        let (edits, deactivated) = tokio::join!(futures_util::future::join_all(edits), deactivate);
        assert_eq!(deactivated.status, 200, "{}", deactivated.text);
        for edit in &edits {
            assert!(
                matches!(edit.status, 200 | 401 | 403),
                "round {round}: {}",
                edit.text
            );
        }
        let stored = app.get(&path, Some(&admin)).await;
        assert_eq!(
            stored.body["data"]["is_active"], false,
            "round {round}: a concurrent profile edit re-activated the account"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_peers_revoking_each_others_role_at_once_cannot_both_succeed() {
    // Write skew: each revocation's guard needs the permissions the other one removes. Run one
    // after the other, the second caller no longer holds `roles:revoke` and is refused.
    let app = spawn_app().await;
    let root = rbac::super_admin(&app).await;
    rbac::create_role(&app, &root, "peer", &["roles:revoke", "users:read"], None).await;
    let (a, a_token) = app.user_with_role("peer_a", "peer").await;
    let (b, b_token) = app.user_with_role("peer_b", "peer").await;
    let revoke = |by: &str, target: i64| {
        let (app, by) = (&app, by.to_string());
        async move {
            app.delete(&format!("{ROLES}/users/{target}/peer"), Some(&by))
                .await
        }
    };
    for round in 0..ROUNDS {
        let (a_revokes_b, b_revokes_a) = tokio::join!(revoke(&a_token, b), revoke(&b_token, a));
        let succeeded = [&a_revokes_b, &b_revokes_a]
            .iter()
            .filter(|r| r.status == 200)
            .count();
        for reply in [&a_revokes_b, &b_revokes_a] {
            assert!(
                matches!(reply.status, 200 | 403),
                "round {round}: {}",
                reply.text
            );
        }
        assert_eq!(
            succeeded, 1,
            "round {round}: {} / {}",
            a_revokes_b.text, b_revokes_a.text
        );
        for (id, loser) in [
            (a, b_revokes_a.status == 200),
            (b, a_revokes_b.status == 200),
        ] {
            if loser {
                let reply = app
                    .post(
                        &format!("{ROLES}/users/{id}"),
                        Some(&root),
                        json!({"role_name": "peer"}),
                    )
                    .await;
                assert_eq!(reply.status, 200, "{}", reply.text);
            }
        }
    }
}
