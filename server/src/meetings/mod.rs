//! Meetings as stored and scheduled: request checks, conversion to API types, upcoming vs past.

pub mod code;
pub mod ics;

use crate::db::meetings::{MeetingFields, MeetingRow};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use protocol::validate::{self, Checker, DURATION_DEFAULT, PARTICIPANTS_DEFAULT};
use protocol::{
    CreateMeetingRequest, FieldErrors, Meeting, MeetingCode, MeetingInfo, UpdateMeetingRequest,
};

/// A checked meeting change: fields to store, plus a new plain password to hash (if any).
pub struct Checked {
    pub fields: MeetingFields,
    /// `Some(Some(pw))`: set this password; `Some(None)`: remove it; `None`: keep it.
    pub password: Option<Option<String>>,
}

fn parse_time(input: &str) -> Result<Option<DateTime<Utc>>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(input.trim())
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| "Use a date and time like 2026-11-25T09:00:00Z.".to_string())
}

/// Checks a create request against the shared rules.
pub fn check_create(req: &CreateMeetingRequest) -> Result<Checked, FieldErrors> {
    let base = MeetingFields {
        title: String::new(),
        starts_at: None,
        duration_minutes: i64::from(DURATION_DEFAULT),
        password_hash: None,
        allow_guests: true,
        lobby: false,
        max_participants: i64::from(PARTICIPANTS_DEFAULT),
    };
    let update = UpdateMeetingRequest {
        title: Some(req.title.clone()),
        starts_at: req.starts_at.clone(),
        duration_minutes: req.duration_minutes,
        password: Some(req.password.clone().unwrap_or_default()),
        allow_guests: req.allow_guests,
        lobby: req.lobby,
        max_participants: req.max_participants,
    };
    check_update(base, &update)
}

/// Applies an update request on top of the stored fields, checking every given field.
pub fn check_update(
    mut fields: MeetingFields,
    req: &UpdateMeetingRequest,
) -> Result<Checked, FieldErrors> {
    let mut check = Checker::new();
    if let Some(title) = &req.title
        && let Some(title) = check.check("title", validate::title(title))
    {
        fields.title = title;
    }
    if let Some(starts_at) = &req.starts_at
        && let Some(starts_at) = check.check("starts_at", parse_time(starts_at))
    {
        fields.starts_at = starts_at;
    }
    if let Some(minutes) = req.duration_minutes
        && let Some(minutes) = check.check("duration_minutes", validate::duration_minutes(minutes))
    {
        fields.duration_minutes = i64::from(minutes);
    }
    if let Some(n) = req.max_participants
        && let Some(n) = check.check("max_participants", validate::max_participants(n))
    {
        fields.max_participants = i64::from(n);
    }
    let password = match &req.password {
        Some(pw) => check.check("password", validate::meeting_password(pw)),
        None => None,
    };
    if let Some(allow) = req.allow_guests {
        fields.allow_guests = allow;
    }
    if let Some(lobby) = req.lobby {
        fields.lobby = lobby;
    }
    check.finish()?;
    Ok(Checked { fields, password })
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn to_meeting(row: &MeetingRow, public_url: &str) -> Meeting {
    Meeting {
        code: MeetingCode(row.code.clone()),
        title: row.title.clone(),
        host_id: row.host_id(),
        starts_at: row.starts_at.map(rfc3339),
        duration_minutes: u32::try_from(row.duration_minutes).unwrap_or(DURATION_DEFAULT),
        has_password: row.password_hash.is_some(),
        allow_guests: row.allow_guests,
        lobby: row.lobby,
        max_participants: u32::try_from(row.max_participants).unwrap_or(PARTICIPANTS_DEFAULT),
        join_url: format!("{public_url}/meeting/{}", row.code),
        created_at: rfc3339(row.created_at),
        in_call: 0,
        waiting: 0,
    }
}

/// The host's view of a meeting with its room now: `(seated, waiting)` from
/// `Rooms::occupancy`.
pub fn to_hosted(row: &MeetingRow, public_url: &str, room: (usize, usize)) -> Meeting {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Meeting {
        in_call: count(room.0),
        waiting: count(room.1),
        ..to_meeting(row, public_url)
    }
}

/// The public view of a meeting; `room` is what `Rooms::seen_from_outside` says of it.
pub fn to_info(row: &MeetingRow, host_name: String, room: (usize, bool)) -> MeetingInfo {
    let (in_call, locked) = room;
    MeetingInfo {
        code: MeetingCode(row.code.clone()),
        title: row.title.clone(),
        host_name,
        starts_at: row.starts_at.map(rfc3339),
        duration_minutes: u32::try_from(row.duration_minutes).unwrap_or(DURATION_DEFAULT),
        needs_password: row.password_hash.is_some(),
        allows_guests: row.allow_guests,
        in_call: u32::try_from(in_call).unwrap_or(u32::MAX),
        locked,
    }
}

/// A scheduled meeting is past once its end is; unscheduled meetings are always upcoming.
pub fn is_past(row: &MeetingRow, now: DateTime<Utc>) -> bool {
    row.starts_at
        .is_some_and(|start| start + Duration::minutes(row.duration_minutes) < now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_applies_defaults_and_parses_times() {
        let req = CreateMeetingRequest {
            title: "  Standup ".into(),
            starts_at: Some("2026-11-25T10:00:00+01:00".into()),
            ..Default::default()
        };
        let checked = check_create(&req).unwrap();
        assert_eq!(checked.fields.title, "Standup");
        assert_eq!(
            rfc3339(checked.fields.starts_at.unwrap()),
            "2026-11-25T09:00:00Z"
        );
        assert_eq!(checked.fields.duration_minutes, 60);
        assert_eq!(checked.password, Some(None), "an empty password means none");
    }

    #[test]
    fn create_reports_each_bad_field() {
        let req = CreateMeetingRequest {
            title: "".into(),
            starts_at: Some("tomorrow".into()),
            duration_minutes: Some(1),
            password: Some("ab".into()),
            max_participants: Some(1000),
            ..Default::default()
        };
        let errors = check_create(&req).err().unwrap();
        for field in [
            "title",
            "starts_at",
            "duration_minutes",
            "password",
            "max_participants",
        ] {
            assert!(errors.contains_key(field), "missing error for {field}");
        }
    }

    #[test]
    fn update_keeps_absent_fields_and_clears_schedule() {
        let fields = check_create(&CreateMeetingRequest {
            title: "A".into(),
            starts_at: Some("2026-01-01T00:00:00Z".into()),
            lobby: Some(true),
            ..Default::default()
        })
        .unwrap()
        .fields;
        let updated = check_update(
            fields,
            &UpdateMeetingRequest {
                starts_at: Some(String::new()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(updated.fields.title, "A");
        assert!(updated.fields.lobby);
        assert_eq!(updated.fields.starts_at, None);
        assert!(updated.password.is_none());
    }
}
