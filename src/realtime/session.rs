//! One WebSocket: authenticate, register with the hub, replay what the client missed,
//! then forward live events and heartbeats until either side goes away.
//!
//! Handover without gap or duplicate: the socket's channel and workspace sets and the
//! log position S are read in one snapshot; the hub delivers live events after S (it
//! brings a late registration level from its recent events); the replay covers
//! (resume_from, S] from the log. The two ranges meet exactly at S.
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseReason, Session};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::event::{kind, Audience, Event};
use super::frame_guard::{Limits, Violation};
use super::hub::{close, CloseSlot, Registration};
use super::log;
use super::outbound::Handover;
use super::presence_routes::{visible_statuses, MAX_USERS};
use super::relay::{self, LiveQueue};
use super::snapshot::{snapshot, Snapshot};
use crate::access::{self, Need};
use crate::accounts::model::user;
use crate::bots::scopes;
use crate::clock::now_ms;
use crate::state::AppState;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
const REPLAY_BATCH: u64 = 500;
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// A client that takes longer than this to accept one frame is not reading: drop it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Hello {
        token: Option<String>,
        resume_from: Option<i64>,
    },
    Ping {
        nonce: Option<serde_json::Value>,
    },
    Typing {
        channel_id: Uuid,
        thread_root_id: Option<Uuid>,
    },
    /// The person did something (typed, clicked, focused): keeps presence "online".
    Activity,
    /// Follow these people's presence (replaces the previous list).
    PresenceSub {
        user_ids: Vec<Uuid>,
    },
}

type Outcome = (u16, &'static str);

/// What a registered socket needs to go live: the hub's queue for it, the response
/// body that will read that queue, and where the hub leaves its reason for closing.
struct LiveIo {
    queue: LiveQueue,
    handover: Handover,
    close_slot: CloseSlot,
}

/// When this socket last announced typing, per (channel, thread root).
type TypingSent = HashMap<(Uuid, Option<Uuid>), Instant>;

/// Largest frame and largest message a client may send (enforced from frame headers).
pub const LIMITS: Limits = Limits { frame: 64 * 1024, message: 256 * 1024 };

pub async fn run(
    state: AppState,
    mut ws: Session,
    stream: actix_ws::MessageStream,
    cookie_user: Option<user::Model>,
    tripped: Rc<Cell<Option<Violation>>>,
    handover: Handover,
) {
    let mut stream = stream
        .max_frame_size(LIMITS.frame as usize)
        .aggregate_continuations()
        .max_continuation_size(LIMITS.message as usize);
    let (mut code, mut reason) = serve(&state, &mut ws, &mut stream, cookie_user, handover).await;
    if tripped.get().is_some() {
        (code, reason) = (close::MESSAGE_TOO_BIG, "message too big");
    }
    let reason = Some(CloseReason { code: code.into(), description: Some(reason.to_owned()) });
    let _ = tokio::time::timeout(SEND_TIMEOUT, ws.close(reason)).await;
}

async fn send_text(ws: &mut Session, text: impl Into<bytestring::ByteString>) -> Result<(), Outcome> {
    match tokio::time::timeout(SEND_TIMEOUT, ws.text(text)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err((1000, "gone")),
        Err(_) => Err((close::TOO_SLOW, close::TOO_SLOW_REASON)),
    }
}

async fn send(ws: &mut Session, value: serde_json::Value) -> Result<(), Outcome> {
    send_text(ws, value.to_string()).await
}

async fn next_text(stream: &mut AggregatedMessageStream, ws: &mut Session) -> Result<String, Outcome> {
    loop {
        match stream.recv().await {
            Some(Ok(AggregatedMessage::Text(t))) => return Ok(t.to_string()),
            Some(Ok(AggregatedMessage::Ping(b))) => {
                if !matches!(tokio::time::timeout(SEND_TIMEOUT, ws.pong(&b)).await, Ok(Ok(()))) {
                    return Err((close::TOO_SLOW, "too slow"));
                }
            }
            Some(Ok(AggregatedMessage::Pong(_))) => {}
            Some(Ok(AggregatedMessage::Binary(_))) => return Err((close::BAD_FRAME, "send JSON text frames")),
            Some(Ok(AggregatedMessage::Close(_))) | None => return Err((1000, "closed")),
            Some(Err(_)) => return Err((close::BAD_FRAME, "protocol error")),
        }
    }
}

async fn authenticate(
    state: &AppState,
    cookie_user: Option<user::Model>,
    token: Option<String>,
) -> Result<user::Model, Outcome> {
    let user = match (cookie_user, token) {
        (Some(u), _) => Some(u),
        (None, Some(t)) => match state.credentials.token(&state.db, &t).await {
            Ok(Some(tok)) => {
                let needs = scopes::required(&actix_web::http::Method::GET, "/api/v1/ws");
                if scopes::check(tok.scopes.as_deref(), needs).is_err() {
                    return Err((close::UNAUTHENTICATED, "this bot token lacks the scope channels:history"));
                }
                Some(tok.user)
            }
            _ => None,
        },
        (None, None) => None,
    };
    match user {
        Some(u) if u.deactivated_at.is_none() => Ok(u),
        Some(_) => Err((close::DEACTIVATED, "account deactivated")),
        None => Err((close::UNAUTHENTICATED, "authenticate: session cookie or a token in the hello frame")),
    }
}

async fn serve(
    state: &AppState,
    ws: &mut Session,
    stream: &mut AggregatedMessageStream,
    cookie_user: Option<user::Model>,
    handover: Handover,
) -> Outcome {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, next_text(stream, ws)).await {
        Ok(Ok(text)) => text,
        Ok(Err(outcome)) => return outcome,
        Err(_) => return (close::UNAUTHENTICATED, "no hello frame in time"),
    };
    let Ok(ClientFrame::Hello { token, resume_from }) = serde_json::from_str::<ClientFrame>(&hello) else {
        return (close::BAD_FRAME, "the first frame must be {\"type\":\"hello\"}");
    };
    let me = match Box::pin(authenticate(state, cookie_user, token)).await {
        Ok(u) => u,
        Err(outcome) => return outcome,
    };
    let rt = &state.realtime;
    let Some(_slot) = rt.sockets_per_person.take(me.id) else {
        return (close::TOO_MANY_SOCKETS, "too many sockets for this account: close some");
    };
    let session_id = rt.hub.new_id();
    let close_slot: CloseSlot = Arc::new(Mutex::new(None));
    // Attached before registering: nothing the hub routes to the socket can miss it.
    let (_attached, queue, relay) = relay::attach(session_id, rt.queue_len, close_slot.clone());
    let mut snap = None;
    for _ in 0..5 {
        let s = match Box::pin(snapshot(state, me.id)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "socket snapshot failed");
                return (1011, "try again");
            }
        };
        if !s.active {
            return (close::DEACTIVATED, "account deactivated");
        }
        let reg = Registration {
            user_id: me.id,
            channels: s.channels.clone(),
            workspaces: s.workspaces.clone(),
            snapshot_pos: s.pos,
            relay: relay.clone(),
            close: close_slot.clone(),
        };
        if rt.hub.register(session_id, reg).await.is_ok() {
            snap = Some(s);
            break;
        }
        if let Ok(slot) = close_slot.lock() {
            if let Some(outcome) = *slot {
                return outcome;
            }
        }
    }
    let Some(snap) = snap else {
        return (1013, "busy: try again");
    };
    let chosen = super::presence::Chosen { dnd: me.dnd, away: me.away };
    rt.presence.connected(me.id, snap.workspaces.iter().copied().collect(), chosen);
    let live_io = LiveIo { queue, handover, close_slot };
    let outcome = live(state, ws, stream, &me, session_id, snap, resume_from, live_io).await;
    rt.hub.unregister(session_id);
    rt.presence.disconnected(me.id);
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn live(
    state: &AppState,
    ws: &mut Session,
    stream: &mut AggregatedMessageStream,
    me: &user::Model,
    session_id: u64,
    snap: Snapshot,
    resume_from: Option<i64>,
    io: LiveIo,
) -> Outcome {
    let resumed = match resume_from {
        Some(from) if from < snap.pruned_through || from > snap.pos => {
            if let Err(o) = send(ws, json!({"type": "resync_required", "pos": snap.pos})).await {
                return o;
            }
            false
        }
        Some(from) => {
            if let Err(o) = Box::pin(replay(state, ws, me.id, &snap, from)).await {
                return o;
            }
            true
        }
        None => false,
    };
    let ready = json!({
        "type": "ready", "pos": snap.pos, "resumed": resumed, "session_id": session_id,
        "user_id": me.id, "heartbeat_s": state.realtime.heartbeat.as_secs(),
    });
    if let Err(o) = send(ws, ready).await {
        return o;
    }
    // From here the socket's response body takes live events from the hub's queue.
    let mut ended = io.handover.go_live(io.queue);
    let mut heartbeat = tokio::time::interval(state.realtime.heartbeat);
    heartbeat.tick().await;
    let mut last_seen = Instant::now();
    let mut typing_sent: TypingSent = HashMap::new();
    loop {
        tokio::select! {
            _ = &mut ended => {
                // The hub let go of this socket; it left the reason in the close slot.
                let outcome = io.close_slot.lock().ok().and_then(|s| *s);
                return outcome.unwrap_or((close::TOO_SLOW, close::TOO_SLOW_REASON));
            }
            msg = stream.recv() => {
                last_seen = Instant::now();
                match msg {
                    Some(Ok(AggregatedMessage::Text(t))) => {
                        state.realtime.presence.active(me.id);
                        if let Err(o) = Box::pin(on_frame(state, ws, me, session_id, &t, &mut typing_sent)).await {
                            return o;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(b))) => {
                        if !matches!(tokio::time::timeout(SEND_TIMEOUT, ws.pong(&b)).await, Ok(Ok(()))) {
                            return (close::TOO_SLOW, close::TOO_SLOW_REASON);
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Binary(_))) => return (close::BAD_FRAME, "send JSON text frames"),
                    Some(Ok(AggregatedMessage::Close(_))) | None => return (1000, "closed"),
                    Some(Err(_)) => return (close::BAD_FRAME, "protocol error"),
                }
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() > state.realtime.dead_after {
                    return (close::HEARTBEAT_TIMEOUT, "no pong: presumed gone");
                }
                match tokio::time::timeout(SEND_TIMEOUT, ws.ping(b"")).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return (1000, "gone"),
                    Err(_) => return (close::TOO_SLOW, close::TOO_SLOW_REASON),
                }
            }
        }
    }
}

/// Sends what the client missed: (from, snapshot position], in batches. Boxed by the
/// caller, like every database call here: a socket's task lives for hours, and an
/// inline database future would make every idle socket carry its size.
async fn replay(state: &AppState, ws: &mut Session, me: Uuid, snap: &Snapshot, from: i64) -> Result<(), Outcome> {
    let channels: Vec<Uuid> = snap.channels.iter().copied().collect();
    let workspaces: Vec<Uuid> = snap.workspaces.iter().copied().collect();
    let mut after = from;
    loop {
        let batch = log::visible(&state.db.conn, me, &channels, &workspaces, after, snap.pos, REPLAY_BATCH)
            .await
            .map_err(|_| (1011, "replay failed; resume again"))?;
        for e in &batch {
            send_event(ws, e).await?;
        }
        match batch.last().and_then(|e| e.pos) {
            Some(p) if batch.len() as u64 == REPLAY_BATCH => after = p,
            _ => return Ok(()),
        }
    }
}

async fn send_event(ws: &mut Session, e: &Event) -> Result<(), Outcome> {
    let text = serde_json::to_string(e).map_err(|_| (1011, "encode"))?;
    send_text(ws, text).await
}

async fn on_frame(
    state: &AppState,
    ws: &mut Session,
    me: &user::Model,
    session_id: u64,
    text: &str,
    typing_sent: &mut TypingSent,
) -> Result<(), Outcome> {
    match serde_json::from_str::<ClientFrame>(text) {
        Ok(ClientFrame::Ping { nonce }) => send(ws, json!({"type": "pong", "nonce": nonce})).await,
        Ok(ClientFrame::Typing { channel_id, thread_root_id }) => {
            // Throttled per place: typing in a thread is news even right after the channel.
            let place = (channel_id, thread_root_id);
            if typing_sent.get(&place).is_some_and(|t| t.elapsed() < TYPING_EVERY) {
                return Ok(());
            }
            let Ok(access) = access::channel(&state.db, me.id, channel_id, Need::Post).await else {
                return send(ws, json!({"type": "error", "code": "channel_not_found", "channel_id": channel_id})).await;
            };
            typing_sent.insert(place, Instant::now());
            state.realtime.bus.publish(vec![Event {
                kind: kind::TYPING.into(),
                pos: None,
                at: now_ms(),
                audience: Audience::Channel,
                workspace_id: Some(access.channel.workspace_id),
                channel_id: Some(channel_id),
                user_id: Some(me.id),
                data: json!({"user_id": me.id, "thread_root_id": thread_root_id}),
            }]);
            Ok(())
        }
        Ok(ClientFrame::Activity) => Ok(()),
        Ok(ClientFrame::PresenceSub { user_ids }) => {
            if user_ids.len() > MAX_USERS {
                return send(ws, json!({"type": "error", "code": "too_many_users", "max": MAX_USERS})).await;
            }
            // Only people who share a workspace can be followed; the hub also delivers
            // each change only within the workspace it names.
            let Ok(statuses) = visible_statuses(state, me.id, &user_ids).await else {
                return Err((1011, "try again"));
            };
            state.realtime.hub.watch(session_id, statuses.iter().map(|v| v.user_id).collect());
            send(ws, json!({"type": "presence.snapshot", "users": statuses})).await
        }
        Ok(ClientFrame::Hello { .. }) => send(ws, json!({"type": "error", "code": "already_ready"})).await,
        Err(_) => send(ws, json!({"type": "error", "code": "bad_frame"})).await,
    }
}
