//! Unicode edge cases: zero-width, right-to-left, homoglyphs and normalisation tricks
//! (usernames are `^[a-zA-Z0-9_]+$`, names are free text, title-cased).

use serde_json::json;

use super::{
    Cases, PERMISSIONS, ROLES, USERNAME_PATTERN, snapshot, super_admin, unchanged, user_json,
};
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn lookalike_usernames_are_refused_by_the_pattern() {
    let cases = Cases::new("lookalike_usernames_are_refused_by_the_pattern");
    let app = spawn_app().await;
    app.register("victim").await;
    let lookalikes = [
        ("zero-width joiner", "vic\u{200d}tim"),
        ("zero-width space", "\u{200b}victim"),
        ("zero-width non-joiner", "victim\u{200c}"),
        ("word joiner", "victim\u{2060}"),
        ("byte order mark", "\u{feff}victim"),
        ("soft hyphen", "vic\u{ad}tim"),
        ("RTL override", "victim\u{202e}"),
        ("RTL override reversed", "\u{202e}mitciv"),
        ("RTL mark", "\u{200f}victim"),
        ("Cyrillic a", "\u{430}dmin"),
        ("Cyrillic i and c", "v\u{456}\u{441}tim"),
        ("Greek omicron", "r\u{3bf}\u{3bf}t"),
        ("Kelvin sign", "\u{212a}elvin"),
        ("dotless i", "v\u{131}ctim"),
        ("dotted capital I", "V\u{130}CTIM"),
        (
            "fullwidth",
            "\u{ff56}\u{ff49}\u{ff43}\u{ff54}\u{ff49}\u{ff4d}",
        ),
        ("mathematical bold", "\u{1d42f}ictim"),
        ("combining acute", "victim\u{301}"),
        ("superscript digit", "victim\u{b9}"),
        ("Arabic-Indic digit", "victim\u{661}"),
        ("emoji", "victim\u{1f600}"),
    ];
    for (label, username) in lookalikes {
        let reply = unchanged(&app, label, || async {
            app.post("/api/v1/auth/register", None, json!({"username": username, "email": "new@example.com", "password": PASSWORD, "first_name": "A"}))
                .await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(
            reply.details(),
            &json!({"username": USERNAME_PATTERN}),
            "{label}"
        );
        cases.hit();
    }
    // Unicode whitespace around a taken name is stripped: the name is still taken.
    for (label, username) in [
        ("em space", "\u{2003}victim"),
        ("no-break space", "victim\u{a0}"),
        ("ideographic space and NEL", "\u{3000}victim\u{85}"),
        ("upper case", "VICTIM"),
    ] {
        let reply = unchanged(&app, label, || async {
            app.post("/api/v1/auth/register", None, json!({"username": username, "email": "new@example.com", "password": PASSWORD, "first_name": "A"}))
                .await
        })
        .await;
        reply.assert_error(409, "RESOURCE_ALREADY_EXISTS", "Username already exists");
        cases.hit();
    }
}

#[tokio::test]
async fn names_keep_unicode_as_given_and_title_cased() {
    let cases = Cases::new("names_keep_unicode_as_given_and_title_cased");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let names = [
        ("zero-width joiner", "ma\u{200d}ry", "Ma\u{200d}Ry"),
        ("zero-width space", "\u{200b}bob", "\u{200b}Bob"),
        (
            "RTL override",
            "\u{202e}\u{435}\u{432}\u{433}\u{435}\u{43d}\u{438}\u{439}",
            "\u{202e}\u{415}\u{432}\u{433}\u{435}\u{43d}\u{438}\u{439}",
        ),
        (
            "RTL file-name trick",
            "annexe\u{202e}fdp.exe",
            "Annexe\u{202e}Fdp.Exe",
        ),
        ("Cyrillic a", "\u{430}lice", "\u{410}lice"),
        ("combining acute", "jose\u{301}", "Jose\u{301}"),
        ("right single quote", "o\u{2019}brien", "O\u{2019}Brien"),
        ("dz digraph", "\u{1c6}eljko", "\u{1c4}eljko"),
        ("sharp s", "\u{df}a", "SSa"),
        ("Kelvin sign", "\u{212a}elvin", "\u{212a}elvin"),
        ("emoji", "\u{1f600}ann", "\u{1f600}Ann"),
    ];
    for (i, (label, given, stored)) in names.iter().enumerate() {
        let before = snapshot(&app).await;
        let reply = app
            .post("/api/v1/auth/register", None, json!({"username": format!("uni{i}"), "email": format!("uni{i}@example.com"), "password": PASSWORD,
                  "first_name": given, "middle_name": given, "last_name": given, "bio": given}))
            .await;
        assert_eq!(reply.status, 201, "{label}: {}", reply.text);
        let id = reply.body["data"]["id"].as_i64().expect("id");
        let row = user_json(&app, &root, id).await;
        for field in ["first_name", "middle_name", "last_name"] {
            assert_eq!(row[field], *stored, "{label} {field}");
        }
        assert_eq!(row["bio"], *given, "{label} bio unchanged");
        assert!(reply.text.contains(stored), "{label}: emitted as raw UTF-8");
        let added = snapshot(&app)
            .await
            .into_iter()
            .filter(|r| !before.contains(r))
            .count();
        assert_eq!(added, 1, "{label}: one new row");
        cases.hit();
    }
    // A profile update takes the same path.
    let (me, token) = app.user("self").await;
    let reply = app
        .put(
            &format!("/api/v1/users/{me}"),
            Some(&token),
            json!({"first_name": "\u{202e}\u{430}b"}),
        )
        .await;
    assert_eq!(
        reply.body["data"]["first_name"], "\u{202e}\u{410}b",
        "{}",
        reply.text
    );
    cases.hit();
}

#[tokio::test]
async fn lookalike_emails_and_passwords_never_reach_another_account() {
    let cases = Cases::new("lookalike_emails_and_passwords_never_reach_another_account");
    let app = spawn_app().await;
    let victim = app.register("victim").await;
    // Homoglyph emails are different addresses: a separate account, never the victim's.
    for (i, email) in ["v\u{456}ctim@example.com", "victim@ex\u{430}mple.com"]
        .into_iter()
        .enumerate()
    {
        let reply = app
            .post("/api/v1/auth/register", None, json!({"username": format!("twin{i}"), "email": email, "password": "Twin-Pass-1", "first_name": "T"}))
            .await;
        assert_eq!(reply.status, 201, "{email}: {}", reply.text);
        let twin = reply.body["data"]["id"].as_i64().expect("id");
        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": "Twin-Pass-1"}),
            )
            .await;
        assert_eq!(
            login.body["data"]["user"]["id"].as_i64(),
            Some(twin),
            "{email}"
        );
        // The victim's password does not open the lookalike, nor the reverse.
        for (address, password) in [(email, PASSWORD), ("victim@example.com", "Twin-Pass-1")] {
            let reply = unchanged(&app, address, || async {
                app.post(
                    "/api/v1/auth/login",
                    None,
                    json!({"email": address, "password": password}),
                )
                .await
            })
            .await;
            reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
            cases.hit();
        }
        cases.hit();
    }
    // Passwords are compared as UTF-8 bytes without normalisation.
    let reply = app
        .post("/api/v1/auth/register", None, json!({"username": "accent", "email": "accent@example.com", "password": "P\u{e4}ssw\u{f6}rd1", "first_name": "A"}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    for (label, password) in [
        ("NFD form", "Pa\u{308}sswo\u{308}rd1"),
        ("zero-width inside", "P\u{e4}ss\u{200b}w\u{f6}rd1"),
        ("Cyrillic o", "P\u{e4}ssw\u{43e}rd1"),
    ] {
        let reply = unchanged(&app, label, || async {
            app.post(
                "/api/v1/auth/login",
                None,
                json!({"email": "accent@example.com", "password": password}),
            )
            .await
        })
        .await;
        reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
        cases.hit();
    }
    // Invisible or direction characters cannot mint a second account that displays like the
    // victim's: IDNA maps them away (same address, 409) or the address is refused (422).
    for email in [
        "victim@exa\u{200b}mple.com",
        "victim@example.com\u{202e}",
        "victim@EXAMPLE.COM",
        "victim@exa\u{ad}mple.com",
    ] {
        let reply = unchanged(&app, email, || async {
            app.post("/api/v1/auth/register", None, json!({"username": "lookalike", "email": email, "password": PASSWORD, "first_name": "A"})).await
        })
        .await;
        match reply.status {
            409 => reply.assert_error(409, "RESOURCE_ALREADY_EXISTS", "Email already exists"),
            422 => assert!(
                reply.details()["email"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("value is not a valid email address: ")),
                "{email}: {}",
                reply.text
            ),
            other => panic!("{email}: unexpected {other}: {}", reply.text),
        }
        cases.hit();
    }
    let _ = victim;
}

pub const NUL: &str = "Value error, Text must not contain the NUL character";

#[tokio::test]
async fn nul_characters_are_refused_with_422_on_every_backend_and_change_nothing() {
    // PostgreSQL cannot store U+0000 in text; SQLite could. Both refuse it the same way, before
    // any length or pattern rule of the field.
    let cases =
        Cases::new("nul_characters_are_refused_with_422_on_every_backend_and_change_nothing");
    let app = spawn_app().await;
    let (me, token) = app.user("self").await;
    let (_, admin) = super_admin(&app).await;
    let register = |field: &'static str, text: &'static str| {
        let mut body = json!({"username": "nul_user", "email": "nul@example.com", "password": PASSWORD, "first_name": "A"});
        body[field] = json!(text);
        body
    };
    for text in ["a\u{0}b", "\u{0}", "victim\u{0}", "\u{0}x@example.com"] {
        for field in [
            "username",
            "email",
            "password",
            "first_name",
            "middle_name",
            "last_name",
            "bio",
        ] {
            let reply = unchanged(&app, text, || async {
                app.post("/api/v1/auth/register", None, register(field, text))
                    .await
            })
            .await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({ field: NUL }), "{field} {text:?}");
            cases.hit();
        }
        for field in ["first_name", "middle_name", "last_name", "bio"] {
            let reply = unchanged(&app, text, || async {
                app.put(
                    &format!("/api/v1/users/{me}"),
                    Some(&token),
                    json!({ field: text }),
                )
                .await
            })
            .await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({ field: NUL }), "{field} {text:?}");
            cases.hit();
        }
        for (body, key) in [
            (json!({"name": text, "display_name": "Nul Role"}), "name"),
            (
                json!({"name": "nul_role", "display_name": text}),
                "display_name",
            ),
            (
                json!({"name": "nul_role", "display_name": "Nul Role", "description": text}),
                "description",
            ),
            (
                json!({"name": "nul_role", "display_name": "Nul Role", "permissions": ["users:read", text]}),
                "permissions.1",
            ),
        ] {
            let reply = unchanged(&app, text, || async {
                app.post(&format!("{ROLES}/"), Some(&admin), body).await
            })
            .await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({ key: NUL }), "{key} {text:?}");
            cases.hit();
        }
        let reply = unchanged(&app, text, || async {
            app.post(
                &format!("{ROLES}/users/{me}"),
                Some(&admin),
                json!({"role_name": text}),
            )
            .await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({"role_name": NUL}), "{text:?}");
        cases.hit();
        let query = format!("{PERMISSIONS}/?resource={}", super::segment(text));
        let reply = unchanged(&app, text, || async { app.get(&query, Some(&admin)).await }).await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({"resource": NUL}), "{text:?}");
        cases.hit();
        let reply = unchanged(&app, text, || async {
            app.post(
                "/api/v1/auth/login",
                None,
                json!({"email": "nul@example.com", "password": text}),
            )
            .await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({"password": NUL}), "{text:?}");
        cases.hit();
    }
}

#[tokio::test]
async fn control_characters_other_than_nul_in_free_text_are_stored_literally() {
    let cases = Cases::new("control_characters_other_than_nul_in_free_text_are_stored_literally");
    let app = spawn_app().await;
    let (me, token) = app.user("self").await;
    for (i, text) in ["line\r\nbreak", "bell\u{7}", "esc\u{1b}[31m", "del\u{7f}"]
        .into_iter()
        .enumerate()
    {
        let reply = app
            .post("/api/v1/auth/register", None, json!({"username": format!("ctl{i}"), "email": format!("ctl{i}@example.com"), "password": PASSWORD, "first_name": "A", "bio": text}))
            .await;
        assert_eq!(reply.status, 201, "{text:?}: {}", reply.text);
        assert_eq!(reply.body["data"]["bio"], text, "{text:?}");
        cases.hit();
        let reply = app
            .put(
                &format!("/api/v1/users/{me}"),
                Some(&token),
                json!({"bio": text}),
            )
            .await;
        assert_eq!(reply.status, 200, "{text:?}: {}", reply.text);
        assert_eq!(reply.body["data"]["bio"], text, "{text:?}");
        cases.hit();
    }
}
