//! Output: formats analysis data. Never reads memory.

pub mod dmesg;
pub mod info;
pub mod kernel_text;
pub mod page;
pub mod table;
pub mod time;
pub mod triage;
pub mod vtop;

use crate::analysis::Report;

/// The `--json` document (schema: docs/report.schema.json).
pub fn json(r: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
