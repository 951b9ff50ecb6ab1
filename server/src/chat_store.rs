//! Chat messages are stored by one task, many per transaction (group commit): while a commit
//! runs, the messages that arrive queue up and go in the next one. Alone, a message is
//! stored at once; under load, senders share commits instead of each paying for one. Each
//! sender gets its stored message back only after the commit that holds it, so what is
//! acknowledged is on disk.

use crate::db::{self, Db, chat::NewMessage};
use protocol::room::ChatMessage;
use tokio::sync::{mpsc, oneshot};

/// Messages per transaction at most.
const MAX_BATCH: usize = 64;
/// Messages waiting for a commit; senders wait for room beyond this.
const QUEUE: usize = 1024;

/// The message could not be stored (the reason is logged once per batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotStored;

type Job = (NewMessage, oneshot::Sender<Result<ChatMessage, NotStored>>);

/// A handle on the storing task.
#[derive(Clone)]
pub struct ChatStore {
    queue: mpsc::Sender<Job>,
}

impl ChatStore {
    /// Starts the storing task (it ends when the last handle is dropped).
    pub fn start(db: Db) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(store_forever(db, jobs));
        Self { queue }
    }

    /// Stores `message`; returns it as readers get it, once committed.
    pub async fn store(&self, message: NewMessage) -> Result<ChatMessage, NotStored> {
        let (done, stored) = oneshot::channel();
        self.queue
            .send((message, done))
            .await
            .map_err(|_| NotStored)?;
        stored.await.map_err(|_| NotStored)?
    }
}

/// Stores what `jobs` brings until every handle is gone; returns how many commits it took.
async fn store_forever(db: Db, mut jobs: mpsc::Receiver<Job>) -> usize {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut commits = 0;
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commits += 1;
        let (messages, senders): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        metrics::histogram!("chat_store_batch_size").record(messages.len() as f64);
        match db::chat::store_all(&db, messages).await {
            Ok(stored) => {
                for (sender, message) in senders.into_iter().zip(stored) {
                    let _ = sender.send(Ok(message));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, messages = senders.len(), "chat messages not stored");
                for sender in senders {
                    let _ = sender.send(Err(NotStored));
                }
            }
        }
    }
    commits
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::signal::PeerId;
    use std::collections::HashSet;
    use surrealdb::types::RecordId;

    fn message(n: usize) -> NewMessage {
        NewMessage {
            meeting: "m1".into(),
            room: "room-1".into(),
            from: PeerId(format!("p{n}")),
            from_name: format!("Person {n}"),
            to: None,
            to_name: None,
            from_who: format!("guest:{n}"),
            to_who: None,
            text: format!("hello {n}"),
        }
    }

    #[tokio::test]
    async fn waiting_messages_share_commits_and_each_sender_gets_its_own_back() {
        let db = crate::db::connect("mem://", None, None).await.unwrap();
        let (queue, jobs) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        for n in 0..100 {
            let (done, stored) = oneshot::channel();
            queue.send((message(n), done)).await.unwrap();
            answers.push(stored);
        }
        drop(queue);
        assert_eq!(
            store_forever(db.clone(), jobs).await,
            2,
            "100 waiting messages go in two commits (64 + 36)"
        );
        let mut ids = HashSet::new();
        for (n, stored) in answers.into_iter().enumerate() {
            let message = stored.await.unwrap().expect("stored");
            assert_eq!(
                message.text,
                format!("hello {n}"),
                "each sender gets its own"
            );
            assert_eq!(message.from, PeerId(format!("p{n}")));
            ids.insert(message.id);
        }
        assert_eq!(ids.len(), 100, "every message has its own id");
        let kept = db::chat::of_meeting(&db, &RecordId::new("meeting", "m1"))
            .await
            .unwrap();
        assert_eq!(kept.len(), 100, "all of them are in the database");
    }

    #[tokio::test]
    async fn a_lone_message_is_stored_at_once() {
        let db = crate::db::connect("mem://", None, None).await.unwrap();
        let store = ChatStore::start(db.clone());
        let stored = store.store(message(1)).await.expect("stored");
        let kept = db::chat::of_meeting(&db, &RecordId::new("meeting", "m1"))
            .await
            .unwrap();
        assert_eq!(kept, vec![stored], "read back as it was acknowledged");
    }
}
