//! A scheduled meeting as an iCalendar event (RFC 5545), built with the `icalendar` crate:
//! the same UID for the life of the meeting, and a SEQUENCE that grows with every change, so
//! calendars replace the event they have; a cancellation is the same UID, one step later, with
//! `STATUS:CANCELLED` and `METHOD:CANCEL`.

use crate::db::meetings::MeetingRow;
use crate::db::users::UserRow;
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

/// What an invitation says.
pub struct Invite<'a> {
    /// Stable for the meeting (its record key).
    pub key: &'a str,
    /// The public host name, for a globally unique UID.
    pub domain: &'a str,
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub join_url: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    /// How many times the meeting changed since it was created.
    pub sequence: u32,
    pub cancelled: bool,
    /// The invitee a mailed copy is for (an `ATTENDEE` line), if any.
    pub attendee: Option<&'a str>,
}

/// The invitation of a scheduled meeting (`None` without a start time). A cancellation is
/// one sequence step after the meeting's last change. `organizer_address`: the address shown
/// as the organizer's, with the host's name: the host's own for their own download, the
/// server's sender for mail to invitees (the host's address is not verified, and mail must
/// not vouch for an address someone merely typed at registration).
pub fn of_meeting(
    row: &MeetingRow,
    host: &UserRow,
    public_url: &str,
    cancelled: bool,
    attendee: Option<&str>,
    organizer_address: &str,
) -> Option<String> {
    let starts_at = row.starts_at?;
    let domain = public_url
        .split("://")
        .nth(1)
        .unwrap_or(public_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost");
    let url = super::to_meeting(row, public_url).join_url;
    let key = crate::db::key_of(&row.id);
    let sequence = row.sequence.unwrap_or(0).clamp(0, u32::MAX as i64 - 1) as u32;
    Some(calendar(&Invite {
        key: &key,
        domain,
        title: &row.title,
        starts_at,
        duration_minutes: row.duration_minutes,
        join_url: &url,
        organizer_name: &host.display_name,
        organizer_email: organizer_address,
        sequence: sequence + u32::from(cancelled),
        cancelled,
        attendee,
    }))
}

/// A display name as an iCalendar parameter value: RFC 5545 allows no DQUOTE in one at all
/// (a name with `"` could close the quoting and add parameters of its own), nor controls.
/// The calendar crate quotes the result when it holds `:`, `;` or `,`.
fn parameter_value(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' { '\'' } else { c })
        .collect()
}

pub fn uid(key: &str, domain: &str) -> String {
    format!("{key}@{domain}")
}

pub fn calendar(invite: &Invite<'_>) -> String {
    let mut event = Event::new();
    event
        .uid(&uid(invite.key, invite.domain))
        .sequence(invite.sequence)
        .timestamp(Utc::now())
        .summary(invite.title)
        .starts(invite.starts_at)
        .ends(invite.starts_at + Duration::minutes(invite.duration_minutes))
        .location(invite.join_url)
        .url(invite.join_url)
        .description(&format!("Join the meeting: {}", invite.join_url))
        .status(if invite.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", invite.organizer_email))
                .add_parameter("CN", &parameter_value(invite.organizer_name))
                .done(),
        );
    if let Some(attendee) = invite.attendee {
        event.append_property(
            Property::new("ATTENDEE", format!("mailto:{attendee}"))
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    }
    let mut calendar = Calendar::new();
    calendar
        .append_property(Property::new(
            "METHOD",
            if invite.cancelled {
                "CANCEL"
            } else {
                "REQUEST"
            },
        ))
        .push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn invite(sequence: u32, cancelled: bool) -> String {
        invite_from("Ada", sequence, cancelled)
    }

    fn invite_from(organizer_name: &str, sequence: u32, cancelled: bool) -> String {
        calendar(&Invite {
            key: "k1",
            domain: "meet.example.com",
            title: "Design review, part 2",
            starts_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
            duration_minutes: 45,
            join_url: "https://meet.example.com/meeting/abc-defg-hij",
            organizer_name,
            organizer_email: "ada@example.com",
            sequence,
            cancelled,
            attendee: None,
        })
    }

    /// The value of `name` (unfolded lines, first match).
    fn prop<'a>(ics: &'a str, name: &str) -> Option<&'a str> {
        ics.split("\r\n")
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
    }

    #[test]
    fn a_quote_in_the_organizer_name_adds_no_parameter() {
        for name in [
            "\"a;ROLE=CHAIR\"",
            "Ann\" ;SENT-BY=\"mailto:x@evil.example",
            "Bo\"b",
        ] {
            let ics = invite_from(name, 0, false);
            let line = ics
                .split("\r\n")
                .find(|l| l.starts_with("ORGANIZER"))
                .expect("an organizer line");
            // One parameter, CN, quoted whole or plain; the value is the address.
            let (params, value) = line.split_once(":mailto:").expect("the address");
            assert_eq!(value, "ada@example.com", "{line}");
            let cn = params.strip_prefix("ORGANIZER;CN=").expect("CN first");
            let inner = cn
                .strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
                .unwrap_or(cn);
            assert!(!inner.contains('"'), "{line}");
            assert!(
                cn.starts_with('"') || !inner.contains(';'),
                "a ';' outside quotes would start a parameter: {line}"
            );
        }
    }

    #[test]
    fn an_event_carries_title_times_link_and_organizer() {
        let ics = invite(0, false);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert_eq!(prop(&ics, "UID"), Some("k1@meet.example.com"));
        assert_eq!(prop(&ics, "SEQUENCE"), Some("0"));
        assert_eq!(prop(&ics, "DTSTART"), Some("20261201T093000Z"));
        assert_eq!(prop(&ics, "DTEND"), Some("20261201T101500Z"));
        assert_eq!(prop(&ics, "SUMMARY"), Some("Design review\\, part 2"));
        assert_eq!(
            prop(&ics, "URL"),
            Some("https://meet.example.com/meeting/abc-defg-hij")
        );
        assert_eq!(prop(&ics, "STATUS"), Some("CONFIRMED"));
        assert_eq!(prop(&ics, "METHOD"), Some("REQUEST"));
        assert_eq!(
            prop(&ics, "ORGANIZER;CN=Ada"),
            Some("mailto:ada@example.com")
        );
    }

    #[test]
    fn an_update_or_a_cancellation_keeps_the_uid_and_raises_the_sequence() {
        let first = invite(0, false);
        let changed = invite(1, false);
        let cancelled = invite(2, true);
        for ics in [&changed, &cancelled] {
            assert_eq!(prop(ics, "UID"), prop(&first, "UID"));
        }
        assert_eq!(prop(&changed, "SEQUENCE"), Some("1"));
        assert_eq!(prop(&cancelled, "SEQUENCE"), Some("2"));
        assert_eq!(prop(&cancelled, "STATUS"), Some("CANCELLED"));
        assert_eq!(prop(&cancelled, "METHOD"), Some("CANCEL"));
    }
}
