//! Scenario: the landing, sign-in and registration pages come without the WebAssembly app,
//! and a browser uses them with plain form posts: a good sign-in goes on to where the visitor
//! was heading with the session cookies, a bad one comes back with the error and the email as
//! typed (never the password; an error in a link is not shown), signing out goes back to the
//! landing page, and a meeting code typed on the landing page leads to its meeting. "Page not
//! found" is light too, and a signed-in visitor is sent past the sign-in and registration forms.

use crate::common::{TestServer, cookie_value};
use reqwest::{Client, Response, StatusCode};

/// The `action` of the page's first form that posts.
fn form_action(html: &str) -> String {
    let form = html
        .split("<form")
        .skip(1)
        .find(|f| f.contains("method=\"post\""))
        .expect("a form that posts");
    let action = form
        .split("action=\"")
        .nth(1)
        .expect("the form has an action");
    action.split('"').next().unwrap().to_owned()
}

/// Posts `fields` as a browser's own form post from `page` would.
async fn post_form(
    server: &TestServer,
    client: &Client,
    page: &str,
    fields: &[(&str, &str)],
) -> Response {
    let html = server.page(client, page).await;
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    client
        .post(server.url(&form_action(&html)))
        .header("accept", "text/html,application/xhtml+xml")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", server.url(""))
        .header("referer", server.url(page))
        .body(body)
        .send()
        .await
        .unwrap()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn location(res: &Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_and_registration_work_as_plain_forms_without_the_app() {
    let server = TestServer::start().await;
    let member = server.signed_in("lia@example.com", "Lia").await;
    let code = server
        .create_meeting(&member, serde_json::json!({ "title": "Light" }))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let heading = format!("/meeting/{code}");

    // No app on these pages; the pages that need it still load it.
    let visitor = server.client();
    for page in ["/", "/login", "/register"] {
        let html = server.page(&visitor, page).await;
        assert!(!html.contains("/pkg/video-meet.js"), "{page} loads no app");
        assert!(
            html.contains("data-testid=\"theme-toggle\""),
            "{page} has the theme toggle"
        );
    }
    let dashboard = server.page(&member, "/dashboard").await;
    assert!(
        dashboard.contains("/pkg/video-meet.js"),
        "the dashboard loads the app"
    );

    // A wrong password: back to the form with the error and the email as typed.
    let login = format!("/login?next={heading}");
    let wrong = post_form(
        &server,
        &visitor,
        &login,
        &[
            ("email", "lia@example.com"),
            ("password", "not-her-password"),
            ("next", &heading),
        ],
    )
    .await;
    assert!(wrong.status().is_redirection(), "got {}", wrong.status());
    let back = location(&wrong);
    assert!(
        back.starts_with(&server.url("/login?next=")) && back.contains("__err="),
        "{back}"
    );
    // The same address opened from a link (no cookie of a failed post): no error text, so a
    // link cannot make the page say what its author wants.
    let linked = server
        .page(
            &server.client(),
            back.strip_prefix(&server.url("")).unwrap(),
        )
        .await;
    assert!(linked.contains("Sign in") && !linked.contains("Wrong email or password."));
    let echo: Vec<_> = wrong
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(
        echo.iter()
            .any(|c| c.starts_with("vm_form=email=lia@example.com;") && c.contains("HttpOnly")),
        "{echo:?}"
    );
    assert!(
        !echo.iter().any(|c| c.contains("not-her-password")),
        "{echo:?}"
    );
    let page = visitor.get(&back).send().await.unwrap();
    let cleared = cookie_value(&page, "vm_form").as_deref() == Some("");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Wrong email or password."),
        "the error is on the page"
    );
    assert!(
        html.contains("value=\"lia@example.com\""),
        "the email is kept"
    );
    assert!(cleared, "the echo is used once");

    // The right password: on to where she was heading, signed in.
    let right = post_form(
        &server,
        &visitor,
        &login,
        &[
            ("email", "lia@example.com"),
            ("password", "password123"),
            ("next", &heading),
        ],
    )
    .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), heading);
    let me = visitor
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK, "signed in");

    // An address outside the site is never a destination.
    let other = server.client();
    let elsewhere = post_form(
        &server,
        &other,
        "/login",
        &[
            ("email", "lia@example.com"),
            ("password", "password123"),
            ("next", "//evil.example"),
        ],
    )
    .await;
    assert_eq!(location(&elsewhere), "/dashboard");

    // Registration: field errors with the name and email kept; then an account.
    let newcomer = server.client();
    let bad = post_form(
        &server,
        &newcomer,
        "/register",
        &[
            ("display_name", "Zoë Ng"),
            ("email", "not-an-email"),
            ("password", "short"),
        ],
    )
    .await;
    let back = location(&bad);
    let html = server
        .page(&newcomer, back.strip_prefix(&server.url("")).unwrap())
        .await;
    assert!(html.contains("valid email"), "field error shown");
    assert!(html.contains("value=\"Zoë Ng\"") && html.contains("value=\"not-an-email\""));
    let good = post_form(
        &server,
        &newcomer,
        "/register",
        &[
            ("display_name", "Zoë Ng"),
            ("email", "zoe@example.com"),
            ("password", "password123"),
        ],
    )
    .await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&good), "/dashboard");

    // Joining by code from the landing page.
    let join = visitor
        .get(server.url(&format!("/?code={code}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(join.status().is_redirection());
    assert_eq!(location(&join), heading);
    // Signing out from the landing page (the header's form): back to it, signed out.
    let out = post_form(&server, &visitor, "/", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/");
    let me = visitor
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "signed out");

    let typo = visitor.get(server.url("/?code=nope")).send().await.unwrap();
    assert_eq!(typo.status(), StatusCode::OK);
    let html = typo.text().await.unwrap();
    assert!(
        html.contains("Enter a code like abc-defg-hij, or paste a meeting link.")
            && html.contains("value=\"nope\"")
    );
}

#[tokio::test]
async fn a_missing_page_is_light_and_the_signed_in_skip_the_sign_in_forms() {
    let server = TestServer::start().await;
    let visitor = server.client();
    let member = server.signed_in("kai@example.com", "Kai").await;

    // "Page not found" comes without the app, signed in or not; the header knows who it is.
    for (client, who) in [(&visitor, "Sign in"), (&member, "Kai")] {
        let res = client
            .get(server.url("/no/such-page"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("<title>Page not found · Video Meet</title>"),
            "{html}"
        );
        assert!(html.contains(who), "the header shows {who}");
        assert!(!html.contains("/pkg/video-meet.js"), "a 404 loads no app");
    }
    // A meeting's page still has the app, whatever its code.
    let meeting = server.page(&visitor, "/meeting/abc-defg-hij").await;
    assert!(meeting.contains("/pkg/video-meet.js"));

    // Signed in, the sign-in and registration forms send you on: to the dashboard, or to a
    // same-site `next`; never off-site.
    for (page, to) in [
        ("/login", "/dashboard"),
        ("/register", "/dashboard"),
        ("/login?next=/meeting/abc-defg-hij", "/meeting/abc-defg-hij"),
        ("/login?next=//evil.example", "/dashboard"),
    ] {
        let res = member
            .get(server.url(page))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{page}: {}", res.status());
        assert_eq!(location(&res), to, "{page}");
    }
    // Signed out, they are forms.
    let form = visitor.get(server.url("/login")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("current-password"));
}

/// The landing page's "New meeting" is a plain form: signed in, a meeting with the defaults
/// named after its host, and its page; signed out, sign-in first.
#[tokio::test]
async fn new_meeting_from_the_landing_page_makes_one_and_opens_it() {
    let server = TestServer::start().await;
    let signed_out = server
        .client()
        .post(server.url("/new"))
        .header("origin", server.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers()["location"], "/login?next=/dashboard");

    let host = server.signed_in("instant@example.com", "Ida").await;
    let res = host
        .post(server.url("/new"))
        .header("origin", server.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let code = to.strip_prefix("/meeting/").expect("to the meeting's page");
    let info = server
        .get_json(&host, &format!("/api/v1/meetings/{code}"))
        .await;
    assert_eq!(info["title"], "Ida's meeting");
    // From another site it is refused, as every state-changing request is.
    let forged = host
        .post(server.url("/new"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
