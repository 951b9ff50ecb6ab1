//! The host side of a benchmark: a fresh account on the server, signed in, that creates the
//! meetings bots join.

/// A signed-in host (the client keeps the session cookies).
pub struct Host {
    http: reqwest::Client,
    server: String,
}

impl Host {
    /// Registers a new account named after `label` and this process.
    pub async fn register(server: &str, label: &str) -> Host {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let email = format!("{label}-{}@example.com", std::process::id());
        let body = serde_json::json!({ "email": email, "password": "bench-password-1", "display_name": "Bench" });
        http.post(format!("{server}/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .expect("register")
            .error_for_status()
            .expect("registered");
        Host {
            http,
            server: server.to_owned(),
        }
    }

    /// Creates a meeting that guests may join, for up to `max_participants`; its code.
    pub async fn meeting(&self, title: &str, max_participants: usize) -> String {
        let meeting: serde_json::Value = self
            .http
            .post(format!("{}/api/v1/meetings", self.server))
            .json(&serde_json::json!({
                "title": title,
                "allow_guests": true,
                "max_participants": max_participants,
            }))
            .send()
            .await
            .expect("create meeting")
            .error_for_status()
            .expect("meeting created")
            .json()
            .await
            .expect("meeting");
        meeting["code"].as_str().expect("a meeting code").to_owned()
    }
}
