//! What a meeting room offers besides media, over the same `/ws` socket: chat, host actions,
//! raised hands, reactions, the lobby and the lock. The server checks every action against
//! the sender's role (see `Role::may`); the permission table in `docs/security.md` is the
//! same rule in words.

use crate::signal::{PeerId, Role};
use serde::{Deserialize, Serialize};

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// Messages per history page.
pub const CHAT_PAGE: usize = 50;

/// `GET /api/v1/meetings/{code}/chat`: what was said to everyone in a meeting (host only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatLog {
    pub title: String,
    pub messages: Vec<ChatMessage>,
}

/// A stored chat message as everyone allowed to see it receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    /// Server-assigned; sorts in the order messages were stored (history pages use it).
    pub id: String,
    pub from: PeerId,
    pub from_name: String,
    /// `None`: to everyone. Otherwise a private message, seen only by `to` and the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<PeerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
    pub text: String,
    /// Milliseconds since the Unix epoch, when the server stored it.
    pub at_ms: i64,
    /// In a history page: the reader sent it, under this peer id or an earlier one (a
    /// reload or a rejoin gives a new peer id; the server knows the person).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_me: bool,
}

/// Why a chat text is refused, as the sender should read it.
pub fn check_chat_text(text: &str) -> Result<&str, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Write something first.");
    }
    if text.chars().count() > MAX_CHAT_CHARS {
        return Err("Messages are limited to 2,000 characters.");
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("That message contains control characters.");
    }
    if crate::validate::has_stray_format_char(text) {
        return Err(
            "Remove invisible formatting characters (such as direction overrides or zero-width spaces).",
        );
    }
    Ok(text)
}

/// What a host or moderator does to the room or to one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostAction {
    /// Turns off their microphone (they can turn it back on).
    Mute {
        peer: PeerId,
    },
    /// Asks them to turn their microphone on; they decide.
    AskUnmute {
        peer: PeerId,
    },
    /// Asks them to turn their camera on; they decide.
    AskCamera {
        peer: PeerId,
    },
    MuteAll,
    /// Out of the meeting, and kept out of this meeting session.
    Remove {
        peer: PeerId,
    },
    Promote {
        peer: PeerId,
    },
    Demote {
        peer: PeerId,
    },
    /// Hands the host role over (the host becomes a moderator).
    MakeHost {
        peer: PeerId,
    },
    LowerHand {
        peer: PeerId,
    },
    Admit {
        peer: PeerId,
    },
    Deny {
        peer: PeerId,
    },
    AdmitAll,
    Lock,
    Unlock,
}

impl HostAction {
    /// The participant the action is about, if it is about one.
    pub fn target(&self) -> Option<&PeerId> {
        match self {
            HostAction::Mute { peer }
            | HostAction::AskUnmute { peer }
            | HostAction::AskCamera { peer }
            | HostAction::Remove { peer }
            | HostAction::Promote { peer }
            | HostAction::Demote { peer }
            | HostAction::MakeHost { peer }
            | HostAction::LowerHand { peer }
            | HostAction::Admit { peer }
            | HostAction::Deny { peer } => Some(peer),
            HostAction::MuteAll | HostAction::AdmitAll | HostAction::Lock | HostAction::Unlock => {
                None
            }
        }
    }

    /// Only the host may do it (moderators may do the rest).
    fn host_only(&self) -> bool {
        matches!(
            self,
            HostAction::Promote { .. } | HostAction::Demote { .. } | HostAction::MakeHost { .. }
        )
    }
}

impl Role {
    /// Whether this role may run `action` at all (targets are checked by `may_act_on`).
    pub fn may(self, action: &HostAction) -> bool {
        match self {
            Role::Host => true,
            Role::Moderator => !action.host_only(),
            Role::Participant | Role::Guest => false,
        }
    }

    /// Whether this role may act on someone with `target`'s role: the host on anyone else,
    /// moderators on participants and guests only.
    pub fn may_act_on(self, target: Role) -> bool {
        match self {
            Role::Host => true,
            Role::Moderator => matches!(target, Role::Participant | Role::Guest),
            Role::Participant | Role::Guest => false,
        }
    }

    /// Hosts and moderators run the room: they see the lobby and bypass it.
    pub fn runs_room(self) -> bool {
        matches!(self, Role::Host | Role::Moderator)
    }
}

/// What the host asks a participant to turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    Microphone,
    Camera,
}

/// A short-lived emoji on the sender's tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    ThumbsUp,
    Clap,
    Laugh,
    Heart,
    Surprised,
    Party,
}

impl Reaction {
    pub const ALL: [Reaction; 6] = [
        Reaction::ThumbsUp,
        Reaction::Clap,
        Reaction::Laugh,
        Reaction::Heart,
        Reaction::Surprised,
        Reaction::Party,
    ];

    pub fn emoji(self) -> &'static str {
        match self {
            Reaction::ThumbsUp => "👍",
            Reaction::Clap => "👏",
            Reaction::Laugh => "😂",
            Reaction::Heart => "❤️",
            Reaction::Surprised => "😮",
            Reaction::Party => "🎉",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reaction::ThumbsUp => "Thumbs up",
            Reaction::Clap => "Clap",
            Reaction::Laugh => "Laugh",
            Reaction::Heart => "Heart",
            Reaction::Surprised => "Surprised",
            Reaction::Party => "Celebrate",
        }
    }
}

/// Someone waiting in the lobby, as hosts and moderators see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiter {
    pub id: PeerId,
    pub display_name: String,
    pub signed_in: bool,
}

/// A line for the room's chat log about something a host did (joins and leaves the client
/// writes itself from `peer_joined` / `peer_left`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Muted {
        name: String,
        by: String,
    },
    MutedAll {
        by: String,
    },
    Removed {
        name: String,
        by: String,
    },
    RoleChanged {
        name: String,
        role: Role,
        by: String,
    },
    Locked {
        by: String,
    },
    Unlocked {
        by: String,
    },
    HandLowered {
        name: String,
        by: String,
    },
}

impl Notice {
    pub fn text(&self) -> String {
        match self {
            Notice::Muted { name, by } => format!("{name} was muted by {by}"),
            Notice::MutedAll { by } => format!("{by} muted everyone"),
            Notice::Removed { name, by } => format!("{name} was removed by {by}"),
            Notice::RoleChanged { name, role, by } => match role {
                Role::Host => format!("{name} is now the host (by {by})"),
                Role::Moderator => format!("{name} is now a moderator (by {by})"),
                _ => format!("{name} is no longer a moderator (by {by})"),
            },
            Notice::Locked { by } => format!("{by} locked the meeting"),
            Notice::Unlocked { by } => format!("{by} unlocked the meeting"),
            Notice::HandLowered { name, by } => format!("{by} lowered {name}'s hand"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_text_is_trimmed_and_bounded() {
        assert_eq!(check_chat_text("  hi\n"), Ok("hi"));
        assert!(check_chat_text("   ").is_err());
        assert!(check_chat_text(&"é".repeat(MAX_CHAT_CHARS)).is_ok());
        assert!(check_chat_text(&"é".repeat(MAX_CHAT_CHARS + 1)).is_err());
        assert!(check_chat_text("a\u{7}b").is_err());
        assert!(check_chat_text("line\nline\ttab 👩‍👩‍👧").is_ok());
        // Names refuse direction overrides; so does chat (a link could read as another).
        assert!(check_chat_text("see https://example.com/\u{202E}fdp.exe").is_err());
        assert!(check_chat_text("a\u{2066}b\u{2069}").is_err());
    }

    #[test]
    fn permissions_follow_the_table() {
        let mute = HostAction::Mute {
            peer: PeerId("p".into()),
        };
        let promote = HostAction::Promote {
            peer: PeerId("p".into()),
        };
        assert!(Role::Host.may(&promote) && Role::Host.may(&mute));
        assert!(Role::Moderator.may(&mute) && !Role::Moderator.may(&promote));
        assert!(!Role::Participant.may(&mute) && !Role::Guest.may(&HostAction::Lock));
        assert!(Role::Moderator.may_act_on(Role::Guest));
        assert!(!Role::Moderator.may_act_on(Role::Moderator));
        assert!(!Role::Moderator.may_act_on(Role::Host));
    }

    #[test]
    fn actions_round_trip_as_json() {
        let action = HostAction::Remove {
            peer: PeerId("p1".into()),
        };
        let text = serde_json::to_string(&action).unwrap();
        assert_eq!(text, r#"{"kind":"remove","peer":"p1"}"#);
        assert_eq!(serde_json::from_str::<HostAction>(&text).unwrap(), action);
    }
}
