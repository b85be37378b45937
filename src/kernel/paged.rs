//! Reading kernel memory in order, a page at a time (the printk ring's arrays, kallsyms).
//!
//! Tables are walked in order, so one cached page per table turns thousands of small reads
//! into one translation and one physical read per page. A page that cannot be read is cached
//! as its error, so a filtered-out page costs one failed read, not one per record.

use crate::addr::Va;
use crate::kernel::{KernelMem, ObjError};

const PAGE: u64 = 4096;

pub struct PagedReader<'a, 'm> {
    mem: &'a KernelMem<'m>,
    what: &'static str,
    /// The page in `page`, once one was loaded.
    page_va: Option<u64>,
    page: Result<Vec<u8>, ObjError>,
    spare: Vec<u8>,
}

impl<'a, 'm> PagedReader<'a, 'm> {
    pub fn new(mem: &'a KernelMem<'m>, what: &'static str) -> Self {
        PagedReader {
            mem,
            what,
            page_va: None,
            page: Ok(Vec::new()),
            spare: Vec::new(),
        }
    }

    fn load(&mut self, page_va: u64) -> Result<&[u8], &ObjError> {
        if self.page_va != Some(page_va) {
            let mut buf = match std::mem::replace(&mut self.page, Ok(Vec::new())) {
                Ok(b) => b,
                Err(_) => std::mem::take(&mut self.spare),
            };
            buf.resize(PAGE as usize, 0);
            self.page = match self.mem.read(Va(page_va), &mut buf, self.what) {
                Ok(()) => Ok(buf),
                Err(e) => {
                    self.spare = buf;
                    Err(e)
                }
            };
            self.page_va = Some(page_va);
        }
        match &self.page {
            Ok(p) => Ok(p),
            Err(e) => Err(e),
        }
    }

    /// Fill `out` from `va`, which may cross pages.
    pub fn read(&mut self, va: Va, out: &mut [u8]) -> Result<(), ObjError> {
        let mut done = 0usize;
        while done < out.len() {
            let cur = va.0.wrapping_add(done as u64);
            let page_va = cur & !(PAGE - 1);
            let off = (cur - page_va) as usize;
            let n = (PAGE as usize - off).min(out.len() - done);
            let p = self.load(page_va).map_err(Clone::clone)?;
            out[done..done + n].copy_from_slice(&p[off..off + n]);
            done += n;
        }
        Ok(())
    }

    /// Whether the page holding `va` cannot be read.
    pub fn page_failed(&mut self, va: Va) -> bool {
        self.load(va.0 & !(PAGE - 1)).is_err()
    }

    pub fn u64_at(&mut self, va: Va) -> Result<u64, ObjError> {
        let mut b = [0u8; 8];
        self.read(va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}
