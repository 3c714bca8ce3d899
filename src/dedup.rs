//! The ids a harvest has delivered, for exact de-duplication in about one
//! byte of memory a model past the first 32,768 (eight bytes each on disk).
//!
//! On a listing sorted by a key that changes while it is paged (downloads,
//! trending score), a model can come round again many pages later, so every
//! id delivered must be remembered. Ids are kept as 64-bit hashes:
//!
//! * the latest ones in a small hash set;
//! * merged from there into a sorted vector, probed where a uniform hash
//!   predicts its place;
//! * and, past [`IdSet::SPILL_AT`] of those, merged into a sorted run in an
//!   unnamed temporary file. Memory then holds only a Bloom filter of the run
//!   (one byte a model) and the first hash of each block of it, and a lookup
//!   reads one 1 KiB block, only when the filter cannot rule the id out
//!   (2.3% of new ids in the filter's test).
//!
//! A harvest of fewer than 32,768 models never touches the disk. When no temporary
//! file can be made, everything stays in memory, as in a small harvest.

use std::collections::HashSet;
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Exact set of 64-bit id hashes; see the module docs.
#[derive(Debug)]
pub(crate) struct IdSet {
    recent: HashSet<u64, BuildHasherDefault<Prehashed>>,
    sorted: Vec<u64>,
    run: Option<Run>,
    recent_max: usize,
    spill_at: usize,
    /// No temporary file could be made or written: `sorted` keeps growing
    /// instead.
    in_memory: bool,
    /// Makes the file of a spill (a test makes it fail).
    spill_file: fn() -> io::Result<File>,
}

/// The sorted hashes written to disk, with what memory keeps of them.
#[derive(Debug)]
struct Run {
    file: File,
    len: usize,
    /// The first hash of each block of [`BLOCK`] hashes.
    fences: Vec<u64>,
    bloom: Bloom,
}

/// Hashes per block of the run: a lookup reads one block (1 KiB).
const BLOCK: usize = 128;

impl Default for IdSet {
    fn default() -> Self {
        IdSet::with_limits(IdSet::RECENT_MAX, IdSet::SPILL_AT)
    }
}

impl IdSet {
    /// Hashes kept in the hash set before they are merged into the sorted vector.
    const RECENT_MAX: usize = 8_192;
    /// Hashes kept in the sorted vector before they are merged into the run.
    const SPILL_AT: usize = 32_768;

    fn with_limits(recent_max: usize, spill_at: usize) -> Self {
        IdSet {
            recent: HashSet::default(),
            sorted: Vec::new(),
            run: None,
            recent_max,
            spill_at,
            in_memory: false,
            spill_file: tempfile::tempfile,
        }
    }

    /// Adds `h`; `false` when it was already there.
    ///
    /// # Errors
    /// Reading the temporary file failed.
    pub(crate) fn insert(&mut self, h: u64) -> io::Result<bool> {
        if self.recent.contains(&h) || self.sorted_contains(h) || self.run_contains(h)? {
            return Ok(false);
        }
        self.recent.insert(h);
        if self.recent.len() >= self.recent_max {
            self.merge();
            if self.sorted.len() >= self.spill_at && !self.in_memory {
                if let Err(e) = self.spill() {
                    // What was spilled before stays: `spill` replaces the
                    // run only once the new one is written whole.
                    tracing::debug!("keeping the rest of the id index in memory: {e}");
                    self.in_memory = true;
                }
            }
        }
        Ok(true)
    }

    /// Number of hashes in the set.
    pub(crate) fn len(&self) -> u64 {
        (self.recent.len() + self.sorted.len() + self.run.as_ref().map_or(0, |r| r.len)) as u64
    }

    /// Hashes are uniform over `u64`, so a value's place in the sorted
    /// vector is predictable: look there first, then widen the window until
    /// it brackets the value (a few probes in one small region instead of a
    /// binary search's cache misses across the whole vector).
    fn sorted_contains(&self, h: u64) -> bool {
        let v = &self.sorted;
        if v.is_empty() {
            return false;
        }
        #[allow(clippy::cast_possible_truncation, reason = "the product is below len")]
        let guess = ((u128::from(h) * v.len() as u128) >> 64) as usize;
        let mut width = 64;
        loop {
            let lo = guess.saturating_sub(width);
            let hi = (guess + width).min(v.len());
            let bracketed = (lo == 0 || v[lo] <= h) && (hi == v.len() || v[hi - 1] >= h);
            if bracketed {
                return v[lo..hi].binary_search(&h).is_ok();
            }
            width *= 4;
        }
    }

    fn run_contains(&self, h: u64) -> io::Result<bool> {
        let Some(run) = &self.run else {
            return Ok(false);
        };
        if !run.bloom.may_contain(h) {
            return Ok(false);
        }
        let block = match run.fences.partition_point(|&f| f <= h) {
            0 => return Ok(false),
            n => n - 1,
        };
        let start = block * BLOCK;
        let count = BLOCK.min(run.len - start);
        let mut buf = [0u8; BLOCK * 8];
        read_at(&run.file, &mut buf[..count * 8], (start * 8) as u64)?;
        let found = buf[..count * 8]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .any(|v| v == h);
        Ok(found)
    }

    /// Merges the recent hashes into the sorted vector, in place from the back.
    fn merge(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(fresh.len());
        self.sorted.resize(old + fresh.len(), 0);
        let (mut i, mut j, mut k) = (old, fresh.len(), self.sorted.len());
        while j > 0 {
            k -= 1;
            if i > 0 && self.sorted[i - 1] > fresh[j - 1] {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = fresh[j - 1];
                j -= 1;
            }
        }
    }

    /// Merges the sorted vector and the run (if any) into a new run, and
    /// rebuilds the filter and the fences for it as the hashes stream past.
    fn spill(&mut self) -> io::Result<()> {
        let total = self.sorted.len() + self.run.as_ref().map_or(0, |r| r.len);
        let mut out = BufWriter::with_capacity(64 * 1024, (self.spill_file)()?);
        // The old run is read through its own handle and kept until the new
        // one is complete: a disk that fills up half-way loses nothing.
        let old = match &self.run {
            Some(r) => Some((r.file.try_clone()?, r.len)),
            None => None,
        };
        // Its filter goes first, though: nothing is looked up during a
        // spill, and two filters of a large run at once (2 MiB each at
        // 2,000,000 models) were the peak memory of a whole-Hub harvest.
        // Should the spill fail, the filter is made again from the old run.
        if let Some(run) = &mut self.run {
            run.bloom = Bloom::new(0);
        }
        let written = self.write_run(&mut out, old, total);
        if written.is_err() {
            if let Some(run) = &mut self.run {
                run.bloom = Bloom::of_run(&run.file, run.len).unwrap_or_else(|_| Bloom::saturated(run.len));
            }
        }
        written
    }

    /// [`IdSet::spill`] once its files are open.
    fn write_run(
        &mut self,
        out: &mut BufWriter<File>,
        old: Option<(File, usize)>,
        total: usize,
    ) -> io::Result<()> {
        let mut bloom = Bloom::new(total);
        let mut fences = Vec::with_capacity(total.div_ceil(BLOCK));
        let mut written = 0usize;
        let mut put = |v: u64| -> io::Result<()> {
            if written.is_multiple_of(BLOCK) {
                fences.push(v);
            }
            bloom.insert(v);
            written += 1;
            out.write_all(&v.to_le_bytes())
        };
        let mut mine = self.sorted.iter().copied().peekable();
        if let Some((mut file, len)) = old {
            file.seek(SeekFrom::Start(0))?;
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            let mut word = [0u8; 8];
            for _ in 0..len {
                reader.read_exact(&mut word)?;
                let theirs = u64::from_le_bytes(word);
                while let Some(v) = mine.next_if(|&v| v < theirs) {
                    put(v)?;
                }
                put(theirs)?;
            }
        }
        for v in mine {
            put(v)?;
        }
        out.flush()?;
        let file = out.get_ref().try_clone()?;
        self.run = Some(Run {
            file,
            len: written,
            fences,
            bloom,
        });
        // The vector keeps its capacity: it fills up to the same size again.
        self.sorted.clear();
        Ok(())
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// A blocked Bloom filter over uniform 64-bit hashes: each key sets a few
/// bits in one 512-bit block (one cache line). 8 bits a key and 5 bits set,
/// about 2.3% false positives, up to [`Bloom::MAX_BYTES`]; past that the
/// filter stops growing, with fewer bits set a key (3 at 2,200,000 keys,
/// about 16% false positives, each costing one 1 KiB read of the run).
#[derive(Debug)]
struct Bloom {
    blocks: Vec<[u64; 8]>,
    probes: u32,
}

impl Bloom {
    const BITS_PER_KEY: usize = 8;
    /// The filter's most memory: 1 MiB, reached at 1,048,576 keys. A harvest
    /// of the whole Hub (over 2,000,000 models) waits on the Hub's quota,
    /// not on the CPU, and its peak memory was this filter's second MiB.
    const MAX_BYTES: usize = 1 << 20;

    fn new(keys: usize) -> Self {
        let blocks = (keys * Self::BITS_PER_KEY)
            .min(Self::MAX_BYTES * 8)
            .div_ceil(512)
            .max(1);
        // The best number of bits to set is ln 2 times the bits a key.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a small positive number"
        )]
        let probes = ((blocks * 512) as f64 / keys.max(1) as f64 * std::f64::consts::LN_2)
            .round()
            .clamp(2.0, 5.0) as u32;
        // Allocated at the filter's largest size, so that it is always a
        // mapping of its own (the allocator maps blocks of 1 MiB and up apart
        // from the heap, src/main.rs) and replacing it gives its pages back.
        // A smaller filter sat in the heap, and each spill's larger one left
        // the last one's space behind, resident. Zeroed memory from a fresh
        // mapping is only made resident where it is touched: the blocks in use.
        let mut all = vec![[0; 8]; Self::MAX_BYTES / 64];
        all.truncate(blocks);
        Bloom { blocks: all, probes }
    }

    /// The filter of the `len` hashes of a run's file.
    fn of_run(file: &File, len: usize) -> io::Result<Self> {
        let mut bloom = Bloom::new(len);
        let mut file = file.try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let mut word = [0u8; 8];
        for _ in 0..len {
            reader.read_exact(&mut word)?;
            bloom.insert(u64::from_le_bytes(word));
        }
        Ok(bloom)
    }

    /// A filter that rules nothing out: every lookup reads its block.
    fn saturated(keys: usize) -> Self {
        let mut bloom = Bloom::new(keys);
        bloom.blocks.fill([u64::MAX; 8]);
        bloom
    }

    /// The block from the high bits (multiply-shift), the bits from the low 45.
    fn probes(&self, h: u64) -> (usize, impl Iterator<Item = (usize, u64)>) {
        #[allow(clippy::cast_possible_truncation, reason = "the product is below len")]
        let block = ((u128::from(h) * self.blocks.len() as u128) >> 64) as usize;
        let bits = (0..self.probes).map(move |i| {
            let bit = (h >> (9 * i)) & 511;
            ((bit >> 6) as usize, 1u64 << (bit & 63))
        });
        (block, bits)
    }

    fn insert(&mut self, h: u64) {
        let (block, bits) = self.probes(h);
        let words = &mut self.blocks[block];
        for (w, mask) in bits {
            words[w] |= mask;
        }
    }

    fn may_contain(&self, h: u64) -> bool {
        let (block, mut bits) = self.probes(h);
        let words = &self.blocks[block];
        bits.all(|(w, mask)| words[w] & mask != 0)
    }
}

/// The set's keys are already uniform 64-bit hashes: used as they are.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; this fallback keeps the hasher total.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, DefaultHasher};

    use super::*;

    fn hash(i: u64) -> u64 {
        BuildHasherDefault::<DefaultHasher>::default().hash_one(i)
    }

    /// Every hash inserted once is new, every repeat is caught, across all
    /// three levels and several spills, in any order.
    fn check(mut set: IdSet, n: u64) -> IdSet {
        let mut rng = fastrand::Rng::with_seed(n);
        let mut reference = HashSet::new();
        for i in 0..n {
            // Mostly new ids, some repeats of any earlier one.
            let id = if i > 0 && rng.u8(..10) == 0 {
                rng.u64(..i)
            } else {
                i
            };
            let fresh = reference.insert(id);
            assert_eq!(set.insert(hash(id)).unwrap(), fresh, "id {id} at step {i}");
        }
        assert_eq!(set.len(), reference.len() as u64);
        for id in 0..n {
            assert_eq!(
                set.insert(hash(id)).unwrap(),
                !reference.contains(&id),
                "second pass, id {id}"
            );
        }
        set
    }

    #[test]
    fn a_spill_that_fails_keeps_what_was_spilled_before() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static SPILLS: AtomicUsize = AtomicUsize::new(0);
        // The first spill gets a file; the second gets one whose every
        // write fails with "no space left" (/dev/full), as when TMPDIR fills
        // up half-way through a spill.
        fn once() -> io::Result<File> {
            if SPILLS.fetch_add(1, Ordering::SeqCst) == 0 {
                tempfile::tempfile()
            } else {
                File::options().read(true).write(true).open("/dev/full")
            }
        }
        let mut set = IdSet::with_limits(64, 500);
        set.spill_file = once;
        let set = check(set, 5_000);
        assert!(SPILLS.load(Ordering::SeqCst) >= 2, "a second spill was tried");
        assert!(set.in_memory && set.run.is_some(), "the first run is kept");
    }

    #[test]
    fn small_sets_stay_in_memory() {
        let set = check(IdSet::default(), 30_000);
        assert!(set.run.is_none());
    }

    #[test]
    fn large_sets_spill_to_one_sorted_run_and_stay_exact() {
        let set = check(IdSet::with_limits(64, 500), 20_000);
        let run = set.run.as_ref().expect("spilled");
        assert!(run.len > 10_000, "{}", run.len);
        assert_eq!(run.fences.len(), run.len.div_ceil(BLOCK));
        // The run on disk is sorted, without repeats.
        let mut bytes = Vec::new();
        let mut file = &run.file;
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut bytes).unwrap();
        let run_hashes: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(run_hashes.len(), run.len);
        assert!(run_hashes.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_default_limits_spill_once_the_sorted_vector_is_full() {
        let mut set = IdSet::default();
        for i in 0..(IdSet::SPILL_AT + IdSet::RECENT_MAX) as u64 {
            assert!(set.insert(hash(i)).unwrap());
        }
        assert!(set.run.is_some());
        assert!(!set.insert(hash(7)).unwrap());
    }

    #[test]
    fn the_filter_rules_out_most_absent_hashes() {
        let mut bloom = Bloom::new(100_000);
        for i in 0..100_000 {
            bloom.insert(hash(i));
        }
        assert!((0..100_000).all(|i| bloom.may_contain(hash(i))));
        let false_positives = (100_000..200_000).filter(|&i| bloom.may_contain(hash(i))).count();
        assert!(false_positives < 5_000, "{false_positives} of 100000");
    }

    #[test]
    fn the_filter_of_a_whole_hub_stops_at_one_mib_and_still_rules_out_most() {
        let keys = 2_200_000;
        let mut bloom = Bloom::new(keys);
        assert_eq!(bloom.blocks.len() * 64, Bloom::MAX_BYTES);
        assert_eq!(bloom.probes, 3);
        for i in 0..keys as u64 {
            bloom.insert(hash(i));
        }
        assert!((0..keys as u64).step_by(7).all(|i| bloom.may_contain(hash(i))));
        let n = 200_000usize;
        let false_positives = (0..n as u64)
            .filter(|&i| bloom.may_contain(hash(u64::MAX - i)))
            .count();
        assert!(false_positives < n / 5, "{false_positives} of {n}");
        assert!(
            false_positives > n / 10,
            "{false_positives} of {n}: not the rate the docs give"
        );
        // Below the cap, as before: 8 bits a key, 5 set.
        assert_eq!(Bloom::new(100_000).probes, 5);
        // However small, a filter's allocation is its largest size: only so
        // is it mapped apart from the heap (see `Bloom::new`).
        assert_eq!(Bloom::new(100_000).blocks.capacity() * 64, Bloom::MAX_BYTES);
        assert_eq!(Bloom::new(1 << 20).blocks.len() * 64, Bloom::MAX_BYTES);
    }
}
