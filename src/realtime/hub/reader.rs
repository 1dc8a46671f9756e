//! The hub's reads of the event log, on a task of their own: while the database is slow
//! or stalled, the hub goes on registering sockets and delivering what needs no read
//! (typing, presence, events that arrive in order); only the filling of gaps waits.
use tokio::sync::mpsc;

use super::super::event::Event;
use super::super::log;
use crate::db::Db;

/// Read the log from `from` up to `upto` (or up to its end, when None).
pub struct ReadRequest {
    pub from: i64,
    pub upto: Option<i64>,
}

pub struct ReadResult {
    pub from: i64,
    /// The last position asked for (the log's end when the request said None).
    pub upto: i64,
    pub events: Vec<Event>,
    /// Whether there may be more after the last event (a full page).
    pub more: bool,
}

/// At most this many events a read.
const PAGE: u64 = 1000;

/// Starts the reader; a failed read answers nothing (the hub asks again at its next poll).
pub fn spawn(db: Db) -> (mpsc::UnboundedSender<ReadRequest>, mpsc::UnboundedReceiver<Option<ReadResult>>) {
    let (ask, mut asked) = mpsc::unbounded_channel::<ReadRequest>();
    let (answer, answers) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(req) = asked.recv().await {
            let read = read(&db, &req).await;
            if let Err(e) = &read {
                tracing::warn!(error = %e, "hub could not read the event log");
            }
            if answer.send(read.ok().flatten()).is_err() {
                return;
            }
        }
    });
    (ask, answers)
}

async fn read(db: &Db, req: &ReadRequest) -> crate::error::AppResult<Option<ReadResult>> {
    let upto = match req.upto {
        Some(u) => u,
        None => log::counter(&db.conn).await?.last_pos,
    };
    if upto < req.from {
        return Ok(Some(ReadResult { from: req.from, upto, events: Vec::new(), more: false }));
    }
    let events = log::range(&db.conn, req.from, upto, PAGE).await?;
    let more = events.len() as u64 == PAGE;
    Ok(Some(ReadResult { from: req.from, upto, events, more }))
}
