//! Server functions the UI calls. Each is a thin adapter over the REST API (see `ssr`), so
//! browser forms and API clients get the same checks, errors and cookies.

#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "hydrate")]
pub mod upload;

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use protocol::{
    ApiError, CreateMeetingRequest, ErrorCode, Meeting, MeetingInfo, MeetingList,
    UpdateMeetingRequest, User,
};
use serde::{Deserialize, Serialize};

/// An API error carried through a server function, field errors included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiError(pub ApiError);

impl UiError {
    pub fn field(&self, name: &str) -> Option<String> {
        self.0.field(name).map(str::to_owned)
    }

    pub fn message(&self) -> String {
        self.0.message.clone()
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for UiError {}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::Request(_) => "Cannot reach the server. Check your connection.",
            _ => "Something went wrong. Try again.",
        };
        UiError(ApiError::new(ErrorCode::Internal, message))
    }
}

#[cfg(feature = "ssr")]
use http::Method;

/// The signed-in user, or `None`.
#[server]
pub async fn current_user() -> Result<Option<User>, UiError> {
    match ssr::call::<User>(Method::GET, "/users/me", None::<&()>).await {
        Ok(user) => Ok(Some(user)),
        Err(e) if e.code() == ErrorCode::Unauthorized => Ok(None),
        Err(e) => ssr::answer(Err(e)),
    }
}

/// Signs in. `next` is where a light page's own form post goes afterwards (`ssr::form_answer`).
#[server]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<User, UiError> {
    let echo = [("email", email.clone())];
    let body = protocol::LoginRequest { email, password };
    let result = ssr::call(Method::POST, "/auth/login", Some(&body)).await;
    ssr::form_answer(result, &echo, next)
}

#[server]
pub async fn register(
    email: String,
    password: String,
    display_name: String,
    next: Option<String>,
) -> Result<User, UiError> {
    let echo = [
        ("email", email.clone()),
        ("display_name", display_name.clone()),
    ];
    let body = protocol::RegisterRequest {
        email,
        password,
        display_name,
    };
    let result = ssr::call(Method::POST, "/auth/register", Some(&body)).await;
    ssr::form_answer(result, &echo, next)
}

/// What a failed form on a light page had in its fields when the browser posted it without
/// the app; `None` if this request does not follow such a post (server side; always `None`
/// in the browser, where the app keeps what was typed).
pub fn form_echo() -> Option<Vec<(String, String)>> {
    #[cfg(feature = "ssr")]
    {
        ssr::take_echo()
    }
    #[cfg(not(feature = "ssr"))]
    None
}

#[server]
pub async fn logout() -> Result<(), UiError> {
    let result = ssr::call(Method::POST, "/auth/logout", None::<&()>).await;
    ssr::form_answer(result, &[], Some("/".into()))
}

#[server]
pub async fn my_meetings() -> Result<MeetingList, UiError> {
    ssr::answer(ssr::call(Method::GET, "/meetings", None::<&()>).await)
}

#[server(input = Json)]
pub async fn create_meeting(request: CreateMeetingRequest) -> Result<Meeting, UiError> {
    ssr::answer(ssr::call(Method::POST, "/meetings", Some(&request)).await)
}

#[server(input = Json)]
pub async fn update_meeting(
    code: String,
    request: UpdateMeetingRequest,
) -> Result<Meeting, UiError> {
    let path = format!("/meetings/{}", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::PATCH, &path, Some(&request)).await)
}

#[server(input = Json)]
pub async fn delete_meeting(code: String) -> Result<(), UiError> {
    let path = format!("/meetings/{}", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::DELETE, &path, None::<&()>).await)
}

#[server]
pub async fn find_meeting(code: String) -> Result<MeetingInfo, UiError> {
    let path = format!("/meetings/{}", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::GET, &path, None::<&()>).await)
}

/// The join step: checks password, guests and capacity, and hands out a signaling ticket.
#[server(input = Json)]
pub async fn join_meeting(
    code: String,
    request: protocol::signal::JoinRequest,
) -> Result<protocol::signal::JoinTicket, UiError> {
    let path = format!("/meetings/{}/join", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::POST, &path, Some(&request)).await)
}

/// A meeting's chat, for its host (what was said to everyone).
#[server]
pub async fn meeting_chat(code: String) -> Result<protocol::room::ChatLog, UiError> {
    let path = format!("/meetings/{}/chat", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::GET, &path, None::<&()>).await)
}

/// Changes the signed-in user's profile (name, theme).
#[server(input = Json)]
pub async fn update_me(request: protocol::UpdateMeRequest) -> Result<User, UiError> {
    ssr::answer(ssr::call(Method::PATCH, "/users/me", Some(&request)).await)
}

/// Removes the signed-in user's profile picture.
#[server]
pub async fn remove_avatar() -> Result<User, UiError> {
    ssr::answer(ssr::call(Method::DELETE, "/users/me/avatar", None::<&()>).await)
}

/// A meeting's invitees and where their mail is, for its host.
#[server]
pub async fn meeting_invitations(code: String) -> Result<protocol::InvitationList, UiError> {
    let path = format!(
        "/meetings/{}/invitations",
        ssr::answer(path_segment(&code))?
    );
    ssr::answer(ssr::call(Method::GET, &path, None::<&()>).await)
}

/// Invites people to a meeting by email.
#[server(input = Json)]
pub async fn invite_people(
    code: String,
    emails: Vec<String>,
) -> Result<protocol::InvitationList, UiError> {
    let path = format!(
        "/meetings/{}/invitations",
        ssr::answer(path_segment(&code))?
    );
    let request = protocol::InviteRequest { emails };
    ssr::answer(ssr::call(Method::POST, &path, Some(&request)).await)
}

/// Who came to a meeting and when, for its host.
#[server]
pub async fn meeting_attendance(code: String) -> Result<protocol::AttendanceList, UiError> {
    let path = format!("/meetings/{}/attendance", ssr::answer(path_segment(&code))?);
    ssr::answer(ssr::call(Method::GET, &path, None::<&()>).await)
}

/// Meeting codes are letters and dashes; anything else is not a meeting (and must not
/// reach the router as a path).
#[cfg(feature = "ssr")]
fn path_segment(code: &str) -> Result<String, UiError> {
    protocol::MeetingCode::parse(code)
        .map(|c| c.0)
        .ok_or_else(|| {
            UiError(ApiError::new(
                ErrorCode::NotFound,
                "No meeting with this code.",
            ))
        })
}
