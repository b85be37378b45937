//! Per-page decompression for kdump-compressed dumps. Output must be exactly one block.

use super::format::*;

/// Which codec a page descriptor's flags select.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Raw,
    Zlib,
    Lzo,
    Snappy,
    Zstd,
}

impl Codec {
    /// The codec named by descriptor flags, or why not.
    pub fn from_flags(flags: u32) -> Result<Codec, &'static str> {
        match flags & DUMP_DH_COMPRESSED_MASK {
            0 => Ok(Codec::Raw),
            DUMP_DH_COMPRESSED_ZLIB => Ok(Codec::Zlib),
            DUMP_DH_COMPRESSED_LZO => Ok(Codec::Lzo),
            DUMP_DH_COMPRESSED_SNAPPY => Ok(Codec::Snappy),
            DUMP_DH_COMPRESSED_ZSTD => Ok(Codec::Zstd),
            _ => Err("page descriptor names more than one compression"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Raw => "none",
            Codec::Zlib => "zlib",
            Codec::Lzo => "lzo",
            Codec::Snappy => "snappy",
            Codec::Zstd => "zstd",
        }
    }

    /// Bit used in [`super::kdump::KdumpFile`]'s "seen" mask.
    pub fn bit(self) -> u32 {
        match self {
            Codec::Raw => 1 << 16,
            Codec::Zlib => DUMP_DH_COMPRESSED_ZLIB,
            Codec::Lzo => DUMP_DH_COMPRESSED_LZO,
            Codec::Snappy => DUMP_DH_COMPRESSED_SNAPPY,
            Codec::Zstd => DUMP_DH_COMPRESSED_ZSTD,
        }
    }
}

thread_local! {
    static ZLIB: std::cell::RefCell<Option<flate2::Decompress>> = const { std::cell::RefCell::new(None) };
}

/// Decompress `src` into `dst`, which is exactly one block. Anything but exactly `dst.len()` output
/// bytes is an error (the message becomes a `FaultKind::Corrupt`).
pub fn decompress(codec: Codec, src: &[u8], dst: &mut [u8]) -> Result<(), &'static str> {
    match codec {
        Codec::Raw => {
            if src.len() != dst.len() {
                return Err("uncompressed page size is not the block size");
            }
            dst.copy_from_slice(src);
            Ok(())
        }
        Codec::Zlib => ZLIB.with(|cell| {
            // One inflate state per thread, reset per page: a new one costs a 40 KB allocation
            // and zeroing, more than inflating a typical page.
            let mut slot = cell.borrow_mut();
            let d = slot.get_or_insert_with(|| flate2::Decompress::new(true));
            d.reset(true);
            match d.decompress(src, dst, flate2::FlushDecompress::Finish) {
                Ok(flate2::Status::StreamEnd) if d.total_out() == dst.len() as u64 => Ok(()),
                Ok(flate2::Status::StreamEnd) => {
                    Err("zlib page decompressed to less than the block size")
                }
                Ok(_) => Err("zlib page does not decompress to exactly the block size"),
                Err(_) => Err("zlib decompression failed"),
            }
        }),
        Codec::Lzo => match lzokay::decompress::decompress(src, dst) {
            Ok(n) if n == dst.len() => Ok(()),
            Ok(_) => Err("lzo page decompressed to less than the block size"),
            Err(lzokay::Error::OutputOverrun) => {
                Err("lzo page decompresses to more than the block size")
            }
            Err(_) => Err("lzo decompression failed"),
        },
        Codec::Snappy => {
            match snap::raw::decompress_len(src) {
                Ok(n) if n == dst.len() => {}
                Ok(_) => return Err("snappy page length is not the block size"),
                Err(_) => return Err("snappy decompression failed"),
            }
            match snap::raw::Decoder::new().decompress(src, dst) {
                Ok(n) if n == dst.len() => Ok(()),
                Ok(_) => Err("snappy page decompressed to less than the block size"),
                Err(_) => Err("snappy decompression failed"),
            }
        }
        Codec::Zstd => {
            // Refuse frames that declare another size before allocating anything.
            if let Ok(Some(n)) = zstd::zstd_safe::get_frame_content_size(src) {
                if n != dst.len() as u64 {
                    return Err("zstd page content size is not the block size");
                }
            }
            match zstd::bulk::decompress_to_buffer(src, dst) {
                Ok(n) if n == dst.len() => Ok(()),
                Ok(_) => Err("zstd page decompressed to less than the block size"),
                Err(_) => Err("zstd decompression failed (or output larger than the block size)"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn page() -> Vec<u8> {
        (0..4096u32).map(|i| (i / 7) as u8).collect()
    }

    #[test]
    fn all_codecs_roundtrip_and_reject_wrong_size() {
        let p = page();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&p).unwrap();
        let zlib = z.finish().unwrap();
        let lzo = lzokay::compress::compress(&p).unwrap();
        let snappy = snap::raw::Encoder::new().compress_vec(&p).unwrap();
        let zstd = zstd::bulk::compress(&p, 3).unwrap();
        for (c, data) in [
            (Codec::Zlib, &zlib),
            (Codec::Lzo, &lzo),
            (Codec::Snappy, &snappy),
            (Codec::Zstd, &zstd),
        ] {
            let mut out = vec![0u8; 4096];
            decompress(c, data, &mut out).unwrap();
            assert_eq!(out, p, "{c:?}");
            let mut small = vec![0u8; 2048];
            assert!(
                decompress(c, data, &mut small).is_err(),
                "{c:?} into smaller"
            );
            let mut big = vec![0u8; 8192];
            assert!(decompress(c, data, &mut big).is_err(), "{c:?} into bigger");
            let mut out = vec![0u8; 4096];
            assert!(
                decompress(c, &data[..data.len() / 2], &mut out).is_err(),
                "{c:?} cut"
            );
        }
    }

    #[test]
    fn zlib_state_is_reset_between_pages() {
        // The inflate state is reused per thread: a failed or different page before must not
        // change the next result.
        let p = page();
        let q: Vec<u8> = p.iter().map(|b| b ^ 0x5a).collect();
        let zlib = |d: &[u8]| {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(d).unwrap();
            z.finish().unwrap()
        };
        let (zp, zq) = (zlib(&p), zlib(&q));
        let mut out = vec![0u8; 4096];
        assert!(decompress(Codec::Zlib, &zp[..zp.len() / 3], &mut out).is_err());
        decompress(Codec::Zlib, &zq, &mut out).unwrap();
        assert_eq!(out, q);
        let mut small = vec![0u8; 100];
        assert!(decompress(Codec::Zlib, &zp, &mut small).is_err());
        decompress(Codec::Zlib, &zp, &mut out).unwrap();
        assert_eq!(out, p);
    }
}
