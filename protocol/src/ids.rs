//! Newtype ids so a user id can never be passed where a meeting code is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's id (the key of the `user` record).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct UserId(pub String);

/// A meeting's public code, like `abc-defg-hij`: what people type and what links carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct MeetingCode(pub String);

impl MeetingCode {
    /// Accepts what a person might paste (`ABC-DEFG-HIJ`, spaces, or without dashes) and
    /// returns the canonical form, or `None` when it cannot be a meeting code.
    pub fn parse(input: &str) -> Option<Self> {
        let letters: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if letters.len() != 10 || !letters.chars().all(|c| c.is_ascii_lowercase()) {
            return None;
        }
        Some(Self(format!(
            "{}-{}-{}",
            &letters[0..3],
            &letters[3..7],
            &letters[7..10]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: the first three letters only, so logs never hold a way into a meeting.
    pub fn redacted(&self) -> String {
        format!("{}-…", self.0.get(..3).unwrap_or(""))
    }
}

impl fmt::Display for MeetingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_code_is_normalised() {
        assert_eq!(
            MeetingCode::parse(" ABC-defg-HIJ ").unwrap().as_str(),
            "abc-defg-hij"
        );
        assert_eq!(
            MeetingCode::parse("abcdefghij").unwrap().as_str(),
            "abc-defg-hij"
        );
    }

    #[test]
    fn meeting_code_rejects_wrong_shapes() {
        assert!(MeetingCode::parse("abc-defg-hi").is_none());
        assert!(MeetingCode::parse("abc-defg-hi1").is_none());
        assert!(MeetingCode::parse("../etc/passwd").is_none());
        assert!(MeetingCode::parse("").is_none());
    }
}
