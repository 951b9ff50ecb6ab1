//! `/api/v1/meetings`: create, list mine, public info, host-only edit and delete.

use super::auth::{check_place, guess, rate_limit};
use crate::auth::client_addr::ClientAddr;
use crate::auth::extract::{AppJson, AuthUser, MaybeAuthUser};
use crate::auth::throttle::Key;
use crate::db::{self, DbError, meetings::MeetingRow};
use crate::error::{AppError, AppResult};
use crate::meetings::{self, Checked, code};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use protocol::{
    CreateMeetingRequest, Meeting, MeetingCode, MeetingInfo, MeetingList, UpdateMeetingRequest,
    UserId,
};

pub(crate) async fn find(state: &AppState, code: &str) -> AppResult<MeetingRow> {
    let code = MeetingCode::parse(code).ok_or(AppError::NotFound("No meeting with this code."))?;
    db::meetings::by_code(&state.db, &code)
        .await?
        .ok_or(AppError::NotFound("No meeting with this code."))
}

/// A look-up by someone who may not know the code: rate-limited per address, and an unknown
/// code counts as a failed guess, so codes cannot be enumerated for free. Unlike a password
/// guess, a look-up is counted only once it failed: it costs one indexed query, the
/// per-minute rate bounds a parallel burst, and counting look-ups in flight would refuse a
/// room full of people behind one address who all join at once.
pub(crate) async fn find_public(
    state: &AppState,
    client: ClientAddr,
    code: &str,
) -> AppResult<MeetingRow> {
    rate_limit(state, client)?;
    if state
        .throttle
        .is_blocked(&Key::addr(client.0), std::time::Instant::now())
    {
        // Out of guesses: `guess` answers with the time to wait (and counts nothing).
        guess(state, client, None)?.forgive();
    }
    let found = find(state, code).await;
    if matches!(found, Err(AppError::NotFound(_))) {
        // Counted, never forgiven.
        let _ = guess(state, client, None);
    }
    found
}

/// The meeting `code` if `user` hosts it; otherwise 403 with `refusal`.
pub(crate) async fn find_hosted(
    state: &AppState,
    code: &str,
    user: &UserId,
    refusal: &'static str,
) -> AppResult<MeetingRow> {
    let row = find(state, code).await?;
    if &row.host_id() != user {
        return Err(AppError::Forbidden(refusal));
    }
    Ok(row)
}

const ONLY_HOST_CHANGES: &str = "Only the host can change this meeting.";

/// Hashes a newly chosen meeting password into the fields. Hashing is the scarce resource
/// sign-ins share, so setting a password takes the same way in: the per-address request rate,
/// then a place in the hashing queue that one address or one account can hold only a couple
/// of (else parallel meeting writes filled the queue and sign-ins got 503).
async fn apply_password(
    state: &AppState,
    client: ClientAddr,
    user: &UserId,
    checked: &mut Checked,
) -> AppResult<()> {
    match checked.password.take() {
        Some(Some(pw)) => {
            rate_limit(state, client)?;
            let _place = check_place(state, client, Some(Key::Account(format!("id:{}", user.0))))?;
            checked.fields.password_hash = Some(state.hasher.hash(&pw).await?);
        }
        Some(None) => checked.fields.password_hash = None,
        None => {}
    }
    Ok(())
}

#[utoipa::path(
    post, path = "/meetings", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    request_body = protocol::CreateMeetingRequest,
    responses(
        (status = 201, description = "Created", body = Meeting),
        (status = 400, description = "Malformed JSON body", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 429, description = "Too many requests from this address (setting a password)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    client: ClientAddr,
    AppJson(req): AppJson<CreateMeetingRequest>,
) -> AppResult<impl IntoResponse> {
    let mut checked = meetings::check_create(&req).map_err(AppError::Validation)?;
    apply_password(&state, client, &user, &mut checked).await?;
    let row = insert(&state, &user, &checked).await?;
    let meeting = meetings::to_meeting(&row, &state.config.public_url());
    Ok((StatusCode::CREATED, Json(meeting)))
}

/// Stores a new meeting under a fresh code.
async fn insert(state: &AppState, user: &UserId, checked: &Checked) -> AppResult<MeetingRow> {
    // A fresh code collides with probability ~1e-14 per meeting; retry a few times anyway.
    for _ in 0..5 {
        match db::meetings::create(&state.db, user, &code::generate(), checked.fields.clone()).await
        {
            Ok(row) => {
                metrics::counter!("meetings_created_total").increment(1);
                return Ok(row);
            }
            Err(DbError::Duplicate) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(
        "could not find a free meeting code".into(),
    ))
}

/// `POST /new`, the landing page's "New meeting" (a plain form: the page comes without the
/// app): a meeting with the defaults, named after its host, and straight to its pre-join, as
/// "New meeting" does in other meeting apps. Signed out, to sign-in first.
pub async fn instant(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    client: ClientAddr,
) -> AppResult<axum::response::Response> {
    let Some(user) = user else {
        return Ok(axum::response::Redirect::to("/login?next=/dashboard").into_response());
    };
    rate_limit(&state, client)?;
    let name = db::users::by_id(&state.db, &user)
        .await?
        .map(|u| u.display_name)
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    let title: String = format!("{name}'s meeting")
        .chars()
        .take(protocol::validate::TITLE_MAX)
        .collect();
    let request = CreateMeetingRequest {
        title,
        ..Default::default()
    };
    let checked = meetings::check_create(&request).map_err(AppError::Validation)?;
    let row = insert(&state, &user, &checked).await?;
    Ok(axum::response::Redirect::to(&format!("/meeting/{}", row.code)).into_response())
}

#[utoipa::path(
    get, path = "/meetings", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The caller's meetings, upcoming and past", body = MeetingList),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<Json<MeetingList>> {
    let now = chrono::Utc::now();
    let public_url = state.config.public_url();
    let mut list = MeetingList::default();
    for row in db::meetings::by_host(&state.db, &user).await? {
        let room = state.rooms.occupancy(&MeetingCode(row.code.clone()));
        let meeting = meetings::to_hosted(&row, &public_url, room);
        if meetings::is_past(&row, now) {
            list.past.push(meeting);
        } else {
            list.upcoming.push(meeting);
        }
    }
    // Soonest first; unscheduled (always open) meetings after scheduled ones.
    list.upcoming.sort_by(|a, b| {
        (a.starts_at.is_none(), &a.starts_at).cmp(&(b.starts_at.is_none(), &b.starts_at))
    });
    list.past.sort_by(|a, b| b.starts_at.cmp(&a.starts_at));
    Ok(Json(list))
}

#[utoipa::path(
    get, path = "/meetings/{code}", tag = "meetings",
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    responses(
        (status = 200, description = "What anyone with the link may see", body = MeetingInfo),
        (status = 400, description = "Malformed path", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 429, description = "Too many look-ups or unknown codes (Retry-After)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn info(
    State(state): State<AppState>,
    client: ClientAddr,
    MaybeAuthUser(viewer): MaybeAuthUser,
    Path(code): Path<String>,
) -> AppResult<Json<MeetingInfo>> {
    let row = find_public(&state, client, &code).await?;
    let host_name = db::meetings::host_name(&state.db, &row).await?;
    let room = state
        .rooms
        .seen_from_outside(&MeetingCode(row.code.clone()));
    let mut info = meetings::to_info(&row, host_name, room);
    // The host joins their own meeting without its password (the join step skips it).
    info.needs_password &= viewer.as_ref() != Some(&row.host_id());
    Ok(Json(info))
}

#[utoipa::path(
    patch, path = "/meetings/{code}", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    request_body = protocol::UpdateMeetingRequest,
    responses(
        (status = 200, description = "Updated", body = Meeting),
        (status = 400, description = "Malformed JSON body", body = protocol::ErrorBody),
        (status = 403, description = "Not the host, or cross-site request", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 429, description = "Too many requests from this address (setting a password)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    client: ClientAddr,
    Path(code): Path<String>,
    AppJson(req): AppJson<UpdateMeetingRequest>,
) -> AppResult<Json<Meeting>> {
    let row = find_hosted(&state, &code, &user, ONLY_HOST_CHANGES).await?;
    let mut checked = meetings::check_update(row.fields(), &req).map_err(AppError::Validation)?;
    apply_password(&state, client, &user, &mut checked).await?;
    let before = row.clone();
    let row = db::meetings::update(&state.db, &row, checked.fields).await?;
    if state.mail.enabled()
        && let Some(host) = db::users::by_id(&state.db, &user).await?
    {
        state.mail.changed(&state.db, &before, &row, &host).await?;
    }
    let room = state.rooms.occupancy(&MeetingCode(row.code.clone()));
    Ok(Json(meetings::to_hosted(
        &row,
        &state.config.public_url(),
        room,
    )))
}

#[utoipa::path(
    delete, path = "/meetings/{code}", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host, or cross-site request", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    let row = find_hosted(&state, &code, &user, ONLY_HOST_CHANGES).await?;
    db::meetings::delete(&state.db, &row).await?;
    if state.mail.enabled()
        && let Some(host) = db::users::by_id(&state.db, &user).await?
    {
        state.mail.cancelled(&state.db, &row, &host).await?;
    }
    // Anyone still in it is told, and the room closes.
    state.rooms.end(
        &protocol::MeetingCode(row.code.clone()),
        protocol::signal::EndReason::Deleted,
    );
    Ok(StatusCode::NO_CONTENT)
}
