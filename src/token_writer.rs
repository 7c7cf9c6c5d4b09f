//! Group commit for client-credentials tokens: requests that arrive while a
//! batch is being written wait together and are stored by the next single
//! statement. Under load this turns a round trip per token into one per batch;
//! an idle server writes each token at once.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::db::{Db, DbError};
use crate::store::tokens::{self, Token};

/// The most tokens one statement stores.
const MAX_BATCH: usize = 256;
/// Batches in flight at once (each holds one pooled connection).
const WRITERS: usize = 3;
/// Requests waiting for a writer before new ones are turned away.
const QUEUE: usize = 8_192;

/// Why a token could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The database (or the writer) is not available: answer 503.
    Unavailable,
    Failed(String),
}

struct Job {
    token: Token,
    revision: i64,
    done: oneshot::Sender<Result<bool, WriteError>>,
}

#[derive(Clone)]
pub struct TokenWriter {
    queue: mpsc::Sender<Job>,
}

impl TokenWriter {
    /// Starts the writer tasks on the current runtime.
    pub fn start(db: Db) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(db.clone(), receiver.clone()));
        }
        TokenWriter { queue }
    }

    /// Stores `token` if its client is still at `revision` and enabled;
    /// `Ok(false)` when it is not (decide again from the database).
    pub async fn store(&self, token: Token, revision: i64) -> Result<bool, WriteError> {
        let (done, result) = oneshot::channel();
        self.queue
            .try_send(Job {
                token,
                revision,
                done,
            })
            .map_err(|_| WriteError::Unavailable)?;
        result.await.map_err(|_| WriteError::Unavailable)?
    }
}

async fn write_batches(db: Db, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
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
        let rows: Vec<(Token, i64)> = jobs.iter().map(|j| (j.token.clone(), j.revision)).collect();
        let result: Result<HashSet<String>, DbError> = db
            .run(move |c| tokens::insert_machine_tokens(c, &rows).map_err(DbError::from))
            .await;
        let result = result.map_err(|e| match e {
            DbError::Unavailable(_) | DbError::Cancelled => WriteError::Unavailable,
            DbError::Query(q) => WriteError::Failed(q.to_string()),
        });
        if let Err(WriteError::Failed(e)) = &result {
            tracing::error!(error = %e, tokens = jobs.len(), "storing client-credentials tokens failed");
        }
        for job in jobs {
            let outcome = match &result {
                Ok(stored) => Ok(stored.contains(&job.token.id)),
                Err(e) => Err(e.clone()),
            };
            // The requester may have gone away; its token simply stays stored.
            let _ = job.done.send(outcome);
        }
    }
}
