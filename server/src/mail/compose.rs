//! What invitation mail says: subject and plain text for each kind of mail, from the meeting
//! as it is now. Pure, so the wording is tested without a mail server.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    Update,
    Cancellation,
    Reminder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Update => "update",
            Kind::Cancellation => "cancellation",
            Kind::Reminder => "reminder",
        }
    }
}

/// The meeting, as mail tells it.
pub struct About<'a> {
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub join_url: &'a str,
    pub host_name: &'a str,
    pub needs_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    pub body: String,
}

pub fn draft(kind: Kind, about: &About<'_>) -> Draft {
    let when = about
        .starts_at
        .format("%a %-d %b %Y, %H:%M UTC")
        .to_string();
    let (subject, opening) = match kind {
        Kind::Invitation => (
            format!("Invitation: {} ({when})", about.title),
            format!("{} invites you to a video meeting.", about.host_name),
        ),
        Kind::Update => (
            format!("Updated: {} ({when})", about.title),
            format!("{} changed this meeting. It is now:", about.host_name),
        ),
        Kind::Cancellation => (
            format!("Cancelled: {} ({when})", about.title),
            format!("{} cancelled this meeting.", about.host_name),
        ),
        Kind::Reminder => (
            format!("Reminder: {} starts at {when}", about.title),
            "Your meeting starts soon.".to_owned(),
        ),
    };
    let mut body = format!(
        "{opening}\n\n{}\n{when}, {} minutes\n",
        about.title, about.duration_minutes
    );
    if kind != Kind::Cancellation {
        body.push_str(&format!("\nJoin: {}\n", about.join_url));
        if about.needs_password {
            body.push_str("The meeting has a password: ask the host for it.\n");
        }
        if kind != Kind::Reminder {
            body.push_str("\nThe attached invitation adds it to your calendar.\n");
        }
    }
    body.push_str(&format!(
        "\n-- \nSent by Video Meet for {}.\n",
        about.host_name
    ));
    Draft { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn about() -> About<'static> {
        About {
            title: "Design review",
            starts_at: Utc.with_ymd_and_hms(2099, 3, 5, 14, 30, 0).unwrap(),
            duration_minutes: 45,
            join_url: "https://meet.example.com/meeting/abc-defg-hij",
            host_name: "Ada",
            needs_password: true,
        }
    }

    #[test]
    fn an_invitation_says_who_what_when_and_where() {
        let d = draft(Kind::Invitation, &about());
        assert_eq!(
            d.subject,
            "Invitation: Design review (Thu 5 Mar 2099, 14:30 UTC)"
        );
        assert!(d.body.starts_with("Ada invites you to a video meeting."));
        assert!(d.body.contains("Thu 5 Mar 2099, 14:30 UTC, 45 minutes"));
        assert!(
            d.body
                .contains("Join: https://meet.example.com/meeting/abc-defg-hij")
        );
        assert!(d.body.contains("ask the host"));
    }

    #[test]
    fn a_cancellation_has_no_link_and_a_reminder_no_calendar_note() {
        let cancelled = draft(Kind::Cancellation, &about());
        assert!(cancelled.subject.starts_with("Cancelled: Design review"));
        assert!(!cancelled.body.contains("Join:"));
        let reminder = draft(Kind::Reminder, &about());
        assert_eq!(
            reminder.subject,
            "Reminder: Design review starts at Thu 5 Mar 2099, 14:30 UTC"
        );
        assert!(reminder.body.contains("Join:"));
        assert!(!reminder.body.contains("calendar"));
        assert!(
            draft(Kind::Update, &about())
                .subject
                .starts_with("Updated: ")
        );
    }
}
