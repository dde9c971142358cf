//! De-duplication of replayed events, in memory that does not grow with the stream.
//!
//! Nothing is dropped on a connection that has not reconnected: events may share an id (an
//! event without an `id` field carries the last one, WHATWG SSE), and a server may set the same
//! id twice; only a replay repeats events, and only a reconnection replays.
//!
//! After a reconnection the stream is *catching up*: the server may send events delivered
//! already before the new ones (the Sessions server replays its whole buffer to a connection
//! that names no event it holds; others ignore `Last-Event-ID` and replay from the start). An
//! event is recognised by the id it sets itself ([`crate::sse::Event::sets_id`]), never by one
//! it inherited, and by its stamp when the layer reads one. What each case yields:
//!
//! - **The server resumes after the last id** (a conformant server): its first event is new and
//!   is delivered, with all that follows.
//! - **The server replays from the start, or part of what was delivered**, with or without
//!   stamps, of any length: every event up to the last delivered id is dropped (known by the
//!   id window, by the stream's first id, or by an earlier stamp), then everything after it
//!   is delivered: no duplicate, no loss. The window holds the last `window` ids delivered;
//!   an event older than those is known as part of the replay once the replay showed the
//!   stream's first id.
//! - **The server no longer holds the last id** (its buffer moved on): it replays newer events
//!   only. The first event stamped after the last one delivered, or, without stamps, the first
//!   whose id was never delivered (or the first after the delivered ones it did replay), ends
//!   the catch-up and is delivered: nothing it holds is lost.
//! - **Events that set no id** cannot be told apart: while the replay is recognised (after a
//!   known id or an older stamp) they are part of it and dropped; before that they are
//!   delivered.
//! - **Left over**: a server without stamps whose replay starts after the stream's first event
//!   and before the window's oldest id delivers those older events again, as new (nothing it
//!   sends can tell them apart).
//!
//! A stream started after a known id ([`ReplayFilter::new`]'s `last_event_id`) catches up as
//! after a reconnection.

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
    /// The first id delivered: a replay from the very start begins with it.
    first_id: Option<Arc<str>>,
    /// The last id delivered.
    last_id: Option<Arc<str>>,
    /// The latest stamp delivered.
    last_order: Option<OrderKey>,
    catch_up: CatchUp,
}

/// Where a reconnection's replay stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CatchUp {
    /// Not catching up: every event is delivered.
    Done,
    /// Nothing recognised yet: the first event the server sends decides.
    Unconfirmed,
    /// A replay recognised by an event delivered before, older than the id window (the
    /// stream's first id, or an earlier stamp): unknown ids are older still.
    ReplayingOld,
    /// A replay recognised by an id in the window: from here the replay can only repeat
    /// the window, so an unknown id is new.
    ReplayingRecent,
}

impl ReplayFilter {
    /// A filter remembering `window` ids; a stream resumed after `last_event_id` catches up
    /// from the start.
    pub(crate) fn new(window: usize, last_event_id: Option<&str>) -> Self {
        let last_id: Option<Arc<str>> = last_event_id.filter(|id| !id.is_empty()).map(Arc::from);
        ReplayFilter {
            recent: RecentIds::new(window),
            first_id: None,
            catch_up: if last_id.is_some() {
                CatchUp::Unconfirmed
            } else {
                CatchUp::Done
            },
            last_id,
            last_order: None,
        }
    }

    /// A new connection: what it replays first may have been delivered already.
    pub(crate) fn reconnected(&mut self) {
        if self.last_id.is_some() || self.last_order.is_some() {
            self.catch_up = CatchUp::Unconfirmed;
        }
    }

    /// Whether an event is new, and so delivered: `id` is its last event id, `sets_id`
    /// whether the event set it itself, `order` its stamp. A new event's id and stamp are
    /// remembered.
    pub(crate) fn admit(&mut self, id: &str, sets_id: bool, order: Option<&OrderKey>) -> bool {
        let own_id = Some(id).filter(|id| sets_id && !id.is_empty());
        if self.catch_up != CatchUp::Done && self.is_replayed(own_id, order) {
            return false;
        }
        if let Some(id) = own_id {
            let id: Arc<str> = Arc::from(id);
            self.recent.insert(id.clone());
            self.first_id.get_or_insert_with(|| id.clone());
            self.last_id = Some(id);
        }
        if let Some(order) = order
            && self.last_order.as_ref().is_none_or(|last| order > last)
        {
            self.last_order = Some(order.clone());
        }
        true
    }

    /// While catching up: whether the event was delivered before (ending the catch-up when
    /// the event shows the replay is over).
    fn is_replayed(&mut self, own_id: Option<&str>, order: Option<&OrderKey>) -> bool {
        if let (Some(order), Some(last)) = (order, self.last_order.as_ref()) {
            if order < last {
                if self.catch_up == CatchUp::Unconfirmed {
                    self.catch_up = CatchUp::ReplayingOld;
                }
                return true;
            }
            if order > last {
                self.catch_up = CatchUp::Done;
                return false;
            }
        }
        let Some(id) = own_id else {
            // Nothing to tell it by but where the replay stands.
            return matches!(
                self.catch_up,
                CatchUp::ReplayingOld | CatchUp::ReplayingRecent
            );
        };
        if self.last_id.as_deref() == Some(id) {
            self.catch_up = CatchUp::Done;
            return true;
        }
        if self.recent.contains(id) {
            self.catch_up = CatchUp::ReplayingRecent;
            return true;
        }
        if self.first_id.as_deref() == Some(id) {
            self.catch_up = CatchUp::ReplayingOld;
            return true;
        }
        if self.catch_up == CatchUp::ReplayingOld {
            // Between the stream's first id and the window: older than the window.
            return true;
        }
        // Never delivered, and not inside a replay of old events: new.
        self.catch_up = CatchUp::Done;
        false
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

    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// Remembers `id` as the newest; one seen already stays where it was.
    fn insert(&mut self, id: Arc<str>) {
        if self.set.contains(&id) {
            return;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        self.set.insert(id.clone());
        self.order.push_back(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(n: u32) -> OrderKey {
        OrderKey::parse(&format!("2026-11-22T12:00:00.{n:09}Z")).unwrap()
    }

    /// Admits `e{n}` for each `n`, each setting its id, stamped `n` if `stamped`; answers
    /// the ones delivered.
    fn admit_all(
        filter: &mut ReplayFilter,
        ids: impl IntoIterator<Item = u32>,
        stamped: bool,
    ) -> Vec<u32> {
        ids.into_iter()
            .filter(|&n| {
                let order = stamped.then(|| stamp(n));
                filter.admit(&format!("e{n}"), true, order.as_ref())
            })
            .collect()
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
        ids.insert("a".into());
        ids.insert("b".into());
        ids.insert("a".into());
        assert!(ids.contains("a") && ids.contains("b"));
        ids.insert("c".into());
        assert!(!ids.contains("a"), "a fell out of the window");
        assert!(ids.contains("b") && ids.contains("c"));
    }

    #[test]
    fn a_connection_that_has_not_reconnected_drops_nothing() {
        let mut filter = ReplayFilter::new(4, None);
        // Inherited ids, an id set twice, stamps going back: all delivered.
        assert!(filter.admit("1", true, Some(&stamp(5))));
        assert!(filter.admit("1", false, Some(&stamp(5))));
        assert!(filter.admit("1", false, None));
        assert!(filter.admit("1", true, Some(&stamp(1))));
        assert!(filter.admit("", true, None) && filter.admit("", false, None));
    }

    #[test]
    fn a_replay_from_the_start_longer_than_the_window_yields_nothing_twice_and_loses_nothing() {
        for stamped in [false, true] {
            let mut filter = ReplayFilter::new(16, None);
            assert_eq!(admit_all(&mut filter, 0..1000, stamped).len(), 1000);
            filter.reconnected();
            let delivered = admit_all(&mut filter, 0..1010, stamped);
            assert_eq!(
                delivered,
                (1000..1010).collect::<Vec<_>>(),
                "stamped: {stamped}"
            );
        }
    }

    #[test]
    fn a_replay_of_the_window_only_yields_what_follows_the_last_id() {
        for stamped in [false, true] {
            let mut filter = ReplayFilter::new(16, None);
            admit_all(&mut filter, 0..1000, stamped);
            filter.reconnected();
            let delivered = admit_all(&mut filter, 990..1005, stamped);
            assert_eq!(
                delivered,
                (1000..1005).collect::<Vec<_>>(),
                "stamped: {stamped}"
            );
        }
    }

    #[test]
    fn a_conformant_server_resuming_after_the_last_id_loses_nothing() {
        for stamped in [false, true] {
            let mut filter = ReplayFilter::new(16, None);
            admit_all(&mut filter, 0..1000, stamped);
            filter.reconnected();
            let delivered = admit_all(&mut filter, 1000..1005, stamped);
            assert_eq!(
                delivered,
                (1000..1005).collect::<Vec<_>>(),
                "stamped: {stamped}"
            );
        }
    }

    #[test]
    fn a_server_that_lost_the_last_id_replays_newer_events_which_are_kept() {
        for stamped in [false, true] {
            let mut filter = ReplayFilter::new(16, None);
            admit_all(&mut filter, 0..10, stamped);
            filter.reconnected();
            // The server's buffer has moved on: it starts at e20.
            let delivered = admit_all(&mut filter, 20..23, stamped);
            assert_eq!(delivered, [20, 21, 22], "stamped: {stamped}");
        }
    }

    #[test]
    fn a_replay_of_delivered_events_without_the_last_one_then_new_ones_keeps_the_new_ones() {
        // Without stamps: the replay repeats part of the window, skips the last id, goes on
        // with new ids.
        let mut filter = ReplayFilter::new(16, None);
        admit_all(&mut filter, 0..10, false);
        filter.reconnected();
        let delivered = admit_all(&mut filter, [7, 8, 11, 12], false);
        assert_eq!(delivered, [11, 12]);
    }

    #[test]
    fn events_setting_no_id_are_dropped_inside_a_recognised_replay_only() {
        let mut filter = ReplayFilter::new(8, None);
        assert!(filter.admit("a", true, None));
        assert!(filter.admit("a", false, None));
        assert!(filter.admit("b", true, None));
        filter.reconnected();
        // Before anything is recognised: delivered (it may be new).
        assert!(filter.admit("", false, None));
        // The replay is recognised: its events without ids of their own are part of it.
        assert!(!filter.admit("a", true, None));
        assert!(!filter.admit("a", false, None));
        // The last id ends it.
        assert!(!filter.admit("b", true, None));
        assert!(filter.admit("b", false, None));
    }

    #[test]
    fn an_inherited_id_never_marks_a_replay() {
        let mut filter = ReplayFilter::new(8, None);
        assert!(filter.admit("1", true, None));
        filter.reconnected();
        // The new connection's first event inherits `1` from the decoder: it is not `1`.
        assert!(filter.admit("1", false, None));
    }

    #[test]
    fn a_stream_started_after_an_id_drops_that_id_only() {
        let mut filter = ReplayFilter::new(4, Some("e2"));
        assert!(!filter.admit("e2", true, None));
        assert!(filter.admit("e3", true, None));
        let mut filter = ReplayFilter::new(4, Some("e2"));
        assert!(
            filter.admit("e3", true, None),
            "the server resumed after it"
        );
        assert!(
            filter.admit("e2", true, None),
            "caught up: nothing is dropped"
        );
    }

    #[test]
    fn events_of_one_instant_are_told_apart_by_id() {
        let mut filter = ReplayFilter::new(8, None);
        assert!(filter.admit("a", true, Some(&stamp(1))));
        assert!(filter.admit("b", true, Some(&stamp(1))));
        filter.reconnected();
        assert!(!filter.admit("a", true, Some(&stamp(1))));
        assert!(!filter.admit("b", true, Some(&stamp(1))));
        assert!(filter.admit("c", true, Some(&stamp(1))));
    }

    #[test]
    fn an_older_stamp_is_a_replay_and_a_newer_one_ends_the_catch_up() {
        let mut filter = ReplayFilter::new(2, None);
        admit_all(&mut filter, 0..100, true);
        filter.reconnected();
        // Ids the window forgot, stamped before the last: replayed.
        assert!(!filter.admit("e3", true, Some(&stamp(3))));
        assert!(!filter.admit("x", false, None), "inside the replay");
        // A new id stamped after the last: new.
        assert!(filter.admit("e200", true, Some(&stamp(200))));
    }
}
