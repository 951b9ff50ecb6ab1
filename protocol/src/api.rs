//! Request and response bodies of the REST API (`/api/v1`), also returned by server functions.

use crate::ids::{MeetingCode, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    /// The colour scheme the user chose (kept across devices).
    #[serde(default)]
    pub theme: Theme,
    /// Path of the profile picture (`avatar_path`), absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// Where a user's profile picture is served; the version makes the URL change with the picture,
/// so browsers may cache each URL for good.
pub fn avatar_path(user: &UserId, version: &str) -> String {
    format!("/api/v1/avatars/{}?v={version}", user.0)
}

/// Initials for a name: the first letter of the first two words ("Ada Lovelace" → "AL").
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".into()
    } else {
        letters
    }
}

/// Light, dark, or whatever the system says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(text: &str) -> Option<Theme> {
        [Theme::System, Theme::Light, Theme::Dark]
            .into_iter()
            .find(|t| t.as_str() == text)
    }

    /// The next choice of a toggle: system, light, dark, system…
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMeRequest {
    /// Absent: unchanged.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub theme: Option<Theme>,
}

/// Create a meeting. Times are RFC 3339 with an offset (`2026-11-25T09:00:00Z`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMeetingRequest {
    pub title: String,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// Empty or absent: no password.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub allow_guests: Option<bool>,
    #[serde(default)]
    pub lobby: Option<bool>,
    #[serde(default)]
    pub max_participants: Option<u32>,
}

/// Change a meeting: absent fields stay as they are. `password: ""` removes the password;
/// `starts_at: ""` removes the schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateMeetingRequest {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub allow_guests: Option<bool>,
    #[serde(default)]
    pub lobby: Option<bool>,
    #[serde(default)]
    pub max_participants: Option<u32>,
}

/// A meeting as its host sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meeting {
    pub code: MeetingCode,
    pub title: String,
    pub host_id: UserId,
    pub starts_at: Option<String>,
    pub duration_minutes: u32,
    pub has_password: bool,
    pub allow_guests: bool,
    pub lobby: bool,
    pub max_participants: u32,
    pub join_url: String,
    pub created_at: String,
    /// People in the meeting right now (seated), as its host sees it on their own list.
    #[serde(default)]
    pub in_call: u32,
    /// People in its lobby right now, waiting for someone to let them in.
    #[serde(default)]
    pub waiting: u32,
}

/// What anyone with the link may see before joining; never the password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeetingInfo {
    pub code: MeetingCode,
    pub title: String,
    pub host_name: String,
    pub starts_at: Option<String>,
    pub duration_minutes: u32,
    pub needs_password: bool,
    pub allows_guests: bool,
    /// People in the meeting right now (seated; the lobby does not count). A number only:
    /// who they are is for those who join.
    #[serde(default)]
    pub in_call: u32,
    /// The host locked the meeting: nobody new gets in until it is unlocked.
    #[serde(default)]
    pub locked: bool,
}

/// `GET /api/v1/meetings`: the caller's meetings split around now.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeetingList {
    pub upcoming: Vec<Meeting>,
    pub past: Vec<Meeting>,
}

/// One stay in a meeting: from taking a seat to leaving (`left_at` absent: still there, or
/// the server stopped meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceEntry {
    pub name: String,
    /// Signed in (else a guest, known by the name they gave).
    pub signed_in: bool,
    /// RFC 3339.
    pub joined_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
    /// Length of the stay (until now if still open).
    pub seconds: i64,
}

/// `GET /api/v1/meetings/{code}/attendance`: who came and when (host only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceList {
    pub title: String,
    pub entries: Vec<AttendanceEntry>,
}

/// `POST /api/v1/meetings/{code}/invitations`: addresses to invite by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequest {
    /// At most `MAX_INVITES_PER_REQUEST` addresses; one already invited is left as it is.
    pub emails: Vec<String>,
}

pub const MAX_INVITES_PER_REQUEST: usize = 50;

/// Where an invitee's mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Waiting for its turn.
    Queued,
    /// The SMTP server took the last mail.
    Sent,
    /// The last attempt failed; another follows (`last_error` says why).
    Retrying,
    /// Given up after several attempts.
    Failed,
}

/// One invitee, as the host sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub email: String,
    pub status: InvitationStatus,
    /// What the last mail was: `invitation`, `update`, `cancellation` or `reminder`.
    pub last_mail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
}

/// `GET /api/v1/meetings/{code}/invitations` (host only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationList {
    /// False when this server has no SMTP server configured: nothing can be mailed.
    pub enabled: bool,
    pub invitations: Vec<Invitation>,
}
