//! The translation-block cache.
//!
//! ```text
//!  pc ──► jump cache (direct-mapped, per vCPU) ──miss──► hash map pc → TbId ──miss──► translate
//! ```
//!
//! Blocks live in an arena (`Vec`) and are named by index, so a chained
//! exit is a plain `u32` in the predecessor. A flush drops everything at
//! once (links included), which is how `fence.i`, a full cache and
//! invalidated code pages are handled in user mode for now.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Index of a block in the cache's arena.
pub type TbId = u32;
/// "No block": an unlinked exit or an empty jump-cache entry.
pub const NO_TB: TbId = u32::MAX;

const JC_BITS: u32 = 12;
const JC_SIZE: usize = 1 << JC_BITS;

/// One translated block.
pub struct Tb<C> {
    pub pc: u64,
    pub guest_size: u64,
    pub insns: u32,
    pub code: C,
    /// Successor for each `goto_tb` exit, once known.
    pub links: [TbId; 2],
}

/// A multiplicative hasher for guest pcs: std's SipHash is needlessly slow
/// for integer keys we produce ourselves.
#[derive(Default)]
pub struct PcHasher(u64);

impl Hasher for PcHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub struct TbCache<C> {
    tbs: Vec<Tb<C>>,
    /// Guest pages (pc >> 12) holding code of some block: an unmap or
    /// re-protection elsewhere need not look at the blocks at all.
    code_pages: std::collections::HashSet<u64, BuildHasherDefault<PcHasher>>,
    map: HashMap<u64, TbId, BuildHasherDefault<PcHasher>>,
    jump_cache: Box<[(u64, TbId)]>,
}

impl<C> Default for TbCache<C> {
    fn default() -> Self {
        TbCache {
            tbs: Vec::new(),
            code_pages: Default::default(),
            map: HashMap::default(),
            jump_cache: vec![(u64::MAX, NO_TB); JC_SIZE].into_boxed_slice(),
        }
    }
}

#[inline(always)]
fn jc_index(pc: u64) -> usize {
    // Instructions are at least 2-byte aligned on every guest we target.
    ((pc >> 1) ^ (pc >> (JC_BITS + 1))) as usize & (JC_SIZE - 1)
}

impl<C> TbCache<C> {
    /// The block starting at `pc`, if translated.
    #[inline]
    pub fn lookup(&mut self, pc: u64) -> Option<TbId> {
        let slot = jc_index(pc);
        let (jpc, id) = self.jump_cache[slot];
        if jpc == pc {
            return Some(id);
        }
        let id = *self.map.get(&pc)?;
        self.jump_cache[slot] = (pc, id);
        Some(id)
    }

    pub fn insert(&mut self, tb: Tb<C>) -> TbId {
        let id = self.tbs.len() as TbId;
        let pc = tb.pc;
        let last = pc.saturating_add(tb.guest_size.max(1) - 1);
        for page in pc >> 12..=last >> 12 {
            self.code_pages.insert(page);
        }
        self.tbs.push(tb);
        self.map.insert(pc, id);
        self.jump_cache[jc_index(pc)] = (pc, id);
        id
    }

    #[inline(always)]
    pub fn get(&self, id: TbId) -> &Tb<C> {
        &self.tbs[id as usize]
    }

    #[inline(always)]
    pub fn link(&mut self, from: TbId, exit: u8, to: TbId) {
        if let Some(l) = self.tbs[from as usize].links.get_mut(exit as usize) {
            *l = to;
        }
    }

    pub fn len(&self) -> usize {
        self.tbs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tbs.is_empty()
    }

    /// Drops every block and link.
    pub fn flush(&mut self) {
        self.tbs.clear();
        self.code_pages.clear();
        self.map.clear();
        self.jump_cache.fill((u64::MAX, NO_TB));
    }

    /// True if any block's guest code overlaps `[start, end)` (at page
    /// granularity: code pages are what the cache tracks).
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        if end <= start {
            return false;
        }
        let (first, last) = (start >> 12, (end - 1) >> 12);
        if last - first < self.code_pages.len() as u64 {
            (first..=last).any(|p| self.code_pages.contains(&p))
        } else {
            self.code_pages.iter().any(|p| (first..=last).contains(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb(pc: u64) -> Tb<()> {
        Tb {
            pc,
            guest_size: 4,
            insns: 1,
            code: (),
            links: [NO_TB; 2],
        }
    }

    #[test]
    fn lookup_finds_inserted_blocks_even_when_jump_cache_collides() {
        let mut c = TbCache::default();
        let a = c.insert(tb(0x1000));
        // Same jump-cache slot as 0x1000 (differs only above the index bits).
        let colliding = 0x1000 + ((JC_SIZE as u64) << 1) * (1 << (JC_BITS + 1));
        let b = c.insert(tb(colliding));
        assert_eq!(c.lookup(0x1000), Some(a));
        assert_eq!(c.lookup(colliding), Some(b));
        assert_eq!(c.lookup(0x1000), Some(a));
        assert_eq!(c.lookup(0x2000), None);
    }

    #[test]
    fn flush_forgets_everything() {
        let mut c = TbCache::default();
        let a = c.insert(tb(0x1000));
        c.link(a, 0, a);
        assert_eq!(c.get(a).links[0], a);
        assert!(c.overlaps(0x1002, 0x1003));
        assert!(c.overlaps(0x0, 0x1_0000_0000));
        assert!(!c.overlaps(0x2000, 0x3000));
        assert!(!c.overlaps(0x0, 0x1000));
        c.flush();
        assert!(c.is_empty());
        assert_eq!(c.lookup(0x1000), None);
    }
}
