use super::*;

#[test]
fn tables_have_no_undeclared_overlaps() {
    check_tables().unwrap();
}

/// An independent, brute-force check of the 16-bit tables: every word is
/// accepted by at most one row.
#[test]
fn every_16_bit_word_matches_at_most_one_row() {
    let rows: Vec<&Row> = tables16().into_iter().flatten().collect();
    for w in 0..=0xffffu32 {
        let hits: Vec<&str> = rows
            .iter()
            .filter(|r| r.matches(w))
            .map(|r| r.name)
            .collect();
        assert!(hits.len() <= 1, "{w:#06x}: {hits:?}");
        if w & 3 == 3 {
            assert!(hits.is_empty());
        }
    }
}

#[test]
fn the_checker_rejects_an_undeclared_specialisation() {
    // c.lui without its carve-out for c.addi16sp overlaps it.
    let lui = row("c.lui", "011 . ..... ..... 01", Op::Lui, Form::CLui, "d,u");
    let addi16sp = row(
        "c.addi16sp",
        "011 . 00010 ..... 01",
        Op::Addi,
        Form::CAddi16sp,
        "d,j",
    );
    let w = overlap(&lui, &addi16sp).expect("overlap found");
    assert_eq!(w & 0xef83, 0x6101);
    // With the declared exclusion they are disjoint.
    const X: &[Excl] = &[excl("011 . 00010 ..... 01", Why::Row("c.addi16sp"))];
    let lui_x = row_x(
        "c.lui",
        "011 . ..... ..... 01",
        X,
        Op::Lui,
        Form::CLui,
        "d,u",
    );
    assert_eq!(overlap(&lui_x, &addi16sp), None);
    // Disjoint fixed bits never overlap.
    let add = row(
        "add",
        "0000000 ..... ..... 000 ..... 0110011",
        Op::Add,
        Form::N,
        "",
    );
    let sub = row(
        "sub",
        "0100000 ..... ..... 000 ..... 0110011",
        Op::Sub,
        Form::N,
        "",
    );
    assert_eq!(overlap(&add, &sub), None);
}

#[test]
fn pattern_parser() {
    let p = pat("0000000 ..... ..... 000 ..... 0110011");
    assert_eq!((p.mask, p.bits, p.width), (0xfe00_707f, 0x33, 32));
    let p = pat("100 1 00000 00000 10");
    assert_eq!((p.mask, p.bits, p.width), (0xffff, 0x9002, 16));
}

fn d(raw: u32) -> Insn {
    decode(raw).unwrap_or_else(|| panic!("{raw:#x} should decode"))
}

/// (op, rd, rs1, rs2, imm) of a decoded word.
fn ops(raw: u32) -> (Op, u8, u8, u8, i64) {
    let i = d(raw);
    (i.op, i.rd, i.rs1, i.rs2, i.imm)
}

/// Encodings from `riscv64-linux-gnu-as` + `objdump -M no-aliases`; the
/// expected fields are the operands objdump printed (a0 = x10, sp = x2 …).
#[test]
fn decodes_known_32_bit_encodings() {
    let i = d(0x12345537); // lui a0,0x12345
    assert_eq!((i.op, i.rd, i.imm), (Op::Lui, 10, 0x12345000));
    assert_eq!(ops(0x00001597).4, 0x1000); // auipc a1,0x1
    assert_eq!(ops(0x01f5151b), (Op::Slliw, 10, 10, 31, 31)); // slliw a0,a0,0x1f
    assert_eq!(ops(0x000500e7), (Op::Jalr, 1, 10, 0, 0)); // jalr ra,0(a0)
    assert_eq!(ops(0x00408067), (Op::Jalr, 0, 1, 4, 4)); // jalr zero,4(ra)
                                                         // beq a0,a1,0 at 0x8a: offset -0x8a.
    assert_eq!(ops(0xf6b50be3), (Op::Beq, 23, 10, 11, -0x8a));
    // jal ra,0 at 0x8e.
    assert_eq!(ops(0xf73ff0ef).4, -0x8e);
    assert_eq!(ops(0xf73ff0ef).1, 1);
    // flw fa0,4(a0); fsd fs0,-8(sp) = 0xfe813c27.
    assert_eq!(ops(0x00452507), (Op::Flw, 10, 10, 4, 4));
    assert_eq!(ops(0xfe813c27), (Op::Fsd, 24, 2, 8, -8));
    // sd ra,24(sp) = 0x00113c23; ld ra,24(sp) = 0x01813083.
    assert_eq!(ops(0x00113c23), (Op::Sd, 24, 2, 1, 24));
    assert_eq!(ops(0x01813083), (Op::Ld, 1, 2, 24, 24));
    // srai a0,a0,63 = 0x43f55513 (6-bit shamt).
    assert_eq!(ops(0x43f55513), (Op::Srai, 10, 10, 31, 63));
    // addi a0,a0,-2048 = 0x80050513.
    assert_eq!(ops(0x80050513).4, -2048);

    let i = d(0x06b6252f); // amoadd.w.aqrl a0,a1,(a2)
    assert_eq!(
        (i.op, i.rd, i.rs1, i.rs2, i.aq, i.rl),
        (Op::AmoaddW, 10, 12, 11, true, true)
    );
    let i = d(0x1ac5b52f); // sc.d.rl a0,a2,(a1)
    assert_eq!(
        (i.op, i.rd, i.rs1, i.rs2, i.aq, i.rl),
        (Op::ScD, 10, 11, 12, false, true)
    );
    let i = d(0x68c5a543); // fmadd.s fa0,fa1,fa2,fa3,rdn
    assert_eq!(
        (i.op, i.rd, i.rs1, i.rs2, i.rs3, i.rm),
        (Op::FmaddS, 10, 11, 12, 13, 2)
    );
    let i = d(0x02b57553); // fadd.d fa0,fa0,fa1 (dynamic rm)
    assert_eq!((i.op, i.rm), (Op::FaddD, 7));
    let i = d(0x0031d573); // csrrwi a0,fcsr,3
    assert_eq!((i.op, i.rd, i.csr, i.imm), (Op::Csrrwi, 10, 3, 3));
    let i = d(0xc0002573); // csrrs a0,cycle,zero
    assert_eq!((i.op, i.rd, i.rs1, i.csr), (Op::Csrrs, 10, 0, 0xc00));
    assert_eq!(d(0x0330000f).imm & 0xff, 0x33); // fence rw,rw
    assert_eq!(d(0x8330000f).row.name, "fence.tso");
    assert_eq!(d(0x0000100f).op, Op::FenceI);
    assert_eq!(d(0x00000073).op, Op::Ecall);
    assert_eq!(d(0x00100073).op, Op::Ebreak);
    assert_eq!(d(0xe0051553).op, Op::FclassS);
    assert_eq!(d(0xc0354553).rm, 4); // fcvt.lu.s a0,fa0,rmm
}

/// Compressed encodings from objdump, with the operands of their 32-bit
/// expansions as the spec defines them.
#[test]
fn compressed_words_expand() {
    assert_eq!(ops(0x0505), (Op::Addi, 10, 10, 0, 1)); // c.addi a0,1
    assert_eq!(ops(0x4515), (Op::Addi, 10, 0, 0, 5)); // c.li a0,5
    assert_eq!(ops(0x6505), (Op::Lui, 10, 0, 0, 0x1000)); // c.lui a0,0x1
    assert_eq!(ops(0x757d), (Op::Lui, 10, 0, 0, -0x1000)); // c.lui a0,0xfffff
    assert_eq!(ops(0x713d), (Op::Addi, 2, 2, 0, -32)); // c.addi16sp sp,-32
    assert_eq!(ops(0x7101), (Op::Addi, 2, 2, 0, -512)); // c.addi16sp sp,-512
    assert_eq!(ops(0x0808), (Op::Addi, 10, 2, 0, 16)); // c.addi4spn a0,sp,16
    assert_eq!(ops(0xbfa9), (Op::Jal, 0, 0, 0, -0xa6)); // c.j 0 at 0xa6
    assert_eq!(ops(0xdd21), (Op::Beq, 0, 10, 0, -0xa8)); // c.beqz a0,0 at 0xa8
    assert_eq!(ops(0x8082), (Op::Jalr, 0, 1, 0, 0)); // c.jr ra
    assert_eq!(ops(0x9502), (Op::Jalr, 1, 10, 0, 0)); // c.jalr a0
    assert_eq!(ops(0x852e), (Op::Add, 10, 0, 11, 0)); // c.mv a0,a1
    assert_eq!(ops(0x952e), (Op::Add, 10, 10, 11, 0)); // c.add a0,a1
    assert_eq!(ops(0x60a2), (Op::Ld, 1, 2, 0, 8)); // c.ldsp ra,8(sp)
    assert_eq!(ops(0xe406), (Op::Sd, 0, 2, 1, 8)); // c.sdsp ra,8(sp)
    assert_eq!(ops(0x40a2), (Op::Lw, 1, 2, 0, 8)); // c.lwsp ra,8(sp)
    assert_eq!(ops(0xc406), (Op::Sw, 0, 2, 1, 8)); // c.swsp ra,8(sp)
    assert_eq!(ops(0x050e), (Op::Slli, 10, 10, 0, 3)); // c.slli a0,0x3
    assert_eq!(ops(0x810d), (Op::Srli, 10, 10, 0, 3)); // c.srli a0,0x3
    assert_eq!(ops(0x957d), (Op::Srai, 10, 10, 0, 63)); // c.srai a0,0x3f
    assert_eq!(ops(0x9975), (Op::Andi, 10, 10, 0, -3)); // c.andi a0,-3
    assert_eq!(ops(0x8d0d), (Op::Sub, 10, 10, 11, 0)); // c.sub a0,a1
    assert_eq!(ops(0x9d2d), (Op::Addw, 10, 10, 11, 0)); // c.addw a0,a1
    assert_eq!(ops(0x357d), (Op::Addiw, 10, 10, 0, -1)); // c.addiw a0,-1
    assert_eq!(ops(0x6588), (Op::Ld, 10, 11, 0, 8)); // c.ld a0,8(a1)
    assert_eq!(ops(0xe588), (Op::Sd, 0, 11, 10, 8)); // c.sd a0,8(a1)
    assert_eq!(ops(0x4588), (Op::Lw, 10, 11, 0, 8)); // c.lw a0,8(a1)
    assert_eq!(ops(0x2588), (Op::Fld, 10, 11, 0, 8)); // c.fld fa0,8(a1)
    assert_eq!(ops(0xa588), (Op::Fsd, 0, 11, 10, 8)); // c.fsd fa0,8(a1)
    assert_eq!(ops(0x2522), (Op::Fld, 10, 2, 0, 8)); // c.fldsp fa0,8(sp)
    assert_eq!(ops(0xa42a), (Op::Fsd, 0, 2, 10, 8)); // c.fsdsp fa0,8(sp)
    assert_eq!(ops(0x9002).0, Op::Ebreak); // c.ebreak
    assert_eq!(d(0x9002).len, 2);
}

#[test]
fn reserved_and_unimplemented_encodings_are_rejected() {
    for w in [
        0x0000u32,  // defined illegal (c.addi4spn with imm 0)
        0x0004,     // c.addi4spn a1,sp,0: reserved
        0x6001,     // c.lui zero,0: reserved (imm 0)
        0x6501,     // c.lui a0,0: reserved
        0x6101,     // c.addi16sp sp,0: reserved
        0x4002,     // c.lwsp zero: reserved
        0x6002,     // c.ldsp zero: reserved
        0x8002,     // c.jr zero: reserved
        0x2001,     // c.addiw zero: reserved
        0x9c41,     // c.subw with bit 12 and funct2 10: reserved
        0x02b55553, // fadd.d with rm = 5
        0x02b56553, // fadd.d with rm = 6
        0x1015a52f, // lr.w with rs2 != 0
        0x0ff0100f, // fence.i with nonzero imm
        0xf330000f, // fence with reserved fm
        0x0000500f, // MISC-MEM funct3 5
        0x30200073, // mret (privileged)
        0x10500073, // wfi (privileged)
        0x0000001f, // a 48-bit encoding
        0xffff_ffff,
    ] {
        assert!(
            decode(w).is_none(),
            "{w:#x} decoded as {:?}",
            decode(w).map(|i| i.row.name)
        );
    }
}

#[test]
fn hints_decode_as_their_no_effect_expansions() {
    assert_eq!(ops(0x4001), (Op::Addi, 0, 0, 0, 0)); // c.li zero,0
    assert_eq!(ops(0x8006), (Op::Add, 0, 0, 1, 0)); // c.mv zero,ra
    assert_eq!(ops(0x0002), (Op::Slli, 0, 0, 0, 0)); // c.slli64 zero
    assert_eq!(ops(0x0501), (Op::Addi, 10, 10, 0, 0)); // c.addi a0,0
}
