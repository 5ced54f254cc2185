//! A connection's outbox: the frames on their way to its socket, at most a fixed
//! number of them.
//!
//! Ten thousand idle connections each keep one, so it holds memory only while
//! frames wait: a queue that grows with a burst and gives its room back once it is
//! empty. (tokio's bounded channel allocates a block of 32 slots up front and keeps
//! it, about 1 KiB of every connection: an eighth of an idle visitor's memory,
//! `docs/performance.md`.) One sender (the router's entry of the connection) and
//! one receiver (the connection's writer task).

use bytes::Bytes;
use futures::task::AtomicWaker;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

/// Room an empty queue keeps; more is given back when it empties.
const KEPT: usize = 8;

/// A bounded outbox of `capacity` frames.
pub fn channel(capacity: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            frames: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        waker: AtomicWaker::new(),
        capacity,
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct Shared {
    queue: Mutex<Queue>,
    /// The writer waiting for a frame.
    waker: AtomicWaker,
    capacity: usize,
}

struct Queue {
    frames: VecDeque<Bytes>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding it; a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The router's end.
pub struct Sender {
    shared: Arc<Shared>,
}

/// The outbox is full, or its connection is gone.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub Bytes);

impl Sender {
    /// Queues a frame without waiting. The writer is woken only when the queue was
    /// empty: otherwise it has been woken already and takes this frame with the
    /// others.
    pub fn try_send(&self, frame: Bytes) -> Result<(), Refused> {
        let mut queue = self.shared.lock();
        if queue.receiver_gone || queue.frames.len() >= self.shared.capacity {
            return Err(Refused(frame));
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        drop(queue);
        if was_empty {
            self.shared.waker.wake();
        }
        Ok(())
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shared.lock().sender_gone = true;
        self.shared.waker.wake();
    }
}

/// Nothing is queued now.
#[derive(Debug, PartialEq, Eq)]
pub struct Empty;

/// The writer's end.
pub struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// The next frame; `None` once the sender is gone and everything queued is out.
    /// Cancel-safe: a frame is taken only when it is returned.
    pub async fn recv(&mut self) -> Option<Bytes> {
        std::future::poll_fn(|cx| {
            if let Some(taken) = self.take() {
                return Poll::Ready(taken);
            }
            self.shared.waker.register(cx.waker());
            // Again, after registering: a frame queued in between woke nobody.
            match self.take() {
                Some(taken) => Poll::Ready(taken),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Result<Bytes, Empty> {
        self.take().flatten().ok_or(Empty)
    }

    /// `Some(Some(frame))`, `Some(None)` when the sender is gone and the queue
    /// empty, `None` when there is nothing yet.
    fn take(&self) -> Option<Option<Bytes>> {
        let mut queue = self.shared.lock();
        match queue.frames.pop_front() {
            Some(frame) => {
                if queue.frames.is_empty() && queue.frames.capacity() > KEPT {
                    queue.frames = VecDeque::new();
                }
                Some(Some(frame))
            }
            None if queue.sender_gone => Some(None),
            None => None,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.receiver_gone = true;
        queue.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn frames_come_out_in_order_up_to_the_capacity() {
        let (tx, mut rx) = channel(3);
        for frame in ["a", "b", "c"] {
            tx.try_send(Bytes::from(frame)).unwrap();
        }
        assert_eq!(
            tx.try_send(Bytes::from("d")),
            Err(Refused(Bytes::from("d")))
        );
        assert_eq!(rx.recv().await.unwrap(), "a");
        assert_eq!(rx.try_recv().unwrap(), "b");
        tx.try_send(Bytes::from("e")).unwrap();
        assert_eq!(rx.recv().await.unwrap(), "c");
        assert_eq!(rx.recv().await.unwrap(), "e");
        assert_eq!(rx.try_recv(), Err(Empty));
    }

    #[tokio::test]
    async fn a_waiting_writer_is_woken_by_a_frame_and_by_the_end() {
        let (tx, mut rx) = channel(4);
        let writer = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(frame) = rx.recv().await {
                got.push(frame);
            }
            got
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_send(Bytes::from("one")).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_send(Bytes::from("two")).unwrap();
        tx.try_send(Bytes::from("three")).unwrap();
        drop(tx);
        let got = tokio::time::timeout(Duration::from_secs(5), writer)
            .await
            .expect("the writer was woken")
            .unwrap();
        assert_eq!(got, ["one", "two", "three"]);
    }

    #[test]
    fn nothing_is_queued_for_a_writer_that_is_gone() {
        let (tx, rx) = channel(4);
        drop(rx);
        assert!(tx.try_send(Bytes::from("late")).is_err());
    }

    #[test]
    fn an_emptied_queue_gives_its_room_back() {
        let (tx, mut rx) = channel(256);
        for _ in 0..100 {
            tx.try_send(Bytes::from("x")).unwrap();
        }
        while rx.try_recv().is_ok() {}
        assert_eq!(tx.shared.lock().frames.capacity(), 0);
        tx.try_send(Bytes::from("x")).unwrap();
        rx.try_recv().unwrap();
        assert!(tx.shared.lock().frames.capacity() <= KEPT);
    }
}
