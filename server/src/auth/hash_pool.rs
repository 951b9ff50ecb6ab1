//! A few dedicated threads for password hashing.
//!
//! argon2id allocates its whole memory cost (19 MiB by default) per hash. On tokio's blocking
//! pool every burst of logins ran on new threads, each with its own allocator arena that kept
//! the freed 19 MiB: RSS grew to ~600 MiB under a login load and stayed there. Hashing is
//! CPU-bound, so running more hashes at once than there are cores only adds memory; these
//! workers cap both, and a flood of logins queues instead of spawning threads.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashPool {
    jobs: Sender<Job>,
    workers: usize,
}

impl HashPool {
    /// One worker per core (at least one, at most eight).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.clamp(1, 8))
    }

    pub fn new(workers: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hash-{i}"))
                .spawn(move || work(&queue))
                .expect("the OS can start a few threads at start-up");
        }
        Self { jobs, workers }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `f` on a worker and waits for its result without blocking the async thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.jobs
            .send(job)
            .map_err(|_| "password hashing is not available".to_owned())?;
        result
            .await
            .map_err(|_| "password hashing failed".to_owned())
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
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
        let pool = HashPool::new(2);
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
        let pool = HashPool::new(1);
        let failed = pool.run(|| -> u32 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }
}
