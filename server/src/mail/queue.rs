//! The sender: takes mail whose time has come from SurrealDB, hands it to the SMTP server one
//! at a time, and records the outcome on the invitation; a failure is retried later, with
//! growing pauses, and given up after `ATTEMPTS`.

use super::Mailer;
use crate::db::{Db, invitations};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Tries per mail before it is marked failed.
pub const ATTEMPTS: i64 = 6;

/// How long to wait after `failed` attempts before the next one; `None`: give up.
pub fn retry_delay(failed: i64) -> Option<Duration> {
    const PAUSES: [u64; 5] = [10, 60, 300, 1_800, 7_200];
    if failed >= ATTEMPTS {
        return None;
    }
    let step = usize::try_from(failed.max(1) - 1).unwrap_or(0);
    Some(Duration::from_secs(PAUSES[step.min(PAUSES.len() - 1)]))
}

/// How long sent (or given-up) mail stays in the queue's table.
const KEEP_SENT: chrono::Duration = chrono::Duration::days(30);
/// How often that is looked at.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Runs for the life of the server. `wake` is notified when mail is queued, so it goes out
/// at once rather than on the next tick.
pub async fn send_forever(
    db: Db,
    mailer: Arc<Mailer>,
    wake: Arc<Notify>,
    mut budget: super::budget::MailBudget<surrealdb::types::RecordId>,
) {
    let postponed = metrics::counter!("mail_postponed_total");
    let sent = metrics::counter!("mail_sent_total");
    let failed = metrics::counter!("mail_failed_attempts_total");
    let mut purged_at: Option<std::time::Instant> = None;
    loop {
        if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            if let Err(e) = invitations::purge_done(&db, KEEP_SENT).await {
                tracing::warn!(error = %e, "cannot purge sent mail");
            }
            purged_at = Some(std::time::Instant::now());
        }
        match invitations::due(&db, Utc::now(), 16).await {
            Ok(jobs) => {
                for job in jobs {
                    // Over a host's or the server's hourly budget: it waits its turn.
                    if let Err(wait) = budget.take(&job.host, std::time::Instant::now()) {
                        postponed.increment(1);
                        let later = Utc::now()
                            + chrono::Duration::from_std(wait)
                                .unwrap_or(chrono::Duration::hours(1));
                        if let Err(e) = invitations::postpone(&db, &job, later).await {
                            tracing::warn!(error = %e, "cannot postpone a mail");
                        }
                        continue;
                    }
                    let result = mailer.send(&job).await;
                    let recorded = match result {
                        Ok(()) => {
                            sent.increment(1);
                            invitations::sent(&db, &job).await
                        }
                        Err(error) => {
                            failed.increment(1);
                            tracing::warn!(kind = %job.kind, attempt = job.attempts + 1, error = %error.detail, "mail not sent");
                            let retry_at = retry_delay(job.attempts + 1).map(|pause| {
                                Utc::now()
                                    + chrono::Duration::from_std(pause)
                                        .expect("pauses are hours at most")
                            });
                            invitations::failed(&db, &job, &error, retry_at).await
                        }
                    };
                    if let Err(e) = recorded {
                        tracing::warn!(error = %e, "cannot record a mail's outcome");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the mail queue"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_end() {
        let pauses: Vec<_> = (1..=ATTEMPTS).map(retry_delay).collect();
        assert_eq!(pauses[0], Some(Duration::from_secs(10)));
        assert!(pauses.windows(2).take(4).all(|w| w[0] < w[1]));
        assert_eq!(pauses[ATTEMPTS as usize - 1], None);
    }
}
