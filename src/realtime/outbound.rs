//! A socket's outgoing side: the response body the connection's HTTP dispatcher writes.
//!
//! Two sources feed it, always in this order of precedence:
//! - the frames the session task sends through actix-ws (`ready`, the replay, replies to
//!   the client's frames, pings, the close frame), drained first on every poll;
//! - once the session task hands it over (after `ready`), the hub's queue for this
//!   socket. Live events are encoded straight from that queue on the connection's own
//!   task: no hop through the session task and actix-ws's channel per frame, and when
//!   the socket is behind, every event already queued goes out in one write.
//!
//! When the hub drops the queue (the socket was too slow, signed out, deactivated, or
//! the node is stopping) the body tells the session task, which sends the close frame
//! with the reason the hub left in the socket's close slot.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_codec::Encoder;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::{Bytes, BytesMut};
use actix_ws::Message;
use tokio::sync::oneshot;

/// Most events encoded into one write when a socket is behind.
const MAX_FRAMES_PER_WRITE: usize = 64;
/// Stop adding frames to one write past this many bytes.
const MAX_BYTES_PER_WRITE: usize = 64 * 1024;

pub use super::relay::LiveQueue;

/// The session task's end: hands the hub's queue over and learns when it ended.
pub struct Handover {
    queue: oneshot::Sender<LiveQueue>,
    ended: oneshot::Receiver<()>,
}

impl Handover {
    /// From now on live events go from `queue` to the socket, after every frame the
    /// session task has sent so far.
    pub fn go_live(self, queue: LiveQueue) -> oneshot::Receiver<()> {
        let _ = self.queue.send(queue);
        self.ended
    }
}

enum Live {
    Waiting(oneshot::Receiver<LiveQueue>),
    On(LiveQueue),
    Off,
}

pub struct OutboundBody {
    control: BoxBody,
    live: Live,
    ended: Option<oneshot::Sender<()>>,
    codec: actix_http::ws::Codec,
    buf: BytesMut,
}

impl OutboundBody {
    /// Wraps actix-ws's response body (the session task's frames).
    pub fn new(control: BoxBody) -> (Self, Handover) {
        let (queue_tx, queue_rx) = oneshot::channel();
        let (ended_tx, ended_rx) = oneshot::channel();
        let body = Self {
            control,
            live: Live::Waiting(queue_rx),
            ended: Some(ended_tx),
            codec: actix_http::ws::Codec::new(),
            buf: BytesMut::new(),
        };
        (body, Handover { queue: queue_tx, ended: ended_rx })
    }

    fn end_live(&mut self) {
        self.live = Live::Off;
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(());
        }
    }

    /// Encodes every live event that is ready, up to one write's worth.
    fn encode_ready(&mut self, cx: &mut Context<'_>) -> Result<(), actix_http::ws::ProtocolError> {
        if let Live::Waiting(rx) = &mut self.live {
            match Pin::new(rx).poll(cx) {
                Poll::Ready(Ok(queue)) => self.live = Live::On(queue),
                Poll::Ready(Err(_)) => self.end_live(),
                Poll::Pending => return Ok(()),
            }
        }
        let mut frames = 0;
        while frames < MAX_FRAMES_PER_WRITE && self.buf.len() < MAX_BYTES_PER_WRITE {
            let Live::On(queue) = &mut self.live else { return Ok(()) };
            match queue.poll_recv(cx) {
                Poll::Ready(Some(event)) => {
                    self.codec.encode(Message::Text(event.json.clone()), &mut self.buf)?;
                    frames += 1;
                }
                Poll::Ready(None) => self.end_live(),
                Poll::Pending => break,
            }
        }
        if frames == MAX_FRAMES_PER_WRITE || self.buf.len() >= MAX_BYTES_PER_WRITE {
            // More may be ready: come back after this write.
            cx.waker().wake_by_ref();
        }
        Ok(())
    }
}

impl MessageBody for OutboundBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        // The session task's frames first: its close frame ends the body, so no event
        // can follow it, and nothing it sent before the handover can follow an event.
        match Pin::new(&mut this.control).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => return Poll::Ready(Some(Ok(bytes))),
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if let Err(e) = this.encode_ready(cx) {
            return Poll::Ready(Some(Err(Box::new(e))));
        }
        if this.buf.is_empty() {
            return Poll::Pending;
        }
        // Taken, not split: an idle socket keeps no buffer.
        Poll::Ready(Some(Ok(std::mem::take(&mut this.buf).freeze())))
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use actix_codec::Decoder;
    use actix_http::ws::{Codec, Frame};
    use actix_web::body::BodyStream;

    use tokio::sync::mpsc;

    use super::*;
    use crate::realtime::event::Outgoing;
    use crate::realtime::relay::Feed;

    fn control() -> (mpsc::UnboundedSender<Message>, BoxBody) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let mut codec = Codec::new();
        let stream = futures_util::stream::poll_fn(move |cx| {
            rx.poll_recv(cx).map(|m| {
                m.map(|m| {
                    let mut buf = BytesMut::new();
                    codec.encode(m, &mut buf).map(|()| buf.freeze())
                })
            })
        });
        (tx, BoxBody::new(BodyStream::new(stream)))
    }

    /// The texts of the frames in one chunk the body produced.
    fn texts(chunk: &Bytes) -> Vec<String> {
        let mut codec = Codec::new().client_mode();
        let mut buf = BytesMut::from(&chunk[..]);
        let mut out = Vec::new();
        while let Ok(Some(frame)) = codec.decode(&mut buf) {
            match frame {
                Frame::Text(t) => out.push(String::from_utf8_lossy(&t).into_owned()),
                Frame::Close(_) => out.push("close".into()),
                _ => out.push("other".into()),
            }
        }
        out
    }

    async fn next(body: &mut OutboundBody) -> Option<Bytes> {
        poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await.map(|r| r.unwrap_or_default())
    }

    fn pending(body: &mut OutboundBody) -> bool {
        let waker = futures_util::task::noop_waker();
        Pin::new(body).poll_next(&mut Context::from_waker(&waker)).is_pending()
    }

    #[tokio::test]
    async fn session_frames_come_first_and_queued_events_go_out_in_one_write() {
        let (control_tx, control) = control();
        let (mut body, handover) = OutboundBody::new(control);
        let (feed, queue) = Feed::new();
        for n in 1..=3 {
            feed.push(Outgoing::at_pos(n));
        }
        // Events wait in the queue until the session task goes live.
        assert!(pending(&mut body), "nothing to send before the handover");
        control_tx.send(Message::Text("ready".into())).unwrap();
        let ended = handover.go_live(queue);
        assert_eq!(texts(&next(&mut body).await.unwrap()), ["ready"]);
        let batch = texts(&next(&mut body).await.unwrap());
        assert_eq!(batch.len(), 3, "three queued events, one write: {batch:?}");
        for (n, text) in (1..=3).zip(&batch) {
            assert!(text.contains(&format!("\"n\":{n}")), "in order: {batch:?}");
        }
        assert!(pending(&mut body));
        // The hub lets go: the session task hears of it and sends its close frame.
        feed.close();
        assert!(pending(&mut body));
        ended.await.expect("told the queue ended");
        control_tx.send(Message::Close(None)).unwrap();
        drop(control_tx);
        assert_eq!(texts(&next(&mut body).await.unwrap()), ["close"]);
        assert!(next(&mut body).await.is_none(), "the body ends after the close frame");
    }

    #[tokio::test]
    async fn a_long_backlog_is_split_into_bounded_writes() {
        let (_control_tx, control) = control();
        let (mut body, handover) = OutboundBody::new(control);
        let total = MAX_FRAMES_PER_WRITE * 2 + 5;
        let (feed, queue) = Feed::new();
        for n in 0..total {
            feed.push(Outgoing::at_pos(n as i64));
        }
        let _ended = handover.go_live(queue);
        let mut sizes = Vec::new();
        while sizes.iter().sum::<usize>() < total {
            sizes.push(texts(&next(&mut body).await.unwrap()).len());
        }
        assert_eq!(sizes, [MAX_FRAMES_PER_WRITE, MAX_FRAMES_PER_WRITE, 5]);
    }
}
