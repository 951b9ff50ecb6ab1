//! Scenario: repeated failed sign-ins from one address are throttled with 429 + Retry-After.

use crate::common::{TestServer, error_of};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use video_meet::config::Config;

#[tokio::test]
async fn repeated_failures_get_429_with_retry_after() {
    let mut config = Config::for_tests();
    config.auth_failures_max = 3;
    config.auth_window_secs = 120;
    let server = TestServer::with_config(config).await;
    server.signed_in("gus@example.com", "Gus").await;

    let client = server.client();
    let attempt = || async {
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "email": "gus@example.com", "password": "wrong-password" }))
            .send()
            .await
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = attempt().await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=120).contains(&retry),
        "Retry-After {retry} within the window"
    );
    assert_eq!(error_of(blocked).await["code"], "rate_limited");

    // Even the right password waits: the throttle is per address, not per guess.
    let right = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "gus@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_proxy_a_client_cannot_dodge_the_throttle_by_writing_x_forwarded_for() {
    let mut config = Config::for_tests();
    config.auth_failures_max = 3;
    config.auth_window_secs = 120;
    config.trust_proxy = true;
    let server = TestServer::with_config(config).await;
    server.signed_in("hal@example.com", "Hal").await;

    // The client writes a new address each time; the proxy appends the real one.
    let client = server.client();
    let attempt = |i: usize| {
        let client = client.clone();
        let url = server.url("/api/v1/auth/login");
        async move {
            client
                .post(url)
                .header("x-forwarded-for", format!("198.51.100.{i}, 203.0.113.9"))
                .json(&json!({ "email": "hal@example.com", "password": "wrong-password" }))
                .send()
                .await
                .unwrap()
        }
    };
    for i in 0..3 {
        assert_eq!(attempt(i).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(3).await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another real client behind the same proxy is not affected.
    let other = server
        .client()
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.10")
        .json(&json!({ "email": "hal@example.com", "password": "wrong-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

fn throttled_server(per_addr: u32, per_target: u32) -> Config {
    let mut config = Config::for_tests();
    config.auth_failures_max = per_addr;
    config.auth_failures_per_target = per_target;
    config.auth_window_secs = 120;
    config.trust_proxy = true;
    config
}

#[tokio::test]
async fn sixty_wrong_passwords_at_once_stay_within_the_budget() {
    let server = TestServer::with_config(throttled_server(10, 1000)).await;
    server.signed_in("ivy@example.com", "Ivy").await;
    let client = server.client();
    let attempts = (0..60).map(|_| {
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "email": "ivy@example.com", "password": "wrong-password" }))
            .send()
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    // At most the budget is checked; the rest is throttled (429) or told to retry because one
    // address may have only two checks running (503, which is no guess and costs no budget).
    assert!((1..=10).contains(&wrong), "within the budget: {statuses:?}");
    assert_eq!(wrong + busy + limited, 60, "{statuses:?}");
    // Guessing on, one at a time: exactly the budget is ever checked.
    let mut checked = wrong;
    loop {
        let res = client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "email": "ivy@example.com", "password": "wrong-password" }))
            .send()
            .await
            .unwrap();
        match res.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => break,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 10);
}

async fn login_from(server: &TestServer, ip: &str, email: &str, password: &str) -> StatusCode {
    server
        .bare_client()
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_account_is_guarded_against_guesses_from_many_addresses() {
    let server = TestServer::with_config(throttled_server(100, 3)).await;
    server.signed_in("jay@example.com", "Jay").await;
    for n in 0..3 {
        let ip = format!("198.51.100.{n}");
        assert_eq!(
            login_from(&server, &ip, "jay@example.com", "wrong-password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(
            &server,
            "198.51.100.77",
            "jay@example.com",
            "wrong-password"
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other accounts are not affected.
    server.signed_in("kim@example.com", "Kim").await;
    assert_eq!(
        login_from(&server, "198.51.100.78", "kim@example.com", "password123").await,
        StatusCode::OK
    );
}

/// Spending an account's shared budget from a few addresses used to lock its owner out too
/// (reproduced: 10 wrong passwords from each of three addresses, then the right one from a
/// fourth got 429 for 5 minutes). The owner's browser, known from an earlier sign-in, still
/// gets in; an unknown browser stays held by the account's budget (that is what caps
/// guessing from many addresses).
#[tokio::test]
async fn a_known_browser_signs_in_while_others_spend_the_accounts_budget() {
    let server = TestServer::with_config(throttled_server(10, 30)).await;
    let owner = server.client();
    server.register(&owner, "max@example.com", "Max").await;
    let login = |client: &reqwest::Client, ip: &str, password: &str| {
        client
            .post(server.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip.to_owned())
            .json(&json!({ "email": "max@example.com", "password": password }))
            .send()
    };
    // The owner signs in once: this browser is known to the account from now on.
    assert_eq!(
        login(&owner, "203.0.113.9", "password123")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for attacker in ["198.51.100.2", "198.51.100.3", "198.51.100.4"] {
        for _ in 0..10 {
            login_from(&server, attacker, "max@example.com", "wrong-password").await;
        }
    }
    // An unknown browser, even with the right password, waits out the window...
    assert_eq!(
        login_from(&server, "203.0.113.50", "max@example.com", "password123").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...the owner's does not.
    assert_eq!(
        login(&owner, "203.0.113.9", "password123")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // A known browser guessing is still held by its own address's budget.
    for _ in 0..10 {
        login(&owner, "203.0.113.10", "wrong-password")
            .await
            .unwrap();
    }
    assert_eq!(
        login(&owner, "203.0.113.10", "password123")
            .await
            .unwrap()
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_ipv6_client_is_one_client_across_its_64() {
    let server = TestServer::with_config(throttled_server(3, 1000)).await;
    server.signed_in("lee@example.com", "Lee").await;
    for n in 1..=3 {
        let ip = format!("2001:db8:7:7::{n:x}");
        assert_eq!(
            login_from(&server, &ip, "lee@example.com", "wrong-password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(
            &server,
            "2001:db8:7:7:abcd::1",
            "lee@example.com",
            "password123"
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "another address in the same /64 shares the budget"
    );
    assert_eq!(
        login_from(&server, "2001:db8:7:8::1", "lee@example.com", "password123").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_meeting_codes_are_not_a_free_oracle() {
    let server = TestServer::with_config(throttled_server(5, 1000)).await;
    let look = |code: String| {
        server
            .bare_client()
            .get(server.url(&format!("/api/v1/meetings/{code}")))
            .header("x-forwarded-for", "198.51.100.5")
            .send()
    };
    for n in 0..5 {
        let res = look(format!("aaa-bbbb-cc{}", (b'a' + n) as char))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = look("aaa-bbbb-ccz".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(res).await["code"], "rate_limited");
}

#[tokio::test]
async fn a_meeting_password_is_guarded_across_addresses_and_members_still_get_back_in() {
    let server = TestServer::with_config(throttled_server(100, 3)).await;
    let host = server.signed_in("max@example.com", "Max").await;
    let res = server
        .create_meeting(
            &host,
            json!({ "title": "Board", "password": "letmein1", "allow_guests": true }),
        )
        .await;
    let code = res.json::<serde_json::Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let join = |ip: String, password: &'static str| {
        server
            .bare_client()
            .post(server.url(&format!("/api/v1/meetings/{code}/join")))
            .header("x-forwarded-for", ip)
            .json(&json!({ "display_name": "Guest", "password": password }))
            .send()
    };
    // Someone already in the call (their browser got past the password).
    let member = server.client();
    let member_join = || {
        member
            .post(server.url(&format!("/api/v1/meetings/{code}/join")))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({ "display_name": "Mem", "password": "letmein1" }))
            .send()
    };
    assert_eq!(member_join().await.unwrap().status(), StatusCode::OK);
    for n in 0..3 {
        let res = join(format!("198.51.100.{n}"), "guess").await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let res = join("198.51.100.50".into(), "letmein1").await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The member reloading mid-call is not locked out by the guessing (it used to be).
    assert_eq!(member_join().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn registrations_look_ups_and_joins_are_rate_limited_per_address() {
    let mut config = Config::for_tests();
    config.rate_per_minute = 4;
    config.trust_proxy = true;
    let server = TestServer::with_config(config).await;
    let register = |n: usize, ip: &'static str| {
        server
            .bare_client()
            .post(server.url("/api/v1/auth/register"))
            .header("x-forwarded-for", ip)
            .json(&json!({
                "email": format!("r{n}@example.com"),
                "password": "password123",
                "display_name": "R"
            }))
            .send()
    };
    for n in 0..4 {
        assert_eq!(
            register(n, "198.51.100.9").await.unwrap().status(),
            StatusCode::CREATED
        );
    }
    assert_eq!(
        register(4, "198.51.100.9").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        register(5, "198.51.100.10").await.unwrap().status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_login_flood_gets_503s_and_a_real_sign_in_still_gets_through_quickly() {
    let mut config = throttled_server(100_000, 100_000);
    // A realistic hash cost, so the flood really queues.
    config.argon2_memory_kib = 19 * 1024;
    config.hash_queue = 8;
    let server = TestServer::with_config(config).await;
    server.signed_in("nia@example.com", "Nia").await;
    server.signed_in("oli@example.com", "Oli").await;

    // 1,000 logins at Nia's account from 1,000 addresses, 200 in flight at a time (file
    // descriptors on a default machine): a sustained flood for a few seconds.
    let flooder = server.bare_client();
    let url = server.url("/api/v1/auth/login");
    let flood = futures_util::stream::iter(0..1000)
        .map(move |n| {
            flooder
                .post(url.clone())
                .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
                .json(&json!({ "email": "nia@example.com", "password": "wrong-password" }))
                .send()
        })
        .buffer_unordered(200)
        .collect::<Vec<_>>();
    let flood = tokio::spawn(flood);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    // Oli signs in mid-flood and, as a client should, honours Retry-After.
    let started = std::time::Instant::now();
    let mid_flood = !flood.is_finished();
    let status = loop {
        let res = server
            .bare_client()
            .post(server.url("/api/v1/auth/login"))
            .header("x-forwarded-for", "192.0.2.1")
            .json(&json!({ "email": "oli@example.com", "password": "password123" }))
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::SERVICE_UNAVAILABLE {
            break res.status();
        }
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    };
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert!(
        took < std::time::Duration::from_secs(3),
        "real sign-in took {took:?}"
    );
    assert!(mid_flood, "the sign-in started while the flood was on");

    let statuses: Vec<StatusCode> = flood
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(
        busy > 900,
        "the flood is refused at once, not queued: {busy} of 1000"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "only wrong-password and busy answers"
    );
}

#[tokio::test]
async fn many_people_behind_one_address_joining_at_once_are_not_throttled() {
    // A budget of 5 failed guesses: 40 people of one office (one address) join at once.
    let server = TestServer::with_config(throttled_server(5, 1000)).await;
    let host = server.signed_in("office@example.com", "Office").await;
    let res = server
        .create_meeting(
            &host,
            json!({ "title": "All hands", "allow_guests": true, "max_participants": 100 }),
        )
        .await;
    let code = res.json::<serde_json::Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let joins = (0..40).map(|n| {
        server
            .bare_client()
            .post(server.url(&format!("/api/v1/meetings/{code}/join")))
            .header("x-forwarded-for", "198.51.100.77")
            .json(&json!({ "display_name": format!("Person {n}") }))
            .send()
    });
    for res in futures_util::future::join_all(joins).await {
        assert_eq!(res.unwrap().status(), StatusCode::OK);
    }
}

/// Setting a meeting password hashes like a sign-in does, and takes the same way in: one
/// account writing password-protected meetings in parallel holds at most its couple of places
/// in the hashing queue (the rest get 503 at once), so it cannot fill the queue that
/// everyone's sign-ins wait in. It used to hash every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_passwords_take_a_place_in_the_hashing_queue_like_sign_ins() {
    let mut config = Config::for_tests();
    // Real hashing cost, so parallel requests overlap.
    config.argon2_memory_kib = 19_456;
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("busy-host@example.com", "Busy").await;
    let writes = (0..24).map(|i| {
        server.create_meeting(
            &host,
            json!({ "title": format!("Locked {i}"), "password": "secret-pass" }),
        )
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(writes)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(
        busy > 0,
        "one account got every hash it asked for: {statuses:?}"
    );
    // Meetings without a password are not hashing and are not held back.
    let plain = server
        .create_meeting(&host, json!({ "title": "Open" }))
        .await;
    assert_eq!(plain.status(), StatusCode::CREATED);
}
