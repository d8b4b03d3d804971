//! Differential tests of the decoder and disassembler against GNU binutils
//! (`riscv64-linux-gnu-objdump -M no-aliases`, `-as`, `-gcc`). Each test
//! prints why and passes when a tool is missing.
//!
//! - compiled C: every instruction's text must equal objdump's;
//! - every 16-bit word and many 32-bit words (random, and random fills of
//!   each table row): whatever the decoder accepts, objdump must accept with
//!   the same text; what objdump accepts and we reject must be one of the
//!   listed, deliberate differences;
//! - compressed instructions expand to what the assembler's uncompressed
//!   encoding of the same instruction decodes to.

use polyvm_frontend_riscv::decode::{decode, tables32, zba, zbb, zbs, Op};
use polyvm_frontend_riscv::disas::disas_word;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const PREFIX: &str = "riscv64-linux-gnu-";

fn tool(name: &str) -> Option<String> {
    let t = format!("{PREFIX}{name}");
    match Command::new(&t).arg("--version").output() {
        Ok(o) if o.status.success() => Some(t),
        _ => {
            println!("skipped: {t} is not installed (Debian: binutils-riscv64-linux-gnu, gcc-riscv64-linux-gnu)");
            None
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polyvm-frontend-riscv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// One disassembled instruction from objdump: (address, raw word, text).
/// Text is normalised to `mnemonic op,op`: comments and `<symbol>`
/// annotations dropped, branch targets written as `0x…`.
fn parse_objdump(out: &str) -> Vec<(u64, u32, String)> {
    let mut v = Vec::new();
    for line in out.lines() {
        let mut parts = line.split('\t');
        let (Some(addr), Some(hex), Some(mn)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Some(addr) = addr.trim().strip_suffix(':') else {
            continue;
        };
        let (Ok(addr), Ok(raw)) = (
            u64::from_str_radix(addr, 16),
            u32::from_str_radix(hex.trim(), 16),
        ) else {
            continue;
        };
        let mut ops = parts.next().unwrap_or("").to_string();
        if let Some(i) = ops.find('#') {
            ops.truncate(i);
        }
        if let Some(i) = ops.find(" <") {
            ops.truncate(i);
        }
        let mut ops = ops.trim().to_string();
        let is_target = matches!(
            mn,
            "beq" | "bne" | "blt" | "bge" | "bltu" | "bgeu" | "jal" | "c.j" | "c.beqz" | "c.bnez"
        );
        if is_target {
            let (head, last) = match ops.rfind(',') {
                Some(i) => (ops[..=i].to_string(), ops[i + 1..].to_string()),
                None => (String::new(), ops.clone()),
            };
            if !last.starts_with("0x") {
                ops = format!("{head}0x{last}");
            }
        }
        let text = if ops.is_empty() {
            mn.to_string()
        } else {
            format!("{mn} {ops}")
        };
        v.push((addr, raw, text));
    }
    v
}

/// Compiles `tests/data/<file>` for `march` and compares every instruction
/// of `.text`; returns the mnemonics seen.
fn compare_compiled(file: &str, march: &str) -> Vec<String> {
    let (Some(gcc), Some(objdump), Some(objcopy)) = (tool("gcc"), tool("objdump"), tool("objcopy"))
    else {
        return Vec::new();
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let obj = scratch(&format!("sample-{march}.o"));
    let bin = scratch(&format!("sample-{march}.bin"));
    run(Command::new(&gcc)
        .args(["-O2", "-c", &format!("-march={march}"), "-mabi=lp64d", "-o"])
        .arg(&obj)
        .arg(&src));
    run(Command::new(&objcopy)
        .args(["-O", "binary", "--only-section=.text"])
        .arg(&obj)
        .arg(&bin));
    let text = std::fs::read(&bin).unwrap();
    let listing = parse_objdump(&run(Command::new(&objdump)
        .args(["-d", "-M", "no-aliases", "-j", ".text"])
        .arg(&obj)));
    assert!(
        listing.len() > 100,
        "too few instructions: {}",
        listing.len()
    );
    let mut checked = 0;
    let mut seen = Vec::new();
    for (addr, raw, want) in &listing {
        let a = *addr as usize;
        let word = if raw & 3 == 3 {
            u32::from_le_bytes(text[a..a + 4].try_into().unwrap())
        } else {
            u16::from_le_bytes(text[a..a + 2].try_into().unwrap()) as u32
        };
        assert_eq!(word, *raw, "at {addr:#x}");
        let (got, len) = disas_word(word, *addr);
        assert_eq!(len, if raw & 3 == 3 { 4 } else { 2 });
        assert_eq!(&got, want, "at {addr:#x} ({raw:#x})");
        checked += 1;
        seen.push(got.split(' ').next().unwrap_or("").to_string());
    }
    println!("{file}, {march}: {checked} instructions agree with objdump");
    seen
}

#[test]
fn disassembly_of_compiled_c_matches_objdump_rv64gc() {
    compare_compiled("sample.c", "rv64gc");
}

#[test]
fn disassembly_of_compiled_c_matches_objdump_rv64g() {
    compare_compiled("sample.c", "rv64g");
}

/// GCC emits most Zba/Zbb/Zbs instructions for the idioms in `zb_sample.c`
/// (all but `orc.b`, `bclr`, `binv` and `bext`, which the word tests cover).
#[test]
fn disassembly_of_compiled_bitmanip_c_matches_objdump() {
    let seen = compare_compiled("zb_sample.c", "rv64gc_zba_zbb_zbs");
    if seen.is_empty() {
        return;
    }
    let zb: Vec<&String> = seen.iter().filter(|m| is_zb_name(m)).collect();
    println!("{} Zb* instructions among them", zb.len());
    for m in [
        "sh3add.uw",
        "clz",
        "ctzw",
        "cpop",
        "rev8",
        "max",
        "minu",
        "rori",
        "bseti",
    ] {
        assert!(seen.iter().any(|s| s == m), "GCC no longer emits {m}");
    }
}

/// Whether `mnemonic` is one of the Zba/Zbb/Zbs rows.
fn is_zb_name(mnemonic: &str) -> bool {
    [zba::ZBA, zbb::ZBB, zbs::ZBS]
        .iter()
        .flat_map(|t| t.iter())
        .any(|r| r.name == mnemonic)
}

/// Disassembles raw words (written little-endian, each `width` bytes) with
/// objdump. Without `isa`, in binary mode, where objdump 2.40 knows rv64gc
/// only; with it, from an object whose `.riscv.attributes` name that ISA
/// (the words emitted by `.insn`, so objdump sees code, not data).
fn objdump_words(
    words: &[u32],
    width: usize,
    name: &str,
    isa: Option<&str>,
) -> Option<Vec<(u64, u32, String)>> {
    let objdump = tool("objdump")?;
    let path = scratch(name);
    let out = if let Some(isa) = isa {
        assert_eq!(width, 4, "only 32-bit words go through the assembler");
        let as_ = tool("as")?;
        let src = scratch(&format!("{name}.s"));
        let mut text = format!(".attribute arch, \"{isa}\"\n.text\n");
        for w in words {
            text.push_str(&format!(".insn {w:#010x}\n"));
        }
        std::fs::write(&src, text).unwrap();
        run(Command::new(as_)
            .arg(format!("-march={isa}"))
            .arg("-o")
            .arg(&path)
            .arg(&src));
        run(Command::new(objdump)
            .args(["-d", "-M", "no-aliases", "-j", ".text"])
            .arg(&path))
    } else {
        let bytes: Vec<u8> = words
            .iter()
            .flat_map(|w| w.to_le_bytes()[..width].to_vec())
            .collect();
        std::fs::write(&path, bytes).unwrap();
        run(Command::new(objdump)
            .args(["-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases"])
            .arg(&path))
    };
    let v = parse_objdump(&out);
    assert_eq!(
        v.len(),
        words.len(),
        "objdump decoded every word separately"
    );
    Some(v)
}

/// Whether objdump's text means "not an instruction".
fn objdump_rejects(text: &str) -> bool {
    text.starts_with('.') || text.contains("unknown") && !text.starts_with("fence ")
}

/// Deliberate differences: encodings objdump accepts that the decoder
/// rejects. Returns the reason, or None for an unexpected rejection.
fn known_rejection(raw: u32, text: &str) -> Option<&'static str> {
    let mn = text.split(' ').next().unwrap_or("");
    let ours = tables32()
        .iter()
        .flat_map(|t| t.iter())
        .any(|r| r.name == mn)
        || mn.starts_with("c.")
        || mn.starts_with("amo")
        || mn.starts_with("lr.")
        || mn.starts_with("sc.");
    if !ours {
        return Some("an extension or privileged instruction we do not implement");
    }
    Some(match mn {
        "c.unimp" => "0x0000 is defined illegal",
        "c.addi4spn" if raw & 0x1fe0 == 0 => "c.addi4spn with imm 0 is reserved",
        "c.addi16sp" => "c.addi16sp with imm 0 is reserved",
        "c.lui" => "c.lui with imm 0 is reserved",
        "c.jr" => "c.jr with rs1 = x0 is reserved",
        "c.lwsp" | "c.ldsp" => "a compressed load to x0 is reserved",
        "c.addiw" => "c.addiw with rd = x0 is reserved",
        "fence.tso" => "fence.tso with fields other than fm/pred/succ set",
        _ => return None,
    })
}

/// Deliberate differences the other way: encodings we accept that objdump
/// 2.40 rejects.
fn known_acceptance(w: u32, isa: Option<&str>) -> Option<&'static str> {
    if isa.is_none() && decode(w).is_some_and(|i| is_zb_name(i.row.name)) {
        return Some("Zb* (binary-mode objdump knows rv64gc only; see the Zb* word test)");
    }
    // fcvt.d.s, fcvt.d.w, fcvt.d.wu: exact conversions whose rm field
    // binutils 2.40 requires to be 000; the ISA (and newer binutils) allow
    // any valid rounding mode there.
    let f7_rs2 = w >> 20;
    if w & 0x7f == 0x53 && matches!(f7_rs2, 0x420 | 0xd20 | 0xd21) {
        return Some("exact fcvt.d.{s,w,wu} with a rounding mode other than rne");
    }
    None
}

/// Compares decoder/disassembler and objdump (for `isa`, see
/// [`objdump_words`]) on `words`.
fn compare_words(words: &[u32], width: usize, name: &str, isa: Option<&str>) {
    let Some(listing) = objdump_words(words, width, name, isa) else {
        return;
    };
    let mut accepted = 0;
    let mut notes: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for ((addr, raw, want), &w) in listing.iter().zip(words) {
        assert_eq!(*raw, w);
        match decode(w) {
            Some(_) if objdump_rejects(want) => match known_acceptance(w, isa) {
                Some(why) => *notes.entry(format!("accepted: {why}")).or_default() += 1,
                None => errors.push(format!("{w:#010x}: we accept, objdump says {want}")),
            },
            Some(i) => {
                accepted += 1;
                let (got, _) = disas_word(w, *addr);
                let csr_op = matches!(
                    i.op,
                    Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci
                );
                let same = if csr_op && polyvm_frontend_riscv::cpu::csr_name(i.csr).is_none() {
                    // objdump names many privileged CSRs that we print by
                    // number (the translator rejects them anyway).
                    let strip = |s: &str| {
                        let p: Vec<&str> = s.split(',').collect();
                        format!("{}|{}", p[0], p[2])
                    };
                    strip(&got) == strip(want)
                } else {
                    &got == want
                };
                if !same {
                    errors.push(format!("{w:#010x}: we print `{got}`, objdump `{want}`"));
                }
            }
            None if objdump_rejects(want) => {}
            None => match known_rejection(w, want) {
                Some(why) => *notes.entry(format!("rejected: {why}")).or_default() += 1,
                None => errors.push(format!("{w:#010x}: objdump decodes `{want}`, we reject it")),
            },
        }
    }
    println!(
        "{name}: {} words, {accepted} accepted with identical text",
        words.len()
    );
    for (why, n) in notes {
        println!("  {n} {why}");
    }
    errors.truncate(40);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn every_16_bit_word_agrees_with_objdump() {
    let words: Vec<u32> = (0..=0xffffu32).filter(|w| w & 3 != 3).collect();
    compare_words(&words, 2, "c16.bin", None);
}

#[test]
fn random_32_bit_words_agree_with_objdump() {
    // xorshift64*: deterministic.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let rows: Vec<_> = tables32().into_iter().flatten().collect();
    let mut words = Vec::new();
    for _ in 0..60_000 {
        // Uniformly random 32-bit encodings (low bits 11, not 48-bit+)…
        let w = (next() as u32) | 3;
        if w & 0x1c != 0x1c {
            words.push(w);
        }
    }
    for _ in 0..2_000 {
        // …and every row's pattern with random field bits.
        for r in &rows {
            words.push(r.pat.bits | (next() as u32 & !r.pat.mask));
        }
    }
    compare_words(&words, 4, "r32.bin", None);
}

/// The Zb* rows' encoding spaces with an ISA that has them: every row's
/// pattern with random field bits, and random words of the four major
/// opcodes the extensions live in (OP, OP-32, OP-IMM, OP-IMM-32), so that
/// both wrong texts and wrong rejections show.
#[test]
fn bitmanip_words_agree_with_objdump() {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    };
    let mut words = Vec::new();
    for _ in 0..300 {
        for r in [zba::ZBA, zbb::ZBB, zbs::ZBS].iter().flat_map(|t| t.iter()) {
            words.push(r.pat.bits | (next() as u32 & !r.pat.mask));
        }
    }
    for _ in 0..20_000 {
        let major = [0x33, 0x3b, 0x13, 0x1b][(next() % 4) as usize];
        // Bias funct7 towards the values the extensions use.
        let f7 =
            [0x04, 0x05, 0x10, 0x14, 0x20, 0x24, 0x30, 0x34, 0x35, 0x14][(next() % 10) as usize];
        let w = next() as u32 & !0x7f | major;
        words.push(if next() % 2 == 0 {
            w & 0x01ff_ffff | f7 << 25
        } else {
            w
        });
    }
    compare_words(&words, 4, "zb32.o", Some("rv64gc_zba_zbb_zbs"));
}

/// Assembles `body` for rv64gc with or without compression; returns the
/// words of `.text` in order.
fn assemble(body: &str, rvc: bool) -> Option<Vec<u32>> {
    let (as_, objcopy) = (tool("as")?, tool("objcopy")?);
    let tag = if rvc { "c" } else { "n" };
    let src = scratch(&format!("expand-{tag}.s"));
    let obj = scratch(&format!("expand-{tag}.o"));
    let bin = scratch(&format!("expand-{tag}.bin"));
    let opt = if rvc { ".option rvc" } else { ".option norvc" };
    std::fs::write(&src, format!(".text\n{opt}\n{body}\n")).unwrap();
    run(Command::new(as_)
        .args(["-march=rv64gc", "-o"])
        .arg(&obj)
        .arg(&src));
    run(Command::new(objcopy)
        .args(["-O", "binary", "--only-section=.text"])
        .arg(&obj)
        .arg(&bin));
    let b = std::fs::read(&bin).unwrap();
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let lo = u16::from_le_bytes([b[i], b[i + 1]]) as u32;
        if lo & 3 == 3 {
            words.push(lo | (u16::from_le_bytes([b[i + 2], b[i + 3]]) as u32) << 16);
            i += 4;
        } else {
            words.push(lo);
            i += 2;
        }
    }
    Some(words)
}

#[test]
fn compressed_instructions_expand_like_their_32_bit_forms() {
    // Every line has a compressed encoding; branches and jumps are left
    // out because their offsets change with the code size.
    let body = "
        addi a0,a0,1
        addi a0,zero,-5
        lui a0,0x1f
        lui s1,0xfffe0
        addi sp,sp,-64
        addi sp,sp,496
        addi a0,sp,1020
        addiw a5,a5,-32
        slli a0,a0,63
        srli s0,s0,1
        srai a5,a5,33
        andi a4,a4,-1
        sub s0,s0,a5
        xor a0,a0,s1
        or a1,a1,a2
        and a3,a3,a4
        subw a0,a0,a1
        addw a5,a5,s0
        add t0,zero,t1
        add t0,t0,t1
        jr t2
        jalr a5
        ebreak
        lw a0,124(a1)
        ld a5,248(s1)
        sw a0,4(a1)
        sd a5,8(s0)
        fld fa0,16(a5)
        fsd fs1,240(a2)
        lw ra,252(sp)
        ld s2,504(sp)
        fld fs3,8(sp)
        sw t6,0(sp)
        sd a7,496(sp)
        fsd ft11,504(sp)
    ";
    let (Some(c), Some(n)) = (assemble(body, true), assemble(body, false)) else {
        return;
    };
    assert_eq!(c.len(), n.len());
    for (&cw, &nw) in c.iter().zip(&n) {
        assert!(cw & 3 != 3, "{cw:#x} should be compressed");
        let (ci, ni) = (
            decode(cw).expect("compressed decodes"),
            decode(nw).expect("decodes"),
        );
        // Compare the fields that are operands of the instruction: in the
        // 32-bit form the others are immediate bits.
        let r_type = matches!(
            ni.op,
            Op::Add | Op::Sub | Op::Xor | Op::Or | Op::And | Op::Subw | Op::Addw
        );
        let store = matches!(ni.op, Op::Sw | Op::Sd | Op::Fsd);
        let key = |i: &polyvm_frontend_riscv::Insn| {
            (
                i.op,
                if store { 0 } else { i.rd },
                if ni.op == Op::Lui { 0 } else { i.rs1 },
                if r_type || store { i.rs2 } else { 0 },
                i.imm,
            )
        };
        let (ck, nk) = (key(&ci), key(&ni));
        assert_eq!(ck, nk, "{cw:#x} vs {nw:#x}");
    }
}
