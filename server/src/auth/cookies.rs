//! The two session cookies: building `Set-Cookie` values and reading them back.
//!
//! Over https they carry the `__Host-` prefix: the browser then accepts them only with
//! `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant or shadow them.

use super::session::Session;
use axum::http::{HeaderMap, HeaderValue, header};

pub const ACCESS_COOKIE: &str = "vm_access";
pub const REFRESH_COOKIE: &str = "vm_refresh";
const HOST_ACCESS_COOKIE: &str = "__Host-vm_access";
const HOST_REFRESH_COOKIE: &str = "__Host-vm_refresh";

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    pub access_ttl_secs: u64,
}

impl CookiePolicy {
    pub fn access_name(&self) -> &'static str {
        if self.secure {
            HOST_ACCESS_COOKIE
        } else {
            ACCESS_COOKIE
        }
    }

    pub fn refresh_name(&self) -> &'static str {
        if self.secure {
            HOST_REFRESH_COOKIE
        } else {
            REFRESH_COOKIE
        }
    }

    /// Both tokens as `HttpOnly; SameSite=Lax` cookies. Lax (not Strict) so that following a
    /// meeting link from mail or chat arrives signed in; cross-site writes are refused by the
    /// `Origin` check instead. The refresh cookie ends when the refresh token does.
    pub fn set(&self, session: &Session) -> [HeaderValue; 2] {
        [
            self.cookie(
                self.access_name(),
                &session.access_token,
                self.access_ttl_secs,
            ),
            self.cookie(
                self.refresh_name(),
                &session.refresh_token,
                session.refresh_max_age_secs,
            ),
        ]
    }

    pub fn clear(&self) -> [HeaderValue; 2] {
        [
            self.cookie(self.access_name(), "", 0),
            self.cookie(self.refresh_name(), "", 0),
        ]
    }

    pub fn read_access<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        read(headers, self.access_name())
    }

    pub fn read_refresh<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        read(headers, self.refresh_name())
    }

    /// Whether a response already sets (or clears) one of the session cookies.
    pub fn is_set_by(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split_once('='))
            .any(|(name, _)| name == self.access_name() || name == self.refresh_name())
    }

    /// Rewrites a request's `Cookie` headers for the handlers after a renewal: the session
    /// cookies become `session`'s tokens (or go, with `None`); every other cookie stays.
    pub fn hand_on(&self, headers: &mut HeaderMap, session: Option<&Session>) {
        let mut pairs: Vec<String> = pairs(headers)
            .filter(|(name, _)| *name != self.access_name() && *name != self.refresh_name())
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        if let Some(session) = session {
            pairs.push(format!("{}={}", self.access_name(), session.access_token));
            pairs.push(format!("{}={}", self.refresh_name(), session.refresh_token));
        }
        headers.remove(header::COOKIE);
        if !pairs.is_empty()
            && let Ok(value) = HeaderValue::from_str(&pairs.join("; "))
        {
            headers.insert(header::COOKIE, value);
        }
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
    pairs(headers)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Every `name=value` in the request's `Cookie` headers, in order.
fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            user: protocol::UserId("u".into()),
            access_token: "a".into(),
            refresh_token: "r".into(),
            refresh_max_age_secs: 10,
        }
    }

    #[test]
    fn reads_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; vm_access=tok; b=2".parse().unwrap());
        assert_eq!(read(&h, ACCESS_COOKIE), Some("tok"));
        assert_eq!(read(&h, REFRESH_COOKIE), None);
    }

    #[test]
    fn a_renewal_hands_on_the_new_tokens_and_every_other_cookie() {
        let policy = CookiePolicy {
            secure: false,
            access_ttl_secs: 900,
        };
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "vm_form=email=a@b.c; vm_access=old".parse().unwrap(),
        );
        h.append(header::COOKIE, "vm_refresh=old-r; other=1".parse().unwrap());
        policy.hand_on(&mut h, Some(&session()));
        assert_eq!(read(&h, ACCESS_COOKIE), Some("a"));
        assert_eq!(read(&h, REFRESH_COOKIE), Some("r"));
        assert_eq!(read(&h, "vm_form"), Some("email=a@b.c"));
        assert_eq!(read(&h, "other"), Some("1"));
        assert_eq!(h.get_all(header::COOKIE).iter().count(), 1);

        policy.hand_on(&mut h, None);
        assert_eq!(read(&h, ACCESS_COOKIE), None);
        assert_eq!(read(&h, REFRESH_COOKIE), None);
        assert_eq!(read(&h, "vm_form"), Some("email=a@b.c"));
    }

    #[test]
    fn cookies_are_http_only_and_host_prefixed_and_secure_over_https() {
        let policy = CookiePolicy {
            secure: true,
            access_ttl_secs: 900,
        };
        let [access, refresh] = policy.set(&session());
        let access = access.to_str().unwrap();
        assert!(access.starts_with("__Host-vm_access=a; Path=/;"));
        assert!(
            access.contains("HttpOnly")
                && access.contains("Secure")
                && access.contains("Max-Age=900")
                && !access.contains("Domain")
        );
        let refresh = refresh.to_str().unwrap();
        assert!(refresh.starts_with("__Host-vm_refresh=r;") && refresh.contains("Max-Age=10"));

        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "vm_access=plain; __Host-vm_access=host".parse().unwrap(),
        );
        assert_eq!(
            policy.read_access(&h),
            Some("host"),
            "only the prefixed one counts"
        );
    }

    #[test]
    fn plain_http_keeps_plain_names() {
        let policy = CookiePolicy {
            secure: false,
            access_ttl_secs: 900,
        };
        let [access, _] = policy.set(&session());
        let access = access.to_str().unwrap();
        assert!(access.starts_with("vm_access=a;") && !access.contains("Secure"));
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, "other=1".parse().unwrap());
        assert!(!policy.is_set_by(&h));
        h.append(header::SET_COOKIE, policy.clear()[1].clone());
        assert!(policy.is_set_by(&h));
    }
}
