//! Building the benchmark programs for riscv64 (static, run by QEMU and polyvm)
//! and for the host (the native baseline), with a cache.
//!
//! A build lands in `<cache>/<name>-<key>.<target>`, where the key hashes the
//! source, every shared header, the compiler's name, flags and `--version` text
//! and [`BUILD_VERSION`]; an unchanged program is never recompiled, and a changed
//! one never reuses a stale binary. The default cache is `bench-programs/` in the
//! Cargo target directory the running executable was built in.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::programs::{programs_dir, source_path, Program};
use crate::{Error, Result};

/// Bump to invalidate every cached build (a change in how we build).
pub const BUILD_VERSION: u32 = 1;

/// Which machine a build is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Riscv64,
    Native,
}

impl Target {
    /// File-name suffix of builds for this target.
    pub fn suffix(self) -> &'static str {
        match self {
            Target::Riscv64 => "riscv64",
            Target::Native => "native",
        }
    }
}

/// A C compiler for one target.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub target: Target,
    pub cc: String,
    pub flags: Vec<String>,
    /// The compiler's `--version` output, part of the cache key.
    pub version: String,
}

fn flags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Toolchain {
    /// The riscv64 cross compiler: `$RISCV64_CC`, else `riscv64-linux-gnu-gcc`.
    /// Static, so that QEMU and polyvm need no guest library root.
    pub fn riscv64() -> Result<Toolchain> {
        let cc = std::env::var("RISCV64_CC").unwrap_or_else(|_| "riscv64-linux-gnu-gcc".into());
        Toolchain::probe(Target::Riscv64, cc, flags(&["-O2", "-static"]))
    }

    /// The host compiler: `$CC`, else `gcc`.
    pub fn native() -> Result<Toolchain> {
        let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".into());
        Toolchain::probe(Target::Native, cc, flags(&["-O2"]))
    }

    fn probe(target: Target, cc: String, flags: Vec<String>) -> Result<Toolchain> {
        let out = Command::new(&cc)
            .arg("--version")
            .output()
            .map_err(|e| Error::MissingTool {
                tool: cc.clone(),
                why: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(Error::MissingTool {
                tool: cc,
                why: format!("`--version` failed with {}", out.status),
            });
        }
        Ok(Toolchain {
            target,
            cc,
            flags,
            version: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }

    /// First line of the compiler's version text, for reports.
    pub fn version_line(&self) -> &str {
        self.version.lines().next().unwrap_or("").trim()
    }

    /// The cache key of a build of `source` with `headers` (name, text).
    pub fn cache_key(&self, source: &[u8], headers: &[(String, Vec<u8>)]) -> u64 {
        let mut h = Fnv64::new();
        h.field(&BUILD_VERSION.to_le_bytes());
        h.field(self.target.suffix().as_bytes());
        h.field(self.cc.as_bytes());
        for f in &self.flags {
            h.field(f.as_bytes());
        }
        h.field(self.version.as_bytes());
        h.field(source);
        for (name, text) in headers {
            h.field(name.as_bytes());
            h.field(text);
        }
        h.finish()
    }

    /// Builds `program` into `cache` unless an identical build is there, and
    /// returns the executable's path.
    pub fn build(&self, program: &Program, cache: &Path) -> Result<PathBuf> {
        let src_path = source_path(program);
        let source = std::fs::read(&src_path)
            .map_err(|e| Error::io(format!("reading {}", src_path.display()), e))?;
        let headers = read_headers(&programs_dir())?;
        let key = self.cache_key(&source, &headers);
        let out = cache.join(format!(
            "{}-{key:016x}.{}",
            program.name,
            self.target.suffix()
        ));
        if out.is_file() {
            return Ok(out);
        }
        std::fs::create_dir_all(cache)
            .map_err(|e| Error::io(format!("creating {}", cache.display()), e))?;
        // Compile to a private name and rename, so that an interrupted build
        // or a concurrent one never leaves a half-written file under the key.
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        let result = Command::new(&self.cc)
            .args(&self.flags)
            .args(["-Wall", "-Wextra", "-o"])
            .arg(&tmp)
            .arg(&src_path)
            .output()
            .map_err(|e| Error::MissingTool {
                tool: self.cc.clone(),
                why: e.to_string(),
            })?;
        if !result.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::Compile {
                program: src_path.display().to_string(),
                cc: self.cc.clone(),
                stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
            });
        }
        std::fs::rename(&tmp, &out).map_err(|e| {
            Error::io(
                format!("renaming {} to {}", tmp.display(), out.display()),
                e,
            )
        })?;
        Ok(out)
    }
}

/// Every `*.h` in `dir`, sorted by name: any program may include any of them.
fn read_headers(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut headers = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".h") {
            let text = std::fs::read(entry.path())
                .map_err(|e| Error::io(format!("reading {}", entry.path().display()), e))?;
            headers.push((name, text));
        }
    }
    headers.sort();
    Ok(headers)
}

/// The Cargo target directory the running executable was built in: the parent
/// of the `release` or `debug` directory above it (benches run from
/// `<target>/release/deps/`). Falls back to `$CARGO_TARGET_DIR`, then to the
/// workspace's `target/`.
pub fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let name = dir.file_name().and_then(|n| n.to_str());
            if matches!(name, Some("release" | "debug")) {
                if let Some(parent) = dir.parent() {
                    return parent.to_path_buf();
                }
            }
        }
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// Where builds are cached by default.
pub fn default_cache_dir() -> PathBuf {
    target_dir().join("bench-programs")
}

/// 64-bit FNV-1a over length-prefixed fields (the prefix keeps ("ab", "c") and
/// ("a", "bc") apart). Stable across Rust versions, unlike `DefaultHasher`.
struct Fnv64(u64);

impl Fnv64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Fnv64 {
        Fnv64(Fnv64::OFFSET)
    }

    fn bytes(&mut self, data: &[u8]) {
        for &b in data {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Fnv64::PRIME);
        }
    }

    fn field(&mut self, data: &[u8]) {
        self.bytes(&(data.len() as u64).to_le_bytes());
        self.bytes(data);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        // From the FNV reference test suite: "" -> offset basis, "a", "foobar".
        let hash = |s: &[u8]| {
            let mut h = Fnv64::new();
            h.bytes(s);
            h.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    fn tc(flags: &[&str], version: &str) -> Toolchain {
        Toolchain {
            target: Target::Riscv64,
            cc: "cc".into(),
            flags: super::flags(flags),
            version: version.into(),
        }
    }

    #[test]
    fn the_cache_key_covers_source_headers_flags_and_version() {
        let h = |t: &str| vec![("bench.h".to_string(), t.as_bytes().to_vec())];
        let base = tc(&["-O2"], "gcc 12").cache_key(b"int main;", &h("x"));
        assert_eq!(
            base,
            tc(&["-O2"], "gcc 12").cache_key(b"int main;", &h("x"))
        );
        assert_ne!(
            base,
            tc(&["-O2"], "gcc 12").cache_key(b"int main; ", &h("x"))
        );
        assert_ne!(
            base,
            tc(&["-O2"], "gcc 12").cache_key(b"int main;", &h("y"))
        );
        assert_ne!(
            base,
            tc(&["-O3"], "gcc 12").cache_key(b"int main;", &h("x"))
        );
        assert_ne!(
            base,
            tc(&["-O2"], "gcc 13").cache_key(b"int main;", &h("x"))
        );
        let mut native = tc(&["-O2"], "gcc 12");
        native.target = Target::Native;
        assert_ne!(base, native.cache_key(b"int main;", &h("x")));
        // Field boundaries count: flags "-O" "2" differ from "-O2".
        assert_ne!(
            base,
            tc(&["-O", "2"], "gcc 12").cache_key(b"int main;", &h("x"))
        );
    }

    #[test]
    fn a_missing_compiler_names_install_deps() {
        let err = Toolchain::probe(Target::Riscv64, "/nonexistent/cc".into(), vec![]).unwrap_err();
        assert!(
            err.to_string().contains("testsuite/install-deps.sh"),
            "{err}"
        );
    }
}
