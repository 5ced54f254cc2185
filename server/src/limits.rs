//! Abuse limits: token buckets for rates (logins, frames, new connections) and a
//! count of the connections each address holds.
//!
//! Everything here is in memory and per node: a limit protects this process. The
//! numbers come from [`Limits`], which the configuration reads from the environment.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A sustained rate with an allowance for bursts. A rate of zero means unlimited.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_sec: f64,
    /// Most tokens a bucket holds (and starts with).
    pub burst: f64,
}

impl Rate {
    pub const UNLIMITED: Rate = Rate {
        per_sec: 0.0,
        burst: 0.0,
    };

    pub const fn new(per_sec: f64, burst: f64) -> Rate {
        Rate { per_sec, burst }
    }

    pub fn is_unlimited(&self) -> bool {
        self.per_sec <= 0.0
    }
}

/// The limits a deployment runs with. [`Limits::default`] suits a public website;
/// a benchmark or a test that opens thousands of connections from one address
/// raises them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Frames one connection may send.
    pub frames_per_connection: Rate,
    /// Frames all connections from one address may send together.
    pub frames_per_ip: Rate,
    /// New WebSocket connections from one address.
    pub connects_per_ip: Rate,
    /// WebSocket connections one address may hold open at once; 0 is unlimited.
    pub connections_per_ip: usize,
    /// Failed logins per username.
    pub failed_logins_per_account: Rate,
    /// Failed logins per address.
    pub failed_logins_per_ip: Rate,
    /// Files one visitor or agent may send.
    pub uploads_per_sender: Rate,
    /// Files all senders at one address may send together.
    pub uploads_per_ip: Rate,
    /// Transcripts one visitor may have e-mailed.
    pub transcript_mails_per_visitor: Rate,
    /// Transcripts one e-mail address may be sent, whoever asks.
    pub transcript_mails_per_address: Rate,
    /// REST API requests with one token.
    pub api_requests_per_token: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Typing indicators and messages of a fast typist stay far below this.
            frames_per_connection: Rate::new(20.0, 60.0),
            // An office behind one address with many people chatting at once.
            frames_per_ip: Rate::new(400.0, 800.0),
            // Page views open a connection each; a whole office browsing at once.
            connects_per_ip: Rate::new(20.0, 200.0),
            connections_per_ip: 500,
            // Ten tries, then one more every 30 seconds.
            failed_logins_per_account: Rate::new(1.0 / 30.0, 10.0),
            // Thirty tries, then one more every 5 seconds.
            failed_logins_per_ip: Rate::new(0.2, 30.0),
            // Ten files at once, then one every 6 seconds.
            uploads_per_sender: Rate::new(1.0 / 6.0, 10.0),
            // An office sending screenshots.
            uploads_per_ip: Rate::new(1.0, 60.0),
            // A few tries (a mistyped address), then one every two minutes.
            transcript_mails_per_visitor: Rate::new(1.0 / 120.0, 3.0),
            // Five, then one every ten minutes.
            transcript_mails_per_address: Rate::new(1.0 / 600.0, 5.0),
            // An integration syncing its CRM: 20 a second, bursts of 200.
            api_requests_per_token: Rate::new(20.0, 200.0),
        }
    }
}

impl Limits {
    /// No limits at all (benchmarks of raw capacity).
    pub fn unlimited() -> Limits {
        Limits {
            frames_per_connection: Rate::UNLIMITED,
            frames_per_ip: Rate::UNLIMITED,
            connects_per_ip: Rate::UNLIMITED,
            connections_per_ip: 0,
            failed_logins_per_account: Rate::UNLIMITED,
            failed_logins_per_ip: Rate::UNLIMITED,
            uploads_per_sender: Rate::UNLIMITED,
            uploads_per_ip: Rate::UNLIMITED,
            transcript_mails_per_visitor: Rate::UNLIMITED,
            transcript_mails_per_address: Rate::UNLIMITED,
            api_requests_per_token: Rate::UNLIMITED,
        }
    }
}

/// How fast files may be sent, per sender and per address, on this node.
pub struct UploadLimits {
    pub per_sender: KeyedLimiter<app::ids::Participant>,
    pub per_ip: KeyedLimiter<IpAddr>,
}

impl UploadLimits {
    pub fn new(limits: &Limits) -> Self {
        UploadLimits {
            per_sender: KeyedLimiter::new(limits.uploads_per_sender),
            per_ip: KeyedLimiter::new(limits.uploads_per_ip),
        }
    }
}

/// The limits on WebSocket clients, shared by every connection of this node.
pub struct SocketLimits {
    pub limits: Limits,
    pub connections: Arc<ConnectionCounts>,
    pub connects: KeyedLimiter<IpAddr>,
    pub frames_per_ip: KeyedLimiter<IpAddr>,
}

impl SocketLimits {
    pub fn new(limits: Limits) -> SocketLimits {
        SocketLimits {
            connections: ConnectionCounts::new(limits.connections_per_ip),
            connects: KeyedLimiter::new(limits.connects_per_ip),
            frames_per_ip: KeyedLimiter::new(limits.frames_per_ip),
            limits,
        }
    }
}

/// A bucket kept outside this process (the store's login buckets): `tokens`
/// when it was used `elapsed_ms` ago (`None`: never, so it is full). Returns
/// whether a token could be taken and the tokens left.
pub fn take_kept(tokens: Option<f64>, elapsed_ms: i64, rate: Rate) -> (bool, f64) {
    let refilled = match tokens {
        None => rate.burst,
        Some(tokens) => (tokens + elapsed_ms.max(0) as f64 / 1000.0 * rate.per_sec).min(rate.burst),
    };
    if refilled >= 1.0 {
        (true, refilled - 1.0)
    } else {
        (false, refilled)
    }
}

/// How long a login bucket is kept after its last use: any rate we use has
/// filled it again by then.
pub const LOGIN_BUCKET_KEPT_MS: i64 = 3600 * 1000;

/// One token bucket.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    pub fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.burst,
            updated: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_sec).min(rate.burst);
        self.updated = now;
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, rate: Rate, now: Instant) -> bool {
        if rate.is_unlimited() {
            return true;
        }
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again, so that forgetting it changes nothing.
    fn is_full(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        self.tokens >= rate.burst
    }
}

/// Buckets by key (an address, a username). Buckets that have filled up again are
/// forgotten, so memory follows the keys active recently, not every key ever seen.
pub struct KeyedLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// Sweep for full buckets whenever the map has grown by this much.
const SWEEP_EVERY: usize = 1024;

impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        KeyedLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn with_bucket<T>(&self, key: &K, f: impl FnOnce(&mut Bucket, Rate, Instant) -> T) -> T {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_EVERY && buckets.len().is_multiple_of(SWEEP_EVERY) {
            buckets.retain(|_, b| !b.is_full(self.rate, now));
        }
        let bucket = buckets
            .entry(key.clone())
            .or_insert_with(|| Bucket::full(self.rate, now));
        f(bucket, self.rate, now)
    }

    /// Takes a token for `key`; false when its rate is used up.
    pub fn take(&self, key: &K) -> bool {
        if self.rate.is_unlimited() {
            return true;
        }
        self.with_bucket(key, |b, rate, now| b.take(rate, now))
    }
}

/// How many connections each address holds open, with a ceiling.
pub struct ConnectionCounts {
    max: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// Holds one of an address's connection slots; dropping it gives the slot back.
pub struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    ip: IpAddr,
}

impl ConnectionCounts {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(ConnectionCounts {
            max,
            counts: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for one more connection from `ip`, unless it holds the most allowed.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut counts = self.lock();
        let count = counts.entry(ip).or_insert(0);
        if self.max != 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rate = Rate::new(2.0, 3.0);
        let start = Instant::now();
        let mut bucket = Bucket::full(rate, start);
        assert!((0..3).all(|_| bucket.take(rate, start)));
        assert!(!bucket.take(rate, start));
        // Half a second later one token (2 per second) has come back.
        let later = start + Duration::from_millis(500);
        assert!(bucket.take(rate, later));
        assert!(!bucket.take(rate, later));
        // Never more than the burst, however long it rests.
        let much_later = later + Duration::from_secs(3600);
        assert!((0..3).all(|_| bucket.take(rate, much_later)));
        assert!(!bucket.take(rate, much_later));
    }

    #[test]
    fn unlimited_never_refuses() {
        let limiter = KeyedLimiter::new(Rate::UNLIMITED);
        assert!((0..10_000).all(|_| limiter.take(&"k")));
    }

    #[test]
    fn keys_have_buckets_of_their_own() {
        let limiter = KeyedLimiter::new(Rate::new(0.001, 2.0));
        assert!(limiter.take(&"a") && limiter.take(&"a"));
        assert!(!limiter.take(&"a"));
        assert!(limiter.take(&"b"));
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let limiter = KeyedLimiter::new(Rate::new(1000.0, 1.0));
        for i in 0..10 * SWEEP_EVERY {
            limiter.take(&i);
            std::thread::sleep(Duration::from_micros(1));
        }
        let kept = limiter.buckets.lock().unwrap().len();
        assert!(kept < 10 * SWEEP_EVERY, "{kept} buckets kept");
    }

    #[test]
    fn connection_slots_are_counted_and_returned() {
        let counts = ConnectionCounts::new(2);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let a = counts.acquire(ip).unwrap();
        let _b = counts.acquire(ip).unwrap();
        assert!(counts.acquire(ip).is_none());
        assert!(counts.acquire(other).is_some());
        drop(a);
        assert_eq!(counts.lock().get(&ip), Some(&1));
        assert!(counts.acquire(ip).is_some());
    }
}
