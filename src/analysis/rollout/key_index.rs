//! A hash index from 64-bit keys (already hashes) to dense ids, built for one pass over
//! millions of rows: open addressing with linear probing in one array of 16-byte slots,
//! and the slots of a batch of keys prefetched before they are probed, so the cache misses
//! of a batch overlap instead of following one another.

/// Hints the processor to load the cache line at `p` (no effect off x86-64).
#[inline]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint and never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// No key in this slot.
const EMPTY: u64 = u64::MAX;

/// Keys → dense ids in first-seen order.
pub struct KeyIndex {
    /// (key, id, last row seen with the key).
    slots: Vec<(u64, u32, u32)>,
    mask: usize,
    len: u32,
    shift: u32,
}

impl KeyIndex {
    /// An index for about `expected` keys; `shift` drops low key bits that are not random
    /// (they are the group code, or constant within a half).
    pub fn with_capacity(expected: usize, shift: u32) -> Self {
        let cap = (expected.max(16) * 2).next_power_of_two();
        Self {
            slots: vec![(EMPTY, 0, 0); cap],
            mask: cap - 1,
            len: 0,
            shift,
        }
    }

    #[inline]
    fn slot_of(&self, key: u64) -> usize {
        // the key's high bits are a hash; mix in the low ones too (the group code)
        ((key >> self.shift) ^ (key & 0xFF).wrapping_mul(0x9E37_79B9_7F4A_7C15)) as usize
            & self.mask
    }

    /// Hints the processor to load the slot of `key`.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        prefetch(self.slots.as_ptr().wrapping_add(self.slot_of(key)));
    }

    /// The id of `key`, inserting it with the next id when new; `(id, inserted)`. `row`
    /// becomes the key's last row (kept in the slot's spare bytes, so it costs no miss).
    /// `key` must not be `u64::MAX`.
    #[inline]
    pub fn get_or_insert(&mut self, key: u64, row: u32) -> (u32, bool) {
        if (self.len as usize + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut i = self.slot_of(key);
        loop {
            let (k, id, _) = self.slots[i];
            if k == key {
                self.slots[i].2 = row;
                return (id, false);
            }
            if k == EMPTY {
                let id = self.len;
                self.slots[i] = (key, id, row);
                self.len += 1;
                return (id, true);
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let cap = old.len() * 2;
        self.slots = vec![(EMPTY, 0, 0); cap];
        self.mask = cap - 1;
        for s in old.into_iter().filter(|s| s.0 != EMPTY) {
            let mut i = self.slot_of(s.0);
            while self.slots[i].0 != EMPTY {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = s;
        }
    }

    /// The last row given with each key, by id.
    pub fn last_rows(&self) -> Vec<u32> {
        let mut out = vec![0u32; self.len as usize];
        for &(k, id, row) in &self.slots {
            if k != EMPTY {
                out[id as usize] = row;
            }
        }
        out
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::KeyIndex;

    #[test]
    fn ids_are_dense_in_first_seen_order_and_survive_growth() {
        let mut idx = KeyIndex::with_capacity(4, 8);
        let keys: Vec<u64> = (0..10_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !0xFF | (i % 3))
            .collect();
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(idx.get_or_insert(*k, n as u32), (n as u32, true));
        }
        for (n, k) in keys.iter().enumerate() {
            idx.prefetch(*k);
            assert_eq!(idx.get_or_insert(*k, 7 + n as u32), (n as u32, false));
        }
        assert_eq!(idx.len(), keys.len());
        let last = idx.last_rows();
        assert!(last.iter().enumerate().all(|(n, r)| *r == 7 + n as u32));
    }
}
