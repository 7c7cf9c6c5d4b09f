//! A bounded pool for password hashing. bcrypt takes tens of milliseconds of
//! one core; run unbounded, a burst of sign-ins would queue behind itself and
//! starve the rest of the server. The pool has its own threads, one per core,
//! at the lowest scheduling priority (nice 19), so a burst uses the cores the
//! token endpoint leaves idle but never takes them from it. At most `workers`
//! hashes run at once, at most `queue` more wait, and anything beyond is
//! refused at once ([`Busy`]), so the caller can answer 503 with
//! `Retry-After`. No database connection is held meanwhile.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, Semaphore};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password checks are saturated; try again shortly")]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// A place in the pool's queue; given back when dropped.
pub struct Place(tokio::sync::OwnedSemaphorePermit);

/// Nice value of the hashing threads: below the request workers.
const NICE: i32 = 19;

#[derive(Clone)]
pub struct HashPool {
    admitted: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
}

impl HashPool {
    /// Starts `workers` hashing threads; they end when the last clone of the
    /// pool is dropped.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for i in 0..workers {
            let inbox = inbox.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("keyward-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match inbox.lock() {
                            Ok(rx) => rx.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "starting a password-hashing thread failed");
            }
        }
        HashPool {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            jobs,
        }
    }

    /// One worker per core, and a queue of four per worker.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashPool::new(cores, 4 * cores)
    }

    /// Runs `work` on a hashing thread once one is free, or answers [`Busy`]
    /// at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let place = self.admit()?;
        self.run_admitted(place, work).await
    }

    /// A place in the queue, taken before anything else is done for a
    /// request (so a refused one costs nothing, not even a database query).
    pub fn admit(&self) -> Result<Place, Busy> {
        self.admitted
            .clone()
            .try_acquire_owned()
            .map(Place)
            .map_err(|_| Busy)
    }

    /// Runs `work` in the place [`admit`](Self::admit) gave.
    pub async fn run_admitted<T, F>(&self, place: Place, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let admitted = place.0;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _admitted = admitted;
            let _ = tx.send(work());
        });
        self.jobs.send(job).map_err(|_| Busy)?;
        rx.await.map_err(|_| Busy)
    }
}

/// Lowers the calling thread's priority (Linux keeps a nice value per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take and return plain integers and
        // touch no memory of ours.
        let result = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, NICE)
        };
        if result != 0 {
            tracing::debug!("could not lower the priority of a password-hashing thread");
        }
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

    #[test]
    fn hashing_threads_run_at_a_lower_priority() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let nice = rt.block_on(HashPool::new(1, 0).run(|| {
            // SAFETY: as in lower_priority.
            unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                libc::getpriority(libc::PRIO_PROCESS, tid)
            }
        }));
        assert_eq!(nice, Ok(NICE));
    }
}
