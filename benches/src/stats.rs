//! Reading `polyvm user --stats` from a run's standard error.
//!
//! polyvm prints a block that starts with a `polyvm stats (` line, one
//! `label  value` line per figure, after everything the guest wrote. Lines we
//! do not know are skipped and figures we do not find stay `None`, so a new
//! figure in polyvm's output does not break the comparison.

/// The figures of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolyvmStats {
    pub insns_executed: Option<u64>,
    pub blocks_translated: Option<u64>,
    pub insns_translated: Option<u64>,
    pub translate_ms: Option<f64>,
    /// As polyvm printed it (rounded to whole ns).
    pub translate_ns_per_insn: Option<f64>,
    pub exec_ms: Option<f64>,
    pub mips: Option<f64>,
}

impl PolyvmStats {
    /// Translation time per translated guest instruction, in ns: from the
    /// unrounded totals when both are there.
    pub fn ns_per_translated_insn(&self) -> Option<f64> {
        match (self.translate_ms, self.insns_translated) {
            (Some(ms), Some(n)) if n > 0 => Some(ms * 1e6 / n as f64),
            _ => self.translate_ns_per_insn,
        }
    }

    /// Share of polyvm's run time spent translating, 0..1.
    pub fn translate_share(&self) -> Option<f64> {
        let (t, e) = (self.translate_ms?, self.exec_ms?);
        (t + e > 0.0).then(|| t / (t + e))
    }
}

/// The first number in `s` (digits, optionally with one decimal point).
fn first_number(s: &str) -> Option<f64> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let rest = &s[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('.').parse().ok()
}

/// The number just before `unit` in `s` (`"(672 guest instructions"` →
/// 672 for `" guest instructions"`).
fn number_before(s: &str, unit: &str) -> Option<f64> {
    let at = s.find(unit)?;
    let head = s[..at].trim_end();
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    head[start..].parse().ok()
}

/// Parses the statistics block (the text from its `polyvm stats` line on).
pub fn parse(block: &str) -> PolyvmStats {
    let mut s = PolyvmStats::default();
    for line in block.lines() {
        let line = line.trim();
        let after = |label: &str| line.strip_prefix(label);
        if let Some(v) = after("guest instructions executed") {
            s.insns_executed = first_number(v).map(|n| n as u64);
        } else if let Some(v) = after("blocks translated") {
            s.blocks_translated = first_number(v).map(|n| n as u64);
            s.insns_translated = number_before(v, " guest instructions").map(|n| n as u64);
        } else if let Some(v) = after("time translating") {
            s.translate_ms = number_before(v, " ms");
            s.translate_ns_per_insn = number_before(v, " ns per guest instruction");
        } else if let Some(v) = after("time executing") {
            s.exec_ms = number_before(v, " ms");
        } else if let Some(v) = after("guest MIPS") {
            s.mips = first_number(v);
        }
    }
    s
}

/// Splits a polyvm run's standard error into what the guest wrote and the
/// parsed statistics block (absent if polyvm printed none).
pub fn split_stderr(stderr: &str) -> (String, Option<PolyvmStats>) {
    let mut at = None;
    let mut offset = 0;
    for line in stderr.split_inclusive('\n') {
        if line.starts_with("polyvm stats (") {
            at = Some(offset);
        }
        offset += line.len();
    }
    match at {
        Some(i) => (stderr[..i].to_string(), Some(parse(&stderr[i..]))),
        None => (stderr.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Verbatim `polyvm user --stats` output of the demo guest on the interp
    // backend (the figures below are read off this text).
    const SAMPLE: &str = "\
polyvm stats (tcg, backend interp):
  guest instructions executed  670807096
  dispatcher block lookups     113364356
  blocks translated            96 (672 guest instructions, 0 flushes)
  time translating             1.979 ms (2945 ns per guest instruction)
  time executing               2296.911 ms
  guest MIPS                   291.8
";

    #[test]
    fn every_figure_is_read() {
        let s = parse(SAMPLE);
        assert_eq!(s.insns_executed, Some(670_807_096));
        assert_eq!(s.blocks_translated, Some(96));
        assert_eq!(s.insns_translated, Some(672));
        assert_eq!(s.translate_ms, Some(1.979));
        assert_eq!(s.translate_ns_per_insn, Some(2945.0));
        assert_eq!(s.exec_ms, Some(2296.911));
        assert_eq!(s.mips, Some(291.8));
        // 1.979 ms / 672 = 2944.9 ns.
        let ns = s.ns_per_translated_insn().unwrap();
        assert!((ns - 2944.94).abs() < 0.01, "{ns}");
        // 1.979 / (1.979 + 2296.911) = 0.000861.
        let share = s.translate_share().unwrap();
        assert!((share - 0.000_861).abs() < 1e-6, "{share}");
    }

    #[test]
    fn the_guest_stderr_is_kept_apart() {
        let text = format!("guest says hi\nand more\n{SAMPLE}");
        let (guest, stats) = split_stderr(&text);
        assert_eq!(guest, "guest says hi\nand more\n");
        assert_eq!(stats.unwrap().insns_translated, Some(672));
        let (guest, stats) = split_stderr("no stats here\n");
        assert_eq!(guest, "no stats here\n");
        assert!(stats.is_none());
    }

    #[test]
    fn unknown_or_missing_lines_leave_figures_empty() {
        let s = parse("polyvm stats (tcg):\n  something new   12\n  guest MIPS   5\n");
        assert_eq!(s.mips, Some(5.0));
        assert_eq!(s.insns_executed, None);
        assert_eq!(s.ns_per_translated_insn(), None);
    }
}
