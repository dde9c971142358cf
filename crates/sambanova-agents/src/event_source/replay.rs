//! De-duplication of replayed events, in memory that does not grow with the stream.
//!
//! The Sessions server replays its whole buffer, in order, to every new connection that does
//! not name an event it still holds. After a reconnection the stream is *catching up*: an
//! event stamped before the last one delivered is a replay and is dropped, without being
//! remembered (so a replay of any length evicts nothing); the first event stamped after it
//! ends the catch-up. Events stamped at the same instant, and events without a stamp, are
//! told apart by their ids, of which the last [`ReplayFilter::new`]'s `window` are kept.
//!
//! If the server no longer holds the last event delivered, it replays what it has: every
//! event in it is newer, so each is delivered; the events the server dropped meanwhile are
//! lost on its side, and the catch-up ends at the first newer event without a gap report.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// Where an event stands in the server's order: its RFC 3339 UTC timestamp, comparable
/// whatever its number of fraction digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct OrderKey {
    seconds: [u8; 19],
    nanos: u32,
}

impl OrderKey {
    /// Reads `2026-11-22T12:22:11.458468676Z` (or `+00:00`); `None` for anything else. Only
    /// the order matters here, so the date is compared as text rather than parsed.
    pub(crate) fn parse(text: &str) -> Option<OrderKey> {
        let text = text
            .strip_suffix('Z')
            .or_else(|| text.strip_suffix("+00:00"))?;
        let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
        let shape = seconds.as_bytes();
        let digits_at = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
        if shape.len() != 19
            || !digits_at.iter().all(|&i| shape[i].is_ascii_digit())
            || [shape[4], shape[7], shape[10], shape[13], shape[16]] != *b"--T::"
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut nanos: u32 = 0;
        for digit in fraction.bytes().chain(std::iter::repeat(b'0')).take(9) {
            nanos = nanos * 10 + u32::from(digit - b'0');
        }
        let mut key = [0u8; 19];
        key.copy_from_slice(shape);
        Some(OrderKey {
            seconds: key,
            nanos,
        })
    }
}

/// Drops replayed events (see the module docs).
pub(crate) struct ReplayFilter {
    recent: RecentIds,
    /// The last event delivered: its id and, when it had one, its stamp.
    last_id: Option<Arc<str>>,
    last_order: Option<OrderKey>,
    catching_up: bool,
}

impl ReplayFilter {
    /// A filter remembering `window` ids; a stream resumed after `last_event_id` catches up
    /// from the start.
    pub(crate) fn new(window: usize, last_event_id: Option<&str>) -> Self {
        let mut recent = RecentIds::new(window);
        let last_id = last_event_id.filter(|id| !id.is_empty()).map(|id| {
            recent.insert(id);
            Arc::from(id)
        });
        ReplayFilter {
            recent,
            catching_up: last_id.is_some(),
            last_id,
            last_order: None,
        }
    }

    /// A new connection: what it replays first may have been delivered already.
    pub(crate) fn reconnected(&mut self) {
        self.catching_up = self.last_id.is_some();
    }

    /// Whether the event `id` (stamped `order`) is new; a new one is remembered.
    pub(crate) fn admit(&mut self, id: &str, order: Option<&OrderKey>) -> bool {
        if id.is_empty() {
            // Nothing to tell a replay by.
            return true;
        }
        if self.catching_up {
            match (order, self.last_order.as_ref()) {
                (Some(order), Some(last)) if order < last => return false,
                (Some(order), Some(last)) if order > last => self.catching_up = false,
                _ => {
                    if self.last_id.as_deref() == Some(id) {
                        self.catching_up = false;
                        return false;
                    }
                }
            }
        }
        if !self.recent.insert(id) {
            return false;
        }
        self.last_id = self.recent.newest();
        self.last_order = order.cloned();
        true
    }
}

/// The last `capacity` ids seen.
struct RecentIds {
    set: HashSet<Arc<str>>,
    order: VecDeque<Arc<str>>,
    capacity: usize,
}

impl RecentIds {
    fn new(capacity: usize) -> Self {
        RecentIds {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `id` is new (it is remembered from now on).
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        let id: Arc<str> = Arc::from(id);
        self.set.insert(id.clone());
        self.order.push_back(id);
        true
    }

    fn newest(&self) -> Option<Arc<str>> {
        self.order.back().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(n: u32) -> OrderKey {
        OrderKey::parse(&format!("2026-11-22T12:00:00.{n:09}Z")).unwrap()
    }

    #[test]
    fn timestamps_compare_whatever_their_precision() {
        let a = OrderKey::parse("2026-11-22T12:22:11.5Z").unwrap();
        let b = OrderKey::parse("2026-11-22T12:22:11.458468676Z").unwrap();
        let c = OrderKey::parse("2026-11-22T12:22:12+00:00").unwrap();
        assert!(b < a && a < c);
        for bad in [
            "yesterday",
            "2026-11-22 12:22:11Z",
            "2026-11-22T12:22:11.1234567890Z",
            "",
        ] {
            assert!(OrderKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut ids = RecentIds::new(2);
        assert!(ids.insert("a") && ids.insert("b"));
        assert!(!ids.insert("a"));
        assert!(ids.insert("c"));
        assert!(ids.insert("a"), "a fell out of the window");
        assert!(!ids.insert("c"));
    }

    #[test]
    fn a_replay_longer_than_the_window_yields_nothing_twice_and_loses_nothing() {
        let mut filter = ReplayFilter::new(16, None);
        for n in 0..1000 {
            assert!(filter.admit(&format!("e{n}"), Some(&stamp(n))));
        }
        filter.reconnected();
        let delivered: Vec<u32> = (0..1010)
            .filter(|&n| filter.admit(&format!("e{n}"), Some(&stamp(n))))
            .collect();
        assert_eq!(delivered, (1000..1010).collect::<Vec<_>>());
    }

    #[test]
    fn a_server_that_lost_the_last_event_replays_only_newer_ones_which_are_kept() {
        let mut filter = ReplayFilter::new(16, None);
        for n in 0..10 {
            assert!(filter.admit(&format!("e{n}"), Some(&stamp(n))));
        }
        filter.reconnected();
        // The server's buffer has moved on: it starts at e20.
        assert!(filter.admit("e20", Some(&stamp(20))));
        assert!(filter.admit("e21", Some(&stamp(21))));
        assert!(!filter.admit("e21", Some(&stamp(21))));
    }

    #[test]
    fn without_stamps_ids_decide_and_the_last_id_ends_the_catch_up() {
        let mut filter = ReplayFilter::new(4, Some("e2"));
        // An id it never saw, with no stamp to place it: the window says it is new.
        assert!(filter.admit("e1", None));
        assert!(!filter.admit("e2", None));
        assert!(filter.admit("e3", None));
        assert!(!filter.admit("e3", None));
        assert!(filter.admit("", None) && filter.admit("", None));
    }

    #[test]
    fn events_of_one_instant_are_told_apart_by_id() {
        let mut filter = ReplayFilter::new(8, None);
        assert!(filter.admit("a", Some(&stamp(1))));
        assert!(filter.admit("b", Some(&stamp(1))));
        filter.reconnected();
        assert!(!filter.admit("a", Some(&stamp(1))));
        assert!(!filter.admit("b", Some(&stamp(1))));
        assert!(filter.admit("c", Some(&stamp(1))));
    }
}
