//! Login throttling: after too many failed logins for one username within a window, further
//! attempts for it are refused (429) until the window ends, even with the right password. In
//! memory, per process; bounded in size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins allowed per username and window.
pub const MAX_FAILURES: u32 = 10;
/// Length of the window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Usernames tracked at most; beyond that, expired entries are pruned, then the oldest.
const MAX_TRACKED: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

/// Failed-login counters by username.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(MAX_FAILURES, WINDOW)
    }
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginThrottle {
    /// A throttle allowing `max_failures` per `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginThrottle {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<String, Failures>) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        let mut guard = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Whether `username` is currently locked out.
    pub fn is_blocked(&self, username: &str, now: Instant) -> bool {
        self.with_map(|map| {
            map.get(&key(username)).is_some_and(|f| {
                now.duration_since(f.since) < self.window && f.count >= self.max_failures
            })
        })
    }

    /// Counts a failed login.
    pub fn record_failure(&self, username: &str, now: Instant) {
        self.with_map(|map| {
            if map.len() >= MAX_TRACKED {
                map.retain(|_, f| now.duration_since(f.since) < self.window);
                if map.len() >= MAX_TRACKED
                    && let Some(oldest) = map
                        .iter()
                        .min_by_key(|(_, f)| f.since)
                        .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
            let entry = map.entry(key(username)).or_insert(Failures {
                count: 0,
                since: now,
            });
            if now.duration_since(entry.since) >= self.window {
                *entry = Failures {
                    count: 0,
                    since: now,
                };
            }
            entry.count = entry.count.saturating_add(1);
        });
    }

    /// Forgets the failures of `username` (after a successful login).
    pub fn record_success(&self, username: &str) {
        self.with_map(|map| map.remove(&key(username)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..3 {
            assert!(!t.is_blocked("Bob", now));
            t.record_failure("bob", now);
        }
        assert!(t.is_blocked("BOB ", now));
        assert!(!t.is_blocked("alice", now));
        let later = now + Duration::from_secs(61);
        assert!(!t.is_blocked("bob", later));
        t.record_failure("bob", later);
        assert!(!t.is_blocked("bob", later));
        t.record_success("bob");
        assert!(!t.is_blocked("bob", later));
    }
}
