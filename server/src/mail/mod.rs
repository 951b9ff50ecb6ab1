//! Invitations by email: the host invites addresses to a scheduled meeting; each invitee gets
//! the invitation (with the `.ics`), an update when the meeting changes, a cancellation when it
//! is deleted, and a reminder before it starts. Requests only queue mail (rendered, in
//! SurrealDB); `queue::send_forever` hands it to the SMTP server and retries with backoff, so
//! a slow or broken mail server never holds up a request.

pub mod budget;
pub mod compose;
pub mod queue;

use crate::db::invitations::{self, NewMail};
use crate::db::meetings::MeetingRow;
use crate::db::users::UserRow;
use crate::db::{Db, DbResult};
use crate::meetings::ics;
use chrono::{DateTime, Utc};
use compose::{About, Kind};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use surrealdb::types::RecordId;
use tokio::sync::Notify;

/// The SMTP connection settings and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// From `--smtp-url` and `--smtp-from`; a bad URL or sender is a start-up error.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("--smtp-from {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Hands one mail to the SMTP server.
    pub async fn send(&self, job: &invitations::MailJob) -> Result<(), SendFailure> {
        let to: Mailbox = job.recipient.parse().map_err(|e| SendFailure {
            category: FailureKind::Address,
            detail: format!("bad address: {e}"),
        })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(job.subject.clone());
        let message = match &job.ics {
            Some(ics) => {
                let method = if job.kind == Kind::Cancellation.as_str() {
                    "CANCEL"
                } else {
                    "REQUEST"
                };
                let calendar =
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                        .expect("a fixed, valid content type");
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(job.body.clone()))
                        .singlepart(
                            Attachment::new("invite.ics".into()).body(ics.clone(), calendar),
                        ),
                )
            }
            None => builder.singlepart(SinglePart::plain(job.body.clone())),
        }
        .map_err(|e| SendFailure {
            category: FailureKind::Other,
            detail: format!("cannot build the message: {e}"),
        })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure {
                category: FailureKind::of(&e),
                detail: e.to_string(),
            })
    }
}

/// Why a mail did not go out: a category the host is shown, and the mail server's own words
/// for operators (logs and the invitation's `error_detail`, never the API: a server's reply
/// can tell whether a mailbox exists, which a host must not learn by inviting addresses).
#[derive(Debug)]
pub struct SendFailure {
    pub category: FailureKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The server refused for good (5xx): the address, or the message.
    Refused,
    /// The server said "later" (4xx).
    Deferred,
    /// No answer: connection refused, TLS, a timeout.
    Unreachable,
    /// The address cannot be written into a mail at all.
    Address,
    Other,
}

impl FailureKind {
    fn of(e: &lettre::transport::smtp::Error) -> Self {
        if e.is_permanent() {
            Self::Refused
        } else if e.is_transient() {
            Self::Deferred
        } else if e.is_timeout() || e.is_tls() || std::error::Error::source(e).is_some() {
            Self::Unreachable
        } else {
            Self::Other
        }
    }

    /// What the host reads.
    pub fn for_host(self) -> &'static str {
        match self {
            Self::Refused => "The mail server refused this invitation.",
            Self::Deferred => "The mail server asked to try again later.",
            Self::Unreachable => "The mail server could not be reached.",
            Self::Address => "This address cannot be mailed.",
            Self::Other => "The invitation could not be sent.",
        }
    }
}

/// How update mail is paced, so that editing a meeting over and over cannot flood its
/// invitees (reproduced by reading the code: every changing PATCH mailed every invitee).
#[derive(Debug, Clone, Copy)]
pub struct UpdatePacing {
    /// An update waits this long for more changes; a newer change replaces it unsent.
    pub delay: chrono::Duration,
    /// At most one update per meeting's invitees in this long.
    pub spacing: chrono::Duration,
    /// Mails of every kind one host's meetings may send per hour, and the whole server.
    pub per_host_per_hour: u32,
    pub per_hour: u32,
}

/// Queues invitation mail; shared by the request handlers.
#[derive(Clone)]
pub struct Outbox {
    mailer: Option<Arc<Mailer>>,
    wake: Arc<Notify>,
    reminder: Option<chrono::Duration>,
    public_url: String,
    pacing: UpdatePacing,
    /// Held while an invitation request counts the host's recent invitations and adds its
    /// own, so parallel requests cannot all pass the hourly cap (one server; several nodes
    /// would need the count and the insert in one database transaction).
    invite_gate: Arc<tokio::sync::Mutex<()>>,
}

impl Outbox {
    pub fn new(
        mailer: Option<Mailer>,
        reminder_minutes: u32,
        public_url: String,
        pacing: UpdatePacing,
    ) -> Self {
        Self {
            mailer: mailer.map(Arc::new),
            wake: Arc::new(Notify::new()),
            reminder: (reminder_minutes > 0)
                .then(|| chrono::Duration::minutes(i64::from(reminder_minutes))),
            public_url,
            pacing,
            invite_gate: Arc::default(),
        }
    }

    /// The address mail goes out from (the organizer's address in an invitation's `.ics`).
    fn sender_address(&self) -> String {
        self.mailer
            .as_ref()
            .map(|m| m.from.email.to_string())
            .unwrap_or_default()
    }

    /// Held across counting a host's recent invitations and adding new ones.
    pub async fn invite_gate(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.invite_gate.lock().await
    }

    /// Is mail configured?
    pub fn enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// The sender task, when mail is configured.
    pub fn sender(&self, db: Db) -> Option<tokio::task::JoinHandle<()>> {
        let mailer = self.mailer.clone()?;
        Some(tokio::spawn(queue::send_forever(
            db,
            mailer,
            self.wake.clone(),
            budget::MailBudget::new(
                self.pacing.per_host_per_hour,
                self.pacing.per_hour,
                std::time::Duration::from_secs(3600),
            ),
        )))
    }

    /// Invites `emails` (checked, lower-case) to a scheduled meeting; addresses already invited
    /// are left alone. Returns how many were new.
    pub async fn invite(
        &self,
        db: &Db,
        meeting: &MeetingRow,
        host: &UserRow,
        emails: &[String],
    ) -> DbResult<usize> {
        let mailing = self.mailing(db, meeting, host);
        let mut added = 0;
        for email in emails {
            let Some(invitation) = invitations::create(db, &meeting.id, &host.id, email).await?
            else {
                continue;
            };
            added += 1;
            mailing.queue(&invitation, email, Kind::Invitation).await?;
            mailing.queue_reminder(&invitation, email).await?;
        }
        self.wake.notify_one();
        Ok(added)
    }

    /// The meeting changed: if what invitees see changed (title, time, length), each gets an
    /// update; reminders follow the new time.
    pub async fn changed(
        &self,
        db: &Db,
        before: &MeetingRow,
        after: &MeetingRow,
        host: &UserRow,
    ) -> DbResult<()> {
        let seen = |m: &MeetingRow| (m.title.clone(), m.starts_at, m.duration_minutes);
        if seen(before) == seen(after) {
            return Ok(());
        }
        // One update, with the latest state: an unsent one is replaced, and the new one waits
        // for more changes and for the spacing since the last one that went out.
        invitations::drop_pending(db, &after.id, Kind::Update.as_str()).await?;
        let now = Utc::now();
        let mut due = now + self.pacing.delay;
        if let Some(last) = invitations::last_sent(db, &after.id, Kind::Update.as_str()).await? {
            due = due.max(last + self.pacing.spacing);
        }
        self.to_every_invitee_at(db, after, host, Kind::Update, due)
            .await
    }

    /// The meeting was deleted: each invitee gets a cancellation; no more reminders.
    pub async fn cancelled(&self, db: &Db, meeting: &MeetingRow, host: &UserRow) -> DbResult<()> {
        invitations::drop_pending(db, &meeting.id, Kind::Update.as_str()).await?;
        self.to_every_invitee(db, meeting, host, Kind::Cancellation)
            .await
    }

    /// Pending reminders are dropped; each invitee gets `kind`, and a new reminder unless the
    /// meeting is cancelled.
    async fn to_every_invitee(
        &self,
        db: &Db,
        meeting: &MeetingRow,
        host: &UserRow,
        kind: Kind,
    ) -> DbResult<()> {
        self.to_every_invitee_at(db, meeting, host, kind, Utc::now())
            .await
    }

    async fn to_every_invitee_at(
        &self,
        db: &Db,
        meeting: &MeetingRow,
        host: &UserRow,
        kind: Kind,
        due_at: DateTime<Utc>,
    ) -> DbResult<()> {
        invitations::drop_pending(db, &meeting.id, Kind::Reminder.as_str()).await?;
        let mailing = self.mailing(db, meeting, host);
        for invitation in invitations::of_meeting(db, &meeting.id).await? {
            mailing
                .queue_at(&invitation.id, &invitation.email, kind, due_at)
                .await?;
            if kind != Kind::Cancellation {
                mailing
                    .queue_reminder(&invitation.id, &invitation.email)
                    .await?;
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    fn mailing<'a>(
        &'a self,
        db: &'a Db,
        meeting: &'a MeetingRow,
        host: &'a UserRow,
    ) -> Mailing<'a> {
        Mailing {
            outbox: self,
            db,
            meeting,
            host,
        }
    }
}

/// Mail about one meeting from its host, being queued.
struct Mailing<'a> {
    outbox: &'a Outbox,
    db: &'a Db,
    meeting: &'a MeetingRow,
    host: &'a UserRow,
}

impl Mailing<'_> {
    /// Queues `kind` to go now.
    async fn queue(&self, invitation: &RecordId, email: &str, kind: Kind) -> DbResult<()> {
        self.queue_at(invitation, email, kind, Utc::now()).await
    }

    /// Queues the reminder for the meeting's start, if that is still ahead.
    async fn queue_reminder(&self, invitation: &RecordId, email: &str) -> DbResult<()> {
        let (Some(before), Some(starts_at)) = (self.outbox.reminder, self.meeting.starts_at) else {
            return Ok(());
        };
        let due = starts_at - before;
        if due <= Utc::now() {
            // Invited (or moved) inside the reminder window: the invitation is reminder enough.
            return Ok(());
        }
        self.queue_at(invitation, email, Kind::Reminder, due).await
    }

    async fn queue_at(
        &self,
        invitation: &RecordId,
        email: &str,
        kind: Kind,
        due_at: DateTime<Utc>,
    ) -> DbResult<()> {
        let (meeting, host, public_url) = (self.meeting, self.host, &self.outbox.public_url);
        // Only scheduled meetings are invited to; one whose schedule was removed gets nothing.
        let Some(starts_at) = meeting.starts_at else {
            return Ok(());
        };
        let join_url = crate::meetings::to_meeting(meeting, public_url).join_url;
        let draft = compose::draft(
            kind,
            &About {
                title: &meeting.title,
                starts_at,
                duration_minutes: meeting.duration_minutes,
                join_url: &join_url,
                host_name: &host.display_name,
                needs_password: meeting.password_hash.is_some(),
            },
        );
        let ics = match kind {
            Kind::Reminder => None,
            _ => ics::of_meeting(
                meeting,
                host,
                public_url,
                kind == Kind::Cancellation,
                Some(email),
                &self.outbox.sender_address(),
            ),
        };
        invitations::queue(
            self.db,
            NewMail {
                invitation: invitation.clone(),
                kind: kind.as_str(),
                recipient: email.to_owned(),
                subject: draft.subject,
                body: draft.body,
                ics,
                due_at,
            },
        )
        .await
    }
}
