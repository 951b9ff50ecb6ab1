//! `/api/v1/meetings`: create, list mine, public info, host-only edit and delete.

use crate::auth::extract::{AppJson, AuthUser};
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

async fn find_hosted(state: &AppState, code: &str, user: &UserId) -> AppResult<MeetingRow> {
    let row = find(state, code).await?;
    if &row.host_id() != user {
        return Err(AppError::Forbidden(
            "Only the host can change this meeting.",
        ));
    }
    Ok(row)
}

/// Hashes a newly chosen meeting password into the fields.
async fn apply_password(state: &AppState, checked: &mut Checked) -> AppResult<()> {
    match checked.password.take() {
        Some(Some(pw)) => {
            checked.fields.password_hash =
                Some(state.hasher.hash(&pw).await.map_err(AppError::Internal)?);
        }
        Some(None) => checked.fields.password_hash = None,
        None => {}
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<CreateMeetingRequest>,
) -> AppResult<impl IntoResponse> {
    let mut checked = meetings::check_create(&req).map_err(AppError::Validation)?;
    apply_password(&state, &mut checked).await?;
    // A fresh code collides with probability ~1e-14 per meeting; retry a few times anyway.
    for _ in 0..5 {
        match db::meetings::create(&state.db, &user, &code::generate(), checked.fields.clone())
            .await
        {
            Ok(row) => {
                metrics::counter!("meetings_created_total").increment(1);
                let meeting = meetings::to_meeting(&row, &state.config.public_url());
                return Ok((StatusCode::CREATED, Json(meeting)));
            }
            Err(DbError::Duplicate) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(
        "could not find a free meeting code".into(),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<Json<MeetingList>> {
    let now = chrono::Utc::now();
    let public_url = state.config.public_url();
    let mut list = MeetingList::default();
    for row in db::meetings::by_host(&state.db, &user).await? {
        let meeting = meetings::to_meeting(&row, &public_url);
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

pub async fn info(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Json<MeetingInfo>> {
    let row = find(&state, &code).await?;
    let host_name = db::meetings::host_name(&state.db, &row).await?;
    Ok(Json(meetings::to_info(&row, host_name)))
}

pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
    AppJson(req): AppJson<UpdateMeetingRequest>,
) -> AppResult<Json<Meeting>> {
    let row = find_hosted(&state, &code, &user).await?;
    let mut checked = meetings::check_update(row.fields(), &req).map_err(AppError::Validation)?;
    apply_password(&state, &mut checked).await?;
    let row = db::meetings::update(&state.db, &row, checked.fields).await?;
    Ok(Json(meetings::to_meeting(&row, &state.config.public_url())))
}

pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    let row = find_hosted(&state, &code, &user).await?;
    db::meetings::delete(&state.db, &row).await?;
    Ok(StatusCode::NO_CONTENT)
}
