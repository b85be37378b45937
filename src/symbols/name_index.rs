//! A name → items index for tables of a few hundred thousand names read from a dump (the
//! kernel's kallsyms, its BTF types and enumerators), built in one pass without a string
//! allocation per name: the index holds item numbers, and the caller says how to compare an
//! item's name (it lives compressed in kallsyms, or in BTF's string section).
//!
//! Items are numbered in the order they are pushed. The index is one sorted array of
//! (hash, item) pairs: building it is sequential writes and one sort (no random probes into a
//! hash table, which cost more than the decoding on a 150,000-symbol kallsyms), and the items
//! of one name come out in push order, so the first definition is found first.

pub struct NameIndex {
    /// `hash << 32 | item`, sorted once [`NameIndex::finish`] ran.
    keys: Vec<u64>,
    count: u32,
}

/// The hash of a name: multiply-rotate over 8-byte words, folded to 32 bits. The names come
/// from the dump, so they may collide on purpose, but a collision only costs a comparison.
pub fn name_hash(name: &[u8]) -> u32 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = name.len() as u64;
    let mut words = name.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ w).wrapping_mul(K).rotate_left(26);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(last))
            .wrapping_mul(K)
            .rotate_left(26);
    }
    (h.wrapping_mul(K) >> 32) as u32
}

impl NameIndex {
    /// An index for about `n` items (only a capacity hint).
    pub fn with_capacity(n: usize) -> NameIndex {
        NameIndex {
            keys: Vec::with_capacity(n),
            count: 0,
        }
    }

    /// Number of items pushed (named or not).
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Add the next item, named by hash `h` (of [`name_hash`]).
    pub fn push(&mut self, h: u32) {
        self.keys.push(u64::from(h) << 32 | u64::from(self.count));
        self.count += 1;
    }

    /// Add the next item without a name (it keeps the numbering, it is never found).
    pub fn push_unnamed(&mut self) {
        self.count += 1;
    }

    /// Done building: sort by hash, keeping push order within a hash (a stable LSD radix sort
    /// over the hash's four bytes; the items were pushed in order).
    pub fn finish(&mut self) {
        let mut spare = vec![0u64; self.keys.len()];
        for byte in 4..8 {
            let shift = byte * 8;
            let mut count = [0usize; 257];
            for &k in &self.keys {
                count[((k >> shift) & 0xff) as usize + 1] += 1;
            }
            if count[1..].contains(&self.keys.len()) {
                continue; // every key has this byte alike
            }
            for i in 1..257 {
                count[i] += count[i - 1];
            }
            for &k in &self.keys {
                let d = ((k >> shift) & 0xff) as usize;
                spare[count[d]] = k;
                count[d] += 1;
            }
            std::mem::swap(&mut self.keys, &mut spare);
        }
        debug_assert!(self.keys.is_sorted());
    }

    /// Every item named `name`, in push order: the items whose name hashes alike and for
    /// which `same(item)` holds (it compares the item's name with `name`).
    pub fn find<'a>(
        &'a self,
        name: &[u8],
        same: impl Fn(u32) -> bool + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        let h = u64::from(name_hash(name));
        let start = self.keys.partition_point(|&k| k >> 32 < h);
        self.keys[start..]
            .iter()
            .take_while(move |&&k| k >> 32 == h)
            .map(|&k| k as u32)
            .filter(move |&i| same(i))
    }

    /// The first item named `name`.
    pub fn first(&self, name: &[u8], same: impl Fn(u32) -> bool) -> Option<u32> {
        self.find(name, same).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_come_in_order_and_collisions_are_told_apart() {
        let names: &[&[u8]] = &[b"a", b"bb", b"a", b"", b"a", b"cccccccccccccccccc"];
        let mut ix = NameIndex::with_capacity(2);
        for n in names {
            ix.push(name_hash(n));
        }
        ix.push_unnamed();
        ix.finish();
        let find = |n: &'static [u8]| -> Vec<u32> {
            ix.find(n, move |j| names.get(j as usize) == Some(&n))
                .collect()
        };
        assert_eq!(find(b"a"), vec![0, 2, 4]);
        assert_eq!(find(b"bb"), vec![1]);
        assert_eq!(find(b""), vec![3]);
        assert_eq!(find(b"cccccccccccccccccc"), vec![5]);
        assert_eq!(find(b"d"), Vec::<u32>::new());
        assert_eq!(ix.len(), 7);
        assert_eq!(
            ix.first(b"a", |j| names.get(j as usize) == Some(&&b"a"[..])),
            Some(0)
        );
        // Every name colliding (one hash for all): the comparison tells them apart.
        let mut ix = NameIndex::with_capacity(0);
        for _ in names {
            ix.keys.push(7 << 32 | u64::from(ix.count));
            ix.count += 1;
        }
        ix.finish();
        let all: Vec<u32> = ix.keys.iter().map(|&k| k as u32).collect();
        assert_eq!(all, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_length() {
        assert_ne!(name_hash(b"abcdefgh"), name_hash(b"abcdefgi"));
        assert_ne!(name_hash(b"abcdefghX"), name_hash(b"abcdefghY"));
        assert_ne!(name_hash(b"a"), name_hash(b"a\0"));
    }
}
