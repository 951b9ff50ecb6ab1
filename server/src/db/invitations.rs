//! Queries on `invitation` (who was invited to a meeting and where their mail is) and
//! `mail_job` (rendered mail waiting for the SMTP server).

use super::{Db, DbResult, new_key};
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct InvitationRow {
    pub id: RecordId,
    pub email: String,
    pub status: String,
    pub last_mail: String,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A mail to send: rendered when queued.
#[derive(Debug, Clone, SurrealValue)]
pub struct MailJob {
    pub id: RecordId,
    pub invitation: RecordId,
    /// The host whose meeting it is about (mail budgets are per host).
    pub host: RecordId,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub ics: Option<String>,
    pub attempts: i64,
}

/// A mail to queue.
pub struct NewMail {
    pub invitation: RecordId,
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub ics: Option<String>,
    pub due_at: DateTime<Utc>,
}

pub async fn of_meeting(db: &Db, meeting: &RecordId) -> DbResult<Vec<InvitationRow>> {
    let mut res = db
        .query(
            "SELECT id, email, status, last_mail, last_error, updated_at FROM invitation \
             WHERE meeting = $meeting ORDER BY created_at, email",
        )
        .bind(("meeting", meeting.clone()))
        .await?
        .check()?;
    Ok(res.take(0)?)
}

/// Invitations a host created since `since` (the hourly limit).
pub async fn count_since(db: &Db, host: &RecordId, since: DateTime<Utc>) -> DbResult<usize> {
    let mut res = db
        .query("SELECT VALUE id FROM invitation WHERE host = $host AND created_at > $since")
        .bind(("host", host.clone()))
        .bind(("since", since))
        .await?
        .check()?;
    let ids: Vec<RecordId> = res.take(0)?;
    Ok(ids.len())
}

/// Creates an invitation in `queued`; `None` when the address is already invited.
pub async fn create(
    db: &Db,
    meeting: &RecordId,
    host: &RecordId,
    email: &str,
) -> DbResult<Option<RecordId>> {
    let id = RecordId::new("invitation", new_key());
    let created = db
        .query(
            "CREATE ONLY $id SET meeting = $meeting, host = $host, email = $email, \
             status = 'queued', last_mail = 'invitation', created_at = time::now(), \
             updated_at = time::now() RETURN NONE",
        )
        .bind(("id", id.clone()))
        .bind(("meeting", meeting.clone()))
        .bind(("host", host.clone()))
        .bind(("email", email.to_owned()))
        .await?
        .check()
        .map_err(super::DbError::from);
    match created {
        Ok(_) => Ok(Some(id)),
        Err(super::DbError::Duplicate) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Queues a mail and marks its invitation `queued`.
pub async fn queue(db: &Db, mail: NewMail) -> DbResult<()> {
    db.query(
        "BEGIN; \
         CREATE mail_job SET invitation = $invitation, meeting = $invitation.meeting, \
         kind = $kind, recipient = $recipient, subject = $subject, body = $body, ics = $ics, \
         due_at = $due_at, attempts = 0, done = false RETURN NONE; \
         IF $due_at <= time::now() { \
             UPDATE $invitation SET status = 'queued', last_mail = $kind, last_error = NONE, error_detail = NONE, \
             updated_at = time::now() RETURN NONE; \
         }; \
         COMMIT;",
    )
    .bind(("invitation", mail.invitation))
    .bind(("kind", mail.kind))
    .bind(("recipient", mail.recipient))
    .bind(("subject", mail.subject))
    .bind(("body", mail.body))
    .bind(("ics", mail.ics))
    .bind(("due_at", mail.due_at))
    .await?
    .check()?;
    Ok(())
}

/// Drops the meeting's mail of `kind` not sent yet (reminders of a moved or cancelled
/// meeting).
pub async fn drop_pending(db: &Db, meeting: &RecordId, kind: &str) -> DbResult<()> {
    db.query("DELETE mail_job WHERE meeting = $meeting AND kind = $kind AND done = false")
        .bind(("meeting", meeting.clone()))
        .bind(("kind", kind.to_owned()))
        .await?
        .check()?;
    Ok(())
}

/// Moves a mail that is over the sending budget to `due_at`.
pub async fn postpone(db: &Db, job: &MailJob, due_at: DateTime<Utc>) -> DbResult<()> {
    db.query("UPDATE $job SET due_at = $due_at RETURN NONE")
        .bind(("job", job.id.clone()))
        .bind(("due_at", due_at))
        .await?
        .check()?;
    Ok(())
}

/// When the meeting's last mail of `kind` went out (its due time), if one did.
pub async fn last_sent(db: &Db, meeting: &RecordId, kind: &str) -> DbResult<Option<DateTime<Utc>>> {
    let mut res = db
        .query(
            "SELECT VALUE due_at FROM mail_job WHERE meeting = $meeting AND kind = $kind \
             AND done = true ORDER BY due_at DESC LIMIT 1",
        )
        .bind(("meeting", meeting.clone()))
        .bind(("kind", kind.to_owned()))
        .await?
        .check()?;
    let last: Vec<DateTime<Utc>> = res.take(0)?;
    Ok(last.into_iter().next())
}

/// Forgets mail that went out (or was given up on) more than `keep` ago: the queue keeps
/// recipients' addresses and what was sent, which nobody needs after a while.
pub async fn purge_done(db: &Db, keep: chrono::Duration) -> DbResult<()> {
    db.query("DELETE mail_job WHERE done = true AND due_at < $cutoff")
        .bind(("cutoff", Utc::now() - keep))
        .await?
        .check()?;
    Ok(())
}

/// Mail whose time has come, oldest first.
pub async fn due(db: &Db, now: DateTime<Utc>, limit: usize) -> DbResult<Vec<MailJob>> {
    let mut res = db
        .query(
            "SELECT id, invitation, invitation.host AS host, kind, recipient, subject, body, ics, \
             attempts FROM mail_job \
             WHERE done = false AND due_at <= $now ORDER BY due_at LIMIT $limit",
        )
        .bind(("now", now))
        .bind(("limit", limit as i64))
        .await?
        .check()?;
    Ok(res.take(0)?)
}

/// The SMTP server took the mail.
pub async fn sent(db: &Db, job: &MailJob) -> DbResult<()> {
    db.query(
        "BEGIN; \
         UPDATE $job SET done = true, attempts += 1 RETURN NONE; \
         UPDATE $invitation SET status = 'sent', last_mail = $kind, last_error = NONE, error_detail = NONE, \
         updated_at = time::now() RETURN NONE; \
         COMMIT;",
    )
    .bind(("job", job.id.clone()))
    .bind(("invitation", job.invitation.clone()))
    .bind(("kind", job.kind.clone()))
    .await?
    .check()?;
    Ok(())
}

/// An attempt failed: try again at `retry_at`, or give up (`None`).
/// `error`'s category is what the host reads (`last_error`); its detail, the mail server's
/// own words, is kept for operators (`error_detail`, never sent by the API).
pub async fn failed(
    db: &Db,
    job: &MailJob,
    error: &crate::mail::SendFailure,
    retry_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    db.query(
        "BEGIN; \
         UPDATE $job SET attempts += 1, done = $give_up, due_at = $retry_at ?? due_at RETURN NONE; \
         UPDATE $invitation SET status = IF $give_up { 'failed' } ELSE { 'retrying' }, \
         last_mail = $kind, last_error = $error, error_detail = $detail, updated_at = time::now() RETURN NONE; \
         COMMIT;",
    )
    .bind(("job", job.id.clone()))
    .bind(("invitation", job.invitation.clone()))
    .bind(("kind", job.kind.clone()))
    .bind(("error", error.category.for_host().to_owned()))
    .bind(("detail", error.detail.clone()))
    .bind(("give_up", retry_at.is_none()))
    .bind(("retry_at", retry_at))
    .await?
    .check()?;
    Ok(())
}
