//! Known devices (OWASP's "device cookies"): a browser that once got past an account's or a
//! meeting's password keeps a tag for it, and is not held by that target's shared failure
//! budget. Without this, anyone could lock out an account or a protected meeting for
//! everyone by spending its budget from a few addresses (reproduced: 30 wrong passwords from
//! three addresses, then the right one from a fourth got 429). Unknown browsers stay under
//! the budget, so guessing from many addresses is still capped; every browser, known or
//! not, is held by its own address's budget.

use super::throttle::Key;
use super::tokens::TokenKeys;
use axum::http::{HeaderMap, HeaderValue};

pub const KNOWN_COOKIE: &str = "vm_known";
/// Tags kept per browser (newest first); older ones fall out.
const MAX_TAGS: usize = 16;
/// A year: a device stays known across the sessions of someone's usual browser.
const MAX_AGE_SECS: u64 = 365 * 24 * 3600;

/// What is tagged for a target: its kind and its name, so an account and a meeting never
/// share a tag.
fn label(target: &Key) -> Option<String> {
    match target {
        Key::Account(email) => Some(format!("account:{email}")),
        Key::Meeting(code) => Some(format!("meeting:{code}")),
        Key::Addr(_) => None,
    }
}

fn tags(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    super::cookies::read(headers, KNOWN_COOKIE)
        .into_iter()
        .flat_map(|v| v.split('.'))
        .filter(|t| !t.is_empty())
}

/// Has this browser got past `target` before?
pub fn knows(keys: &TokenKeys, headers: &HeaderMap, target: &Key) -> bool {
    let Some(label) = label(target) else {
        return false;
    };
    let tag = keys.device_tag(&label);
    tags(headers).any(|t| t == tag)
}

/// The `Set-Cookie` that adds `target` to this browser's known ones.
pub fn remember(
    keys: &TokenKeys,
    headers: &HeaderMap,
    target: &Key,
    secure: bool,
) -> Option<HeaderValue> {
    let tag = keys.device_tag(&label(target)?);
    let mut kept: Vec<&str> = vec![tag.as_str()];
    kept.extend(tags(headers).filter(|t| *t != tag).take(MAX_TAGS - 1));
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{KNOWN_COOKIE}={}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
        kept.join(".")
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_remembered_target_is_known_and_nothing_else_is() {
        let keys = TokenKeys::new(b"test-secret-test-secret-test-secret", 60);
        let ann = Key::Account("ann@example.com".into());
        let bob = Key::Account("bob@example.com".into());
        let set = remember(&keys, &HeaderMap::new(), &ann, false).unwrap();
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let headers = with_cookie(&pair);
        assert!(knows(&keys, &headers, &ann));
        assert!(!knows(&keys, &headers, &bob));
        assert!(!knows(&keys, &HeaderMap::new(), &ann));
        // Another server's (another secret's) tag means nothing here.
        let other = TokenKeys::new(b"another-secret-another-secret-xx", 60);
        assert!(!knows(&other, &headers, &ann));
        // A forged tag is refused.
        assert!(!knows(
            &keys,
            &with_cookie("vm_known=AAAAAAAAAAAAAAAAAAAAAA"),
            &ann
        ));
        // Adding keeps the others, newest first, bounded.
        let both = remember(&keys, &headers, &bob, true).unwrap();
        let both = both.to_str().unwrap();
        assert!(both.contains("; Secure"));
        let pair = both.split(';').next().unwrap();
        let headers = with_cookie(pair);
        assert!(knows(&keys, &headers, &ann) && knows(&keys, &headers, &bob));
        let mut headers = headers;
        for i in 0..40 {
            let set = remember(&keys, &headers, &Key::Meeting(format!("m{i}")), false).unwrap();
            headers = with_cookie(set.to_str().unwrap().split(';').next().unwrap());
        }
        assert_eq!(tags(&headers).count(), MAX_TAGS);
        assert!(knows(&keys, &headers, &Key::Meeting("m39".into())));
        assert!(!knows(&keys, &headers, &ann), "the oldest fell out");
    }
}
