//! A few dedicated threads for password hashing.
//!
//! argon2id allocates its whole memory cost (19 MiB by default) per hash. On tokio's blocking
//! pool every burst of logins ran on new threads, each with its own allocator arena that kept
//! the freed 19 MiB: RSS grew to ~600 MiB under a login load and stayed there. Hashing is
//! CPU-bound, so running more hashes at once than there are cores only adds memory; these
//! workers cap both, and a flood of logins queues instead of spawning threads.
//!
//! The queue is bounded: when it is full a request is refused at once (`PoolError::Busy`,
//! a 503 with `Retry-After` at the edge) instead of waiting behind the flood, and a job whose
//! caller has gone (the client hung up, the request timed out) is skipped, not hashed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashPool {
    jobs: SyncSender<Job>,
    workers: usize,
    /// Jobs sent and not yet taken by a worker.
    waiting: Arc<AtomicUsize>,
    capacity: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("too many password checks waiting")]
    Busy,
    #[error("password hashing failed")]
    Failed,
}

impl HashPool {
    /// One worker per core (at least one, at most eight), `queue` jobs waiting at most.
    pub fn for_this_machine(queue: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.clamp(1, 8), queue)
    }

    pub fn new(workers: usize, queue: usize) -> Self {
        let capacity = queue.max(1);
        let (jobs, queue) = sync_channel::<Job>(capacity);
        let queue = Arc::new(Mutex::new(queue));
        let waiting = Arc::new(AtomicUsize::new(0));
        for i in 0..workers {
            let queue = queue.clone();
            let waiting = waiting.clone();
            std::thread::Builder::new()
                .name(format!("hash-{i}"))
                .spawn(move || work(&queue, &waiting))
                .expect("the OS can start a few threads at start-up");
        }
        Self {
            jobs,
            workers,
            waiting,
            capacity,
        }
    }

    /// Whether a job sent now would be refused: lets a caller answer 503 before doing any
    /// other work for a request that cannot be served.
    pub fn is_full(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) >= self.capacity
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `f` on a worker and waits for its result without blocking the async thread.
    /// Dropping the returned future before the job starts cancels the job.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if done.is_closed() {
                metrics::counter!("auth_hash_jobs_skipped_total").increment(1);
                return;
            }
            let _ = done.send(f());
        });
        self.waiting.fetch_add(1, Ordering::Relaxed);
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                metrics::counter!("auth_hash_queue_full_total").increment(1);
                return Err(PoolError::Busy);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                return Err(PoolError::Failed);
            }
        }
        result.await.map_err(|_| PoolError::Failed)
    }
}

fn work(queue: &Mutex<Receiver<Job>>, waiting: &AtomicUsize) {
    loop {
        // The lock is held only while taking one job, never while running it.
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match job {
            // A panicking job must not take the worker with it; its caller sees an error
            // because the result channel is dropped.
            Ok(job) => {
                waiting.fetch_sub(1, Ordering::Relaxed);
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[tokio::test]
    async fn runs_jobs_on_at_most_its_workers() {
        let pool = HashPool::new(2, 64);
        let mut jobs = tokio::task::JoinSet::new();
        for _ in 0..24 {
            let pool = pool.clone();
            jobs.spawn(async move {
                pool.run(|| {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    std::thread::current().id()
                })
                .await
            });
        }
        let mut threads = HashSet::new();
        while let Some(done) = jobs.join_next().await {
            threads.insert(done.unwrap().unwrap());
        }
        assert!(!threads.is_empty() && threads.len() <= 2, "{threads:?}");
        assert!(!threads.contains(&std::thread::current().id()));
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_pool_keeps_working() {
        let pool = HashPool::new(1, 4);
        let failed = pool.run(|| -> u32 { panic!("boom") }).await;
        assert_eq!(failed, Err(PoolError::Failed));
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_abandoned_jobs_are_skipped() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = HashPool::new(1, 2);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        // The worker is held busy by the first job; two more fill the queue.
        let ran = Arc::new(AtomicUsize::new(0));
        let job = |gate: Arc<Mutex<std::sync::mpsc::Receiver<()>>>, ran: Arc<AtomicUsize>| {
            move || {
                let _ = gate.lock().unwrap().recv();
                ran.fetch_add(1, Ordering::SeqCst);
            }
        };
        let busy = tokio::spawn({
            let pool = pool.clone();
            let f = job(gate.clone(), ran.clone());
            async move { pool.run(f).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let abandoned: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                let f = job(gate.clone(), ran.clone());
                tokio::spawn(async move { pool.run(f).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(pool.is_full());
        assert_eq!(pool.run(|| 1).await, Err(PoolError::Busy), "queue full");
        // The two queued callers hang up; their jobs must not run.
        for task in &abandoned {
            task.abort();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(()));
        // The worker drains the two abandoned jobs (skipping them) before the queue has room.
        for _ in 0..100 {
            if !pool.is_full() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(pool.run(|| 2).await, Ok(2));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "only the job whose caller waited ran"
        );
    }
}
