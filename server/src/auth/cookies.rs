//! The two session cookies: building `Set-Cookie` values and reading them back.

use super::session::Session;
use axum::http::{HeaderMap, HeaderValue, header};

pub const ACCESS_COOKIE: &str = "vm_access";
pub const REFRESH_COOKIE: &str = "vm_refresh";

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
}

impl CookiePolicy {
    /// Both tokens as `HttpOnly; SameSite=Lax` cookies. Lax (not Strict) so that following a
    /// meeting link from mail or chat arrives signed in; cross-site writes are refused by the
    /// `Origin` check instead.
    pub fn set(&self, session: &Session) -> [HeaderValue; 2] {
        [
            self.cookie(ACCESS_COOKIE, &session.access_token, self.access_ttl_secs),
            self.cookie(
                REFRESH_COOKIE,
                &session.refresh_token,
                self.refresh_ttl_secs,
            ),
        ]
    }

    pub fn clear(&self) -> [HeaderValue; 2] {
        [
            self.cookie(ACCESS_COOKIE, "", 0),
            self.cookie(REFRESH_COOKIE, "", 0),
        ]
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        ))
        .expect("token alphabets (base64url, JWT) are valid header characters")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn read<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; vm_access=tok; b=2".parse().unwrap());
        assert_eq!(read(&h, ACCESS_COOKIE), Some("tok"));
        assert_eq!(read(&h, REFRESH_COOKIE), None);
    }

    #[test]
    fn cookies_are_http_only_and_secure_when_asked() {
        let policy = CookiePolicy {
            secure: true,
            access_ttl_secs: 900,
            refresh_ttl_secs: 10,
        };
        let s = Session {
            user: protocol::UserId("u".into()),
            access_token: "a".into(),
            refresh_token: "r".into(),
        };
        let [access, refresh] = policy.set(&s);
        let access = access.to_str().unwrap();
        assert!(access.starts_with("vm_access=a;"));
        assert!(
            access.contains("HttpOnly")
                && access.contains("Secure")
                && access.contains("Max-Age=900")
        );
        assert!(refresh.to_str().unwrap().contains("Max-Age=10"));
    }
}
