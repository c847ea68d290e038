#!/usr/bin/env python3
"""generate.py SEED COUNT OUTDIR: random straight-line i386 cases for runner.c.

Writes OUTDIR/cases.bin (the runner's input) and OUTDIR/cases.txt (each
case's initial registers, assembly and bytes, for reports) and prints
"N cases, M instructions". All cases are assembled in one `as --32` run.

Every memory access must land in the scratch area, so the generator follows
the register values it can (moves, lea, add/sub of immediates, the stack
pointer exactly) and builds addresses from those; where no register fits it
sets one up with an instruction of its own. Extensions (SSE4, AVX2, BMI...)
are used where /proc/cpuinfo lists them: the runner runs natively on the
same CPU. VX_DIFF_FEATURES (flags separated by spaces) replaces
/proc/cpuinfo, so that a recording made elsewhere is generated again
exactly; OUTDIR/features lists the flags the cases could use.
"""
import os
import random
import struct
import subprocess
import sys
import tempfile

# Two places for a case's scratch memory and code, one below and one above
# 2 GiB (addresses the translation cannot sign-extend). fs is based at the low scratch.
REGIONS = [(0x10000000, 0x11000000), (0xA0000000, 0xA1000000)]  # (scratch, code window)
FS_BASE = 0x10000000
SCRATCH_SIZE = 4096
CODE_PAGES = 4096
MAGIC = 0x43445856
MAX_CODE = 4096 - 5  # the runner appends a 5-byte jump

GPR = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
GPR16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]
GPR8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
OWNER = {**{r: r for r in GPR}, **{r: GPR[i] for i, r in enumerate(GPR16)},
         **{r: GPR[i % 4] for i, r in enumerate(GPR8)}}
PTR = {1: "byte ptr", 2: "word ptr", 4: "dword ptr", 8: "qword ptr", 10: "tbyte ptr",
       16: "xmmword ptr", 32: "ymmword ptr", 64: "zmmword ptr"}
CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
M32 = 0xFFFFFFFF

# The stack stays in the middle of scratch (STACK_LOW..STACK_HIGH above
# its start); a case moves it by a few hundred bytes at most.
STACK_LOW = 0x200
STACK_HIGH = SCRATCH_SIZE - 0x200


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


FEATURES = set(os.environ["VX_DIFF_FEATURES"].split()) if "VX_DIFF_FEATURES" in os.environ else cpu_flags()
FEATURES_USED = set()


def has(feature):
    if feature in FEATURES:
        FEATURES_USED.add(feature)
        return True
    return False


def signed32(v):
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


def hexnum(v):
    return f"-0x{-v:x}" if v < 0 else f"0x{v:x}"


class Case:
    def __init__(self, rng, index):
        self.rng = rng
        self.index = index
        self.lines = []
        self.instructions = 0
        self.labels = 0
        self.region = rng.randrange(2)
        self.base = REGIONS[self.region][0]  # of scratch
        self.in_branch = False  # inside code a jump may skip: no stack moves
        self.protected = None  # (start, end): a return address no store may touch
        self.faults = False
        self.regs = [self.initial_value(r) for r in GPR]
        self.known = dict(zip(GPR, self.regs))  # register -> value, while it is known
        flags = 0x202 | rng.getrandbits(12) & 0x8d5
        if rng.random() < 0.25:
            flags |= 0x400  # DF
        self.eflags = flags
        self.fx = self.initial_fx()
        self.ymm_hi = rng.randbytes(128)
        self.zmm_hi = rng.randbytes(256)
        self.k = rng.randbytes(64)
        self.scratch = self.initial_scratch()

    # ---- initial state -------------------------------------------------

    def initial_value(self, reg):
        rng = self.rng
        if reg == "esp":
            return self.base + 0x700 + 4 * rng.randrange(0x80)
        if rng.random() < (0.6 if reg in ("ebx", "ebp", "esi", "edi") else 0.3):
            return self.base + rng.randrange(0x40, SCRATCH_SIZE - 0x40)
        return interesting32(rng)

    def initial_fx(self):
        rng = self.rng
        fcw = 0x037F & ~0x0F00 | rng.getrandbits(2) << 8 | rng.getrandbits(2) << 10  # all exceptions masked
        fsw = rng.getrandbits(7) | rng.getrandbits(3) << 8 | rng.getrandbits(3) << 11 | rng.getrandbits(1) << 14
        ftw = rng.getrandbits(8)
        mxcsr = 0x1F80 | rng.getrandbits(6) | rng.getrandbits(2) << 13
        if rng.random() < 0.2:
            mxcsr |= 0x8000  # FTZ
        if rng.random() < 0.2:
            mxcsr |= 0x40  # DAZ
        image = bytearray(512)
        struct.pack_into("<HHB", image, 0, fcw, fsw, ftw)
        struct.pack_into("<II", image, 24, mxcsr, 0xFFFF)
        for i in range(8):
            image[32 + 16 * i:32 + 16 * i + 10] = extended(rng)
            image[160 + 16 * i:176 + 16 * i] = vector(rng)
        return bytes(image)

    def initial_scratch(self):
        """Random bytes, with numbers of every kind in a quarter of the 16-byte rows."""
        rng = self.rng
        image = bytearray(rng.randbytes(SCRATCH_SIZE))
        for row in rng.sample(range(SCRATCH_SIZE // 16), SCRATCH_SIZE // 64):
            image[16 * row:16 * row + 16] = vector(rng)
        return bytes(image)

    # ---- emitting -------------------------------------------------------

    def emit(self, text, writes=(), sets=None, count=True):
        """One instruction: `writes` lose their known values, `sets` gain them."""
        self.lines.append(text)
        if count:
            self.instructions += 1
        for r in writes:
            self.known.pop(OWNER.get(r, r), None)
        for r, v in (sets or {}).items():
            self.known[r] = v & M32

    def label(self):
        self.labels += 1
        return f"L{self.index}_{self.labels}"

    def esp(self):
        return self.known["esp"]

    def stack_room(self, down, up=0):
        """True when esp may move `down` bytes lower and `up` bytes higher."""
        if self.in_branch:
            return False
        return self.esp() - down >= self.base + STACK_LOW and self.esp() + up <= self.base + STACK_HIGH

    # ---- operands -------------------------------------------------------

    def dst32(self, avoid=()):
        return self.rng.choice([r for r in GPR if r != "esp" and r not in avoid])

    def src32(self):
        return self.rng.choice(GPR)

    def reg(self, size, dst=False, avoid=()):
        rng = self.rng
        if size == 1:
            return rng.choice([r for r in GPR8 if OWNER[r] not in avoid])
        names = GPR16 if size == 2 else GPR
        return rng.choice([r for r in names if not (dst and OWNER[r] == "esp") and OWNER[r] not in avoid])

    def setup_register(self, avoid):
        return self.rng.choice([r for r in GPR if r != "esp" and r not in avoid])

    def set_to(self, reg, value):
        value &= M32
        if self.rng.random() < 0.5:
            self.emit(f"mov {reg}, 0x{value:x}", sets={reg: value})
        else:
            self.emit(f"lea {reg}, [0x{value:x}]", sets={reg: value})

    def overlaps_protected(self, address, span):
        return self.protected is not None and address < self.protected[1] and self.protected[0] < address + span

    def target(self, span, align, margin=0):
        lo = self.base + 8 + margin
        hi = self.base + SCRATCH_SIZE - 8 - span - margin
        while True:
            t = self.rng.randrange(lo // align * align + align, hi // align * align, align)
            if not self.overlaps_protected(t - margin, span + 2 * margin):
                return t

    def mem(self, size, align=1, avoid=(), esp_bias=0, span=None, ptr=True, margin=0, seg=True, compress=None):
        """A memory operand of `size` bytes inside scratch (an access of `span`
        bytes from there, `margin` bytes clear on either side). `avoid`:
        registers the instruction needs as they are (never set up).
        `esp_bias`: what the CPU adds to esp before it computes the address
        (pop m32). `seg`: may be fs-relative (fs is based at scratch).
        `compress`: N for EVEX, whose disp8 counts units of N bytes.
        The address is left in last_address."""
        rng = self.rng
        span = span or size
        fs = seg and rng.random() < 0.1
        shift = FS_BASE if fs else 0  # linear address = shift + effective address
        prefix = (PTR[size] + " " if ptr and size in PTR else "") + ("fs:" if fs else "")
        t = self.target(span, align, margin)
        self.last_address = t
        known = {r: (v + (esp_bias if r == "esp" else 0)) & M32 for r, v in self.known.items()}
        bases = [r for r in known if r not in avoid]
        indexes = [r for r in bases if r != "esp"]
        form = rng.choices(["abs", "base", "d8", "d32", "bi", "bi8", "bi32", "i32", "dN"],
                           weights=[1, 3, 4, 2, 2, 3, 2, 1, 6 if compress else 0])[0]
        lo = self.base + 8 + margin
        hi = self.base + SCRATCH_SIZE - 8 - span - margin

        def displacement(v, reach, unit=1):
            """A displacement (a multiple of unit, at most reach units either
            way) that takes v into [lo, hi], aligned; or None."""
            u = signed32(v - lo)
            first = max(-(u // unit), -reach - (reach > 0))
            last = min((hi - lo - u) // unit, reach)
            for _ in range(4):
                if first > last:
                    return None
                d = rng.randrange(first, last + 1) * unit
                address = v + d & M32
                if address % align == 0 and not self.overlaps_protected(address - margin, span + 2 * margin):
                    self.last_address = address
                    return d
            return None

        if form == "abs":
            return f"{prefix}[0x{t - shift & M32:x}]"
        if form == "d32" and bases:
            b = rng.choice(bases)
            return f"{prefix}[{b}{hexnum_signed(t - shift - known[b])}]"
        if form == "i32" and indexes:
            i, s = rng.choice(indexes), rng.choice([1, 2, 4, 8])
            return f"{prefix}[{i}*{s}{hexnum_signed(t - shift - known[i] * s)}]"
        if form == "bi32" and indexes:
            b, i, s = rng.choice(bases), rng.choice(indexes), rng.choice([1, 2, 4, 8])
            return f"{prefix}[{b}+{i}*{s}{hexnum_signed(t - shift - known[b] - known[i] * s)}]"
        if form == "dN":
            fitting = [(b, d) for b in bases for d in [displacement(known[b] + shift, 127, compress)] if d is not None]
            if fitting:
                b, d = rng.choice(fitting)
                self.last_address = known[b] + shift + d & M32
                return f"{prefix}[{b}{hexnum_signed(d) if d else ''}]"
            form = "d8"
        reach = 0 if form in ("base", "bi") else 127
        if form in ("base", "d8", "abs", "d32", "i32", "bi32"):
            fitting = [(b, d) for b in bases for d in [displacement(known[b] + shift, reach)] if d is not None]
            if not fitting:
                b = self.setup_register(avoid)
                d = 0 if reach == 0 else rng.randrange(-128, 128)
                self.set_to(b, t - d - shift)
                fitting = [(b, d)]
            b, d = rng.choice(fitting)
            self.last_address = self.known.get(b, known.get(b, 0)) + (esp_bias if b == "esp" else 0) + shift + d & M32
            return f"{prefix}[{b}{hexnum_signed(d) if d else ''}]"
        # base + index*scale [+ disp8]
        s = rng.choice([1, 2, 4, 8])
        fitting = [(b, i, d) for b in bases for i in indexes
                   for d in [displacement(known[b] + known[i] * s + shift, reach)] if d is not None]
        if not fitting:
            i = rng.choice([r for r in indexes if abs(signed32(known[r]) * s) < 0x400] or [None])
            if i is None:
                i = self.setup_register(avoid)
                self.set_to(i, rng.randrange(0, 0x40))
            b = self.setup_register(set(avoid) | {i})
            d = 0 if reach == 0 else rng.randrange(-128, 128)
            self.set_to(b, t - d - shift - self.known[i] * s)
            fitting = [(b, i, d)]
        b, i, d = rng.choice(fitting)
        self.last_address = (self.known.get(b, known.get(b, 0)) + (esp_bias if b == "esp" else 0) +
                             self.known.get(i, 0) * s + shift + d) & M32
        return f"{prefix}[{b}+{i}*{s}{hexnum_signed(d) if d else ''}]"

    def rm(self, size, dst=False, avoid=(), align=1):
        """A register or memory operand; returns (text, written register or None)."""
        if self.rng.random() < 0.5:
            r = self.reg(size, dst=dst, avoid=avoid)
            return r, r
        return self.mem(size, align=align, avoid=avoid), None

    def imm(self, bits):
        v = interesting32(self.rng) & ((1 << bits) - 1)
        return f"0x{v:x}"


def hexnum_signed(v):
    v = signed32(v)
    return f"-0x{-v:x}" if v < 0 else f"+0x{v:x}"


def interesting32(rng):
    k = rng.randrange(12)
    if k == 0:
        return rng.choice([0, 1, 2, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFF, 0x8000, 0x7FFF,
                           0x7F, 0x80, 0xFF, 0x100, 0x80000001, 0xFFFFFFFE])
    if k == 1:
        return rng.getrandbits(8)
    if k == 2:
        return rng.getrandbits(16)
    if k == 3:
        return -rng.randrange(1, 256) & M32
    if k == 4:
        return 1 << rng.randrange(32)
    if k == 5:
        return rng.randrange(0, 64)
    return rng.getrandbits(32)


def extended(rng):
    """An 80-bit x87 value: mostly ordinary numbers, sometimes special or raw bits."""
    k = rng.randrange(10)
    sign = rng.getrandbits(1) << 15
    if k == 0:
        return rng.getrandbits(80).to_bytes(10, "little")
    if k == 1:
        exponent, mantissa = rng.choice([(0, 0), (0x7FFF, 1 << 63), (0x7FFF, 3 << 62),
                                         (0, rng.getrandbits(62)), (0x7FFF, 1 << 63 | rng.getrandbits(62))])
        return mantissa.to_bytes(8, "little") + (sign | exponent).to_bytes(2, "little")
    if k == 2:  # a small integer
        value = rng.randrange(1, 1000)
        exponent = value.bit_length() - 1
        return (value << (63 - exponent)).to_bytes(8, "little") + (sign | 16383 + exponent).to_bytes(2, "little")
    exponent = 16383 + rng.randrange(-80, 80)
    mantissa = 1 << 63 | rng.getrandbits(63)
    return mantissa.to_bytes(8, "little") + (sign | exponent).to_bytes(2, "little")


SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.5, 1e-40, 3.4e38, float("inf"), float("nan")]
SPECIAL_DOUBLES = [0.0, -0.0, 1.0, 2.5e-310, 1e308, float("-inf"), float("nan")]
BYTE_POOL = [0, 1, 0x7F, 0x80, 0xFF] * 20 + list(range(256))


def vector(rng):
    """16 bytes: packed floats, doubles, small integers or raw bits."""
    k = rng.randrange(8)
    if k == 0:
        return struct.pack("<4f", *[rng.uniform(-1000, 1000) for _ in range(3)] + rng.choices(SPECIAL_FLOATS))
    if k == 1:
        return struct.pack("<2d", rng.uniform(-1e6, 1e6), rng.choice(SPECIAL_DOUBLES + [rng.uniform(-1, 1)]))
    if k == 2:
        return bytes(rng.choices(BYTE_POOL, k=16))
    if k == 3:
        return struct.pack("<4I", rng.getrandbits(8), rng.getrandbits(9), rng.getrandbits(4), rng.getrandbits(16))
    return rng.randbytes(16)


# ---- templates -------------------------------------------------------------
# Each takes a Case and emits one instruction (sometimes with the setup it
# needs). TEMPLATES lists them with a weight and the CPU feature they need.

ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]


def t_alu(c):
    rng = c.rng
    op = rng.choice(ALU + ["test"])
    size = rng.choice([1, 2, 4, 4])
    writes = op not in ("cmp", "test")
    form = rng.choice(["rr", "rm", "mr", "ri", "mi", "ri8"])
    if op == "test" and form == "rm":
        form = "mr"
    if form == "rr":
        d, s = c.reg(size, dst=writes), c.reg(size)
        c.emit(f"{op} {d}, {s}", writes=[d] if writes else [])
    elif form == "rm":
        d = c.reg(size, dst=writes)
        m = c.mem(size)
        c.emit(f"{op} {d}, {m}", writes=[d] if writes else [])
    elif form == "mr":
        m = c.mem(size)
        lock = "lock " if writes and rng.random() < 0.3 else ""
        c.emit(f"{lock}{op} {m}, {c.reg(size)}")
    elif form in ("ri", "ri8"):
        d = c.reg(size, dst=writes)
        if form == "ri8":
            value = rng.randrange(-128, 128)
        else:
            value = interesting32(rng) & ((1 << 8 * size) - 1)
        old = c.known.get(OWNER[d])
        sets = None
        if size == 4 and old is not None and op in ("add", "sub"):
            sets = {d: old + value if op == "add" else old - value}
        c.emit(f"{op} {d}, {hexnum(value)}", writes=[d] if writes else [], sets=sets)
    else:
        m = c.mem(size)
        lock = "lock " if writes and rng.random() < 0.3 else ""
        c.emit(f"{lock}{op} {m}, {c.imm(size * 8)}")


def t_alu_alternate(c):
    """Encodings an assembler never picks: 0x82 (an alias of 0x80, gone in
    64-bit mode), test /1, sal /6, and redundant segment prefixes."""
    rng = c.rng
    k = rng.randrange(5)
    if k == 0:
        r = rng.randrange(8)
        c.emit(f".byte 0x82, 0x{0xc0 | rng.randrange(8) << 3 | r:x}, 0x{rng.getrandbits(8):x}",
               writes=[GPR8[r]])
    elif k == 1:
        c.emit(f".byte 0xf6, 0x{0xc8 | rng.randrange(8):x}, 0x{rng.getrandbits(8):x}")
    elif k == 2:
        r = rng.choice([0, 1, 2, 3, 5, 6, 7])
        c.emit(f".byte 0x{rng.choice([0xd1, 0xd3]):x}, 0x{0xf0 | r:x}", writes=[GPR[r]])
    elif k == 3:
        r = rng.choice([0, 1, 2, 3, 5, 6, 7])
        c.emit(f".byte 0xc1, 0x{0xf0 | r:x}, 0x{rng.getrandbits(8):x}", writes=[GPR[r]])
    else:  # written as bytes: an assembler may drop a prefix it finds redundant
        prefix = rng.choice([0x3e, 0x26, 0x36, 0x2e])
        size = rng.choice([1, 2, 4])
        d = c.reg(size, dst=True)
        m = c.mem(size, seg=False)  # two segment prefixes: vx refuses those
        c.emit(f".byte 0x{prefix:x}", count=False)
        c.emit(f"{rng.choice(['add', 'mov', 'xor', 'sub'])} {d}, {m}", writes=[d])


def t_unary(c):
    rng = c.rng
    op = rng.choice(["inc", "dec", "neg", "not"])
    size = rng.choice([1, 2, 4, 4])
    if rng.random() < 0.5:
        d = c.reg(size, dst=True)
        old = c.known.get(OWNER[d])
        sets = None
        if size == 4 and old is not None:
            sets = {d: {"inc": old + 1, "dec": old - 1, "neg": -old, "not": ~old}[op]}
        c.emit(f"{op} {d}", writes=[d], sets=sets)
    else:
        lock = "lock " if rng.random() < 0.3 else ""
        c.emit(f"{lock}{op} {c.mem(size)}")


def t_shift(c):
    rng = c.rng
    op = rng.choice(["rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "sal"])
    size = rng.choice([1, 2, 4, 4])
    d, w = c.rm(size, dst=True)
    count = rng.choice(["1", "cl", f"0x{rng.randrange(32):x}", f"0x{rng.getrandbits(8):x}"])
    c.emit(f"{op} {d}, {count}", writes=[w] if w else [])


def t_double_shift(c):
    rng = c.rng
    op = rng.choice(["shld", "shrd"])
    size = rng.choice([2, 4])
    d, w = c.rm(size, dst=True)
    count = rng.choice(["cl", f"0x{rng.randrange(32):x}", f"0x{rng.getrandbits(8):x}"])
    c.emit(f"{op} {d}, {c.reg(size)}, {count}", writes=[w] if w else [])


def t_multiply(c):
    rng = c.rng
    size = rng.choice([1, 2, 4, 4])
    k = rng.randrange(3) if size > 1 else 0
    if k == 0:
        s, _ = c.rm(size)
        c.emit(f"{rng.choice(['mul', 'imul'])} {s}", writes=["eax"] + (["edx"] if size > 1 else []))
    elif k == 1:
        d = c.reg(size, dst=True)
        s, _ = c.rm(size)
        c.emit(f"imul {d}, {s}", writes=[d])
    else:
        d = c.reg(size, dst=True)
        s, _ = c.rm(size)
        c.emit(f"imul {d}, {s}, {c.imm(rng.choice([8, size * 8]))}", writes=[d])


def t_divide(c):
    """div/idiv with operands that cannot raise #DE: a known non-zero divisor
    and a high half set up below it (div) or sign-extended (idiv)."""
    rng = c.rng
    size = rng.choice([1, 2, 4, 4])
    signed = rng.random() < 0.5
    acc = {1: "ax", 2: "dx", 4: "edx"}[size]
    value = rng.choice([rng.randrange(1, 1 << (8 * size)), rng.randrange(2, 20),
                        (1 << 8 * size) - rng.randrange(2, 10)])
    if rng.random() < 0.5:  # a register divisor
        names = {1: ["cl", "dl", "bl", "ch", "dh", "bh"], 2: ["cx", "bx", "si", "di", "bp"],
                 4: ["ecx", "ebx", "esi", "edi", "ebp"]}[size]
        r = rng.choice(names)
        if OWNER[r] == "edx":
            r = "bl" if size == 1 else "bx" if size == 2 else "ebx"
        full = c.known.get(OWNER[r])
        mask = (1 << 8 * size) - 1
        part = None if full is None else (full >> 8 if r in ("ah", "ch", "dh", "bh") else full) & mask
        if part is None or part == 0 or (signed and part == mask):
            c.emit(f"mov {r}, 0x{value:x}", writes=[r])
            part = value
        divisor = r
    else:
        m = c.mem(size, avoid=("eax", "edx"))
        c.emit(f"mov {m}, 0x{value:x}")
        part, divisor = value, m
    if signed:
        c.emit({1: "cbw", 2: "cwd", 4: "cdq"}[size], writes=["eax", "edx"] if size > 1 else ["eax"])
    elif size == 1:
        c.emit(f"mov ah, 0x{rng.randrange(part):x}", writes=["eax"])
    else:
        c.emit(f"mov {acc}, 0x{rng.randrange(part):x}", writes=["edx"])
    c.emit(f"{'idiv' if signed else 'div'} {divisor}", writes=["eax", "edx"])


def t_bit_test(c):
    rng = c.rng
    op = rng.choice(["bt", "bts", "btr", "btc"])
    size = rng.choice([2, 4, 4])
    writes = op != "bt"
    if rng.random() < 0.5:
        d, w = c.rm(size, dst=writes)
        c.emit(f"{op} {d}, 0x{rng.getrandbits(8):x}", writes=[w] if w and writes else [])
        return
    if rng.random() < 0.5:  # register, register
        d = c.reg(size, dst=writes)
        c.emit(f"{op} {d}, {c.reg(size)}", writes=[d] if writes else [])
        return
    # memory, register: the register's bit offset (signed) may reach outside
    # the operand, so it gets a known value whose reach stays inside scratch.
    r = c.dst32()
    c.set_to(r, rng.randrange(-0x200, 0x200))  # up to 64 bytes either way
    name = r if size == 4 else GPR16[GPR.index(r)]
    m = c.mem(size, avoid=(r,), margin=72)
    lock = "lock " if writes and rng.random() < 0.3 else ""
    c.emit(f"{lock}{op} {m}, {name}")


def t_bit_scan(c):
    rng = c.rng
    ops = ["bsf", "bsr"]
    if has("popcnt"):
        ops.append("popcnt")
    if has("abm"):
        ops.append("lzcnt")
    if has("bmi1"):
        ops.append("tzcnt")
    size = rng.choice([2, 4, 4])
    d = c.reg(size, dst=True)
    s, _ = c.rm(size)
    c.emit(f"{rng.choice(ops)} {d}, {s}", writes=[d])


def t_bswap(c):
    d = c.dst32()
    old = c.known.get(d)
    sets = None if old is None else {d: int.from_bytes(old.to_bytes(4, "little"), "big")}
    c.emit(f"bswap {d}", writes=[d], sets=sets)


def t_exchange(c):
    rng = c.rng
    size = rng.choice([1, 2, 4, 4])
    k = rng.randrange(4)
    if k == 0:
        a, b = c.reg(size, dst=True), c.reg(size, dst=True)
        sets = None
        if size == 4 and a in c.known and b in c.known:
            sets = {a: c.known[b], b: c.known[a]}
        c.emit(f"xchg {a}, {b}", writes=[a, b], sets=sets)
    elif k == 1:
        r = c.reg(size, dst=True)
        c.emit(f"xchg {c.mem(size)}, {r}", writes=[r])
    elif k == 2:
        d, w = c.rm(size, dst=True)
        r = c.reg(size, dst=True)
        lock = "lock " if w is None and rng.random() < 0.5 else ""
        c.emit(f"{lock}xadd {d}, {r}", writes=[r] + ([w] if w else []))
    else:
        d, w = c.rm(size, dst=True, avoid=("eax",))
        r = c.reg(size)
        lock = "lock " if w is None and rng.random() < 0.5 else ""
        c.emit(f"{lock}cmpxchg {d}, {r}", writes=["eax"] + ([w] if w else []))


def t_cmpxchg8b(c):
    m = c.mem(8, avoid=("eax", "edx", "ebx", "ecx"))
    lock = "lock " if c.rng.random() < 0.5 else ""
    c.emit(f"{lock}cmpxchg8b {m}", writes=["eax", "edx"])


def t_move(c):
    rng = c.rng
    size = rng.choice([1, 2, 4, 4, 4])
    k = rng.randrange(6)
    if k == 0:
        d, s = c.reg(size, dst=True), c.reg(size)
        sets = {d: c.known[s]} if size == 4 and s in c.known else None
        c.emit(f"mov {d}, {s}", writes=[d], sets=sets)
    elif k == 1:
        d = c.reg(size, dst=True)
        c.emit(f"mov {d}, {c.mem(size)}", writes=[d])
    elif k == 2:
        c.emit(f"mov {c.mem(size)}, {c.reg(size)}")
    elif k == 3:
        d = c.reg(size, dst=True)
        v = c.imm(size * 8)
        c.emit(f"mov {d}, {v}", writes=[d], sets={d: int(v, 16)} if size == 4 else None)
    elif k == 4:
        c.emit(f"mov {c.mem(size)}, {c.imm(size * 8)}")
    else:  # the accumulator's moffs forms
        acc = {1: "al", 2: "ax", 4: "eax"}[size]
        t = c.target(size, 1)
        if rng.random() < 0.5:
            c.emit(f"mov {acc}, {PTR[size]} [0x{t:x}]", writes=[acc])
        else:
            c.emit(f"mov {PTR[size]} [0x{t:x}], {acc}")


def t_extend(c):
    rng = c.rng
    op = rng.choice(["movzx", "movsx"])
    dsize, ssize = rng.choice([(2, 1), (4, 1), (4, 2)])
    d = c.reg(dsize, dst=True)
    s, _ = c.rm(ssize)
    c.emit(f"{op} {d}, {s}", writes=[d])


def t_lea(c):
    """Any address form: no memory is touched, so any register will do."""
    rng = c.rng
    size = rng.choice([2, 4, 4, 4])
    d = c.reg(size, dst=True)
    parts = []
    b = rng.choice(GPR + [None])
    i = rng.choice([r for r in GPR if r != "esp"] + [None])
    s = rng.choice([1, 2, 4, 8])
    disp = rng.choice([0, rng.randrange(-128, 128), signed32(rng.getrandbits(32))])
    if b:
        parts.append(b)
    if i:
        parts.append(f"{i}*{s}")
    if not parts or disp:
        parts.append(hexnum(disp))
    expr = "+".join(parts).replace("+-", "-")
    sets = None
    if size == 4 and all(r in c.known for r in (b, i) if r):
        sets = {d: (c.known[b] if b else 0) + (c.known[i] * s if i else 0) + disp}
    # Not 16-bit addressing (0x67, lea ax, [bx+si]): vx refuses it (SIGILL).
    c.emit(f"lea {d}, [{expr}]", writes=[d], sets=sets)


def t_setcc(c):
    d, w = c.rm(1, dst=True)
    c.emit(f"set{c.rng.choice(CC)} {d}", writes=[w] if w else [])


def t_cmov(c):
    size = c.rng.choice([2, 4, 4])
    d = c.reg(size, dst=True)
    s, _ = c.rm(size)
    c.emit(f"cmov{c.rng.choice(CC)} {d}, {s}", writes=[d])


def t_convert(c):
    op = c.rng.choice(["cbw", "cwde", "cwd", "cdq"])
    c.emit(op, writes=["eax"] if op in ("cbw", "cwde") else ["edx"])


def t_flag_ops(c):
    op = c.rng.choice(["clc", "stc", "cmc", "cld", "std", "lahf", "sahf"])
    c.emit(op, writes=["eax"] if op == "lahf" else [])


def t_nop(c):
    rng = c.rng
    k = rng.randrange(4)
    if k == 0:
        c.emit(rng.choice(["nop", "pause", "xchg ax, ax", "fnop"]))
    elif k == 1:  # multi-byte nop: its memory operand is never accessed
        b = rng.choice(GPR)
        c.emit(f"nop {rng.choice(['word', 'dword'])} ptr [{b}+{c.dst32()}*{rng.choice([1, 2, 4, 8])}"
               f"{hexnum_signed(rng.getrandbits(32))}]")
    elif k == 2:
        c.emit(rng.choice(["lfence", "mfence", "sfence"]))
    else:
        c.emit(f"prefetch{rng.choice(['t0', 't1', 't2', 'nta'])} {c.mem(1, ptr=False)}")


def t_xlat(c):
    ebx = c.known.get("ebx")
    if ebx is None or not c.base + 8 <= ebx <= c.base + SCRATCH_SIZE - 264:
        c.set_to("ebx", c.target(256, 1))
    c.emit("xlatb", writes=["eax"])


# -- the stack --

def t_push_pop(c):
    rng = c.rng
    esp = c.esp()
    k = rng.randrange(8)
    if k == 0 and c.stack_room(4):
        r = c.src32()
        c.emit(f"push {r}", sets={"esp": esp - 4})
    elif k == 1 and c.stack_room(4):
        value = rng.randrange(-128, 128) if rng.random() < 0.5 else signed32(interesting32(rng))
        c.emit(f"push {hexnum(value)}", sets={"esp": esp - 4})
    elif k == 2 and c.stack_room(4):
        m = c.mem(4)  # addressed with esp as it was
        c.emit(f"push {m}", sets={"esp": esp - 4})
    elif k == 3 and c.stack_room(0, 4):
        r = c.rng.choice(GPR)
        if r == "esp":  # pop esp: esp is the value read; kept in a register, then back to the stack
            c.emit("pop esp")
            r = c.dst32()
            c.emit(f"mov {r}, esp", writes=[r])
            c.emit(f"mov esp, 0x{esp + 4:x}", sets={"esp": esp + 4})
        else:
            c.emit(f"pop {r}", writes=[r], sets={"esp": esp + 4})
    elif k == 4 and c.stack_room(0, 4):
        m = c.mem(4, esp_bias=4)  # addressed with esp past the value
        c.emit(f"pop {m}", sets={"esp": esp + 4})
    elif k == 5 and c.stack_room(32, 32):
        if rng.random() < 0.5:
            c.emit("pushad", sets={"esp": esp - 32})
        else:
            c.emit("popad", writes=[r for r in GPR if r != "esp"], sets={"esp": esp + 32})
    elif k == 6 and c.stack_room(4, 4):
        if rng.random() < 0.5:
            c.emit("pushfd", sets={"esp": esp - 4})
            r = c.dst32()
            c.emit(f"pop {r}", writes=[r], sets={"esp": esp})
        else:  # popfd of a value with the arithmetic flags, DF and ID (never TF, AC or NT)
            c.emit(f"push 0x{0x202 | rng.getrandbits(12) & 0xcd5 | rng.choice([0, 0x200000]):x}",
                   sets={"esp": esp - 4})
            c.emit("popfd", sets={"esp": esp})
    elif k == 7 and c.stack_room(80, 4):
        n = rng.randrange(0, 64)
        ebp = c.known.get("ebp")
        if rng.random() < 0.4 and ebp is not None and c.base + STACK_LOW <= ebp <= c.base + STACK_HIGH:
            c.emit("leave", writes=["ebp"], sets={"esp": ebp + 4})
        else:
            c.emit(f"enter 0x{n:x}, 0", sets={"ebp": esp - 4, "esp": esp - 4 - n})
    else:
        t_move(c)


def t_esp_arithmetic(c):
    """esp as an ordinary operand, where its value stays known."""
    rng = c.rng
    esp = c.esp()
    k = rng.randrange(6)
    if k == 0 and c.stack_room(64, 64):
        d = rng.randrange(-16, 17) * 4
        c.emit(f"lea esp, [esp{hexnum_signed(d)}]", sets={"esp": esp + d})
    elif k == 1 and c.stack_room(64, 64):
        d = rng.randrange(-16, 17) * 4
        c.emit(f"{'add' if d >= 0 else 'sub'} esp, {abs(d)}", sets={"esp": esp + d})
    elif k == 2 and c.stack_room(16):
        c.emit("and esp, -16", sets={"esp": esp & ~15})
    elif k == 3:
        r = c.dst32()
        c.emit(f"mov {r}, esp", writes=[r], sets={r: esp})
    elif k == 4 and c.stack_room(64, 64):
        ptrs = [r for r, v in c.known.items() if r != "esp" and c.base + STACK_LOW + 64 <= v <= c.base + STACK_HIGH - 64]
        if ptrs:
            r = rng.choice(ptrs)
            if rng.random() < 0.5:
                c.emit(f"xchg esp, {r}", sets={"esp": c.known[r], r: esp})
            else:
                c.emit(f"mov esp, {r}", sets={"esp": c.known[r]})
    else:
        size = rng.choice([2, 4])
        op = rng.choice(ALU)
        r = c.reg(size, dst=op != "cmp")
        c.emit(f"{op} {r}, {'sp' if size == 2 else 'esp'}", writes=[r] if op != "cmp" else [])


# Destinations for esp/sp itself. esp holds an arbitrary value only between
# saving it to scratch and loading it back; the result goes to a register
# so that it is compared. {r8} is al..bl: vx refuses esp/sp together with
# ah..bh (movzx esp, ah; crc32 esp, bh: SIGILL), as r12 needs a REX prefix.
ESP_DESTINATIONS = [
    "movzx esp, {r8}", "movsx esp, {r8}", "movzx esp, {r16}", "movzx sp, {r8}", "movsx sp, {r8}",
    "imul esp, {r32}, 0x{i:x}", "imul esp, {r32}", "imul sp, {r16}, 0x{i:x}",
    "bswap esp", "shld esp, {r32}, cl", "shrd esp, {r32}, 0x{s:x}", "shl esp, cl", "rcr sp, 1",
    "xadd esp, {r32}", "cmpxchg esp, {r32}", "cmov{cc} esp, {r32}", "bsf esp, {r32}", "bsr sp, {r16}",
    "xchg esp, {r32}", "xchg sp, {r16}", "adc esp, {r32}", "sbb sp, {r16}", "neg esp", "not sp",
    "inc esp", "dec sp", "btc esp, {r32}", "bts sp, 0x{s:x}", "mov sp, {r16}", "add sp, 0x{i:x}",
    "lea esp, [{r32}+{r32}*4+0x{i:x}]", "lea sp, [{r32}-0x10]", "xor esp, 0x{i:x}", "sar esp, 0x{s:x}",
    "movzx esp, byte ptr [0x{t:x}]", "mov sp, word ptr [0x{t:x}]", "add esp, dword ptr [0x{t:x}]",
    "mov esp, {r32}",
]
ESP_DESTINATIONS_EXTRA = {
    "popcnt": ["popcnt esp, {r32}"], "abm": ["lzcnt sp, {r16}"], "bmi1": ["tzcnt esp, {r32}", "andn esp, {r32}, {r32}", "blsr esp, {r32}"],
    "bmi2": ["rorx esp, {r32}, 0x{s:x}", "shlx esp, {r32}, {r32}", "pdep esp, {r32}, {r32}"],
    "sse2": ["movd esp, xmm{x}", "pmovmskb esp, xmm{x}", "cvttsd2si esp, xmm{x}", "pextrw esp, xmm{x}, 0x{s:x}"],
    "sse4_1": ["pextrd esp, xmm{x}, 0x{s:x}", "pextrb esp, xmm{x}, 0x{s:x}"],
    "sse4_2": ["crc32 esp, {r8}"], "adx": ["adcx esp, {r32}"], "movbe": ["movbe sp, word ptr [0x{t:x}]"],
}


def t_esp_destination(c):
    rng = c.rng
    forms = list(ESP_DESTINATIONS)
    for feature, extra in ESP_DESTINATIONS_EXTRA.items():
        if has(feature):
            forms += extra
    form = rng.choice(forms)
    save = c.target(4, 4)
    others = [r for r in GPR if r != "esp"]
    text = form.format(r8=rng.choice(GPR8[:4]), r16=rng.choice([r for r in GPR16 if r != "sp"]),
                       r32=rng.choice(others), i=rng.getrandbits(16), s=rng.randrange(16),
                       cc=rng.choice(CC), x=rng.randrange(8), t=c.target(4, 1))
    while "{r32}" in text:
        text = text.replace("{r32}", rng.choice(others), 1)
    c.emit(f"mov dword ptr [0x{save:x}], esp")
    c.emit(text, writes=["eax"] + [r for r in GPR16 + GPR8 if r in text and r != "sp"])
    r = c.dst32()
    c.emit(f"mov {r}, esp", writes=[r])
    c.emit(f"mov esp, dword ptr [0x{save:x}]")


# -- strings --

def t_string(c):
    rng = c.rng
    op = rng.choice(["movs", "stos", "lods", "cmps", "scas"])
    size = rng.choice(["b", "w", "d"])
    rep = rng.choice(["", "rep ", "rep "]) if op in ("movs", "stos", "lods") else rng.choice(["", "repe ", "repne "])
    # esi/edi somewhere in the middle, ecx small: safe whichever way DF points.
    for r in (["esi"] if op in ("movs", "lods", "cmps") else []) + (["edi"] if op != "lods" else []):
        v = c.known.get(r)
        if v is None or not c.base + 0x100 <= v <= c.base + SCRATCH_SIZE - 0x100 or rng.random() < 0.3:
            c.set_to(r, c.base + rng.randrange(0x100, SCRATCH_SIZE - 0x100))
    if rep:
        v = c.known.get("ecx")
        if v is None or v > 48 or rng.random() < 0.5:
            n = rng.randrange(0, 20)
            c.emit(f"mov ecx, 0x{n:x}", sets={"ecx": n})
    if rng.random() < 0.3:
        c.emit(rng.choice(["cld", "std"]))
    if op != "stos" and op != "scas" and rng.random() < 0.2:
        # A segment override on the source: vx emulates these in the host.
        # Not cs: vx refuses it on an implicit operand (SIGILL).
        c.emit(f".byte 0x{rng.choice([0x3e, 0x26, 0x36]):x}", count=False)
    c.emit(f"{rep}{op}{size}", writes=["esi", "edi", "ecx"] + (["eax"] if op == "lods" else []))


# -- control flow that stays straight-line in effect --

def t_branch(c):
    """A forward jump over 0-2 instructions; what they set is unknown after."""
    rng = c.rng
    if c.in_branch:
        return t_alu(c)
    k = rng.randrange(9)
    if k <= 3:
        before = dict(c.known)
        end = c.label()
        far = "{disp32} " if rng.random() < 0.3 else ""
        jump = rng.choice([f"j{rng.choice(CC)}"] * 6 + ["jecxz", "loop", "loope", "loopne", "jmp"])
        if jump.startswith("loop"):
            far = ""
            c.emit(f"{jump} {end}", writes=["ecx"])
            before.pop("ecx", None)
        else:
            c.emit(f"{far}{jump} {end}" if jump != "jecxz" else f"jecxz {end}")
        c.in_branch = True
        if jump == "jmp" and rng.random() < 0.5:  # junk nobody runs
            c.emit(".byte " + ", ".join(f"0x{rng.getrandbits(8):x}" for _ in range(rng.randrange(1, 9))),
                   count=False)
        else:
            for _ in range(rng.randrange(3)):
                pick_template(c)
        c.in_branch = False
        c.lines.append(f"{end}:")
        for r in list(c.known):
            if before.get(r) != c.known[r]:
                c.known.pop(r)
    elif k <= 5 and c.stack_room(8):
        # call a subroutine that runs one instruction and returns
        sub, end = c.label(), c.label()
        esp = c.esp()
        extra = rng.random() < 0.3
        if extra:
            c.emit(f"push 0x{rng.getrandbits(16):x}", sets={"esp": esp - 4})
        c.emit(f"call {sub}")
        c.emit(f"jmp {end}")
        c.lines.append(f"{sub}:")
        c.known["esp"] = esp - (8 if extra else 4)
        c.in_branch = True  # no stack moves inside
        c.protected = (c.esp(), c.esp() + 4)
        pick_template(c)
        c.in_branch = False
        c.protected = None
        c.emit("ret 4" if extra else "ret")
        c.lines.append(f"{end}:")
        c.known["esp"] = esp
    elif k <= 7 and c.stack_room(8):
        # indirect jump or call to a label, its address found with call/pop
        here, there = c.label(), c.label()
        r = c.dst32()
        c.emit(f"call {here}")
        c.lines.append(f"{here}:")
        c.emit(f"pop {r}", writes=[r])
        c.emit(f"add {r}, {there} - {here}")
        kind = rng.randrange(3)
        if kind == 0:
            c.emit(f"jmp {r}")
            c.emit(".byte " + ", ".join(f"0x{rng.getrandbits(8):x}" for _ in range(rng.randrange(1, 6))), count=False)
            c.lines.append(f"{there}:")
        elif kind == 1:
            m = c.mem(4, avoid=(r,))
            c.emit(f"mov {m}, {r}")
            c.emit(f"jmp {m}")
            c.emit(".byte 0xcc", count=False)
            c.lines.append(f"{there}:")
        else:  # call r: returns to the jmp after it
            after = c.label()
            c.emit(f"call {r}")
            c.emit(f"jmp {after}")
            c.lines.append(f"{there}:")
            c.emit("ret")
            c.lines.append(f"{after}:")
    else:
        r = c.dst32()
        here = c.label()
        if c.stack_room(4):
            c.emit(f"call {here}")
            c.lines.append(f"{here}:")
            c.emit(f"pop {r}", writes=[r])  # its own address: the same page in both runs
        else:
            t_alu(c)


# -- x87 --

X87_ARITH = ["fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr"]
X87_NULLARY = ["fchs", "fabs", "fsqrt", "frndint", "ftst", "fxam", "fscale", "fprem", "fprem1", "fxtract",
               "f2xm1", "fyl2x", "fyl2xp1", "fsin", "fcos", "fsincos", "fptan", "fpatan", "fldz", "fld1",
               "fldpi", "fldl2e", "fldl2t", "fldlg2", "fldln2", "fincstp", "fdecstp", "fnop", "fwait",
               "fnclex", "fcompp", "fucompp", "fninit"]


def t_x87(c):
    rng = c.rng
    i = rng.randrange(8)
    k = rng.randrange(14)
    if k == 0:
        op = rng.choice(X87_ARITH)
        c.emit(rng.choice([f"{op} st, st({i})", f"{op} st({i}), st", f"{op}p st({i}), st"]))
    elif k == 1:
        op = rng.choice(X87_ARITH)
        c.emit(f"{op} {c.mem(rng.choice([4, 8]))}")
    elif k == 2:
        op = rng.choice(X87_ARITH)
        c.emit(f"fi{op[1:]} {c.mem(rng.choice([2, 4]))}")
    elif k in (3, 4):
        c.emit(rng.choice(X87_NULLARY))
    elif k == 5:
        c.emit(rng.choice([f"fld st({i})", f"fst st({i})", f"fstp st({i})", f"fxch st({i})", f"ffree st({i})"]))
    elif k == 6:
        size = rng.choice([4, 8, 10])
        c.emit(f"fld {c.mem(size)}")
    elif k == 7:
        size = rng.choice([4, 8, 10])
        op = "fstp" if size == 10 else rng.choice(["fst", "fstp"])
        c.emit(f"{op} {c.mem(size)}")
    elif k == 8:
        size = rng.choice([2, 4, 8])
        c.emit(f"fild {c.mem(size)}")
    elif k == 9:
        size = rng.choice([2, 4, 8])
        ops = ["fistp"] + (["fist"] if size < 8 else []) + (["fisttp"] if has("pni") else [])
        c.emit(f"{rng.choice(ops)} {c.mem(size)}")
    elif k == 10:
        form = rng.choice(["fcom st({i})", "fcomp st({i})", "fucom st({i})", "fucomp st({i})", "fcomi st, st({i})",
                           "fcomip st, st({i})", "fucomi st, st({i})", "fucomip st, st({i})", "fcom {m4}", "ficomp {m2}"])
        c.emit(form.format(i=i, m4=c.mem(rng.choice([4, 8])) if "{m4}" in form else "",
                           m2=c.mem(rng.choice([2, 4])) if "{m2}" in form else ""))
    elif k == 11:
        c.emit(f"fcmov{rng.choice(['b', 'e', 'be', 'u', 'nb', 'ne', 'nbe', 'nu'])} st, st({i})")
    elif k == 12:
        if rng.random() < 0.5:
            c.emit("fnstsw ax", writes=["eax"])
        else:
            c.emit(f"{rng.choice(['fnstsw', 'fnstcw'])} {c.mem(2)}")
    else:  # a new control word: any precision and rounding, exceptions masked
        m = c.mem(2)
        c.emit(f"mov {m}, 0x{0x7f | rng.getrandbits(4) << 8:x}")
        c.emit(f"fldcw {m}")


# -- SSE and AVX --
# Entries are (mnemonic, operands, cpu feature). Operand letters: x xmm
# register; X xmm or m128 (aligned for legacy SSE); U xmm or m128 (no
# alignment needed); u m128; A aligned m128; V m128; S xmm or m32; D xmm or
# m64; s d b h m32 m64 m8 m16; v xmm or ymm (the width chosen for the
# instruction), W the same or memory, w memory of that width; Y ymm; Z ymm
# or m256; H xmm or memory of half the width; r destination GPR; G
# destination GPR or m32; g source GPR or m32 (g8, g16: narrower); gb, gw
# source r32 or m8/m16; q source GPR; rs source GPR but esp; n m32; m mmx
# register; M mmx or m64; i imm8.

SSE = [(m, "x,X", "sse") for m in [
    "addps", "subps", "mulps", "divps", "minps", "maxps", "sqrtps", "rcpps", "rsqrtps", "andps", "andnps",
    "orps", "xorps", "unpcklps", "unpckhps"]]
SSE += [(m, "x,S", "sse") for m in ["addss", "subss", "mulss", "divss", "minss", "maxss", "sqrtss", "rcpss",
                                       "rsqrtss", "comiss", "ucomiss", "cvtss2sd"]]
SSE += [("cmpps", "x,X,i", "sse"), ("cmpss", "x,S,i", "sse"), ("shufps", "x,X,i", "sse"),
        ("movaps", "x,X", "sse"), ("movups", "x,U", "sse"), ("movss", "x,x", "sse"), ("movhlps", "x,x", "sse"),
        ("movlhps", "x,x", "sse"), ("movmskps", "r,x", "sse"), ("cvtsi2ss", "x,g", "sse"),
        ("cvtss2si", "r,S", "sse"), ("cvttss2si", "r,S", "sse"), ("cvtps2pd", "x,D", "sse2")]
SSE += [(m, "x,X", "sse2") for m in [
    "addpd", "subpd", "mulpd", "divpd", "minpd", "maxpd", "sqrtpd", "andpd", "andnpd", "orpd", "xorpd",
    "unpcklpd", "unpckhpd", "cvtpd2ps", "cvtdq2ps", "cvtps2dq", "cvttps2dq", "cvtpd2dq", "cvttpd2dq",
    "paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq", "paddsb", "paddsw", "paddusb",
    "paddusw", "psubsb", "psubsw", "psubusb", "psubusw", "pmullw", "pmulhw", "pmulhuw", "pmuludq", "pmaddwd",
    "pavgb", "pavgw", "pminub", "pmaxub", "pminsw", "pmaxsw", "psadbw", "pand", "pandn", "por", "pxor",
    "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpgtb", "pcmpgtw", "pcmpgtd", "packsswb", "packssdw", "packuswb",
    "punpcklbw", "punpcklwd", "punpckldq", "punpcklqdq", "punpckhbw", "punpckhwd", "punpckhdq",
    "punpckhqdq", "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad", "movdqa"]]
SSE += [(m, "x,D", "sse2") for m in ["addsd", "subsd", "mulsd", "divsd", "minsd", "maxsd", "sqrtsd", "comisd",
                                        "ucomisd", "cvtsd2ss", "cvtdq2pd"]]
SSE += [("cmppd", "x,X,i", "sse2"), ("cmpsd", "x,D,i", "sse2"), ("shufpd", "x,X,i", "sse2"),
        ("pshufd", "x,X,i", "sse2"), ("pshuflw", "x,X,i", "sse2"), ("pshufhw", "x,X,i", "sse2"),
        ("movdqu", "x,U", "sse2"), ("movupd", "x,U", "sse2"), ("movsd", "x,x", "sse2"), ("movq", "x,D", "sse2"),
        ("movmskpd", "r,x", "sse2"), ("pmovmskb", "r,x", "sse2"), ("cvtsi2sd", "x,g", "sse2"),
        ("cvtsd2si", "r,D", "sse2"), ("cvttsd2si", "r,D", "sse2"), ("movd", "x,g", "sse2"),
        ("pextrw", "r,x,i", "sse2"), ("pinsrw", "x,gw,i", "sse2"), ("psllw", "x,i", "sse2"),
        ("pslld", "x,i", "sse2"), ("psllq", "x,i", "sse2"), ("psrlw", "x,i", "sse2"), ("psrld", "x,i", "sse2"),
        ("psrlq", "x,i", "sse2"), ("psraw", "x,i", "sse2"), ("psrad", "x,i", "sse2"), ("pslldq", "x,i", "sse2"),
        ("psrldq", "x,i", "sse2")]
SSE += [(m, "x,X", "pni") for m in ["addsubps", "addsubpd", "haddps", "haddpd", "hsubps", "hsubpd",
                                       "movshdup", "movsldup"]]
SSE += [("movddup", "x,D", "pni"), ("lddqu", "x,u", "pni")]
SSE += [(m, "x,X", "ssse3") for m in ["pshufb", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw",
                                         "pmaddubsw", "pmulhrsw", "psignb", "psignw", "psignd", "pabsb",
                                         "pabsw", "pabsd"]]
SSE += [("palignr", "x,X,i", "ssse3")]
SSE += [(m, "x,X", "sse4_1") for m in ["pmulld", "pmuldq", "pminsb", "pminsd", "pminuw", "pminud", "pmaxsb",
                                          "pmaxsd", "pmaxuw", "pmaxud", "packusdw", "pcmpeqq", "ptest",
                                          "phminposuw", "pblendvb", "blendvps", "blendvpd"]]
SSE += [(m, "x,D", "sse4_1") for m in ["pmovsxbw", "pmovzxbw", "pmovsxwd", "pmovzxwd", "pmovsxdq", "pmovzxdq"]]
SSE += [(m, "x,S", "sse4_1") for m in ["pmovsxbd", "pmovzxbd", "pmovsxwq", "pmovzxwq"]]
SSE += [(m, "x,X,i", "sse4_1") for m in ["pblendw", "blendps", "blendpd", "roundps", "roundpd", "dpps", "dppd",
                                            "mpsadbw"]]
SSE += [("roundss", "x,S,i", "sse4_1"), ("roundsd", "x,D,i", "sse4_1"), ("insertps", "x,S,i", "sse4_1"),
        ("pextrd", "r,x,i", "sse4_1"), ("pextrb", "r,x,i", "sse4_1"), ("extractps", "r,x,i", "sse4_1"),
        ("pinsrd", "x,g,i", "sse4_1"), ("pinsrb", "x,gb,i", "sse4_1")]
SSE += [("pcmpgtq", "x,X", "sse4_2"), ("pcmpistri", "x,U,i", "sse4_2"), ("pcmpistrm", "x,U,i", "sse4_2"),
        ("pcmpestri", "x,U,i", "sse4_2"), ("pcmpestrm", "x,U,i", "sse4_2")]
SSE += [(m, "x,X", "aes") for m in ["aesenc", "aesenclast", "aesdec", "aesdeclast", "aesimc"]]
SSE += [("aeskeygenassist", "x,X,i", "aes"), ("pclmulqdq", "x,X,i", "pclmulqdq")]
SSE += [(m, "x,X", "sha_ni") for m in ["sha1nexte", "sha1msg1", "sha1msg2", "sha256msg1", "sha256msg2",
                                          "sha256rnds2"]]
SSE += [("sha1rnds4", "x,X,i", "sha_ni")]
# Stores and the GPR forms of movd.
SSE += [("movaps", "A,x", "sse"), ("movups", "V,x", "sse"), ("movdqa", "A,x", "sse2"), ("movdqu", "V,x", "sse2"),
        ("movss", "s,x", "sse"), ("movsd", "d,x", "sse2"), ("movq", "d,x", "sse2"), ("movd", "G,x", "sse2"),
        ("movlps", "x,d", "sse"), ("movhps", "x,d", "sse"), ("movlps", "d,x", "sse"), ("movhps", "d,x", "sse"),
        ("movlpd", "x,d", "sse2"), ("movhpd", "d,x", "sse2"), ("movntdq", "A,x", "sse2"),
        ("movnti", "s,rs", "sse2"), ("pextrw", "h,x,i", "sse4_1"), ("pextrd", "s,x,i", "sse4_1"),
        ("extractps", "s,x,i", "sse4_1"), ("pextrb", "b,x,i", "sse4_1")]
MMX = [(m, "m,M", "mmx") for m in ["paddb", "paddw", "paddd", "psubb", "psubw", "psubd", "paddsb", "paddusw",
                                      "psubsw", "pmullw", "pmulhw", "pmaddwd", "pand", "pandn", "por", "pxor",
                                      "pcmpeqb", "pcmpgtw", "packsswb", "packuswb", "punpckhdq",
                                      "psllw", "psrld", "psraw", "movq"]]
MMX += [("punpcklbw", "m,m", "mmx"), ("psllq", "m,i", "mmx"), ("psrlw", "m,i", "mmx"), ("movd", "m,g", "mmx"), ("movd", "G,m", "mmx"),
        ("movq", "d,m", "mmx"), ("pshufw", "m,M,i", "sse"), ("pmovmskb", "r,m", "sse"), ("pavgb", "m,M", "sse"),
        ("psadbw", "m,M", "sse"), ("pmuludq", "m,M", "sse2"), ("paddq", "m,M", "sse2"), ("pshufb", "m,M", "ssse3"),
        ("palignr", "m,M,i", "ssse3"), ("pabsw", "m,M", "ssse3"), ("cvtpi2ps", "x,M", "sse"),
        ("cvtps2pi", "m,D", "sse"), ("cvttpd2pi", "m,X", "sse2"), ("movq2dq", "x,m", "sse2"),
        ("movdq2q", "m,x", "sse2"), ("emms", "", "mmx")]
# VEX: v is an xmm or ymm register (one width per instruction), W the same
# width or memory, H the xmm half, Y ymm only and its memory form.
AVX = [(m, "v,v,W", "avx") for m in ["vaddps", "vsubpd", "vmulps", "vdivpd", "vminps", "vmaxpd", "vandps",
                                        "vxorpd", "vunpcklps", "vhaddps", "vaddsubpd", "vblendvps"]]
AVX += [("vsqrtps", "v,W", "avx"), ("vrcpps", "v,W", "avx"), ("vcvtdq2ps", "v,W", "avx"),
        ("vcvttps2dq", "v,W", "avx"), ("vmovups", "v,W", "avx"), ("vmovdqu", "v,W", "avx"),
        ("vmovups", "W,v", "avx"), ("vmovdqu", "W,v", "avx"), ("vshufps", "v,v,W,i", "avx"),
        ("vblendps", "v,v,W,i", "avx"), ("vdpps", "v,v,W,i", "avx"), ("vroundpd", "v,W,i", "avx"),
        ("vpermilps", "v,W,i", "avx"), ("vpermilpd", "v,v,W", "avx"), ("vperm2f128", "Y,Y,Z,i", "avx"),
        ("vinsertf128", "Y,Y,X,i", "avx"), ("vextractf128", "X,Y,i", "avx"), ("vbroadcastss", "v,s", "avx"),
        ("vbroadcastsd", "Y,d", "avx"), ("vtestps", "v,W", "avx"), ("vptest", "v,W", "avx"),
        ("vaddss", "x,x,S", "avx"), ("vcvtsi2sd", "x,x,g", "avx"), ("vcvttsd2si", "r,D", "avx"),
        ("vmovd", "x,g", "avx"), ("vmovd", "G,x", "avx"), ("vpextrw", "r,x,i", "avx"),
        ("vpinsrd", "x,x,g,i", "avx"), ("vmovmskps", "r,v", "avx"), ("vzeroupper", "", "avx"),
        ("vzeroall", "", "avx"), ("vmaskmovps", "v,v,w", "avx"), ("vcvtps2pd", "Y,X", "avx"),
        ("vcvtpd2ps", "x,Y", "avx")]
AVX += [(m, "v,v,W", "avx2") for m in ["vpaddb", "vpaddq", "vpsubw", "vpmullw", "vpmulld", "vpmaddwd",
                                          "vpshufb", "vpand", "vpxor", "vpcmpeqd", "vpcmpgtq", "vpminsd",
                                          "vpmaxub", "vpunpcklbw", "vpackssdw", "vpsadbw", "vpavgw",
                                          "vpsllvd", "vpsrlvq", "vpsravd", "vpsignb", "vphaddd", "vpblendvb"]]
AVX += [("vpermd", "Y,Y,Z", "avx2"), ("vpermps", "Y,Y,Z", "avx2"), ("vpabsb", "v,W", "avx2"),
        ("vpshufd", "v,W,i", "avx2"), ("vpalignr", "v,v,W,i", "avx2"), ("vpblendd", "v,v,W,i", "avx2"),
        ("vpsllq", "v,v,i", "avx2"), ("vpsrad", "v,v,i", "avx2"), ("vpslldq", "v,v,i", "avx2"),
        ("vpermq", "Y,Z,i", "avx2"), ("vpermpd", "Y,Z,i", "avx2"), ("vperm2i128", "Y,Y,Z,i", "avx2"),
        ("vinserti128", "Y,Y,X,i", "avx2"), ("vextracti128", "X,Y,i", "avx2"), ("vpbroadcastb", "v,b", "avx2"),
        ("vpbroadcastd", "v,x", "avx2"), ("vpmovzxbw", "Y,X", "avx2"), ("vpmovsxwd", "Y,X", "avx2"),
        ("vpmovmskb", "r,v", "avx2"), ("vpmaskmovd", "v,v,w", "avx2"), ("vmpsadbw", "v,v,W,i", "avx2")]
AVX += [(m, "v,v,W", "fma") for m in ["vfmadd132ps", "vfmadd213pd", "vfmadd231ps", "vfmsub231pd",
                                         "vfnmadd213ps", "vfmaddsub231ps"]]
AVX += [("vfmadd231ss", "x,x,S", "fma"), ("vfnmsub132sd", "x,x,D", "fma"), ("vcvtph2ps", "v,H", "f16c"),
        ("vcvtps2ph", "H,v,i", "f16c"), ("vaesenc", "x,x,X", "aes"), ("vpclmulqdq", "x,x,X,i", "pclmulqdq")]
# VEX-encoded general-purpose instructions (r destination, g source or m32, q source register).
GPR_VEX = [("andn", "r,q,g", "bmi1"), ("bextr", "r,g,q", "bmi1"), ("blsi", "r,g", "bmi1"),
           ("blsmsk", "r,g", "bmi1"), ("blsr", "r,g", "bmi1"), ("bzhi", "r,g,q", "bmi2"),
           ("pdep", "r,q,g", "bmi2"), ("pext", "r,q,g", "bmi2"), ("rorx", "r,g,i", "bmi2"),
           ("sarx", "r,g,q", "bmi2"), ("shlx", "r,g,q", "bmi2"), ("shrx", "r,g,q", "bmi2"),
           ("mulx", "r,r,g", "bmi2"), ("adcx", "r,g", "adx"), ("adox", "r,g", "adx"),
           ("crc32", "r,g8", "sse4_2"), ("crc32", "r,g16", "sse4_2"), ("crc32", "r,g", "sse4_2"),
           ("movbe", "r,n", "movbe"), ("movbe", "s,rs", "movbe")]


def available(table):
    return [e for e in table if has(e[2])]


SSE_AVAILABLE, MMX_AVAILABLE = available(SSE), available(MMX)
AVX_AVAILABLE, GPR_VEX_AVAILABLE = available(AVX), available(GPR_VEX)


def vector_operands(c, mnemonic, pattern):
    """The operand text of one table entry and the GPRs it writes."""
    rng = c.rng
    width = rng.choice([16, 32]) if "v" in pattern or "W" in pattern else 16
    aligned = not mnemonic.startswith("v") and mnemonic not in ("movups", "movdqu", "movupd", "lddqu")
    string_op = mnemonic.startswith("pcmp") and mnemonic.endswith(("stri", "strm"))
    ops, writes = [], []
    vec = lambda w: f"{'y' if w == 32 else 'x'}mm{rng.randrange(8)}"
    for token in pattern.split(",") if pattern else []:
        if token == "x":
            ops.append(vec(16))
        elif token == "v":
            ops.append(vec(width))
        elif token == "Y":
            ops.append(vec(32))
        elif token in ("X", "U", "u", "W", "Z"):
            w = 32 if token == "Z" or (token == "W" and width == 32) else 16
            if token in ("X", "U", "W", "Z") and rng.random() < 0.5:
                ops.append(vec(w))
            else:
                ops.append(c.mem(w, align=16 if aligned and token == "X" else 1))
        elif token == "w":
            ops.append(c.mem(width))
        elif token in ("gw", "gb"):
            ops.append(c.mem(2 if token == "gw" else 1) if rng.random() < 0.5 else c.reg(4))
        elif token == "A":
            ops.append(c.mem(16, align=16))
        elif token == "V":
            ops.append(c.mem(16))
        elif token == "H":
            ops.append(vec(16) if rng.random() < 0.5 else c.mem(width // 2))
        elif token in ("S", "D"):
            ops.append(vec(16) if rng.random() < 0.5 else c.mem(4 if token == "S" else 8))
        elif token in ("s", "d", "b", "h"):
            ops.append(c.mem({"s": 4, "d": 8, "b": 1, "h": 2}[token]))
        elif token == "r":
            r = c.dst32()
            ops.append(r)
            writes.append(r)
        elif token in ("rs", "q"):
            ops.append(c.rng.choice(GPR) if token == "q" else c.rng.choice([r for r in GPR if r != "esp"]))
        elif token in ("g", "g8", "g16", "G", "n"):
            size = {"g8": 1, "g16": 2}.get(token, 4)
            if token == "n" or rng.random() < 0.5:
                ops.append(c.mem(size))
            elif token == "G":
                r = c.dst32()
                ops.append(r)
                writes.append(r)
            else:
                ops.append(c.reg(size))
        elif token == "m":
            ops.append(f"mm{rng.randrange(8)}")
        elif token == "M":
            ops.append(f"mm{rng.randrange(8)}" if rng.random() < 0.5 else c.mem(8))
        elif token == "i":
            ops.append(f"0x{rng.getrandbits(8):x}")
    if mnemonic in ("blendvps", "blendvpd", "pblendvb", "sha256rnds2"):
        ops.append("xmm0")
    if mnemonic in ("vblendvps", "vpblendvb"):
        ops.append(vec(width))
    if string_op:
        writes.append("ecx")
    if mnemonic == "mulx":
        if ops[0] == ops[1]:
            ops[1] = rng.choice([r for r in GPR if r not in ("esp", ops[0])])
        writes.append(ops[1])
    return ops, writes


def t_vector(c, table):
    mnemonic, pattern, _ = c.rng.choice(table)
    if mnemonic in ("pcmpestri", "pcmpestrm"):  # explicit lengths in eax and edx
        for r in ("eax", "edx"):
            n = c.rng.randrange(-20, 20)
            c.emit(f"mov {r}, {hexnum(n)}", sets={r: n})
    ops, writes = vector_operands(c, mnemonic, pattern)
    c.emit(f"{mnemonic} {', '.join(ops)}".strip(), writes=writes)


def t_sse(c):
    t_vector(c, SSE_AVAILABLE)


def t_mmx(c):
    t_vector(c, MMX_AVAILABLE)


def t_avx(c):
    t_vector(c, AVX_AVAILABLE)


def t_gpr_vex(c):
    t_vector(c, GPR_VEX_AVAILABLE)


def t_mxcsr(c):
    rng = c.rng
    m = c.mem(4)
    if rng.random() < 0.5:
        c.emit(f"stmxcsr {m}")
    else:
        value = 0x1F80 | rng.getrandbits(6) | rng.getrandbits(2) << 13 | rng.choice([0, 0x8000]) | rng.choice([0, 0x40])
        c.emit(f"mov {m}, 0x{value:x}")
        c.emit(f"ldmxcsr {m}")


GATHERS = [("vpgatherdd", 4, 4), ("vgatherdps", 4, 4), ("vpgatherdq", 4, 8), ("vgatherdpd", 4, 8),
           ("vpgatherqd", 8, 4), ("vgatherqps", 8, 4), ("vpgatherqq", 8, 8), ("vgatherqpd", 8, 8)]


def t_gather(c):
    """AVX2 gathers (VSIB addresses): indices zero-extended from scratch
    bytes, so that each element lies less than 2 KiB above a base in
    scratch; any mask will do."""
    rng = c.rng
    mnemonic, index_size, element_size = rng.choice(GATHERS)
    count = rng.choice([16, 32]) // max(index_size, element_size)
    name = lambda r, size: f"{'y' if count * size > 16 else 'x'}mm{r}"
    dst, index, mask = rng.sample(range(8), 3)
    source_bytes = (32 if count * index_size > 16 else 16) // index_size
    c.emit(f"vpmovzxb{'d' if index_size == 4 else 'q'} {name(index, index_size)}, {c.mem(source_bytes)}")
    scale = rng.choice([1, 2, 4, 8])
    b = c.dst32()
    c.set_to(b, c.base + 8 + rng.randrange(SCRATCH_SIZE - 16 - 255 * scale - element_size))
    c.emit(f"{mnemonic} {name(dst, element_size)}, [{b}+{name(index, index_size)}*{scale}], "
           f"{name(mask, element_size)}")


def t_segment_read(c):
    """Segment registers read (vx gives the selectors a Linux process sees).
    Not push sreg: vx refuses it (SIGSEGV)."""
    rng = c.rng
    segment = rng.choice(["cs", "ds", "es", "ss", "fs", "gs"])
    if rng.random() < 0.3:
        c.emit(f"mov {c.mem(2)}, {segment}")
    else:
        r = c.reg(rng.choice([2, 4]), dst=True)
        c.emit(f"mov {r}, {segment}", writes=[r])


def t_cpu_identity(c):
    """cpuid leaves that do not depend on the core the process runs on, and xgetbv 0."""
    rng = c.rng
    if rng.random() < 0.3:
        c.emit("xor ecx, ecx", sets={"ecx": 0})
        c.emit("xgetbv", writes=["eax", "edx"])
        return
    leaf = rng.choice([0, 7, 0xD, 0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000008])
    c.emit(f"mov eax, 0x{leaf:x}", sets={"eax": leaf})
    c.emit("xor ecx, ecx", sets={"ecx": 0})
    c.emit("cpuid", writes=["eax", "ebx", "ecx", "edx"])


def t_fpu_environment(c):
    """fxsave/fnstenv/fnsave and their loads. The saved instruction and
    operand pointers (FIP, FCS, FDP, FDS) are cleared before anything
    compares them: under vx they are the translation's addresses."""
    rng = c.rng
    kind = rng.choice(["fxsave", "fnstenv", "fnsave"])
    size = {"fxsave": 512, "fnstenv": 28, "fnsave": 108}[kind]
    m = c.mem(size, align=16 if kind == "fxsave" else 1, span=size, ptr=False)
    t = c.last_address
    c.emit(f"{kind} {m}")
    pointers = [(8, 4), (12, 2), (16, 4), (20, 2)] if kind == "fxsave" else [(12, 4), (16, 2), (20, 4), (24, 2)]
    for offset, width in pointers:
        c.emit(f"mov {PTR[width]} [0x{t + offset:x}], 0")
    if rng.random() < 0.7:
        restore = {"fxsave": "fxrstor", "fnstenv": "fldenv", "fnsave": "frstor"}[kind]
        c.emit(f"{restore} {m}")


# AVX-512 (EVEX). Letters: V destination vector of the chosen width, with
# an optional {k} mask and {z}; v source vector; W vector or memory; D and Q
# the same with a broadcast {1toN} from a dword/qword element; H, Q4 half and
# quarter width sources (vector or memory); h half-width destination
# (vector or masked memory); M masked memory destination; K mask destination
# (with an optional {k}); k mask source; x xmm or m128; mN memory of N
# bytes; r/g GPR destination and source; i imm8. Rounding {er}/{sae} goes on register-only zmm forms
# of the entries that take it (the "er" flag). "wide": no xmm form.
EVEX = [(m, p, "avx512f", flags) for m, p, flags in [
    ("vpaddd", "V,v,D", ""), ("vpsubq", "V,v,Q", ""), ("vpmulld", "V,v,D", ""), ("vpandd", "V,v,D", ""),
    ("vporq", "V,v,Q", ""), ("vpxord", "V,v,D", ""), ("vpandnq", "V,v,Q", ""), ("vpminsd", "V,v,D", ""),
    ("vpmaxuq", "V,v,Q", ""), ("vpsllvd", "V,v,D", ""), ("vpsravq", "V,v,Q", ""), ("vprold", "V,D,i", ""),
    ("vprorvq", "V,v,Q", ""), ("vpternlogd", "V,v,D,i", ""), ("vpternlogq", "V,v,Q,i", ""),
    ("vpermt2d", "V,v,D", ""), ("vpermi2q", "V,v,Q", ""), ("vpermd", "V,v,D", "wide"), ("vpermq", "V,Q,i", "wide"),
    ("vpshufd", "V,D,i", ""), ("vpunpckldq", "V,v,D", ""), ("vpabsq", "V,Q", ""), ("vpmovsxbd", "V,Q4", ""),
    ("vpmovzxwd", "V,H", ""), ("vpmovqd", "h,v", ""), ("vpmovusqd", "h,v", ""), ("vpcompressd", "M,v", ""),
    ("vpexpandd", "V,W", ""), ("vaddps", "V,v,D", "er"), ("vmulpd", "V,v,Q", "er"),
    ("vfmadd231ps", "V,v,D", "er"), ("vscalefps", "V,v,D", "er"), ("vgetexpps", "V,D", ""),
    ("vgetmantps", "V,D,i", ""), ("vrndscaleps", "V,D,i", ""), ("vrcp14ps", "V,D", ""), ("vrsqrt14pd", "V,Q", ""),
    ("vfixupimmps", "V,v,D,i", ""), ("vcvtps2udq", "V,D", "er"), ("vcvtudq2ps", "V,D", "er"),
    ("valignd", "V,v,D,i", ""), ("vshufi32x4", "V,v,D,i", "wide"), ("vinserti32x4", "V,v,x,i", "wide"),
    ("vextracti32x4", "x,v,i", "wide"), ("vbroadcasti32x4", "V,m16", "wide"), ("vpbroadcastd", "V,g", ""),
    ("vmovdqu32", "V,W", ""), ("vmovdqu64", "M,v", ""), ("vmovaps", "V,v", ""), ("vpcmpd", "K,v,D,i", ""),
    ("vpcmpuq", "K,v,Q,i", ""), ("vptestmd", "K,v,D", ""), ("vpsrad", "V,D,i", ""),
    ("kandw", "k,k,k", ""), ("korw", "k,k,k", ""), ("kxorw", "k,k,k", ""), ("kandnw", "k,k,k", ""),
    ("knotw", "k,k", ""), ("kshiftlw", "k,k,i", ""), ("kunpckbw", "k,k,k", ""), ("kmovw", "k,g", ""),
    ("kmovw", "r,k", ""), ("kortestw", "k,k", ""), ("kmovw", "k,m2", ""), ("kmovw", "m2,k", "")]]
EVEX += [("vpmullq", "V,v,Q", "avx512dq", ""), ("vrangeps", "V,v,D,i", "avx512dq", ""),
         ("vreduceps", "V,D,i", "avx512dq", ""), ("vcvttpd2qq", "V,Q", "avx512dq", ""),
         ("vpmovd2m", "k,v", "avx512dq", ""), ("kaddw", "k,k,k", "avx512dq", ""), ("ktestw", "k,k", "avx512dq", ""),
         ("vpaddb", "V,v,W", "avx512bw", ""), ("vpmaddubsw", "V,v,W", "avx512bw", ""),
         ("vpshufb", "V,v,W", "avx512bw", ""), ("vpcmpeqb", "K,v,W", "avx512bw", ""),
         ("vpmovm2b", "v,k", "avx512bw", ""), ("vmovdqu8", "V,W", "avx512bw", ""),
         ("vpsadbw", "v,v,W", "avx512bw", ""), ("kmovd", "k,g", "avx512bw", ""), ("kmovq", "k,m8", "avx512bw", ""),
         ("kunpckwd", "k,k,k", "avx512bw", ""), ("kaddq", "k,k,k", "avx512bw", ""),
         ("vpconflictd", "V,D", "avx512cd", ""), ("vplzcntq", "V,Q", "avx512cd", ""),
         ("vpopcntd", "V,D", "avx512_vpopcntdq", ""), ("vpdpbusd", "V,v,D", "avx512_vnni", ""),
         ("vpshldvd", "V,v,D", "avx512_vbmi2", ""), ("vpcompressb", "M,v", "avx512_vbmi2", ""),
         ("vpermb", "V,v,W", "avx512vbmi", ""), ("vpmultishiftqb", "V,v,Q", "avx512vbmi", ""),
         ("vpshufbitqmb", "K,v,W", "avx512_bitalg", ""), ("vpopcntb", "V,W", "avx512_bitalg", ""),
         ("vgf2p8affineqb", "V,v,Q,i", "gfni", ""), ("vgf2p8mulb", "V,v,W", "gfni", ""),
         ("vaesenc", "v,v,W", "vaes", "wide"), ("vpclmulqdq", "v,v,W,i", "vpclmulqdq", "wide"),
         ("vaddph", "V,v,W", "avx512_fp16", "er"), ("vsqrtph", "V,W", "avx512_fp16", ""),
         ("vcmpph", "K,v,W,i", "avx512_fp16", ""), ("vcvtne2ps2bf16", "V,v,D", "avx512_bf16", ""),
         ("vdpbf16ps", "V,v,D", "avx512_bf16", "")]
EVEX_AVAILABLE = [e for e in EVEX if has(e[2])] if has("avx512f") and has("avx512bw") and has("avx512vl") else []
ROUNDING = ["{rn-sae}", "{rd-sae}", "{ru-sae}", "{rz-sae}"]


def t_evex(c):
    rng = c.rng
    mnemonic, pattern, _, flags = rng.choice(EVEX_AVAILABLE)
    width = rng.choice([32, 64] if "wide" in flags else [16, 32, 64])
    vec = lambda w: f"{ {16: 'x', 32: 'y', 64: 'z'}[w] }mm{rng.randrange(8)}"
    mask = lambda zeroing: (f"{{k{rng.randrange(1, 8)}}}" + ("{z}" if zeroing and rng.random() < 0.5 else "")
                            if rng.random() < 0.5 else "")
    ops, writes, memory = [], [], False

    def decorated(operand, decoration):  # as wants ds: on an absolute address before {...}
        if decoration and "[0x" in operand and "fs:" not in operand:
            operand = operand.replace("[", "ds:[", 1)
        return operand + decoration

    for token in pattern.split(","):
        if token == "V":
            ops.append(vec(width) + mask(True))
        elif token == "v":
            ops.append(vec(width))
        elif token in ("W", "D", "Q"):
            if rng.random() < 0.5:
                ops.append(vec(width))
            elif token != "W" and rng.random() < 0.4:  # broadcast one element
                element = 4 if token == "D" else 8
                ops.append(decorated(c.mem(element, compress=element), f"{{1to{width // element}}}"))
                memory = True
            else:
                ops.append(c.mem(width, compress=width))
                memory = True
        elif token in ("H", "Q4"):
            part = width // (2 if token == "H" else 4)
            if rng.random() < 0.5:
                ops.append(vec(max(part, 16)))
            else:
                ops.append(c.mem(part, compress=part))
                memory = True
        elif token == "h":
            part = width // 2
            if rng.random() < 0.5:
                ops.append(vec(max(part, 16)) + mask(True))
            else:
                ops.append(decorated(c.mem(part, compress=part), mask(False)))
                memory = True
        elif token == "M":
            ops.append(decorated(c.mem(width, compress=width), mask(False)))
            memory = True
        elif token == "x":
            ops.append(vec(16) if rng.random() < 0.5 else c.mem(16, compress=16))
            memory = memory or ops[-1].startswith("xmmword")
        elif token.startswith("m"):
            size = int(token[1:])
            ops.append(c.mem(size, compress=size))
            memory = True
        elif token == "K":
            ops.append(f"k{rng.randrange(8)}" + (f"{{k{rng.randrange(1, 8)}}}" if rng.random() < 0.4 else ""))
        elif token == "k":
            ops.append(f"k{rng.randrange(8)}")
        elif token == "r":
            r = c.dst32()
            ops.append(r)
            writes.append(r)
        elif token == "g":
            ops.append(rng.choice([r for r in GPR if r != "esp"]))
        elif token == "i":
            ops.append(f"0x{rng.getrandbits(8):x}")
    if "er" in flags and width == 64 and not memory and rng.random() < 0.5:
        ops.append(rng.choice(ROUNDING))
    c.emit(f"{mnemonic} {', '.join(ops)}", writes=writes)


def t_evex_gather_scatter(c):
    """EVEX gathers and scatters: as t_gather, with a mask register."""
    rng = c.rng
    width = rng.choice([16, 32, 64])
    name = lambda r: f"{ {16: 'x', 32: 'y', 64: 'z'}[width] }mm{r}"
    data, index = rng.sample(range(8), 2)
    c.emit(f"vpmovzxbd {name(index)}, {c.mem(width // 4)}")
    scale = rng.choice([1, 2, 4, 8])
    b = c.dst32()
    c.set_to(b, c.base + 8 + rng.randrange(SCRATCH_SIZE - 16 - 255 * scale - 4))
    k = f"k{rng.randrange(1, 8)}"
    if rng.random() < 0.5:
        c.emit(f"{rng.choice(['vpgatherdd', 'vgatherdps'])} {name(data)}{{{k}}}, [{b}+{name(index)}*{scale}]")
    else:
        c.emit(f"{rng.choice(['vpscatterdd', 'vscatterdps'])} [{b}+{name(index)}*{scale}]{{{k}}}, {name(data)}")


# Left out, as vx refuses them (a signal where the CPU runs them): 16-bit
# addressing (0x67), even in lea and string instructions; esp/sp as the destination of an
# instruction naming ah..bh; push/pop of 16 bits (push ax, pushw, pushaw);
# push of a segment register; BCD (daa, aaa, aam...); salc; into (with OF
# clear too); bound; enter with a nesting level; a cs: override on a string
# source; xsave (the OS saves PKRU); movdiri, movdir64b, serialize. Also
# left out, as not the same twice: rdtsc, rdtscp, rdrand, rdseed, cpuid
# leaves that hold the core's APIC id, system calls (vx's pids and files
# are its own), and popfd of NT (vx clears it, on purpose).
TEMPLATES = [  # (function, weight, feature)
    (t_alu, 14, None), (t_alu_alternate, 2, None), (t_unary, 4, None), (t_shift, 6, None),
    (t_double_shift, 3, None), (t_multiply, 4, None), (t_divide, 3, None), (t_bit_test, 4, None),
    (t_bit_scan, 3, None), (t_bswap, 1, None), (t_exchange, 5, None), (t_cmpxchg8b, 1, None),
    (t_move, 8, None), (t_extend, 3, None), (t_lea, 5, None), (t_setcc, 2, None), (t_cmov, 2, None),
    (t_convert, 1, None), (t_flag_ops, 2, None), (t_nop, 1, None), (t_xlat, 1, None),
    (t_push_pop, 6, None), (t_esp_arithmetic, 2, None), (t_esp_destination, 2, None), (t_string, 4, None),
    (t_branch, 3, None), (t_x87, 6, None), (t_sse, 10, "sse2"), (t_mmx, 2, "mmx"), (t_avx, 5, "avx"),
    (t_gpr_vex, 3, "bmi1"), (t_mxcsr, 1, "sse"), (t_gather, 1, "avx2"), (t_segment_read, 1, None),
    (t_cpu_identity, 1, None), (t_fpu_environment, 1, "fxsr"), (t_evex, 6, "avx512f"),
    (t_evex_gather_scatter, 1, "avx512f"),
]
TEMPLATES = [(f, w) for f, w, feature in TEMPLATES if feature is None or has(feature)]
if not EVEX_AVAILABLE:
    TEMPLATES = [(f, w) for f, w in TEMPLATES if f not in (t_evex, t_evex_gather_scatter)]


def pick_template(c):
    f = c.rng.choices([t for t, _ in TEMPLATES], weights=[w for _, w in TEMPLATES])[0]
    if c.in_branch and f in (t_push_pop, t_esp_arithmetic, t_branch, t_string, t_esp_destination):
        f = t_alu  # code a jump may skip leaves esp alone (and no nested jumps)
    f(c)


# ---- faults: the last instruction of some cases ----------------------------

def t_fault(c):
    """An instruction that faults: the signal, address and registers at the
    fault must agree (vx promises precise faults)."""
    rng = c.rng
    k = rng.randrange(11)
    below, above = c.base - rng.randrange(1, 64), c.base + SCRATCH_SIZE + rng.randrange(0, 64)
    if k == 0:
        c.emit(f"mov {c.reg(4, dst=True)}, dword ptr [0x{rng.choice([below, above]):x}]")
    elif k == 1:  # straddles the end of scratch
        r = c.dst32()
        forms = ["add dword ptr [{r}], {s}", "mov dword ptr [{r}], {s}", "xchg dword ptr [{r}], {s}",
                 "lock xadd dword ptr [{r}], {s}", "movdqu xmmword ptr [{r}], xmm1", "movups xmm2, xmmword ptr [{r}]"]
        if has("avx"):
            forms += ["vmovdqu ymm3, ymmword ptr [{r}]", "vmaskmovps ymmword ptr [{r}], ymm1, ymm2"]
        if EVEX_AVAILABLE:  # a masked element beyond the end does not fault
            forms += ["vmovdqu32 zmm4{{k{k}}}, zmmword ptr [{r}]", "vmovdqu8 zmmword ptr [{r}]{{k{k}}}, zmm5"]
        form = rng.choice(forms)
        c.set_to(r, c.base + SCRATCH_SIZE - rng.randrange(1, 64 if "mm" in form else 4))
        c.emit(form.format(r=r, s=c.reg(4), k=rng.randrange(1, 8)))
    elif k == 2:  # a rep string that runs off the end part-way
        op = rng.choice(["movsb", "stosd", "movsd", "stosb", "lodsd", "repe cmpsb", "repne scasb"])
        c.emit("cld")
        c.set_to("esi", c.base + SCRATCH_SIZE - rng.randrange(4, 40))
        c.set_to("edi", c.base + SCRATCH_SIZE - rng.randrange(4, 40))
        c.emit(f"mov ecx, 0x{rng.randrange(10, 60):x}")
        c.emit(op if op.startswith("rep") else f"rep {op}")
    elif k == 3:  # push with esp at the bottom of scratch
        c.emit(f"mov dword ptr [0x{c.base + rng.randrange(0, 64, 4):x}], esp")
        c.emit(f"mov esp, 0x{c.base + rng.randrange(0, 3):x}")
        c.emit(rng.choice(["push eax", "pushad", "pushfd", "call $+5", f"push dword ptr [0x{c.base + 16:x}]"]))
    elif k == 4:
        r = c.reg(4, dst=True, avoid=("eax", "edx"))
        c.emit(f"xor {r}, {r}")
        c.emit(f"{rng.choice(['div', 'idiv'])} {r}")
    elif k == 5:  # idiv overflow: INT_MIN / -1
        c.emit("mov eax, 0x80000000")
        c.emit("cdq")
        c.emit("mov ecx, -1")
        c.emit("idiv ecx")
    elif k == 6:  # a division by zero in 16 bits (a string op with 16-bit addresses, vx refuses)
        r = c.reg(2, dst=True, avoid=("eax", "edx"))
        c.emit(f"xor {r}, {r}")
        c.emit(f"div {r}")
    elif k == 7:  # alignment checking: AC set, then a misaligned access (SIGBUS)
        c.emit(f"push 0x{0x40202 | rng.getrandbits(12) & 0xcd5:x}", sets={"esp": c.esp() - 4})
        c.emit("popfd", sets={"esp": c.esp() + 4})
        c.emit(f"mov eax, dword ptr [0x{c.target(8, 4) + rng.randrange(1, 4):x}]", writes=["eax"])
    elif k == 8:  # an unmasked x87 exception, raised at the next x87 instruction
        m = c.mem(2)
        exception = rng.choice([(0x1, "fld1 ; fchs ; fsqrt"), (0x4, "fldz ; fld1 ; fdiv st, st(1)"),
                                (0x20, "fldpi ; fsqrt")])
        c.emit("fninit")
        c.emit(f"mov {m}, 0x{0x37f & ~exception[0]:x}")
        c.emit(f"fldcw {m}")
        for insn in exception[1].split(" ; "):
            c.emit(insn)
        c.emit(rng.choice(["fwait", "fld1", "fnop"]))
    elif k == 9:  # an unmasked SSE exception: raised by the instruction itself
        m = c.mem(4)
        exception, insn = rng.choice([(0x80, "sqrtps xmm1, xmm2"), (0x200, "divps xmm1, xmm2"),
                                      (0x1000, "addps xmm1, xmm2"), (0x800, "mulss xmm1, xmm2"),
                                      (0x100, "cvtps2dq xmm1, xmm2")])
        c.emit(f"mov {m}, 0x{0x1f80 & ~exception:x}")
        c.emit(f"ldmxcsr {m}")
        c.emit(insn)
    else:  # not into: vx refuses it, with OF clear too (SIGSEGV)
        c.emit(rng.choice(["ud2", "int3", "hlt", "int 0x3", "int1", ".byte 0xf0, 0x01, 0xd8"]))


# ---- one batch -------------------------------------------------------------

def make_case(rng, index):
    c = Case(rng, index)
    # Now and then longer than a translated block (64 instructions).
    for _ in range(rng.randrange(1, 21) if rng.random() < 0.97 else rng.randrange(40, 90)):
        pick_template(c)
    if rng.random() < 0.03:
        t_fault(c)
        c.faults = True
    return c


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    seed, count, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    cases = [make_case(rng, i) for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "cases.s")
        with open(source, "w") as f:
            f.write(".intel_syntax noprefix\n.text\n")
            for c in cases:
                f.write(f"C{c.index}:\n")
                for line in c.lines:
                    f.write(line if line.endswith(":") else "  " + line)
                    f.write("\n")
                f.write(f"C{c.index}_end:\n")
            f.write(".data\n")
            for c in cases:
                f.write(f".long C{c.index}_end - C{c.index}\n")
        obj = os.path.join(tmp, "cases.o")
        run = subprocess.run(["as", "--32", "-o", obj, source], capture_output=True, text=True)
        if run.returncode != 0:
            sys.stderr.write(run.stderr[:4000])
            lines = open(source).read().splitlines()
            for message in run.stderr.splitlines()[:5]:
                parts = message.split(":")
                if len(parts) > 2 and parts[1].isdigit():
                    sys.stderr.write(f"  line {parts[1]}: {lines[int(parts[1]) - 1]}\n")
            sys.exit("generate.py: the assembler refused the cases")
        for section in ("text", "data"):
            subprocess.run(["objcopy", "-O", "binary", "-j", "." + section, obj, os.path.join(tmp, section)],
                           check=True)
        text = open(os.path.join(tmp, "text"), "rb").read()
        data = open(os.path.join(tmp, "data"), "rb").read()
    lengths = struct.unpack(f"<{count}I", data[:4 * count])
    os.makedirs(outdir, exist_ok=True)
    offset = 0
    total = 0
    with open(os.path.join(outdir, "cases.bin"), "wb") as binary, open(os.path.join(outdir, "cases.txt"), "w") as listing:
        for c, length in zip(cases, lengths):
            code = text[offset:offset + length]
            offset += length
            if length > MAX_CODE:
                sys.exit(f"generate.py: case {c.index} is too long ({length} bytes)")
            total += c.instructions
            binary.write(struct.pack("<4I", MAGIC, c.index, length, c.region))
            binary.write(struct.pack("<12I", *c.regs, c.eflags, 0, 0, 0))
            binary.write(c.fx + c.ymm_hi + c.zmm_hi + c.k + c.scratch)
            binary.write(code)
            listing.write(f"case {c.index}: " + " ".join(f"{r}={v:08x}" for r, v in zip(GPR, c.regs)) +
                          f" eflags={c.eflags:08x} code@{REGIONS[c.region][1] + 4096 * (c.index % CODE_PAGES):08x}" +
                          (" (ends in a fault)\n" if c.faults else "\n"))
            listing.write("".join(f"    {line}\n" for line in c.lines))
            listing.write(f"  bytes {code.hex()}\n")
    with open(os.path.join(outdir, "features"), "w") as f:
        f.write(" ".join(sorted(FEATURES_USED)) + "\n")
    print(f"{count} cases, {total} instructions")


if __name__ == "__main__":
    main()
