//! Measurements: delivery latencies and their percentiles, and the server
//! process's CPU time and memory from /proc.

use serde::Serialize;
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the load generator started (one clock for senders and
/// receivers: they all live in this process).
pub fn now_micros() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// One message reaching one participant other than its sender.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub sent: u64,
    pub received: u64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(deliveries: &[Delivery]) -> Latency {
        let mut micros: Vec<u64> = deliveries
            .iter()
            .map(|d| d.received.saturating_sub(d.sent))
            .collect();
        if micros.is_empty() {
            return Latency::default();
        }
        micros.sort_unstable();
        let at = |q: f64| {
            let index = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            micros[index] as f64 / 1000.0
        };
        Latency {
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: at(1.0),
        }
    }
}

/// CPU time and resident memory of a process, read from /proc.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ProcSample {
    /// User plus system CPU time, in seconds.
    pub cpu_secs: f64,
    /// Resident set size, in KiB.
    pub rss_kib: u64,
    /// Context switches of all its threads so far (voluntary and not).
    pub context_switches: u64,
}

impl ProcSample {
    pub fn of(pid: u32) -> anyhow::Result<ProcSample> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // Fields after the parenthesised command name; utime and stime are the
        // 14th and 15th fields of the whole line.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| anyhow::anyhow!("unexpected /proc/{pid}/stat"))?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        // SAFETY: sysconf only reads a configuration value.
        let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let context_switches = std::fs::read_dir(format!("/proc/{pid}/task"))?
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
            .flat_map(|status| {
                status
                    .lines()
                    .filter(|l| l.contains("ctxt_switches:"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .collect::<Vec<_>>()
            })
            .sum();
        Ok(ProcSample {
            cpu_secs: ticks as f64 / per_sec,
            rss_kib,
            context_switches,
        })
    }
}

/// CPU seconds of `pid` and its children (PostgreSQL's postmaster and the
/// backends it forked), from /proc; what cannot be read counts as nothing.
pub fn tree_cpu_secs(pid: u32) -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let ticks: u64 = entries
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.ok()?.path().join("stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let own: u32 = head.split_whitespace().next()?.parse().ok()?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let parent: u32 = fields.get(1)?.parse().ok()?;
            if own != pid && parent != pid {
                return None;
            }
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    ticks as f64 / per_sec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let deliveries: Vec<Delivery> = (1..=1000)
            .map(|ms| Delivery {
                sent: 0,
                received: ms * 1000,
            })
            .collect();
        let latency = Latency::of(&deliveries);
        assert_eq!(latency.p50_ms, 500.0);
        assert_eq!(latency.p99_ms, 990.0);
        assert_eq!(latency.p999_ms, 999.0);
        assert_eq!(latency.max_ms, 1000.0);
        assert_eq!(Latency::of(&[]).max_ms, 0.0);
    }

    #[test]
    fn this_process_can_be_measured() {
        let sample = ProcSample::of(std::process::id()).unwrap();
        assert!(sample.rss_kib > 0);
    }

    #[test]
    fn a_process_tree_counts_its_own_time() {
        let spent = Instant::now();
        let mut x = 0u64;
        while spent.elapsed().as_millis() < 200 {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(tree_cpu_secs(std::process::id()) > 0.0);
    }
}
