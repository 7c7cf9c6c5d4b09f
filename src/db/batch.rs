//! Group execution of small statements: requests that arrive while a batch
//! is running wait together and go to the database as the next single
//! statement. Under load this turns a round trip per request into one per
//! batch; an idle server runs each request at once. Used to store
//! client-credentials tokens and to look tokens up for introspection.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::db::{Db, DbConn, DbError};

/// The most requests one statement carries.
const MAX_BATCH: usize = 256;
/// Requests waiting before new ones are turned away (answered 503).
const QUEUE: usize = 8_192;

/// Why a request could not be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The database (or the batcher) is not available: answer 503.
    Unavailable,
    Failed(String),
}

/// Runs a batch: one output per input, in order.
pub type Work<I, O> = fn(&mut DbConn, Vec<I>) -> diesel::QueryResult<Vec<O>>;

struct Job<I, O> {
    input: I,
    done: oneshot::Sender<Result<O, BatchError>>,
}

pub struct Batcher<I, O> {
    queue: mpsc::Sender<Job<I, O>>,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Batcher {
            queue: self.queue.clone(),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts `runners` tasks on the current runtime; each holds at most one
    /// pooled connection while its batch runs.
    pub fn start(db: Db, runners: usize, name: &'static str, work: Work<I, O>) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..runners {
            tokio::spawn(run_batches(db.clone(), receiver.clone(), name, work));
        }
        Batcher { queue }
    }

    pub async fn submit(&self, input: I) -> Result<O, BatchError> {
        let (done, result) = oneshot::channel();
        self.queue
            .try_send(Job { input, done })
            .map_err(|_| BatchError::Unavailable)?;
        result.await.map_err(|_| BatchError::Unavailable)?
    }
}

async fn run_batches<I: Send + 'static, O: Send + 'static>(
    db: Db,
    receiver: Arc<Mutex<mpsc::Receiver<Job<I, O>>>>,
    name: &'static str,
    work: Work<I, O>,
) {
    loop {
        let mut jobs = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            match receiver.recv().await {
                Some(job) => jobs.push(job),
                None => return,
            }
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        let (inputs, waiters): (Vec<I>, Vec<_>) =
            jobs.into_iter().map(|j| (j.input, j.done)).unzip();
        let expected = inputs.len();
        let result = db
            .run(move |c| work(c, inputs).map_err(DbError::from))
            .await
            .map_err(|e| match e {
                DbError::Unavailable(_) | DbError::Cancelled | DbError::Busy(_) => {
                    BatchError::Unavailable
                }
                DbError::Query(q) => BatchError::Failed(q.to_string()),
            })
            .and_then(|outputs| {
                if outputs.len() == expected {
                    Ok(outputs)
                } else {
                    Err(BatchError::Failed(format!(
                        "{} results for {expected} requests",
                        outputs.len()
                    )))
                }
            });
        match result {
            Ok(outputs) => {
                for (done, output) in waiters.into_iter().zip(outputs) {
                    // The requester may have gone away; nothing to undo.
                    let _ = done.send(Ok(output));
                }
            }
            Err(e) => {
                if let BatchError::Failed(why) = &e {
                    tracing::error!(error = %why, batch = name, requests = expected, "a batch failed");
                }
                for done in waiters {
                    let _ = done.send(Err(e.clone()));
                }
            }
        }
    }
}
