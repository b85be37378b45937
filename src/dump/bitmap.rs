//! kdump bitmaps read in place from the byte source, and a lazily built rank (prefix-sum) index so
//! that a PFN's page-descriptor number costs one table lookup plus at most 512 bytes of popcount.

use super::source::{ByteSource, OutOfRange};
use std::sync::RwLock;

/// Bits per rank block: one `u64` of prefix count per 4096 bitmap bits (512 bytes), i.e. the index
/// is 1/64 of the bitmap's size.
pub const RANK_BLOCK_BITS: u64 = 4096;
const RANK_BLOCK_BYTES: usize = (RANK_BLOCK_BITS / 8) as usize;

/// A bitmap of `nbits` bits at byte offset `off` of a source. Bit `n` is bit `n % 8` of byte `n / 8`.
#[derive(Clone, Copy, Debug)]
pub struct Bitmap {
    pub off: u64,
    pub nbits: u64,
}

impl Bitmap {
    pub fn get<S: ByteSource + ?Sized>(&self, src: &S, bit: u64) -> Result<bool, OutOfRange> {
        if bit >= self.nbits {
            return Ok(false);
        }
        let mut b = [0u8; 1];
        src.read_at(self.off + bit / 8, &mut b)?;
        Ok(b[0] & (1 << (bit % 8)) != 0)
    }

    /// Bytes `[byte_off, byte_off + out.len())` of the bitmap; bytes past its end read as zero and
    /// bits past `nbits` are cleared.
    pub fn read_bytes<S: ByteSource + ?Sized>(
        &self,
        src: &S,
        byte_off: u64,
        out: &mut [u8],
    ) -> Result<(), OutOfRange> {
        let total = self.nbits.div_ceil(8);
        out.fill(0);
        if byte_off >= total {
            return Ok(());
        }
        let n = ((total - byte_off) as usize).min(out.len());
        src.read_at(self.off + byte_off, &mut out[..n])?;
        // Clear bits at or past nbits in the last byte.
        let last_bit = (byte_off + n as u64) * 8;
        if last_bit > self.nbits && n > 0 {
            let keep = 8 - (last_bit - self.nbits) as u32;
            out[n - 1] &= ((1u16 << keep) - 1) as u8;
        }
        Ok(())
    }

    /// Number of set bits in `[from, to)`, reading at most what is needed.
    pub fn count_range<S: ByteSource + ?Sized>(
        &self,
        src: &S,
        from: u64,
        to: u64,
    ) -> Result<u64, OutOfRange> {
        let to = to.min(self.nbits);
        if from >= to {
            return Ok(0);
        }
        let mut buf = [0u8; RANK_BLOCK_BYTES];
        let mut count = 0u64;
        let mut byte = from / 8;
        let end_byte = to.div_ceil(8);
        while byte < end_byte {
            let n = ((end_byte - byte) as usize).min(buf.len());
            self.read_bytes(src, byte, &mut buf[..n])?;
            for (i, &b) in buf[..n].iter().enumerate() {
                let bit0 = (byte + i as u64) * 8;
                let mut m = b;
                if bit0 < from {
                    m &= 0xffu8 << (from - bit0);
                }
                if bit0 + 8 > to {
                    m &= ((1u16 << (to - bit0)) - 1) as u8;
                }
                count += m.count_ones() as u64;
            }
            byte += n as u64;
        }
        Ok(count)
    }
}

/// Prefix sums over a bitmap, built block by block on demand: a lookup near the start of a huge,
/// sparse bitmap never reads the rest of it, and opening costs nothing.
pub struct RankIndex {
    bitmap: Bitmap,
    /// `prefix[k]` = set bits in `[0, k * RANK_BLOCK_BITS)`. Always at least `[0]`.
    prefix: RwLock<Vec<u64>>,
}

impl RankIndex {
    pub fn new(bitmap: Bitmap) -> RankIndex {
        RankIndex {
            bitmap,
            prefix: RwLock::new(vec![0]),
        }
    }

    pub fn bitmap(&self) -> &Bitmap {
        &self.bitmap
    }

    /// Set bits in `[0, bit)`.
    pub fn rank<S: ByteSource + ?Sized>(&self, src: &S, bit: u64) -> Result<u64, OutOfRange> {
        let bit = bit.min(self.bitmap.nbits);
        let block = bit / RANK_BLOCK_BITS;
        let base = self.block_prefix(src, block)?;
        let within = self.bitmap.count_range(src, block * RANK_BLOCK_BITS, bit)?;
        Ok(base + within)
    }

    fn block_prefix<S: ByteSource + ?Sized>(&self, src: &S, block: u64) -> Result<u64, OutOfRange> {
        {
            let p = self.prefix.read().unwrap_or_else(|e| e.into_inner());
            if let Some(&v) = p.get(block as usize) {
                return Ok(v);
            }
        }
        let mut p = self.prefix.write().unwrap_or_else(|e| e.into_inner());
        let mut buf = [0u8; RANK_BLOCK_BYTES];
        while (p.len() as u64) <= block {
            let k = p.len() as u64 - 1;
            self.bitmap
                .read_bytes(src, k * RANK_BLOCK_BYTES as u64, &mut buf)?;
            let ones: u64 = buf
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])).count_ones() as u64)
                .sum();
            let last = *p.last().unwrap_or(&0);
            p.push(last + ones);
        }
        Ok(p[block as usize])
    }

    /// Memory used by the index so far, in bytes.
    pub fn index_bytes(&self) -> usize {
        self.prefix.read().map(|p| p.capacity() * 8).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::source::MemSource;

    #[test]
    fn rank_matches_naive() {
        let mut bytes = vec![0u8; 3000];
        let mut x = 12345u64;
        for b in bytes.iter_mut() {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = if (x >> 40).is_multiple_of(3) {
                (x >> 20) as u8
            } else {
                0
            };
        }
        let src = MemSource::from_vec("b", bytes.clone());
        let nbits = 3000 * 8 - 3;
        let bm = Bitmap { off: 0, nbits };
        let r = RankIndex::new(bm);
        let naive = |n: u64| {
            (0..n)
                .filter(|&i| bytes[(i / 8) as usize] & (1 << (i % 8)) != 0)
                .count() as u64
        };
        for bit in [
            0,
            1,
            7,
            8,
            9,
            4095,
            4096,
            4097,
            8191,
            12000,
            20000,
            nbits - 1,
            nbits,
            nbits + 100,
        ] {
            assert_eq!(
                r.rank(&src, bit).unwrap(),
                naive(bit.min(nbits)),
                "bit {bit}"
            );
        }
        assert_eq!(
            bm.count_range(&src, 5, 9000).unwrap(),
            naive(9000) - naive(5)
        );
    }
}
