//! Byte-placing helpers: a growable buffer written at explicit offsets.

/// Bytes written by explicit offset; the buffer grows with zeros as needed.
#[derive(Default)]
pub struct Buf(pub Vec<u8>);

impl Buf {
    pub fn at(&mut self, off: usize, bytes: &[u8]) {
        if self.0.len() < off + bytes.len() {
            self.0.resize(off + bytes.len(), 0);
        }
        self.0[off..off + bytes.len()].copy_from_slice(bytes);
    }
    pub fn u16(&mut self, off: usize, v: u16) {
        self.at(off, &v.to_le_bytes())
    }
    pub fn u32(&mut self, off: usize, v: u32) {
        self.at(off, &v.to_le_bytes())
    }
    pub fn u64(&mut self, off: usize, v: u64) {
        self.at(off, &v.to_le_bytes())
    }
    pub fn pad_to(&mut self, len: usize) {
        if self.0.len() < len {
            self.0.resize(len, 0);
        }
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// ELF notes, 4-byte aligned: namesz, descsz, type, name+NUL, desc.
pub fn note(name: &str, n_type: u32, desc: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
    v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    v.extend_from_slice(&n_type.to_le_bytes());
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v.extend_from_slice(desc);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

/// The notes blob a dump carries: `n` NT_PRSTATUS notes (336-byte x86_64 prstatus), then VMCOREINFO.
pub fn notes_blob(prstatus: usize, vmcoreinfo: Option<&str>) -> Vec<u8> {
    let mut v = Vec::new();
    for cpu in 0..prstatus {
        let mut desc = vec![0u8; 336];
        desc[32..36].copy_from_slice(&(cpu as u32 + 1).to_le_bytes()); // pr_pid
        v.extend(note("CORE", 1, &desc));
    }
    if let Some(vi) = vmcoreinfo {
        v.extend(note("VMCOREINFO", 0, vi.as_bytes()));
    }
    v
}

/// Set bits `[a, b)` (bit n = bit n%8 of byte n/8) in `chunk`, whose first bit is `base`.
pub fn set_bits(chunk: &mut [u8], base: u64, a: u64, b: u64) {
    let lo = a.max(base);
    let hi = b.min(base + chunk.len() as u64 * 8);
    let mut i = lo;
    while i < hi {
        let rel = i - base;
        if rel.is_multiple_of(8) && hi - i >= 8 {
            let nbytes = ((hi - i) / 8) as usize;
            let s = (rel / 8) as usize;
            chunk[s..s + nbytes].fill(0xff);
            i += nbytes as u64 * 8;
        } else {
            chunk[(rel / 8) as usize] |= 1 << (rel % 8);
            i += 1;
        }
    }
}
