//! One relay per worker thread: hands the hub's events to the sockets on that thread.
//!
//! The hub runs on the shared runtime; each socket lives on one of actix's worker
//! threads, where its connection task writes it. Waking every socket's task from the
//! hub's thread would cost an atomic queue push and a cross-thread wake-up per delivery.
//! Instead the hub sends each event once per worker thread, with the ids of the sockets
//! there; the relay task on that thread puts it into each socket's queue — a plain
//! buffer shared with the socket's response body on the same thread — and wakes the
//! connection task locally.
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::sync::mpsc;

use super::event::Shared;
use super::hub::{close, CloseSlot, SessionId};

/// Deliveries a relay may have waiting before the hub gives up on its thread: every
/// socket there is closed as too slow (they resume) rather than the backlog growing
/// without bound while the thread is starved (events from other nodes keep coming).
pub const MAX_BACKLOG: usize = 1 << 20;

enum Command {
    Deliver(Shared, Vec<SessionId>),
    /// The hub let go of this socket; it left the reason in the socket's close slot.
    Close(SessionId),
}

/// The hub's way to one worker thread's relay.
#[derive(Clone)]
pub struct RelayHandle {
    /// Tells relays apart (one per worker thread).
    pub id: usize,
    tx: mpsc::UnboundedSender<Command>,
    /// Deliveries sent and not yet put into their sockets' queues.
    backlog: Arc<AtomicUsize>,
}

impl RelayHandle {
    fn new(tx: mpsc::UnboundedSender<Command>) -> Self {
        Self { id: NEXT_RELAY.fetch_add(1, Ordering::Relaxed), tx, backlog: Arc::default() }
    }
    pub fn deliver(&self, event: Shared, sockets: Vec<SessionId>) {
        self.backlog.fetch_add(sockets.len(), Ordering::Relaxed);
        // A closed relay means its worker thread is gone, and its sockets with it.
        let _ = self.tx.send(Command::Deliver(event, sockets));
    }
    pub fn close(&self, socket: SessionId) {
        let _ = self.tx.send(Command::Close(socket));
    }
    /// Whether this relay's thread has fallen too far behind (see MAX_BACKLOG).
    pub fn overloaded(&self) -> bool {
        self.backlog.load(Ordering::Relaxed) >= MAX_BACKLOG
    }
}

impl Command {
    fn deliveries(&self) -> usize {
        match self {
            Command::Deliver(_, ids) => ids.len(),
            Command::Close(_) => 0,
        }
    }
}

#[derive(Default)]
struct Queue {
    events: VecDeque<Shared>,
    waker: Option<Waker>,
    closed: bool,
}

impl Queue {
    fn push(&mut self, event: Shared) {
        self.events.push_back(event);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
    fn close(&mut self) {
        self.closed = true;
        self.events.clear();
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// A socket's live events, filled by its thread's relay, read by its response body.
pub struct LiveQueue(Rc<RefCell<Queue>>);

impl LiveQueue {
    /// The next event; `Ready(None)` once the hub or the relay let go of the socket.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Shared>> {
        let mut q = self.0.borrow_mut();
        if let Some(e) = q.events.pop_front() {
            return Poll::Ready(Some(e));
        }
        if q.closed {
            return Poll::Ready(None);
        }
        if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            q.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

struct Entry {
    queue: Rc<RefCell<Queue>>,
    cap: usize,
    close: CloseSlot,
}

#[derive(Default)]
struct Relay {
    sockets: RefCell<HashMap<SessionId, Entry>>,
}

impl Relay {
    fn run_command(&self, cmd: Command) {
        match cmd {
            Command::Deliver(event, ids) => {
                let mut sockets = self.sockets.borrow_mut();
                for id in ids {
                    let Some(entry) = sockets.get(&id) else { continue };
                    let mut q = entry.queue.borrow_mut();
                    if q.events.len() >= entry.cap {
                        // Not reading: drop the socket (it resumes); never the event.
                        if let Ok(mut slot) = entry.close.lock() {
                            slot.get_or_insert((close::TOO_SLOW, close::TOO_SLOW_REASON));
                        }
                        q.close();
                        drop(q);
                        sockets.remove(&id);
                        continue;
                    }
                    q.push(event.clone());
                }
            }
            Command::Close(id) => {
                if let Some(entry) = self.sockets.borrow_mut().remove(&id) {
                    entry.queue.borrow_mut().close();
                }
            }
        }
    }
}

static NEXT_RELAY: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static RELAY: RefCell<Option<(Rc<Relay>, RelayHandle)>> = const { RefCell::new(None) };
}

/// This thread's relay, started on first use. Must be called on a thread whose local
/// task set runs (an actix worker): the relay is a local task.
fn this_thread() -> (Rc<Relay>, RelayHandle) {
    RELAY.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let relay = Rc::new(Relay::default());
                let (tx, mut rx) = mpsc::unbounded_channel();
                let handle = RelayHandle::new(tx);
                let (running, backlog) = (relay.clone(), handle.backlog.clone());
                actix_web::rt::spawn(async move {
                    while let Some(cmd) = rx.recv().await {
                        let done = cmd.deliveries();
                        running.run_command(cmd);
                        backlog.fetch_sub(done, Ordering::Relaxed);
                    }
                });
                (relay, handle)
            })
            .clone()
    })
}

/// A socket attached to its thread's relay; detached when dropped.
pub struct Attached {
    id: SessionId,
    relay: Rc<Relay>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.relay.sockets.borrow_mut().remove(&self.id);
    }
}

/// Attaches socket `id` to this thread's relay before it registers with the hub, so
/// nothing the hub routes to it can miss it. A queue holding `cap` events not yet
/// written closes the socket as too slow.
pub fn attach(id: SessionId, cap: usize, close: CloseSlot) -> (Attached, LiveQueue, RelayHandle) {
    let (relay, handle) = this_thread();
    let (attached, queue) = attach_to(relay, id, cap, close);
    (attached, queue, handle)
}

fn attach_to(relay: Rc<Relay>, id: SessionId, cap: usize, close: CloseSlot) -> (Attached, LiveQueue) {
    let queue = Rc::new(RefCell::new(Queue::default()));
    relay.sockets.borrow_mut().insert(id, Entry { queue: queue.clone(), cap, close });
    (Attached { id, relay }, LiveQueue(queue))
}

/// A queue fed by hand, for the response body's tests.
#[cfg(test)]
pub(crate) struct Feed(Rc<RefCell<Queue>>);

#[cfg(test)]
impl Feed {
    pub fn new() -> (Self, LiveQueue) {
        let queue = Rc::new(RefCell::new(Queue::default()));
        (Self(queue.clone()), LiveQueue(queue))
    }
    pub fn push(&self, event: Shared) {
        self.0.borrow_mut().push(event);
    }
    pub fn close(&self) {
        self.0.borrow_mut().close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::task::noop_waker;

    use super::*;
    use crate::realtime::event::Outgoing;

    fn drain(q: &mut LiveQueue) -> (Vec<i64>, bool) {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut got = Vec::new();
        loop {
            match q.poll_recv(&mut cx) {
                Poll::Ready(Some(e)) => got.push(e.event.pos.unwrap_or_default()),
                Poll::Ready(None) => return (got, true),
                Poll::Pending => return (got, false),
            }
        }
    }

    #[test]
    fn delivers_to_the_named_sockets_and_closes_a_full_queue_as_too_slow() {
        let relay = Rc::new(Relay::default());
        let slot_a: CloseSlot = Arc::new(Mutex::new(None));
        let slot_b: CloseSlot = Arc::new(Mutex::new(None));
        let (_a, mut qa) = attach_to(relay.clone(), 1, 2, slot_a.clone());
        let (_b, mut qb) = attach_to(relay.clone(), 2, 8, slot_b.clone());
        for n in 1..=3 {
            relay.run_command(Command::Deliver(Outgoing::at_pos(n), vec![1, 2, 99]));
        }
        assert_eq!(drain(&mut qb), (vec![1, 2, 3], false), "b gets each event once, in order");
        // a held two unread events when the third came: closed, its events dropped with it.
        assert_eq!(drain(&mut qa), (vec![], true));
        assert_eq!(*slot_a.lock().unwrap(), Some((close::TOO_SLOW, close::TOO_SLOW_REASON)));
        assert!(!relay.sockets.borrow().contains_key(&1), "a is detached");
        relay.run_command(Command::Deliver(Outgoing::at_pos(4), vec![1, 2]));
        assert_eq!(drain(&mut qb), (vec![4], false));
    }

    #[test]
    fn the_hub_closing_a_socket_ends_its_queue_and_dropping_detaches() {
        let relay = Rc::new(Relay::default());
        let (a, mut qa) = attach_to(relay.clone(), 1, 8, Arc::new(Mutex::new(None)));
        let (b, _qb) = attach_to(relay.clone(), 2, 8, Arc::new(Mutex::new(None)));
        relay.run_command(Command::Close(1));
        assert_eq!(drain(&mut qa), (vec![], true));
        drop(a);
        drop(b);
        assert!(relay.sockets.borrow().is_empty());
    }

    #[test]
    fn the_backlog_counts_deliveries_sent_and_not_yet_queued() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let handle = RelayHandle::new(tx);
        handle.deliver(Outgoing::at_pos(1), (0..MAX_BACKLOG as u64 - 1).collect());
        assert!(!handle.overloaded());
        handle.close(7);
        handle.deliver(Outgoing::at_pos(2), vec![1]);
        assert!(handle.overloaded(), "one more delivery than the relay may owe");
        let relay = Relay::default();
        while let Ok(cmd) = rx.try_recv() {
            let done = cmd.deliveries();
            relay.run_command(cmd);
            handle.backlog.fetch_sub(done, Ordering::Relaxed);
        }
        assert!(!handle.overloaded());
        assert_eq!(handle.backlog.load(Ordering::Relaxed), 0);
    }
}
