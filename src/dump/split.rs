//! Split dumps (`makedumpfile --split`): several kdump files, each holding the pages of
//! `[start_pfn_64, end_pfn_64)`, with the full bitmaps in every file.

use super::any_source::AnySource;
use super::error::DumpError;
use super::kdump::{KdumpFile, PageBytes, PageFault};
use super::PageState;
use crate::memory::FaultKind;

pub struct SplitDump {
    /// Sorted by `pfn_lo`, non-overlapping.
    pub(crate) parts: Vec<KdumpFile<AnySource>>,
    pub(crate) warnings: Vec<String>,
}

impl SplitDump {
    pub fn new(mut parts: Vec<KdumpFile<AnySource>>) -> Result<SplitDump, DumpError> {
        use super::source::ByteSource;
        let err = |msg: String| DumpError::Split { msg, source: None };
        if parts.is_empty() {
            return Err(err("no files given".into()));
        }
        for p in &parts {
            if !p.split {
                return Err(err(format!(
                    "{} is not part of a split dump (its sub-header split flag is 0); open it on its own",
                    p.source().name()
                )));
            }
        }
        let (bs, mapnr) = (parts[0].block_size, parts[0].max_mapnr);
        for p in &parts[1..] {
            if p.block_size != bs || p.max_mapnr != mapnr {
                return Err(err(format!(
                    "{} (block size {}, max_mapnr {:#x}) does not belong with {} (block size {bs}, max_mapnr {mapnr:#x}): pass the files of one `makedumpfile --split` run",
                    p.source().name(),
                    p.block_size,
                    p.max_mapnr,
                    parts[0].source().name()
                )));
            }
        }
        parts.sort_by_key(|p| p.pfn_lo);
        let mut warnings = Vec::new();
        let mut expect = 0u64;
        for w in parts.windows(2) {
            if w[0].pfn_hi > w[1].pfn_lo {
                return Err(err(format!(
                    "{} (PFNs {:#x}..{:#x}) overlaps {} (PFNs {:#x}..{:#x}): were files from two different runs mixed?",
                    w[0].source().name(),
                    w[0].pfn_lo,
                    w[0].pfn_hi,
                    w[1].source().name(),
                    w[1].pfn_lo,
                    w[1].pfn_hi
                )));
            }
        }
        for p in &parts {
            if p.pfn_lo > expect {
                warnings.push(format!(
                    "no file holds PFNs {expect:#x}..{:#x}: is a part of the split dump missing?",
                    p.pfn_lo
                ));
            }
            expect = p.pfn_hi;
        }
        if expect < mapnr {
            warnings.push(format!("no file holds PFNs {expect:#x}..{mapnr:#x}: is the last part of the split dump missing?"));
        }
        Ok(SplitDump { parts, warnings })
    }

    pub fn block_size(&self) -> u64 {
        self.parts[0].block_size
    }

    pub fn page(&self, pfn: u64) -> Result<PageBytes<'_>, PageFault> {
        let i = self.parts.partition_point(|p| p.pfn_lo <= pfn);
        if i > 0 && pfn < self.parts[i - 1].pfn_hi {
            return self.parts[i - 1].page(pfn);
        }
        // Not in any part: use the (full) RAM bitmap of the first file to tell excluded from absent.
        match self.parts[0].state(pfn) {
            Ok(Some(PageState::Excluded)) => Err((FaultKind::Excluded, None)),
            _ => Err((FaultKind::NotInDump, None)),
        }
    }
}
