//! Loading real riscv64 executables built by the cross compiler, checked
//! against `readelf`'s view of the same files; plus malformed inputs.
//! Tests that need the cross toolchain print why and pass when it is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use polyvm_ir::abi::{PAGE_EXEC, PAGE_READ, PAGE_WRITE};
use polyvm_runtime::guest_mem::{GuestMemory, PAGE_MAPPED};

use super::stack::*;
use super::*;

const GCC: &str = "riscv64-linux-gnu-gcc";
const READELF: &str = "riscv64-linux-gnu-readelf";
const SYSROOT: &str = "/usr/riscv64-linux-gnu";

const HELLO_C: &str = r#"
#include <stdio.h>
int counter = 42;
char big[100000];
int main(int argc, char **argv) {
    printf("%s %d\n", argv[0], counter + argc);
    return big[5];
}
"#;

/// No libc: a static-PIE needs glibc's rcrt1.o, which Debian's cross
/// libc does not ship.
const FREESTANDING_C: &str = r#"
static long sys3(long n, long a, long b, long c) {
    register long a0 asm("a0") = a;
    register long a1 asm("a1") = b;
    register long a2 asm("a2") = c;
    register long a7 asm("a7") = n;
    asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}
static const char msg[] = "pie\n";
static int counter = 5;
static char bss[5000];
void _start(void) {
    bss[0] = counter;
    sys3(64, 1, (long)msg, 4);
    sys3(93, bss[0], 0, 0);
    for (;;) {}
}
"#;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polyvm-load-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compiles `src` with the cross compiler, or None (with the reason
/// printed) if the toolchain is missing or cannot build it.
fn compile(tag: &str, src: &str, flags: &[&str]) -> Option<PathBuf> {
    let d = scratch(tag);
    let c = d.join("prog.c");
    std::fs::write(&c, src).unwrap();
    let out = d.join("prog");
    match Command::new(GCC)
        .args(flags)
        .arg(&c)
        .arg("-o")
        .arg(&out)
        .output()
    {
        Ok(o) if o.status.success() => Some(out),
        Ok(o) => {
            eprintln!(
                "skipping: {GCC} {flags:?} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("skipping: {GCC} not available ({e})");
            None
        }
    }
}

/// One PT_LOAD as readelf prints it.
#[derive(Debug)]
struct Seg {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: String,
    align: u64,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

fn readelf(args: &str, file: &Path) -> String {
    let o = Command::new(READELF)
        .arg(args)
        .arg(file)
        .output()
        .expect("readelf runs where gcc does");
    String::from_utf8(o.stdout).unwrap()
}

fn readelf_loads(file: &Path) -> Vec<Seg> {
    readelf("-lW", file)
        .lines()
        .filter(|l| l.trim_start().starts_with("LOAD"))
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            Seg {
                offset: hex(t[1]),
                vaddr: hex(t[2]),
                filesz: hex(t[4]),
                memsz: hex(t[5]),
                flags: t[6..t.len() - 1].join(""),
                align: hex(t[t.len() - 1]),
            }
        })
        .collect()
}

/// (entry, phoff, phnum) from `readelf -h`.
fn readelf_header(file: &Path) -> (u64, u64, u64) {
    let h = readelf("-hW", file);
    let field = |name: &str| {
        let l = h
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap();
        let v = l
            .split(':')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        if v.starts_with("0x") {
            hex(v)
        } else {
            v.parse().unwrap()
        }
    };
    (
        field("Entry point address"),
        field("Start of program headers"),
        field("Number of program headers"),
    )
}

/// Every segment's bytes, zeroed bss and page permissions, as readelf says.
fn check_segments(mem: &GuestMemory, file: &Path, bias: u64) {
    let bytes = std::fs::read(file).unwrap();
    let segs = readelf_loads(file);
    assert!(!segs.is_empty());
    for s in &segs {
        let at = s.vaddr + bias;
        let mut got = vec![0u8; s.filesz as usize];
        let f = mem.page_flags(at);
        assert!(f & PAGE_MAPPED != 0, "{s:?} not mapped");
        // Read through the host view (the permission may exclude reads).
        let host = mem
            .host_slice(at, s.filesz, 0)
            .unwrap_or_else(|| panic!("{s:?} not fully mapped"));
        got.copy_from_slice(host);
        assert_eq!(
            got,
            &bytes[s.offset as usize..(s.offset + s.filesz) as usize],
            "contents of {s:?}"
        );
        let bss = mem
            .host_slice(at + s.filesz, s.memsz - s.filesz, 0)
            .unwrap();
        assert!(bss.iter().all(|&b| b == 0), "bss of {s:?} is zero");
        // The rest of the last page is zero too, unless another segment
        // starts in it.
        let end = at + s.memsz;
        let page_end = (end + 4095) & !4095;
        if !segs
            .iter()
            .any(|o| o.vaddr + bias >= end && o.vaddr + bias < page_end)
        {
            let tail = mem.host_slice(end, page_end - end, 0).unwrap();
            assert!(tail.iter().all(|&b| b == 0), "page tail after {s:?}");
        }
        let want = (if s.flags.contains('R') { PAGE_READ } else { 0 })
            | (if s.flags.contains('W') { PAGE_WRITE } else { 0 })
            | (if s.flags.contains('E') { PAGE_EXEC } else { 0 });
        // Interior pages carry exactly the segment's permissions.
        let mid = ((at + 4095) & !4095).min(end - 1) & !4095;
        if mid + 4096 <= end && mid >= at {
            assert_eq!(mem.page_flags(mid), PAGE_MAPPED | want, "flags of {s:?}");
        } else {
            assert_eq!(mem.page_flags(at) & want, want, "flags of {s:?}");
        }
    }
}

fn auxv(l: &LoadedProgram, key: u64) -> Option<u64> {
    l.auxv.iter().find(|p| p.0 == key).map(|p| p.1)
}

fn word(mem: &GuestMemory, a: u64) -> u64 {
    let mut b = [0u8; 8];
    mem.read(a, &mut b).unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn static_executable_loads_at_its_link_address() {
    let Some(exe) = compile("static", HELLO_C, &["-static", "-O2"]) else {
        return;
    };
    let argv = ["prog", "arg1"];
    let envp = ["HOME=/nowhere", "LANG=C"];
    let (p, l) = load_program(&exe, &argv, &envp, None).unwrap();
    let mem = p.mem();
    let (entry, phoff, phnum) = readelf_header(&exe);
    assert_eq!(l.arch.name, "riscv64");
    assert_eq!(l.entry, entry);
    assert_eq!(l.program_entry, entry);
    assert_eq!(l.load_bias, 0);
    assert_eq!(l.interp_base, None);
    check_segments(mem, &exe, 0);
    // brk: page-aligned end of the highest segment.
    let segs = readelf_loads(&exe);
    let hi = segs.iter().map(|s| s.vaddr + s.memsz).max().unwrap();
    assert_eq!(l.brk, (hi + 4095) & !4095);
    assert_eq!(p.brk(), l.brk);
    // The auxiliary vector.
    assert_eq!(auxv(&l, AT_ENTRY), Some(entry));
    assert_eq!(auxv(&l, AT_PHNUM), Some(phnum));
    assert_eq!(auxv(&l, AT_PHENT), Some(56));
    assert_eq!(auxv(&l, AT_BASE), Some(0));
    assert_eq!(auxv(&l, AT_PAGESZ), Some(4096));
    // AT_PHDR points at a copy of the file's program headers.
    let phdr = auxv(&l, AT_PHDR).unwrap();
    let bytes = std::fs::read(&exe).unwrap();
    let table = &bytes[phoff as usize..(phoff + phnum * 56) as usize];
    assert_eq!(mem.host_slice(phdr, phnum * 56, PAGE_READ).unwrap(), table);
    // The stack: argc, argv, envp as given; sp aligned, inside the stack.
    assert_eq!(l.sp % 16, 0);
    assert!(l.sp > l.stack_bottom && l.sp < l.stack_top);
    assert_eq!(word(mem, l.sp), 2);
    assert_eq!(mem.read_cstr(word(mem, l.sp + 8), 64).unwrap(), b"prog");
    assert_eq!(mem.read_cstr(word(mem, l.sp + 16), 64).unwrap(), b"arg1");
    assert_eq!(word(mem, l.sp + 24), 0);
    assert_eq!(
        mem.read_cstr(word(mem, l.sp + 32), 64).unwrap(),
        b"HOME=/nowhere"
    );
    let execfn = auxv(&l, AT_EXECFN).unwrap();
    assert_eq!(
        mem.read_cstr(execfn, 4096).unwrap(),
        exe.as_os_str().as_encoded_bytes()
    );
    // /proc/self/exe is the file.
    assert_eq!(p.exe(), std::fs::canonicalize(&exe).unwrap());
    // The kernel-side layout: stack high, mmap area below it.
    assert!(l.stack_top <= mem.size() - 4096);
    assert!(mem.mmap_base() < l.stack_bottom);
    assert_eq!(probe(&exe).unwrap().name, "riscv64");
}

#[test]
fn static_pie_loads_at_a_bias() {
    let Some(exe) = compile(
        "spie",
        FREESTANDING_C,
        &[
            "-O2",
            "-nostdlib",
            "-ffreestanding",
            "-fPIE",
            "-static-pie",
            "-Wl,--no-dynamic-linker",
        ],
    ) else {
        return;
    };
    assert!(readelf("-hW", &exe).contains("DYN"), "built an ET_DYN");
    assert!(!readelf("-lW", &exe).contains("INTERP"));
    let (p, l) = load_program(&exe, &["spie"], &[] as &[&str], None).unwrap();
    let (entry, _, _) = readelf_header(&exe);
    assert_ne!(l.load_bias, 0);
    assert_eq!(l.load_bias % 4096, 0);
    assert_eq!(l.entry, entry + l.load_bias);
    assert_eq!(l.interp_base, None);
    assert_eq!(auxv(&l, AT_ENTRY), Some(l.entry));
    check_segments(p.mem(), &exe, l.load_bias);
    // Two thirds up the address space, as Linux's ELF_ET_DYN_BASE.
    let segs = readelf_loads(&exe);
    let align = segs.iter().map(|s| s.align).max().unwrap().max(4096);
    assert_eq!(l.load_bias, (p.mem().size() / 3 * 2) & !(align - 1));
    let hi = segs.iter().map(|s| s.vaddr + s.memsz).max().unwrap();
    assert_eq!(l.brk, (hi + l.load_bias + 4095) & !4095);
}

#[test]
fn dynamic_executable_loads_its_interpreter_from_the_sysroot() {
    let ld = Path::new(SYSROOT).join("lib/ld-linux-riscv64-lp64d.so.1");
    if !ld.exists() {
        eprintln!("skipping: {} missing", ld.display());
        return;
    }
    let Some(exe) = compile("dyn", HELLO_C, &["-O2"]) else {
        return;
    };
    let (p, l) = load_program(&exe, &["dyn"], &[] as &[&str], Some(Path::new(SYSROOT))).unwrap();
    let (exe_entry, _, _) = readelf_header(&exe);
    let (ld_entry, _, _) = readelf_header(&ld);
    let base = l.interp_base.expect("has an interpreter");
    assert_eq!(base % 4096, 0);
    assert_eq!(l.entry, ld_entry + base, "starts in the interpreter");
    assert_eq!(auxv(&l, AT_BASE), Some(base));
    assert_eq!(auxv(&l, AT_ENTRY), Some(exe_entry + l.load_bias));
    assert_eq!(l.program_entry, exe_entry + l.load_bias);
    check_segments(p.mem(), &exe, l.load_bias);
    check_segments(p.mem(), &ld, base);
    // The interpreter sits in the mmap area, below the stack's gap.
    assert!(base < p.mem().mmap_base());
    assert!(base > l.brk);

    // Without a sysroot the host has no riscv64 ld.so (normally): a clear
    // error naming it.
    if !Path::new("/lib/ld-linux-riscv64-lp64d.so.1").exists() {
        let e = load_program(&exe, &["dyn"], &[] as &[&str], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ld-linux-riscv64-lp64d.so.1"), "{e}");
    }
}

#[test]
fn foreign_and_missing_files_are_clear_errors() {
    // The host's own binaries are x86-64 (or whatever the host is).
    let host_bin = Path::new("/bin/sh");
    if host_bin.exists() && cfg!(target_arch = "x86_64") {
        let e = load_program(host_bin, &["sh"], &[] as &[&str], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("x86-64"), "{e}");
        assert!(e.contains("unsupported architecture"), "{e}");
        assert!(probe(host_bin).is_err());
    }
    let e = load_program(Path::new("/no/such/file"), &["x"], &[] as &[&str], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/file"), "{e}");
    let d = scratch("notelf");
    let f = d.join("script");
    std::fs::write(&f, b"#!/bin/sh\necho hi\n").unwrap();
    let e = load_program(&f, &["x"], &[] as &[&str], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an ELF file"), "{e}");
    assert!(e.contains("script"), "{e}");
}

/// Truncated and mutated copies of a real executable: parsing never
/// panics, and whatever parses also loads or fails cleanly.
#[test]
fn truncated_and_mutated_real_binaries() {
    let Some(exe) = compile(
        "fuzz",
        FREESTANDING_C,
        &["-O2", "-nostdlib", "-ffreestanding", "-static"],
    ) else {
        return;
    };
    let good = std::fs::read(&exe).unwrap();
    assert!(elf::parse(&good).is_ok());
    // Every prefix up to past the program headers, then coarser steps.
    let mut cuts: Vec<usize> = (0..1024.min(good.len())).collect();
    cuts.extend((1024..good.len()).step_by(97));
    for n in cuts {
        if let Ok(e) = elf::parse(&good[..n]) {
            // A prefix can only parse if every segment still fits.
            assert!(e.loads().all(|p| p.p_offset + p.p_filesz <= n as u64));
        }
    }
    let mut mem = GuestMemory::new(1 << 36).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let header_bytes = 64 + 56 * 8;
    for i in 0..3000u32 {
        let mut f = good.clone();
        for _ in 0..(1 + rnd() % 4) {
            let at = (rnd() % header_bytes as u64) as usize;
            f[at] = rnd() as u8;
        }
        if let Ok(e) = elf::parse(&f) {
            // Load what parsed into a fresh address space now and then;
            // errors are fine, panics are not.
            if i.is_multiple_of(10) {
                mem = GuestMemory::new(1 << 36).unwrap();
            }
            if let Ok(bias) = loader::choose_bias(&mem, &e, false) {
                let _ = loader::load_image(&mut mem, &e, &f, bias);
            }
        }
    }
}

#[test]
fn elf32_and_object_files_are_refused_by_name() {
    let Some(exe) = compile("obj", HELLO_C, &["-c", "-O2"]) else {
        return;
    };
    let e = elf::parse(&std::fs::read(&exe).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("relocatable"), "{e}");
    let mut tiny = std::fs::read(&exe).unwrap();
    tiny[4] = 1; // ELFCLASS32
    let e = elf::parse(&tiny).unwrap_err().to_string();
    assert!(e.contains("32-bit"), "{e}");
}
