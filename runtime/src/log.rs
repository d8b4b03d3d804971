//! QEMU-style `-d` logging: what to log and where it goes.

use std::fmt;
use std::io::Write;

/// The `-d` items polyvm knows, with their help text.
pub const LOG_ITEMS: &[(&str, &str)] = &[
    (
        "in_asm",
        "show guest code of each translated block (disassembled)",
    ),
    (
        "op",
        "show the IR of each block as the frontend generated it",
    ),
    ("op_opt", "show the IR of each block after optimisation"),
    ("out_asm", "show the host code generated for each block"),
    (
        "exec",
        "show the guest pc of every block executed (disables chaining)",
    ),
    (
        "guest_errors",
        "log bad guest behaviour (illegal instructions, faults)",
    ),
    ("unimp", "log unimplemented functionality the guest used"),
];

/// Which `-d` items are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogMask {
    pub in_asm: bool,
    pub op: bool,
    pub op_opt: bool,
    pub out_asm: bool,
    pub exec: bool,
    pub guest_errors: bool,
    pub unimp: bool,
}

/// An unknown `-d` item.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown log item `{0}` (try `-d help`)")]
pub struct UnknownLogItem(pub String);

impl LogMask {
    /// Parses a comma-separated `-d` list such as `in_asm,op,exec`.
    pub fn parse(s: &str) -> Result<LogMask, UnknownLogItem> {
        let mut m = LogMask::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item {
                "in_asm" => m.in_asm = true,
                "op" => m.op = true,
                "op_opt" => m.op_opt = true,
                "out_asm" => m.out_asm = true,
                "exec" => m.exec = true,
                "guest_errors" => m.guest_errors = true,
                "unimp" => m.unimp = true,
                other => return Err(UnknownLogItem(other.to_string())),
            }
        }
        Ok(m)
    }

    /// Anything that needs work at translation time.
    pub fn any_translate(&self) -> bool {
        self.in_asm || self.op || self.op_opt || self.out_asm
    }
}

/// Where log lines go (stderr unless `-D FILE`).
pub struct Log {
    pub mask: LogMask,
    out: Box<dyn Write + Send>,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            mask: LogMask::default(),
            out: Box::new(std::io::stderr()),
        }
    }
}

impl Log {
    pub fn new(mask: LogMask, out: Box<dyn Write + Send>) -> Log {
        Log { mask, out }
    }

    /// Writes one formatted record; log write errors are ignored (logging
    /// must never change what the guest sees).
    pub fn write(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.out.write_fmt(args);
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_unknown_items() {
        let m = LogMask::parse("in_asm,exec").unwrap();
        assert!(m.in_asm && m.exec && !m.op);
        assert_eq!(
            LogMask::parse("in_asm,bogus"),
            Err(UnknownLogItem("bogus".into()))
        );
        assert_eq!(LogMask::parse(""), Ok(LogMask::default()));
    }
}
