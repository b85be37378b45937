//! A small bounded cache of decompressed pages, shared by reader threads.

use std::sync::{Arc, Mutex};

/// Default number of cached pages.
pub const DEFAULT_CACHE_PAGES: usize = 64;

struct Slot {
    key: u64,
    data: Arc<[u8]>,
    last_use: u64,
}

/// Least-recently-used cache of `capacity` pages keyed by a `u64` (the PFN, plus a file index for
/// split dumps). Linear scan: with 64 entries that is cheaper than hashing.
pub struct PageCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    slots: Vec<Slot>,
    tick: u64,
    hits: u64,
    misses: u64,
}

impl PageCache {
    pub fn new(capacity: usize) -> PageCache {
        PageCache {
            capacity,
            inner: Mutex::new(Inner {
                slots: Vec::with_capacity(capacity),
                tick: 0,
                hits: 0,
                misses: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the cache consistent: recover it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: u64) -> Option<Arc<[u8]>> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        let found = g.slots.iter_mut().find(|s| s.key == key).map(|s| {
            s.last_use = tick;
            s.data.clone()
        });
        if found.is_some() {
            g.hits += 1;
        } else {
            g.misses += 1;
        }
        found
    }

    pub fn insert(&self, key: u64, data: Arc<[u8]>) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if let Some(s) = g.slots.iter_mut().find(|s| s.key == key) {
            s.data = data;
            s.last_use = tick;
            return;
        }
        let slot = Slot {
            key,
            data,
            last_use: tick,
        };
        if g.slots.len() < self.capacity {
            g.slots.push(slot);
        } else if let Some(victim) = g.slots.iter_mut().min_by_key(|s| s.last_use) {
            *victim = slot;
        }
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        let g = self.lock();
        (g.hits, g.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_lru() {
        let c = PageCache::new(2);
        c.insert(1, Arc::from(vec![1u8]));
        c.insert(2, Arc::from(vec![2u8]));
        assert!(c.get(1).is_some());
        c.insert(3, Arc::from(vec![3u8]));
        assert!(c.get(2).is_none());
        assert_eq!(&*c.get(1).unwrap(), &[1]);
        assert_eq!(&*c.get(3).unwrap(), &[3]);
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PageCache>();
    }
}
