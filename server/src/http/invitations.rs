//! `/api/v1/meetings/{code}/invitations`: the host invites people by email and sees, per
//! invitee, where their mail is. Requests only queue mail (see `mail`).

use super::meetings::find_hosted;
use crate::auth::extract::{AppJson, AuthUser};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use protocol::validate::{self, Checker};
use protocol::{
    Invitation, InvitationList, InvitationStatus, InviteRequest, MAX_INVITES_PER_REQUEST,
};

const ONLY_HOST_INVITES: &str = "Only the host can invite people to this meeting.";

#[utoipa::path(
    get, path = "/meetings/{code}/invitations", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    responses(
        (status = 200, description = "Invitees and where their mail is; `enabled` is false without SMTP", body = InvitationList),
        (status = 400, description = "Malformed path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> AppResult<Json<InvitationList>> {
    let row = find_hosted(&state, &code, &user, ONLY_HOST_INVITES).await?;
    invitation_list(&state, &row).await.map(Json)
}

#[utoipa::path(
    post, path = "/meetings/{code}/invitations", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    request_body = InviteRequest,
    responses(
        (status = 202, description = "Queued; the list as it is now", body = InvitationList),
        (status = 400, description = "Malformed JSON body or path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host, or cross-site request", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 409, description = "Mail is not set up on this server, or the meeting has no start time", body = protocol::ErrorBody),
        (status = 422, description = "Bad addresses (`fields.emails`)", body = protocol::ErrorBody),
        (status = 429, description = "Over the host's hourly invitations (Retry-After)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
    AppJson(req): AppJson<InviteRequest>,
) -> AppResult<(StatusCode, Json<InvitationList>)> {
    let row = find_hosted(&state, &code, &user, ONLY_HOST_INVITES).await?;
    if !state.mail.enabled() {
        return Err(AppError::Conflict {
            message: "Email invitations are not set up on this server: share the link instead.",
            field: None,
        });
    }
    if row.starts_at.is_none() {
        return Err(AppError::Conflict {
            message: "Give the meeting a start time before inviting people by email.",
            field: None,
        });
    }
    let emails = checked_emails(&req.emails).map_err(AppError::Validation)?;
    let host = db::users::by_id(&state.db, &user)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    // Counted and added under one gate: parallel requests used to all pass the cap.
    let _gate = state.mail.invite_gate().await;
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let recent = db::invitations::count_since(&state.db, &host.id, hour_ago).await?;
    if recent + emails.len() > state.config.invites_per_hour as usize {
        return Err(AppError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    state.mail.invite(&state.db, &row, &host, &emails).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(invitation_list(&state, &row).await?),
    ))
}

/// Every address checked (all errors at once, in `fields.emails`), lower-cased, duplicates
/// dropped.
fn checked_emails(sent: &[String]) -> Result<Vec<String>, protocol::FieldErrors> {
    let mut check = Checker::new();
    if sent.is_empty() {
        check.check::<()>("emails", Err("Enter at least one email address.".into()));
    }
    if sent.len() > MAX_INVITES_PER_REQUEST {
        check.check::<()>(
            "emails",
            Err(format!(
                "At most {MAX_INVITES_PER_REQUEST} addresses at a time."
            )),
        );
    }
    let mut emails: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for raw in sent.iter().take(MAX_INVITES_PER_REQUEST) {
        match validate::email(raw) {
            // What lettre cannot put in a header is refused here, not by the sender later.
            Ok(email) if email.parse::<lettre::Address>().is_ok() => {
                if !emails.contains(&email) {
                    emails.push(email);
                }
            }
            _ => bad.push(raw.trim().chars().take(80).collect::<String>()),
        }
    }
    if !bad.is_empty() {
        check.check::<()>(
            "emails",
            Err(format!("Not valid email addresses: {}", bad.join(", "))),
        );
    }
    check.finish()?;
    Ok(emails)
}

async fn invitation_list(
    state: &AppState,
    row: &db::meetings::MeetingRow,
) -> AppResult<InvitationList> {
    let invitations = db::invitations::of_meeting(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|i| Invitation {
            email: i.email,
            status: match i.status.as_str() {
                "sent" => InvitationStatus::Sent,
                "retrying" => InvitationStatus::Retrying,
                "failed" => InvitationStatus::Failed,
                _ => InvitationStatus::Queued,
            },
            last_mail: i.last_mail,
            last_error: i.last_error,
            updated_at: crate::meetings::rfc3339(i.updated_at),
        })
        .collect();
    Ok(InvitationList {
        enabled: state.mail.enabled(),
        invitations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_together_and_deduplicated() {
        let ok = checked_emails(&[
            " Ann@Example.com".into(),
            "ann@example.com".into(),
            "bo@example.org".into(),
        ])
        .unwrap();
        assert_eq!(ok, ["ann@example.com", "bo@example.org"]);
        let errors =
            checked_emails(&["ann@example.com".into(), "nope".into(), "a@b".into()]).unwrap_err();
        assert!(errors["emails"].contains("nope, a@b"), "{errors:?}");
        assert!(checked_emails(&[]).is_err());
        assert!(checked_emails(&vec!["a@example.com".to_owned(); 51]).is_err());
    }
}
