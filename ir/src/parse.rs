//! Reads the IR's text form (grammar in [`crate::print`]) back into a [`Block`].
//!
//! The parser never panics: any input gives a block or an
//! [`Error::Parse`] naming the 1-based line. It checks syntax and names,
//! and the operand count of every op except `call` (whose arity is the
//! verifier's business, so that file tests can state wrong calls); types
//! and constant ranges are left to [`crate::verify`].
//!
//! Parsed blocks are canonical: globals, then locals in declaration order,
//! then constants in order of first use, one temp per distinct (type, value).
//! So `parse(print(b)) == b` for every block in that form, and
//! `print(parse(print(b))) == print(b)` for every block.

use crate::print::{input_type, is_leading};
use crate::{
    Block, Cond, ConstKind, Error, GlobalDecl, HelperDecl, HelperFlags, HelperFn, Inst, Opcode,
    Result, Temp, Type, MAX_CONSTS, MAX_TEMPS,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Parses one block.
pub fn parse(text: &str) -> Result<Block> {
    let mut p = Parser::default();
    let mut toks = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let code = raw.split(';').next().unwrap_or("");
        toks.clear();
        lex(code, &mut toks).map_err(|msg| Error::Parse { line, msg })?;
        if toks.is_empty() {
            continue;
        }
        p.line(&toks).map_err(|msg| Error::Parse { line, msg })?;
    }
    p.finish().map_err(|msg| Error::Parse {
        line: text.lines().count().max(1),
        msg,
    })
}

/// Fills in the host functions of a parsed block's helpers.
///
/// Returns the name of the first helper `lookup` does not know (the others
/// are still bound).
pub fn bind_helpers(
    block: &mut Block,
    lookup: impl Fn(&str) -> Option<HelperFn>,
) -> std::result::Result<(), String> {
    let mut missing = None;
    for h in &mut block.helpers {
        h.func = lookup(&h.name);
        if h.func.is_none() && missing.is_none() {
            missing = Some(h.name.to_string());
        }
    }
    missing.map_or(Ok(()), Err)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    /// Identifier, number or dotted word (`add.i64`, `0x10`, `i32s.le`).
    Word(&'a str),
    /// `#123`: a raw constant argument.
    Raw(&'a str),
    Punct(char),
    Arrow,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn lex<'a>(s: &'a str, out: &mut Vec<Tok<'a>>) -> std::result::Result<(), String> {
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok(());
        };
        let take_word = |from: usize, r: &'a str| {
            let end = r[from..]
                .find(|c: char| !is_word_char(c))
                .map_or(r.len(), |e| e + from);
            (&r[..end], &r[end..])
        };
        if is_word_char(c) {
            let (w, r) = take_word(0, rest);
            out.push(Tok::Word(w));
            rest = r;
        } else if c == '-' && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
            let (w, r) = take_word(1, rest);
            out.push(Tok::Word(w));
            rest = r;
        } else if rest.starts_with("->") {
            out.push(Tok::Arrow);
            rest = &rest[2..];
        } else if c == '#' {
            let (w, r) = take_word(1, rest);
            out.push(Tok::Raw(&w[1..]));
            rest = r;
        } else if matches!(c, ',' | ':' | '@' | '(' | ')' | '=') {
            out.push(Tok::Punct(c));
            rest = &rest[1..];
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
}

/// Parses `123`, `-5`, `0x1f`, `-0x10` to an exact value.
fn parse_int(s: &str) -> Option<i128> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (radix, digits) = match digits.strip_prefix("0x") {
        Some(h) => (16, h),
        None => (10, digits),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()? as i128;
    Some(if neg { -v } else { v })
}

/// A literal of type `ty`: signed or unsigned spellings both fit.
fn literal(s: &str, ty: Type) -> std::result::Result<u64, String> {
    let v = parse_int(s).ok_or_else(|| format!("`{s}` is not a number"))?;
    let bits = ty.bits();
    let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << bits) - 1);
    if v < lo || v > hi {
        return Err(format!("{s} does not fit {}", ty.name()));
    }
    Ok(ty.mask(v as u64))
}

/// An unsigned 64-bit constant argument (negative spellings wrap).
fn uimm(s: &str) -> std::result::Result<u64, String> {
    literal(s, Type::I64)
}

fn raw(s: &str) -> std::result::Result<u64, String> {
    parse_int(s)
        .filter(|v| *v >= 0)
        .map(|v| v as u64)
        .ok_or_else(|| format!("`#{s}` is not a raw constant"))
}

fn ty(s: &str) -> std::result::Result<Type, String> {
    Type::from_name(s).ok_or_else(|| format!("unknown type `{s}` (i32 or i64)"))
}

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

fn memop(s: &str) -> std::result::Result<u64, String> {
    let bad = || format!("`{s}` is not a memop (like i32s.le.al)");
    let mut parts = s.split('.');
    let size = parts.next().ok_or_else(bad)?;
    let (size, signed) = match size.strip_suffix('s') {
        Some(sz) => (sz, true),
        None => (size, false),
    };
    let log = match size {
        "i8" => 0,
        "i16" => 1,
        "i32" => 2,
        "i64" => 3,
        _ => return Err(bad()),
    };
    let mut v = log | if signed { crate::MemOp::SIGN } else { 0 };
    let mut seen_order = false;
    for p in parts {
        match p {
            "le" if !seen_order => seen_order = true,
            "be" if !seen_order => {
                seen_order = true;
                v |= crate::MemOp::BE;
            }
            "al" if v & crate::MemOp::ALIGN == 0 => v |= crate::MemOp::ALIGN,
            _ => return Err(bad()),
        }
    }
    Ok(v as u64)
}

#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
enum Phase {
    #[default]
    Header,
    Globals,
    Decls,
    Insts,
}

#[derive(Copy, Clone)]
enum Name {
    Temp(Temp),
    Helper(u32),
}

/// One operand as written: a word with an optional `: type`, or `#raw`.
#[derive(Copy, Clone)]
enum Operand<'a> {
    Word(&'a str, Option<Type>),
    Raw(&'a str),
}

#[derive(Default)]
struct Parser<'a> {
    phase: Phase,
    pc: u64,
    addr_ty: Option<Type>,
    nlabels: Option<u32>,
    max_label: u32,
    globals: Vec<GlobalDecl>,
    block: Option<Block>,
    helpers: Vec<HelperDecl>,
    names: HashMap<&'a str, Name>,
    consts: HashMap<(Type, u64), Temp>,
}

type Res<T> = std::result::Result<T, String>;

/// Walks one line's tokens.
struct Cursor<'t, 'a> {
    toks: &'t [Tok<'a>],
    pos: usize,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<Tok<'a>> {
        let t = self.peek();
        self.pos += 1;
        t
    }
    fn word(&mut self, what: &str) -> Res<&'a str> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            _ => Err(format!("expected {what}")),
        }
    }
    fn punct(&mut self, c: char) -> Res<()> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            _ => Err(format!("expected `{c}`")),
        }
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn end(&self) -> Res<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(format!("unexpected {} at end of line", describe(t))),
        }
    }
}

fn describe(t: Tok<'_>) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Raw(r) => format!("`#{r}`"),
        Tok::Punct(c) => format!("`{c}`"),
        Tok::Arrow => "`->`".into(),
    }
}

impl<'a> Parser<'a> {
    fn line(&mut self, toks: &[Tok<'a>]) -> Res<()> {
        let mut c = Cursor { toks, pos: 0 };
        let head = c.word("a keyword or an op")?;
        match head {
            "block" => self.header(&mut c),
            _ if self.phase == Phase::Header => {
                Err("the text must start with a `block` line".into())
            }
            "global" => self.global(&mut c),
            "helper" => self.helper(&mut c),
            "temp" => self.temp(&mut c),
            _ => self.inst(head, &mut c),
        }?;
        c.end()
    }

    fn header(&mut self, c: &mut Cursor<'_, 'a>) -> Res<()> {
        if self.phase != Phase::Header {
            return Err("only one `block` per text".into());
        }
        self.phase = Phase::Globals;
        let mut pc = None;
        while let Some(Tok::Word(key)) = c.peek() {
            c.pos += 1;
            c.punct('=')?;
            let val = c.word("a value")?;
            match key {
                "pc" => pc = Some(uimm(val)?),
                "addr" => self.addr_ty = Some(ty(val)?),
                "labels" => {
                    let n = uimm(val)?;
                    self.nlabels =
                        Some(u32::try_from(n).map_err(|_| format!("{n} labels are too many"))?);
                }
                _ => return Err(format!("unknown block attribute `{key}`")),
            }
        }
        self.pc = pc.ok_or("the block needs `pc=`")?;
        if self.addr_ty.is_none() {
            return Err("the block needs `addr=i32` or `addr=i64`".into());
        }
        Ok(())
    }

    fn declare(&mut self, name: &'a str, n: Name) -> Res<()> {
        if !is_ident(name) {
            return Err(format!("`{name}` is not a name"));
        }
        if self.names.insert(name, n).is_some() {
            return Err(format!("`{name}` is declared twice"));
        }
        Ok(())
    }

    fn global(&mut self, c: &mut Cursor<'_, 'a>) -> Res<()> {
        if self.phase != Phase::Globals {
            return Err("globals must be declared before helpers, temps and instructions".into());
        }
        let name = c.word("a global name")?;
        c.punct(':')?;
        let t = ty(c.word("a type")?)?;
        c.punct('@')?;
        let off = uimm(c.word("an offset")?)?;
        let offset = u32::try_from(off).map_err(|_| format!("offset {off} is too large"))?;
        let index = u32::try_from(self.globals.len()).map_err(|_| "too many globals")?;
        self.declare(name, Name::Temp(Temp(index)))?;
        self.globals.push(GlobalDecl {
            name: name.to_string(),
            ty: t,
            offset,
        });
        Ok(())
    }

    /// Ends the globals section: helper and temp declarations follow.
    fn start_decls(&mut self) -> Res<&mut Block> {
        if self.phase == Phase::Insts {
            return Err("declarations must come before instructions".into());
        }
        self.phase = Phase::Decls;
        Ok(self.ensure_block())
    }

    /// The block, made (with its globals) the first time it is needed.
    fn ensure_block(&mut self) -> &mut Block {
        let globals = &mut self.globals;
        let (pc, addr_ty) = (self.pc, self.addr_ty.unwrap_or(Type::I64));
        self.block.get_or_insert_with(|| {
            let globals: Arc<[GlobalDecl]> = std::mem::take(globals).into();
            Block::new(pc, addr_ty, globals)
        })
    }

    fn helper(&mut self, c: &mut Cursor<'_, 'a>) -> Res<()> {
        self.start_decls()?;
        let name = c.word("a helper name")?;
        c.punct('(')?;
        let nargs = uimm(c.word("the argument count")?)?;
        let nargs = u8::try_from(nargs).map_err(|_| format!("{nargs} arguments are too many"))?;
        c.punct(')')?;
        let mut ret = None;
        if c.peek() == Some(Tok::Arrow) {
            c.pos += 1;
            ret = Some(ty(c.word("a result type")?)?);
        }
        let mut flags = HelperFlags::empty();
        while let Some(Tok::Word(w)) = c.peek() {
            c.pos += 1;
            let f = match w {
                "reads_globals" => HelperFlags::READS_GLOBALS,
                "writes_globals" => HelperFlags::WRITES_GLOBALS,
                "pure" => HelperFlags::PURE,
                "bits" => {
                    c.punct('=')?;
                    let b = uimm(c.word("flag bits")?)?;
                    HelperFlags::from_bits_retain(
                        u8::try_from(b).map_err(|_| format!("flag bits {b} do not fit u8"))?,
                    )
                }
                _ => return Err(format!("unknown helper flag `{w}`")),
            };
            flags = flags | f;
        }
        let index = u32::try_from(self.helpers.len()).map_err(|_| "too many helpers")?;
        self.declare(name, Name::Helper(index))?;
        self.helpers.push(HelperDecl {
            name: Cow::Owned(name.to_string()),
            nargs,
            ret,
            flags,
            func: None,
        });
        Ok(())
    }

    fn temp(&mut self, c: &mut Cursor<'_, 'a>) -> Res<()> {
        let name = c.word("a temp name")?;
        c.punct(':')?;
        let t = ty(c.word("a type")?)?;
        let b = self.start_decls()?;
        let tmp = b.new_local(t);
        self.declare(name, Name::Temp(tmp))
    }

    fn operands(c: &mut Cursor<'_, 'a>, out: &mut Vec<Operand<'a>>) -> Res<()> {
        if c.peek().is_none() {
            return Ok(());
        }
        loop {
            let op = match c.next() {
                Some(Tok::Word(w)) => {
                    let t = if c.eat(':') {
                        Some(ty(c.word("a type")?)?)
                    } else {
                        None
                    };
                    Operand::Word(w, t)
                }
                Some(Tok::Raw(r)) => Operand::Raw(r),
                Some(t) => return Err(format!("expected an operand, found {}", describe(t))),
                None => return Err("expected an operand after `,`".into()),
            };
            out.push(op);
            if c.peek().is_none() {
                return Ok(());
            }
            c.punct(',')?;
        }
    }

    fn inst(&mut self, head: &'a str, c: &mut Cursor<'_, 'a>) -> Res<()> {
        self.ensure_block();
        self.phase = Phase::Insts;
        let (name, ty_name) = match head.split_once('.') {
            Some((n, t)) => (n, Some(t)),
            None => (head, None),
        };
        let opc = Opcode::from_name(name).ok_or_else(|| format!("unknown op `{name}`"))?;
        let ity = match ty_name {
            Some(t) => ty(t)?,
            None => Type::I64,
        };
        let mut ops = Vec::new();
        Self::operands(c, &mut ops)?;
        let def = opc.def();
        let nlead = def.consts.iter().filter(|k| is_leading(**k)).count();
        let (nout, nin) = if opc == Opcode::Call {
            // Outputs are whatever precedes the helper operand.
            let h = ops
                .iter()
                .position(|o| match o {
                    Operand::Raw(_) => true,
                    Operand::Word(w, _) => matches!(self.names.get(w), Some(Name::Helper(_))),
                })
                .ok_or("`call` needs a declared helper")?;
            (h, ops.len() - h - 1)
        } else {
            let want = def.nout as usize + def.nin as usize + def.consts.len();
            if ops.len() != want {
                return Err(format!(
                    "`{name}` takes {want} operands ({} outputs, {} inputs, {} constants), not {}",
                    def.nout,
                    def.nin,
                    def.consts.len(),
                    ops.len()
                ));
            }
            (def.nout as usize, def.nin as usize)
        };
        if nout + nin > MAX_TEMPS {
            return Err(format!("at most {MAX_TEMPS} temps per instruction"));
        }
        let mut inst = Inst {
            opc,
            ty: ity,
            nout: nout as u8,
            nin: nin as u8,
            args: [Temp(0); MAX_TEMPS],
            consts: [0; MAX_CONSTS],
        };
        // Leading constants sit after the outputs, the others after the
        // inputs, each group in table order (as the printer writes them).
        let (mut lead, mut trail) = (nout, nout + nlead + nin);
        for (slot, &k) in def.consts.iter().enumerate().take(MAX_CONSTS) {
            let pos = if is_leading(k) { &mut lead } else { &mut trail };
            let op = *ops.get(*pos).ok_or("missing constant operand")?;
            *pos += 1;
            inst.consts[slot] = self.const_arg(op, k)?;
        }
        for (i, &op) in ops.iter().enumerate().take(nout) {
            inst.args[i] = self.temp_operand(op, ity)?;
        }
        for i in 0..nin {
            let want = input_type(self.block_ref()?, &inst, i);
            inst.args[nout + i] = self.temp_operand(ops[nout + nlead + i], want)?;
        }
        let b = self.block.as_mut().ok_or("no block")?;
        b.insts.push(inst);
        Ok(())
    }

    fn block_ref(&self) -> Res<&Block> {
        self.block.as_ref().ok_or_else(|| "no block".into())
    }

    fn const_arg(&mut self, op: Operand<'a>, k: ConstKind) -> Res<u64> {
        let w = match op {
            Operand::Raw(r) => return raw(r),
            Operand::Word(_, Some(_)) => return Err("a constant argument takes no type".into()),
            Operand::Word(w, None) => w,
        };
        match k {
            ConstKind::Imm | ConstKind::Offset => uimm(w),
            ConstKind::Cond => Cond::ALL
                .iter()
                .find(|c| c.name() == w)
                .map(|c| *c as u64)
                .ok_or_else(|| format!("`{w}` is not a condition")),
            ConstKind::MemOp => memop(w),
            ConstKind::Label => {
                let n = w
                    .strip_prefix('L')
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| *n < u32::MAX && w[1..].bytes().all(|c| c.is_ascii_digit()))
                    .ok_or_else(|| format!("`{w}` is not a label (like L0)"))?;
                self.max_label = self.max_label.max(n + 1);
                Ok(n as u64)
            }
            ConstKind::Helper => match self.names.get(w) {
                Some(Name::Helper(h)) => Ok(*h as u64),
                _ => Err(format!("`{w}` is not a declared helper")),
            },
        }
    }

    fn temp_operand(&mut self, op: Operand<'a>, want: Type) -> Res<Temp> {
        match op {
            Operand::Raw(r) => Err(format!("`#{r}` is not a temp")),
            Operand::Word(w, t) if w.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                let t = t.unwrap_or(want);
                let v = literal(w, t)?;
                let b = self.block.as_mut().ok_or("no block")?;
                Ok(*self
                    .consts
                    .entry((t, v))
                    .or_insert_with(|| b.new_const(t, v)))
            }
            Operand::Word(w, Some(_)) => Err(format!("only constants take a type, not `{w}`")),
            Operand::Word(w, None) => match self.names.get(w) {
                Some(Name::Temp(t)) => Ok(*t),
                Some(Name::Helper(_)) => Err(format!("`{w}` is a helper, not a temp")),
                None => Err(format!("`{w}` is not declared")),
            },
        }
    }

    fn finish(mut self) -> Res<Block> {
        if self.phase == Phase::Header {
            return Err("no `block` line".into());
        }
        self.ensure_block();
        let mut b = self.block.take().ok_or("no block")?;
        b.helpers = std::mem::take(&mut self.helpers);
        b.nlabels = self.nlabels.unwrap_or(self.max_label);
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempKind;

    fn err(text: &str) -> (usize, String) {
        match parse(text) {
            Err(Error::Parse { line, msg }) => (line, msg),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    const SMALL: &str = "\
block pc=0x1000 addr=i64   ; a comment
  global x1: i64 @ 8
  global x2: i32 @ 16
  helper h(2) -> i32 pure
  temp t0: i64
  temp t1: i32
  add.i64 t0, x1, -1
  add.i32 t1, x2, 0xffffffff   ; the same value as -1, but i32
  call.i32 t1, h, t0, 5:i32
  st_env.i64 t0, 0x2000
  brcond.i64 eq, t0, -1, L1
  set_label L1
  exit_tb 0
";

    #[test]
    fn parses_a_small_block() {
        let b = parse(SMALL).unwrap();
        assert_eq!(b.guest_pc, 0x1000);
        assert_eq!(b.globals.len(), 2);
        assert_eq!(b.globals[1].offset, 16);
        assert_eq!(b.helpers[0].ret, Some(Type::I32));
        assert!(b.helpers[0].flags.contains(HelperFlags::PURE));
        assert_eq!(b.nlabels, 2);
        // Temps: 2 globals, 2 locals, then constants by first use:
        // -1:i64 (shared by add and brcond), -1:i32, 5:i32.
        let kinds: Vec<_> = b.temps[4..].iter().map(|t| (t.ty, t.kind)).collect();
        assert_eq!(
            kinds,
            [
                (Type::I64, TempKind::Const(u64::MAX)),
                (Type::I32, TempKind::Const(0xffff_ffff)),
                (Type::I32, TempKind::Const(5)),
            ]
        );
        assert_eq!(b.insts[0].ins(), &[Temp(0), Temp(4)]);
        assert_eq!(b.insts[2].outs(), &[Temp(3)]);
        assert_eq!(b.insts[2].ins(), &[Temp(2), Temp(6)]);
        assert_eq!(b.insts[3].consts[0], 0x2000);
        assert_eq!(b.insts[4].consts, [Cond::Eq as u64, 1]);
        // Printing gives the canonical spelling back.
        let again = parse(&b.to_string()).unwrap();
        assert_eq!(again, b);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(err("").0, 1);
        let (line, msg) = err("block pc=0 addr=i64\n  temp t0: i64\n  add.i64 t0, t0\n");
        assert_eq!(line, 3);
        assert!(msg.contains("takes 3 operands"), "{msg}");
        let (line, msg) = err("block pc=0 addr=i64\n\n  mov.i64 t9, 1\n");
        assert_eq!(line, 3);
        assert!(msg.contains("not declared"), "{msg}");
        let (_, msg) = err("block pc=0 addr=i64\n temp a: i32\n mov.i32 a, 0x100000000\n");
        assert!(msg.contains("does not fit i32"), "{msg}");
        let (_, msg) = err("block pc=0 addr=i64\n temp a: i64\n global g: i64 @ 0\n");
        assert!(msg.contains("before"), "{msg}");
        let (_, msg) = err("block pc=0 addr=i64\n temp a: i64\n temp a: i32\n");
        assert!(msg.contains("twice"), "{msg}");
        let (_, msg) = err("block pc=0 addr=i64\n brcond.i64 foo, 1, 2, L0\n");
        assert!(msg.contains("not a condition"), "{msg}");
        let (_, msg) = err("block pc=0 addr=i64\n qemu_ld.i64 ?, 1, i32.le, 0\n");
        assert!(msg.contains("unexpected character"), "{msg}");
    }

    #[test]
    fn literal_ranges() {
        assert_eq!(literal("-1", Type::I32), Ok(0xffff_ffff));
        assert_eq!(literal("0xffffffff", Type::I32), Ok(0xffff_ffff));
        assert_eq!(literal("-2147483648", Type::I32), Ok(0x8000_0000));
        assert!(literal("-2147483649", Type::I32).is_err());
        assert_eq!(literal("0xffffffffffffffff", Type::I64), Ok(u64::MAX));
        assert_eq!(literal("-0x8000000000000000", Type::I64), Ok(1 << 63));
        assert!(literal("0x10000000000000000", Type::I64).is_err());
        assert!(literal("+5", Type::I64).is_err());
        assert!(literal("0x", Type::I64).is_err());
        assert!(literal("--1", Type::I64).is_err());
    }

    #[test]
    fn memop_spellings() {
        assert_eq!(memop("i8"), Ok(0));
        assert_eq!(memop("i32s.le.al"), Ok(2 | 4 | 16));
        assert_eq!(memop("i64.be"), Ok(3 | 8));
        assert!(memop("i32.le.be").is_err());
        assert!(memop("i24.le").is_err());
    }

    #[test]
    fn call_operands_split_at_the_helper() {
        let b = parse(
            "block pc=0 addr=i64\n helper f(1)\n helper g(0) -> i64\n temp t0: i64\n \
             call f, 3\n call.i64 t0, g\n call t0, #7, 1, 2\n exit_tb 0\n",
        )
        .unwrap();
        assert_eq!((b.insts[0].nout, b.insts[0].nin), (0, 1));
        assert_eq!((b.insts[1].nout, b.insts[1].nin), (1, 0));
        assert_eq!(b.insts[1].consts[0], 1);
        assert_eq!(
            (b.insts[2].nout, b.insts[2].nin, b.insts[2].consts[0]),
            (1, 2, 7)
        );
    }

    #[test]
    fn explicit_label_count_wins() {
        let b = parse("block pc=0 addr=i64 labels=5\n br L1\n set_label L1\n exit_tb 0\n").unwrap();
        assert_eq!(b.nlabels, 5);
        assert!(b
            .to_string()
            .starts_with("block pc=0x0 addr=i64 labels=5\n"));
    }

    #[test]
    fn bind_helpers_reports_unknown_names() {
        unsafe extern "C" fn one(_: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
            1
        }
        let mut b = parse("block pc=0 addr=i64\n helper f(0)\n helper g(0)\n").unwrap();
        let r = bind_helpers(&mut b, |n| (n == "f").then_some(one as HelperFn));
        assert_eq!(r, Err("g".to_string()));
        assert!(b.helpers[0].func.is_some());
    }

    mod props {
        use super::*;
        use crate::opt::testgen::arb_block;
        use crate::verify::verify;
        use proptest::prelude::*;

        /// Parsing must never panic; what parses must print, verify and
        /// (if valid) optimise without panicking, and stay valid.
        fn survive(text: &str) {
            if let Ok(mut b) = parse(text) {
                let printed = b.to_string();
                let again = parse(&printed).expect("printed text parses");
                assert_eq!(again.to_string(), printed);
                if verify(&b).is_ok() {
                    crate::opt::optimize(&mut b);
                    assert_eq!(verify(&b), Ok(()));
                }
            }
        }

        /// Tokens the grammar uses, so random lines are often nearly valid.
        fn token() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("block".to_string()),
                Just("pc=0x10".to_string()),
                Just("addr=i64".to_string()),
                Just("labels=2".to_string()),
                Just("global".to_string()),
                Just("helper".to_string()),
                Just("temp".to_string()),
                Just("->".to_string()),
                Just(",".to_string()),
                Just(":".to_string()),
                Just("@".to_string()),
                Just("(".to_string()),
                Just(")".to_string()),
                Just("i32".to_string()),
                Just("i64".to_string()),
                Just("L0".to_string()),
                Just("#3".to_string()),
                Just("\n".to_string()),
                "[a-z_]{1,8}(\\.i(32|64))?",
                "-?(0x)?[0-9a-f]{1,20}",
                proptest::sample::select(crate::ALL_OPCODES).prop_map(|o| o.name().to_string()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn print_parse_round_trip_is_exact(b in arb_block()) {
                let text = b.to_string();
                let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(&parsed, &b, "{}", text);
            }

            #[test]
            fn optimised_blocks_reprint_identically(b in arb_block()) {
                let mut b = b;
                crate::opt::optimize(&mut b);
                let text = b.to_string();
                let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(parsed.to_string(), text);
                prop_assert_eq!(verify(&parsed), Ok(()));
            }

            #[test]
            fn random_text_never_panics(s in "\\PC{0,200}") {
                survive(&s);
            }

            #[test]
            fn random_token_lines_never_panic(lines in proptest::collection::vec(proptest::collection::vec(token(), 0..8), 0..12)) {
                let text: String = lines.iter().map(|l| l.join(" ").replace("\\n", "\n") + "\n").collect();
                survive(&text);
            }

            #[test]
            fn line_edited_blocks_never_panic(
                b in arb_block(),
                edits in proptest::collection::vec(any::<(u8, usize, usize, usize)>(), 1..5),
            ) {
                survive(&crate::opt::testgen::mutate_lines(&b.to_string(), &edits));
            }

            #[test]
            fn mutated_blocks_never_panic(
                b in arb_block(),
                edits in proptest::collection::vec((any::<usize>(), any::<usize>(), token()), 1..4),
            ) {
                let mut text = b.to_string();
                for (at, len, tok) in edits {
                    let mut at = at % (text.len() + 1);
                    while !text.is_char_boundary(at) { at -= 1; }
                    let mut end = (at + len % 12).min(text.len());
                    while !text.is_char_boundary(end) { end -= 1; }
                    text.replace_range(at..end, &tok);
                }
                survive(&text);
            }
        }
    }
}
