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

    /// What a person pastes into "Join a meeting": a code as `parse` takes it, or a meeting
    /// link (`https://meet.example.com/meeting/abc-defg-hij?x#y`, from any server: the code
    /// is what counts here, as in every meeting app).
    pub fn from_pasted(input: &str) -> Option<Self> {
        let input = input.trim();
        match input.rfind("/meeting/") {
            Some(at) => {
                let rest = &input[at + "/meeting/".len()..];
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                Self::parse(&rest[..end])
            }
            None => Self::parse(input),
        }
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

    #[test]
    fn a_pasted_meeting_link_gives_its_code() {
        for link in [
            "https://meet.example.com/meeting/abc-defg-hij",
            "  http://127.0.0.1:3000/meeting/ABC-DEFG-HIJ?x=1#top ",
            "meet.example.com/meeting/abc-defg-hij/",
            "abc-defg-hij",
        ] {
            assert_eq!(
                MeetingCode::from_pasted(link).map(|c| c.0),
                Some("abc-defg-hij".into()),
                "{link}"
            );
        }
        assert!(MeetingCode::from_pasted("https://meet.example.com/dashboard").is_none());
        assert!(MeetingCode::from_pasted("https://x/meeting/nope").is_none());
    }
}
