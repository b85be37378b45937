//! A `modtrack_state` (tracker/LAYOUT.md version 1) built from LAYOUT.md's tables with its own
//! literal offsets, not the decoder's constants. Used by tests/modtrack_decode.rs and
//! tests/synth_kernel.rs (included by `#[path]`).
#![allow(dead_code)]

pub const SIZE: usize = 33712;
pub const NIL: u32 = 0xffff_ffff;

pub struct State {
    pub b: Vec<u8>,
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl State {
    pub fn put32(&mut self, at: usize, v: u32) {
        self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put64(&mut self, at: usize, v: u64) {
        self.b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    pub fn get32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap())
    }
    pub fn put_str(&mut self, at: usize, s: &str) {
        self.b[at..at + s.len()].copy_from_slice(s.as_bytes());
    }

    /// LAYOUT.md version 1, empty lists, every flag of a 6.1 build (no DECOMPRESS_PROBE,
    /// DUP_EMULATED rather than DUP_PROBE).
    pub fn new() -> State {
        let mut s = State { b: vec![0; SIZE] };
        s.put_str(0, "MODTRACK");
        for (at, v) in [
            (8, 1),
            (12, 2992),
            (16, 33712),
            (20, 48),
            (24, 48),
            (28, 304),
        ] {
            s.put32(at, v);
        }
        s.put64(32, 10); // seq, even
        s.put32(40, 0x6af); // READY UNLOAD_TP LIVE_NOTIFIER LOAD_PROBES DUP_EMULATED KREAD_PROBES DIE PANIC
        s.put32(44, (6 << 16) | (1 << 8) | 192);
        s.put_str(48, "6.1.0-56-cloud-amd64");
        s.put32(112, 19);
        s.put32(116, 0x7b403);
        s.put_str(120, "PFSRMBUDAWCIOELKXTNJ");
        // unloaded @256 and dupfail @280: head, nr_used, cap, entry_size, dropped
        for (at, cap) in [(256, 256), (280, 128)] {
            s.put32(at, NIL);
            s.put32(at + 8, cap);
            s.put32(at + 12, 80);
        }
        // The field table of LAYOUT.md section 3: (name, scope, type, offset, size).
        let mut fields: Vec<(&str, u16, u16, u32, u32)> = vec![
            ("magic", 0, 6, 0, 8),
            ("layout_version", 0, 1, 8, 4),
            ("header_size", 0, 1, 12, 4),
            ("state_size", 0, 1, 16, 4),
            ("field_size", 0, 1, 20, 4),
            ("nr_fields", 0, 1, 24, 4),
            ("fields_offset", 0, 1, 28, 4),
            ("seq", 0, 2, 32, 8),
            ("flags", 0, 1, 40, 4),
            ("linux_version_code", 0, 1, 44, 4),
            ("release", 0, 3, 48, 64),
            ("nr_taint_flags", 0, 1, 112, 4),
            ("taint_module_mask", 0, 1, 116, 4),
            ("taint_letters", 0, 6, 120, 32),
        ];
        let counters = [
            "modcount",
            "failed_kreads",
            "failed_decompress",
            "failed_becoming",
            "failed_load_modules",
            "total_mod_size",
            "total_text_size",
            "invalid_kread_bytes",
            "invalid_decompress_bytes",
            "invalid_becoming_bytes",
            "invalid_mod_bytes",
            "untracked_loads",
            "probe_missed",
        ];
        for (i, c) in counters.iter().enumerate() {
            fields.push((c, 0, 2, 152 + 8 * i as u32, 8));
        }
        for (list, at) in [("unloaded", 256u32), ("dupfail", 280)] {
            fields.push((
                if list == "unloaded" {
                    "unloaded.head"
                } else {
                    "dupfail.head"
                },
                0,
                4,
                at,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.nr_used"
                } else {
                    "dupfail.nr_used"
                },
                0,
                1,
                at + 4,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.cap"
                } else {
                    "dupfail.cap"
                },
                0,
                1,
                at + 8,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.entry_size"
                } else {
                    "dupfail.entry_size"
                },
                0,
                1,
                at + 12,
                4,
            ));
            fields.push((
                if list == "unloaded" {
                    "unloaded.dropped"
                } else {
                    "dupfail.dropped"
                },
                0,
                2,
                at + 16,
                8,
            ));
        }
        fields.extend([
            ("fields", 0, 7, 304, 2688),
            ("unloaded_pool", 0, 5, 2992, 20480),
            ("dupfail_pool", 0, 5, 23472, 10240),
            ("name", 1, 3, 0, 56),
            ("taints", 1, 2, 56, 8),
            ("count", 1, 2, 64, 8),
            ("next", 1, 4, 72, 4),
            ("name", 2, 3, 0, 56),
            ("count", 2, 2, 56, 8),
            ("reasons", 2, 2, 64, 8),
            ("next", 2, 4, 72, 4),
        ]);
        assert_eq!(fields.len(), 48);
        s.set_fields(&fields);
        s
    }

    pub fn set_fields(&mut self, fields: &[(&str, u16, u16, u32, u32)]) {
        self.b[304..304 + 56 * 48].fill(0);
        for (i, &(name, scope, ty, off, size)) in fields.iter().enumerate() {
            let at = 304 + 48 * i;
            self.put_str(at, name);
            self.b[at + 32..at + 34].copy_from_slice(&scope.to_le_bytes());
            self.b[at + 34..at + 36].copy_from_slice(&ty.to_le_bytes());
            self.put32(at + 36, off);
            self.put32(at + 40, size);
        }
        self.put32(24, fields.len() as u32);
    }

    pub fn field_index(&self, scope: u16, name: &str) -> usize {
        (0..self.get32(24) as usize)
            .find(|&i| {
                let at = 304 + 48 * i;
                let n = &self.b[at..at + 32];
                let end = n.iter().position(|&c| c == 0).unwrap();
                &n[..end] == name.as_bytes()
                    && u16::from_le_bytes([self.b[at + 32], self.b[at + 33]]) == scope
            })
            .unwrap()
    }

    /// As modtrack's writer: new entry at nr_used, linked at the head.
    pub fn push(&mut self, list: usize, pool: usize, name: &str, a: u64, b: u64) -> usize {
        let idx = self.get32(list + 4) as usize;
        let e = pool + idx * 80;
        self.put_str(e, name);
        self.put64(e + 56, a);
        self.put64(e + 64, b);
        let head = self.get32(list);
        self.put32(e + 72, head);
        self.put32(list, idx as u32);
        self.put32(list + 4, idx as u32 + 1);
        e
    }
    pub fn unloaded(&mut self, name: &str, taints: u64, count: u64) -> usize {
        self.push(256, 2992, name, taints, count)
    }
    pub fn dupfail(&mut self, name: &str, count: u64, reasons: u64) -> usize {
        self.push(280, 23472, name, count, reasons)
    }
}
