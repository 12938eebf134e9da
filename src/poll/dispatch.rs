//! Which feed a poll starts next (issue 11): the next in the interleaved order whose host has
//! a free slot, so that a host kept busy (two slow feeds hold both its slots for seconds) does
//! not fill the pipeline with feeds waiting for it while every other host sits idle.
//!
//! ```text
//! room in the pipeline ─► [a held-back feed whose host is free now?] ─► start it
//!                      ─► [the next feed in order: its host free?]   ─► start it
//!                                                    └─ no: hold it back, look further
//!                      ─► [nothing startable] ─► start the oldest held back; it waits for its host
//! ```
//!
//! A feed started holds its room in the pipeline from then until the writer takes its result;
//! before this, a feed whose host was busy waited for it holding a room. On a cold fetch of
//! the 1,000-feed bench farm (20 slow feeds on 16 hosts), those feeds held every room for most
//! of each second the slow ones took.
//!
//! Owns the order of starting and the held-back feeds; taking a host's slot is the caller's
//! (`reserve`), so this is decided without I/O.

use std::collections::VecDeque;

/// Most feeds held back at once: beyond this the oldest is started anyway and waits for its
/// host, so a list of feeds on one busy host is not all moved aside. Held-back jobs are moved
/// out of the list, not copied.
const MOST_HELD_BACK: usize = 1024;

/// The feeds not yet started, in order, and those held back for their busy hosts.
pub(super) struct Picker<J, I> {
    jobs: I,
    /// Hosts with feeds held back, each with its feeds in order; oldest host first.
    held: Vec<(String, VecDeque<J>)>,
    held_count: usize,
}

impl<J, I: Iterator<Item = J>> Picker<J, I> {
    pub(super) fn new(jobs: I) -> Picker<J, I> {
        Picker { jobs, held: Vec::new(), held_count: 0 }
    }

    /// The feed to start now, with its host's slot when `reserve` could take one; `None` once
    /// every feed was started. `host` names a feed's host (`None`: it has none, and is started
    /// without a slot held for it). A feed started without a slot waits for one when it
    /// fetches: only when no feed's host is free.
    pub(super) fn next<R>(
        &mut self,
        host: impl Fn(&J) -> Option<String>,
        mut reserve: impl FnMut(&str) -> Option<R>,
    ) -> Option<(J, Option<R>)> {
        for at in 0..self.held.len() {
            if let Some(slot) = reserve(&self.held[at].0) {
                return Some((self.take_held(at), Some(slot)));
            }
        }
        while self.held_count < MOST_HELD_BACK {
            let Some(job) = self.jobs.next() else { break };
            let Some(key) = host(&job) else { return Some((job, None)) };
            // A host with feeds held back is busy (it was just tried): this one goes behind them.
            if let Some((_, queue)) = self.held.iter_mut().find(|(k, _)| *k == key) {
                queue.push_back(job);
                self.held_count += 1;
                continue;
            }
            if let Some(slot) = reserve(&key) {
                return Some((job, Some(slot)));
            }
            self.held.push((key, VecDeque::from([job])));
            self.held_count += 1;
        }
        // Every host with a feed to start is busy (or too many are held back), or all started.
        (!self.held.is_empty()).then(|| (self.take_held(0), None))
    }

    fn take_held(&mut self, at: usize) -> J {
        let queue = &mut self.held[at].1;
        let job = queue.pop_front().expect("a held host has a feed");
        if queue.is_empty() {
            self.held.remove(at);
        }
        self.held_count -= 1;
        job
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Feeds are named "host/n"; a name without a slash has no host.
    fn host(job: &str) -> Option<String> {
        job.split_once('/').map(|(h, _)| h.to_string())
    }

    /// Takes one of `key`'s free slots in `free`, if it has one.
    fn reserve(free: &mut HashMap<String, usize>, key: &str) -> Option<()> {
        let n = free.get_mut(key)?;
        (*n > 0).then(|| *n -= 1)
    }

    fn free(hosts: &[(&str, usize)]) -> HashMap<String, usize> {
        hosts.iter().map(|(h, n)| (h.to_string(), *n)).collect()
    }

    /// The next feed started and whether it had a slot.
    fn next(
        picker: &mut Picker<String, impl Iterator<Item = String>>,
        free: &mut HashMap<String, usize>,
    ) -> Option<(String, bool)> {
        picker
            .next(|j: &String| host(j), |key| reserve(free, key))
            .map(|(job, slot)| (job, slot.is_some()))
    }

    /// Every feed of `jobs` as started, with whether each had a slot.
    fn start_all(jobs: &[&str], free: &mut HashMap<String, usize>) -> Vec<(String, bool)> {
        let mut picker = Picker::new(jobs.iter().map(|j| j.to_string()));
        std::iter::from_fn(|| next(&mut picker, free)).collect()
    }

    #[test]
    fn a_busy_hosts_feeds_wait_behind_the_free_hosts_feeds_in_their_order() {
        let started = start_all(&["a/1", "b/1", "a/2", "b/2", "a/3"], &mut free(&[("b", 5)]));
        let names: Vec<&str> = started.iter().map(|(j, _)| j.as_str()).collect();
        // b's feeds go first, each with a slot; a's follow in their order, without one.
        assert_eq!(names, ["b/1", "b/2", "a/1", "a/2", "a/3"]);
        assert_eq!(started.iter().filter(|(_, slot)| *slot).count(), 2);
    }

    #[test]
    fn a_held_back_feed_goes_first_once_its_host_is_free() {
        let mut free = free(&[("a", 0), ("b", 1)]);
        let mut picker = Picker::new(["a/1", "b/1", "b/2"].map(str::to_string).into_iter());
        assert_eq!(next(&mut picker, &mut free), Some(("b/1".into(), true)));
        free.insert("a".into(), 1);
        assert_eq!(next(&mut picker, &mut free), Some(("a/1".into(), true)));
        // b has no slot left and nothing else is startable: b/2 is started to wait for one.
        assert_eq!(next(&mut picker, &mut free), Some(("b/2".into(), false)));
        assert_eq!(next(&mut picker, &mut free), None);
    }

    #[test]
    fn feeds_without_a_host_start_at_once() {
        let started = start_all(&["a/1", "nohost", "a/2"], &mut free(&[]));
        assert_eq!(started[0], ("nohost".to_string(), false));
        assert_eq!(started.len(), 3);
    }

    #[test]
    fn feeds_held_back_are_bounded() {
        // One busy host with more feeds than may be held back: all start, in order.
        let names: Vec<String> = (0..MOST_HELD_BACK + 10).map(|i| format!("a/{i}")).collect();
        let mut picker = Picker::new(names.iter().cloned());
        let mut most_held = 0;
        let mut started = Vec::new();
        while let Some((job, slot)) = next(&mut picker, &mut free(&[])) {
            assert!(!slot);
            most_held = most_held.max(picker.held_count);
            started.push(job);
        }
        assert_eq!(started, names);
        assert!(most_held <= MOST_HELD_BACK, "held {most_held}");
    }

    proptest::proptest! {
        /// Whatever the hosts and their free slots, every feed starts exactly once, each host's
        /// feeds in their order, and no more slots are taken than were free.
        #[test]
        fn every_feed_starts_once_in_its_hosts_order(
            hosts in proptest::collection::vec(0u8..5, 0..80),
            slots in proptest::collection::vec(0usize..4, 5),
        ) {
            let jobs: Vec<String> =
                hosts.iter().enumerate().map(|(i, h)| format!("{h}/{i:03}")).collect();
            let refs: Vec<&str> = jobs.iter().map(String::as_str).collect();
            let mut free: HashMap<String, usize> =
                slots.iter().enumerate().map(|(h, n)| (h.to_string(), *n)).collect();
            let started = start_all(&refs, &mut free);
            let mut names: Vec<String> = started.iter().map(|(j, _)| j.clone()).collect();
            for (h, free_slots) in slots.iter().enumerate() {
                let of_host = |v: &[String]| -> Vec<String> {
                    v.iter().filter(|j| j.starts_with(&format!("{h}/"))).cloned().collect()
                };
                proptest::prop_assert_eq!(of_host(&names), of_host(&jobs));
                let taken = started
                    .iter()
                    .filter(|(j, slot)| *slot && j.starts_with(&format!("{h}/")))
                    .count();
                proptest::prop_assert!(taken <= *free_slots);
            }
            names.sort();
            let mut all = jobs.clone();
            all.sort();
            proptest::prop_assert_eq!(names, all);
        }
    }
}
