//! `POST /api/v1/meetings/{code}/join`: checks everything about who may join (guests,
//! password, capacity) and hands out a single-use ticket for `/ws` plus the ICE servers.

use super::auth::{check_place, guess_from};
use super::meetings::find_public;
use crate::auth::client_addr::ClientAddr;
use crate::auth::extract::{AppJson, MaybeAuthUser};
use crate::auth::known_device;
use crate::auth::throttle::Key;
use crate::auth::tokens::now_secs;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::rooms::tickets::TICKET_TTL;
use crate::rooms::{Identity, RoomError, Ticket};
use crate::state::AppState;
use crate::turn;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use protocol::MeetingCode;
use protocol::signal::{JoinRequest, JoinTicket, Role};
use protocol::validate::{self, Checker};
use std::time::Instant;

#[utoipa::path(
    post, path = "/meetings/{code}/join", tag = "meetings",
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    request_body = protocol::signal::JoinRequest,
    responses(
        (status = 200, description = "A single-use ticket for /ws and the ICE servers", body = JoinTicket),
        (status = 400, description = "Malformed JSON body or path", body = protocol::ErrorBody),
        (status = 403, description = "Guests not allowed, wrong meeting password, or cross-site request", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 409, description = "The meeting is full", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 429, description = "Too many attempts (Retry-After)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn join(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    client: ClientAddr,
    headers: HeaderMap,
    Path(code): Path<String>,
    AppJson(req): AppJson<JoinRequest>,
) -> AppResult<Response> {
    let row = find_public(&state, client, &code).await?;
    let profile = match &user {
        Some(id) => db::users::by_id(&state.db, id).await?,
        None => None,
    };
    if profile.is_none() && !row.allow_guests {
        return Err(AppError::Denied {
            message: "Only signed-in people can join this meeting. Sign in first.",
            field: None,
        });
    }
    // Signed in, you are your profile's name; guests choose theirs.
    let mut check = Checker::new();
    let display_name = match &profile {
        Some(profile) => Some(profile.display_name.clone()),
        None => check.check(
            "display_name",
            validate::display_name(req.display_name.as_deref().unwrap_or_default()),
        ),
    };
    check.finish().map_err(AppError::Validation)?;
    let display_name = display_name.unwrap_or_default();

    // The meeting's host never needs its password: the dashboard does not show it, and a
    // host who forgot it must still get into their own meeting.
    let is_host = user.as_ref() == Some(&row.host_id());
    if let Some(hash) = row.password_hash.as_ref().filter(|_| !is_host) {
        let password = req.password.unwrap_or_default();
        if password.is_empty() {
            return Err(AppError::Denied {
                message: "Enter the meeting password.",
                field: Some("password"),
            });
        }
        // Counted before the hash, against the address and the meeting.
        let attempt = guess_from(
            &state,
            client,
            Some(Key::Meeting(row.code.clone())),
            &headers,
        )?;
        let _place = match check_place(&state, client, Some(Key::Meeting(row.code.clone()))) {
            Ok(place) => place,
            Err(busy) => {
                attempt.forgive();
                return Err(busy);
            }
        };
        if !state.hasher.verify(&password, Some(hash)).await? {
            return Err(AppError::Denied {
                message: "Wrong meeting password.",
                field: Some("password"),
            });
        }
        attempt.forgive();
    }

    // Calls past `--p2p-max` go through the SFU: only the meeting's own cap applies.
    let capacity = u32::try_from(row.max_participants).unwrap_or(u32::MAX);
    let code = MeetingCode(row.code.clone());
    if state.rooms.count(&code) >= capacity as usize {
        return Err(AppError::Conflict {
            message: "This meeting is full.",
            field: None,
        });
    }
    let role = match &user {
        Some(id) if *id == row.host_id() => Role::Host,
        Some(_) if profile.is_some() => Role::Participant,
        _ => Role::Guest,
    };
    let identity = match &profile {
        Some(profile) => Identity::User(profile.user_id()),
        None => Identity::Guest(guest_key(req.guest_key.as_deref())),
    };
    match state.rooms.admits(&code, &identity, role) {
        Ok(()) => {}
        Err(RoomError::Removed) => {
            return Err(AppError::Denied {
                message: "You were removed from this meeting by the host.",
                field: None,
            });
        }
        Err(RoomError::Ended) => {
            return Err(AppError::Denied {
                message: crate::signal::ENDED_MESSAGE,
                field: None,
            });
        }
        Err(_) => {
            return Err(AppError::Denied {
                message: "This meeting is locked: nobody new can join until the host unlocks it.",
                field: None,
            });
        }
    }
    let label = profile
        .as_ref()
        .map(|p| p.user_id().0)
        .unwrap_or_else(|| "guest".into());
    let avatar = profile.as_ref().and_then(|p| p.avatar_path());
    let ticket = state.rooms.tickets.issue(
        Ticket {
            code,
            meeting: db::key_of(&row.id),
            identity,
            display_name: display_name.clone(),
            avatar: avatar.clone(),
            role,
            capacity,
            lobby: row.lobby,
        },
        Instant::now(),
    );
    let mut response = Json(JoinTicket {
        ticket,
        expires_in_secs: TICKET_TTL.as_secs() as u32,
        ice_servers: turn::ice_servers(&state.config, &label, now_secs()),
        relay_only: state.config.turn_only,
        role,
        display_name,
        avatar,
    })
    .into_response();
    // Past the meeting's password: this browser is known to it from now on (a reload or a
    // rejoin mid-call is not locked out by someone else spending the meeting's budget).
    if row.password_hash.is_some()
        && !is_host
        && let Some(cookie) = known_device::remember(
            &state.keys,
            &headers,
            &Key::Meeting(row.code.clone()),
            state.cookie_policy().secure,
        )
    {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// A guest's browser key as sent, if it looks like one (letters, digits, `-`, `_`; 16 to 64
/// characters); otherwise a fresh one, which no removal matches.
fn guest_key(sent: Option<&str>) -> String {
    match sent {
        Some(key)
            if (16..=64).contains(&key.len())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            key.to_owned()
        }
        _ => crate::ids::random_key(),
    }
}
