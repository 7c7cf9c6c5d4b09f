//! A bounded pool for password hashing. bcrypt takes tens of milliseconds of
//! one core; run unbounded, a burst of sign-ins would queue behind itself and
//! starve the rest of the server. At most `workers` hashes run at once, at
//! most `queue` more wait, and anything beyond is refused at once ([`Busy`]),
//! so the caller can answer 503 with `Retry-After` while every other endpoint
//! keeps its threads. No database connection is held meanwhile.

use std::sync::Arc;

use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password checks are saturated; try again shortly")]
pub struct Busy;

#[derive(Clone)]
pub struct HashPool {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

impl HashPool {
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        HashPool {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
        }
    }

    /// One worker per core, and a queue of four per worker.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashPool::new(cores, 4 * cores)
    }

    /// Runs `work` on a blocking thread once a worker is free, or answers
    /// [`Busy`] at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let _running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Busy)?;
        tokio::task::spawn_blocking(work).await.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_beyond_workers_and_queue() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let pool = HashPool::new(1, 1);
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let rx = Arc::new(std::sync::Mutex::new(rx));
            let hold = |rx: Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>| {
                move || {
                    let _ = rx.lock().unwrap().recv();
                }
            };
            let first = tokio::spawn({
                let p = pool.clone();
                let r = rx.clone();
                async move { p.run(hold(r)).await }
            });
            let second = tokio::spawn({
                let p = pool.clone();
                let r = rx.clone();
                async move { p.run(hold(r)).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert_eq!(pool.run(|| ()).await, Err(Busy));
            tx.send(()).unwrap();
            tx.send(()).unwrap();
            assert!(first.await.unwrap().is_ok());
            assert!(second.await.unwrap().is_ok());
            assert_eq!(pool.run(|| 7).await, Ok(7));
        });
    }
}
