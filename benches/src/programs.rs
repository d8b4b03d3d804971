//! The benchmark programs under `benches/programs/` and the group each belongs
//! to. The groups are reported separately because they stress different parts
//! of an emulator: straight-line integer code and loads/stores (the quality of
//! the generated code) versus indirect branches (the dispatcher, jump cache and
//! return handling, where QEMU loses most against native).

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// What a program mostly stresses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Integer arithmetic, loops, loads and stores.
    Integer,
    /// Indirect jumps and calls, and returns.
    Indirect,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Integer => "integer",
            Group::Indirect => "indirect",
        }
    }
}

/// One benchmark program: `programs/<name>.c`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub name: &'static str,
    pub group: Group,
    /// One line on what it measures.
    pub about: &'static str,
}

/// Every program, in report order.
pub const PROGRAMS: &[Program] = &[
    Program {
        name: "array_ops",
        group: Group::Integer,
        about: "sum, prefix sum, transform and min/max over 64 Ki words",
    },
    Program {
        name: "crc32",
        group: Group::Integer,
        about: "table-driven CRC-32 over 64 KiB",
    },
    Program {
        name: "sieve",
        group: Group::Integer,
        about: "sieve of Eratosthenes below 10^6",
    },
    Program {
        name: "qsort_structs",
        group: Group::Integer,
        about: "libc qsort of 20000 records with a comparison callback",
    },
    Program {
        name: "strhash",
        group: Group::Integer,
        about: "FNV-1a 32/64 and djb2 over 8192 strings, hash-table counting",
    },
    Program {
        name: "bytecode_switch",
        group: Group::Indirect,
        about: "stack-bytecode interpreter, switch dispatch",
    },
    Program {
        name: "bytecode_goto",
        group: Group::Indirect,
        about: "stack-bytecode interpreter, computed-goto dispatch",
    },
    Program {
        name: "virtual_calls",
        group: Group::Indirect,
        about: "calls through tables of function pointers, 6 implementations",
    },
    Program {
        name: "big_switch",
        group: Group::Indirect,
        about: "dense 48-case switch on random command bytes",
    },
    Program {
        name: "recursion",
        group: Group::Indirect,
        about: "naive fib(30) and Ackermann(3, n): calls and returns",
    },
];

/// `benches/programs/`, where the sources are (fixed at build time: the tool
/// runs from the workspace it was built in).
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The source file of `p`.
pub fn source_path(p: &Program) -> PathBuf {
    programs_dir().join(format!("{}.c", p.name))
}

/// The programs whose name contains one of the comma-separated `filter`
/// words (all of them without a filter). A word that matches nothing is an
/// error, so a typo does not silently run an empty benchmark.
pub fn select(filter: Option<&str>) -> Result<Vec<Program>> {
    let Some(filter) = filter else {
        return Ok(PROGRAMS.to_vec());
    };
    let words: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    for w in &words {
        if !PROGRAMS
            .iter()
            .any(|p| p.name.contains(w) || p.group.name() == *w)
        {
            let known: Vec<&str> = PROGRAMS.iter().map(|p| p.name).collect();
            return Err(Error::NoSuchProgram(w.to_string(), known.join(", ")));
        }
    }
    Ok(PROGRAMS
        .iter()
        .filter(|p| {
            words
                .iter()
                .any(|w| p.name.contains(w) || p.group.name() == *w)
        })
        .copied()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_directory_agree() {
        let mut on_disk: Vec<String> = std::fs::read_dir(programs_dir())
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".c").map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = PROGRAMS.iter().map(|p| p.name.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn filters_select_by_name_part_or_group() {
        let names = |f| -> Vec<&str> { select(f).unwrap().iter().map(|p| p.name).collect() };
        assert_eq!(
            names(Some("bytecode")),
            ["bytecode_switch", "bytecode_goto"]
        );
        assert_eq!(names(Some("crc32,sieve")), ["crc32", "sieve"]);
        assert_eq!(names(Some("integer")).len(), 5);
        assert_eq!(names(None).len(), PROGRAMS.len());
        assert!(matches!(
            select(Some("nope")),
            Err(Error::NoSuchProgram(..))
        ));
    }
}
