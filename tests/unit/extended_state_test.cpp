// The guest's extended state (x87, MMX, SSE, AVX, AVX-512) against the
// host's. The engine loads the guest's state only when a block needs it
// (docs/dbt-engine.md), so while integer guest code runs the CPU holds the
// host's registers: these tests fill them with a pattern right before
// Sandbox::run and check that a guest whose first instruction reads them
// sees its own values, never the host's; that the guest's state survives
// many exits with host code in between that clobbers the vector registers;
// and that the host gets its own MXCSR and x87 control word back.
#include <gtest/gtest.h>
#include <signal.h>
#include <ucontext.h>

#include <cpuid.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dbt/dbt_engine.h"
#include "dbt/runtime/runtime_context.h"
#include "engines.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;

// Every 64-bit lane of the host's vector registers: as a double 42.00000...
// (cvttsd2si reads 42), its low word 0xabcd (pextrw reads it).
constexpr uint64_t kHostLane = 0x404500000000abcdull;
constexpr uint32_t kHostMxcsr = 0xffc0;  // all exceptions masked, round toward zero, FTZ and DAZ
constexpr uint16_t kHostFcw = 0x027f;    // double precision (the default is 0x037f)
alignas(64) const uint64_t host_lanes[8] = {kHostLane, kHostLane, kHostLane, kHostLane,
                                            kHostLane, kHostLane, kHostLane, kHostLane};

uint64_t xcr0() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}
bool host_has_avx() { return __builtin_cpu_supports("avx") && (xcr0() & 0x6) == 0x6; }
bool host_has_avx512() { return __builtin_cpu_supports("avx512f") && (xcr0() & 0xe6) == 0xe6; }

// What the host leaves in the CPU before a run. xmm0 and xmm1 are left
// alone: the host's own code on the way into the guest (a memcpy) may use
// them; xmm2-7 and the upper halves, the opmask registers, the x87 stack and
// the control words it does not touch.
enum class HostFill { Vectors, X87, Mmx };

void fill_sse() {
    __asm__ volatile(
        "movdqa %0, %%xmm2\n\tmovdqa %0, %%xmm3\n\tmovdqa %0, %%xmm4\n\t"
        "movdqa %0, %%xmm5\n\tmovdqa %0, %%xmm6\n\tmovdqa %0, %%xmm7\n\t"
        "ldmxcsr %1\n\tfldcw %2"
        :
        : "m"(host_lanes), "m"(kHostMxcsr), "m"(kHostFcw)
        : "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

__attribute__((target("avx"))) void fill_avx() {
    __asm__ volatile(
        "vmovdqa %0, %%ymm2\n\tvmovdqa %0, %%ymm3\n\tvmovdqa %0, %%ymm4\n\t"
        "vmovdqa %0, %%ymm5\n\tvmovdqa %0, %%ymm6\n\tvmovdqa %0, %%ymm7"
        :
        : "m"(host_lanes)
        : "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

__attribute__((target("avx512f"))) void fill_avx512() {
    __asm__ volatile(
        "vmovdqa64 %0, %%zmm2\n\tvmovdqa64 %0, %%zmm3\n\tvmovdqa64 %0, %%zmm4\n\t"
        "vmovdqa64 %0, %%zmm5\n\tvmovdqa64 %0, %%zmm6\n\tvmovdqa64 %0, %%zmm7\n\t"
        "mov $0xabcd, %%eax\n\tkmovw %%eax, %%k1\n\tkmovw %%eax, %%k2\n\tkmovw %%eax, %%k3\n\t"
        "kmovw %%eax, %%k4\n\tkmovw %%eax, %%k5\n\tkmovw %%eax, %%k6\n\tkmovw %%eax, %%k7"
        :
        : "m"(host_lanes)
        : "eax", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

// The x87 stack is left with two values (fnstsw reads top 6: 0x3000) and the
// control word the host's; the MMX registers all hold the pattern. Against
// the ABI (the x87 stack is empty across calls), but nothing on the way into
// the guest uses it, and restore_host() empties it after the run.
void fill_x87() { __asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfld1" : : "m"(kHostFcw)); }

void fill_mmx() {
    __asm__ volatile(
        "movq %0, %%mm0\n\tmovq %0, %%mm1\n\tmovq %0, %%mm2\n\tmovq %0, %%mm3\n\t"
        "movq %0, %%mm4\n\tmovq %0, %%mm5\n\tmovq %0, %%mm6\n\tmovq %0, %%mm7"
        :
        : "m"(host_lanes[0]));
}

struct HostControl {
    uint32_t mxcsr = 0;
    uint16_t fcw = 0;
};

HostControl host_control() {
    HostControl c;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(c.mxcsr), "=m"(c.fcw));
    return c;
}

__attribute__((target("avx"))) void clear_upper_halves() { __asm__ volatile("vzeroupper"); }

void restore_host(const HostControl& c) {
    __asm__ volatile("emms\n\tfninit\n\tfldcw %0\n\tldmxcsr %1" : : "m"(c.fcw), "m"(c.mxcsr));
    if (host_has_avx()) clear_upper_halves();
}

void fill(HostFill what) {
    switch (what) {
    case HostFill::Vectors:
        if (host_has_avx512()) fill_avx512();
        else if (host_has_avx()) fill_avx();
        fill_sse();
        break;
    case HostFill::X87: fill_x87(); break;
    case HostFill::Mmx: fill_mmx(); break;
    }
}

// Nothing between the fill and the run that the compiler could use the
// registers for.
__attribute__((noinline)) vx::Event run_after_host_fill(vx::Sandbox& sandbox, HostFill what) {
    fill(what);
    return sandbox.run();
}

struct FirstRead {
    const char* name;
    std::vector<uint8_t> code;  // the run's first instruction, followed by int $0x80
    HostFill host;
    enum Needs { kSse, kAvx, kAvx512 } needs;
    // The guest's own value (its state as a new sandbox has it): bytes stored
    // at kData, or eax (`eax_mask` of it).
    std::vector<uint8_t> stored;
    uint32_t eax_mask = 0;
    uint32_t eax = 0;
};

std::vector<uint8_t> zeros(size_t n) { return std::vector<uint8_t>(n, 0); }
std::vector<uint8_t> le16(uint16_t v) { return {uint8_t(v), uint8_t(v >> 8)}; }

const std::vector<FirstRead>& first_reads() {
    static const std::vector<FirstRead> reads = {
        {"movdqa [kData], xmm7", {0x66, 0x0f, 0x7f, 0x3d, 0, 0, 2, 0}, HostFill::Vectors, FirstRead::kSse, zeros(16)},
        {"movaps [kData], xmm6", {0x0f, 0x29, 0x35, 0, 0, 2, 0}, HostFill::Vectors, FirstRead::kSse, zeros(16)},
        {"pextrw eax, xmm5, 0", {0x66, 0x0f, 0xc5, 0xc5, 0}, HostFill::Vectors, FirstRead::kSse, {}, 0xffffffff, 0},
        {"cvttsd2si eax, xmm4", {0xf2, 0x0f, 0x2c, 0xc4}, HostFill::Vectors, FirstRead::kSse, {}, 0xffffffff, 0},
        {"movd eax, xmm5", {0x66, 0x0f, 0x7e, 0xe8}, HostFill::Vectors, FirstRead::kSse, {}, 0xffffffff, 0},
        {"stmxcsr [kData]", {0x0f, 0xae, 0x1d, 0, 0, 2, 0}, HostFill::Vectors, FirstRead::kSse, {0x80, 0x1f, 0, 0}},
        // fxsave runs in the host, from the save area (the initial FCW 0x37f, MXCSR 0x1f80).
        {"fxsave [kData]", {0x0f, 0xae, 0x05, 0, 0, 2, 0}, HostFill::Vectors, FirstRead::kSse, le16(0x037f)},
        {"vmovdqu [kData], ymm6", {0xc5, 0xfe, 0x7f, 0x35, 0, 0, 2, 0}, HostFill::Vectors, FirstRead::kAvx, zeros(32)},
        {"vmovdqu64 [kData], zmm2", {0x62, 0xf1, 0xfe, 0x48, 0x7f, 0x15, 0, 0, 2, 0}, HostFill::Vectors,
         FirstRead::kAvx512, zeros(64)},
        {"kmovw eax, k3", {0xc5, 0xf8, 0x93, 0xc3}, HostFill::Vectors, FirstRead::kAvx512, {}, 0xffffffff, 0},
        {"fnstsw ax", {0xdf, 0xe0}, HostFill::X87, FirstRead::kSse, {}, 0xffff, 0},
        {"fnstcw [kData]", {0xd9, 0x3d, 0, 0, 2, 0}, HostFill::X87, FirstRead::kSse, le16(0x037f)},
        // FCW, FSW, the tag word: all empty.
        {"fnstenv [kData]", {0xd9, 0x35, 0, 0, 2, 0}, HostFill::X87, FirstRead::kSse,
         {0x7f, 0x03, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff}},
        {"movq [kData], mm1", {0x0f, 0x7f, 0x0d, 0, 0, 2, 0}, HostFill::Mmx, FirstRead::kSse, zeros(8)},
        {"pextrw eax, mm6, 0", {0x0f, 0xc5, 0xc6, 0}, HostFill::Mmx, FirstRead::kSse, {}, 0xffffffff, 0},
    };
    return reads;
}

class ExtendedState : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    vx::SandboxOptions options() const { return vx::testing::on_engine(GetParam(), {.memory_size = 16u << 20}); }

    static void map(vx::Sandbox& sandbox, const std::vector<uint8_t>& code) {
        auto& memory = sandbox.memory();
        memory.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        memory.map(kData, 0x1000, vx::kRead | vx::kWrite);
        memory.write(kCode, code.data(), code.size());
        const std::vector<uint8_t> filler(0x1000, 0xee);  // a store of zeros shows
        memory.write(kData, filler.data(), filler.size());
        sandbox.registers().eip = kCode;
        sandbox.registers().esp = kData + 0x1000;
    }
};

TEST_P(ExtendedState, TheFirstReadOfARunSeesTheGuestsOwnStateNotTheHosts) {
    const bool avx = host_has_avx(), avx512 = host_has_avx512();
    if (!avx) std::printf("the host has no AVX: the ymm read is skipped\n");
    if (!avx512) std::printf("the host has no AVX-512 (or XCR0 leaves it off): the zmm and k reads are skipped\n");
    const HostControl host = host_control();
    for (const FirstRead& read : first_reads()) {
        if ((read.needs == FirstRead::kAvx && !avx) || (read.needs == FirstRead::kAvx512 && !avx512)) continue;
        SCOPED_TRACE(read.name);
        vx::Sandbox sandbox(options());
        std::vector<uint8_t> code = read.code;
        code.insert(code.end(), {0xcd, 0x80});
        map(sandbox, code);
        sandbox.registers().eax = 0xffffffff;
        const vx::Event event = run_after_host_fill(sandbox, read.host);
        restore_host(host);
        ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        ASSERT_EQ(sandbox.registers().eip, kCode + code.size());
        if (read.eax_mask) {
            EXPECT_EQ(sandbox.registers().eax & read.eax_mask, read.eax) << std::hex << sandbox.registers().eax;
        }
        if (!read.stored.empty()) {
            std::vector<uint8_t> seen(read.stored.size());
            sandbox.memory().read(kData, seen.data(), seen.size());
            EXPECT_EQ(seen, read.stored);
        }
    }
}

// The guest sets its vector, x87 and control state, then makes 100 system
// calls; the host fills its registers between them, and every other run
// touches the state (so that runs that load and save it alternate with runs
// that never do). After every run the host's MXCSR and control word are its
// own; at the end the guest reads back its state as it set it.
TEST_P(ExtendedState, TheGuestsStateSurvivesExitsAndTheHostKeepsItsControlState) {
    const bool avx = host_has_avx();
    if (!avx) std::printf("the host has no AVX: ymm3 is not checked\n");
    const uint8_t head[] = {
        0xf3, 0x0f, 0x6f, 0x3d, 0x00, 0x08, 0x02, 0x00,  // movdqu xmm7, [0x20800]
        0xdd, 0x05, 0x40, 0x08, 0x02, 0x00,              // fld qword [0x20840]
        0x0f, 0xae, 0x15, 0x48, 0x08, 0x02, 0x00,        // ldmxcsr [0x20848]
        0xd9, 0x2d, 0x4c, 0x08, 0x02, 0x00,              // fldcw [0x2084c]
    };
    const uint8_t load_ymm[] = {0xc5, 0xfe, 0x6f, 0x1d, 0x00, 0x09, 0x02, 0x00};  // vmovdqu ymm3, [0x20900]
    const uint8_t loop[] = {
        0xb9, 100, 0, 0, 0,     // mov ecx, 100
        0xcd, 0x80,             // again: int $0x80
        0xf6, 0xc1, 0x01,       // test cl, 1
        0x74, 0x04,             // jz skip
        0x66, 0x0f, 0xeb, 0xf6, // por xmm6, xmm6
        0x49,                   // skip: dec ecx
        0x75, 0xf2,             // jnz again
        0xf3, 0x0f, 0x7f, 0x3d, 0x00, 0x0a, 0x02, 0x00,  // movdqu [0x20a00], xmm7
        0xdd, 0x1d, 0x40, 0x0a, 0x02, 0x00,              // fstp qword [0x20a40]
        0x0f, 0xae, 0x1d, 0x48, 0x0a, 0x02, 0x00,        // stmxcsr [0x20a48]
        0xd9, 0x3d, 0x4c, 0x0a, 0x02, 0x00,              // fnstcw [0x20a4c]
    };
    const uint8_t store_ymm[] = {0xc5, 0xfe, 0x7f, 0x1d, 0x00, 0x0b, 0x02, 0x00};  // vmovdqu [0x20b00], ymm3
    std::vector<uint8_t> code(head, head + sizeof head);
    if (avx) code.insert(code.end(), load_ymm, load_ymm + sizeof load_ymm);
    code.insert(code.end(), loop, loop + sizeof loop);
    if (avx) code.insert(code.end(), store_ymm, store_ymm + sizeof store_ymm);
    code.insert(code.end(), {0xcd, 0x80});

    vx::Sandbox sandbox(options());
    map(sandbox, code);
    uint8_t xmm7[16], ymm3[32];
    for (int i = 0; i < 16; ++i) xmm7[i] = uint8_t(0x71 + i);
    for (int i = 0; i < 32; ++i) ymm3[i] = uint8_t(0x31 + 3 * i);
    const double pi = 3.14159265358979;
    const uint32_t guest_mxcsr = 0x3f80;  // round down
    const uint16_t guest_fcw = 0x0f7f;    // round toward zero, extended precision
    sandbox.memory().write(kData + 0x800, xmm7, sizeof xmm7);
    sandbox.memory().write(kData + 0x840, &pi, sizeof pi);
    sandbox.memory().write(kData + 0x848, &guest_mxcsr, 4);
    sandbox.memory().write(kData + 0x84c, &guest_fcw, 2);
    sandbox.memory().write(kData + 0x900, ymm3, sizeof ymm3);

    const HostControl host = host_control();
    const uint32_t end = kCode + uint32_t(code.size());
    int runs = 0;
    for (;;) {
        const HostFill fill = runs % 3 == 2 ? HostFill::X87 : HostFill::Vectors;  // X87 leaves MXCSR as it was
        const vx::Event event = run_after_host_fill(sandbox, fill);
        const HostControl after = host_control();
        restore_host(host);
        ++runs;
        ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        EXPECT_EQ(after.mxcsr, fill == HostFill::X87 ? host.mxcsr : kHostMxcsr) << "run " << runs;
        EXPECT_EQ(after.fcw, kHostFcw) << "run " << runs;
        if (sandbox.registers().eip == end) break;
        ASSERT_LE(runs, 101);
    }
    EXPECT_EQ(runs, 101);
    uint8_t seen[32];
    sandbox.memory().read(kData + 0xa00, seen, 16);
    EXPECT_EQ(std::memcmp(seen, xmm7, 16), 0) << "xmm7";
    double st0 = 0;
    sandbox.memory().read(kData + 0xa40, &st0, sizeof st0);
    EXPECT_EQ(st0, pi) << "st0";
    uint32_t mxcsr = 0;
    uint16_t fcw = 0;
    sandbox.memory().read(kData + 0xa48, &mxcsr, 4);
    sandbox.memory().read(kData + 0xa4c, &fcw, 2);
    EXPECT_EQ(mxcsr, guest_mxcsr);
    EXPECT_EQ(fcw, guest_fcw);
    if (avx) {
        sandbox.memory().read(kData + 0xb00, seen, 32);
        EXPECT_EQ(std::memcmp(seen, ymm3, 32), 0) << "ymm3";
    }
}

// Indirect branches from a block that loaded the state enter their target
// past its gate slot, the lookup table's empty slots (which lead to the
// miss path: eip 0xffffffff "hits" one) included.
TEST_P(ExtendedState, AnIndirectBranchAfterTheStateIsLoadedStillMisses) {
    vx::Sandbox sandbox(options());
    // movd xmm0, eax; mov eax, 0xffffffff; jmp eax
    map(sandbox, {0x66, 0x0f, 0x6e, 0xc0, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe0});
    const vx::Event event = sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::Fault) << vx::describe(event);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(sandbox.registers().eip, 0xffffffffu);
}

VX_FOR_EACH_ENGINE(ExtendedState);

// A stop request whose signal lands in the gate that loads the extended
// state (host code the block called, not the block) must still stop the
// guest: the block the gate returns to is unchained, as a running block is
// (without fuel, nothing else would stop a loop of chained blocks).
TEST(DbtExtendedStateGate, AStopInTheGateUnchainsTheBlockThatCalledIt) {
    vx::GuestMemory memory(16u << 20);
    memory.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
    // movd xmm0, eax; jmp next; next: int $0x80 (two blocks, the first chained to the second)
    const uint8_t code[] = {0x66, 0x0f, 0x6e, 0xc0, 0xeb, 0x00, 0xcd, 0x80};
    memory.write(kCode, code, sizeof code);
    for (const char* where : {"loader", "ready stub"}) {
        SCOPED_TRACE(where);
        vx::dbt::DbtEngine engine(memory, {}, {}, {});
        vx::CpuState cpu;
        cpu.i386().eip = kCode;
        ASSERT_EQ(engine.run(cpu).kind, vx::EventKind::Syscall);
        // The block's gate: `call [r15 + CTX_XSTATE_GATE]`, the only one in the cache.
        const uint8_t gate[] = {0x41, 0xff, 0x57, CTX_XSTATE_GATE};
        uint64_t return_address = 0;
        for (const vx::HostRegion& region : engine.host_regions()) {
            if (std::string(region.what) != "code cache") continue;
            const auto* bytes = reinterpret_cast<const uint8_t*>(region.begin);
            for (uint64_t i = 0; i + sizeof gate <= region.size && !return_address; ++i)
                if (std::memcmp(bytes + i, gate, sizeof gate) == 0) return_address = region.begin + i + sizeof gate;
        }
        ASSERT_NE(return_address, 0u);

        ucontext_t uc{};
        greg_t* g = uc.uc_mcontext.gregs;
        const char* pc = std::string(where) == "loader" ? vx::dbt::vx_dbt_xstate_load + 8 : vx::dbt::vx_dbt_xstate_ready;
        g[REG_RIP] = reinterpret_cast<greg_t>(pc);
        g[REG_RSP] = reinterpret_cast<greg_t>(&return_address);  // the gates push nothing
        // The translated code as the run left it: the block's exit chained.
        auto stat = [&](const char* name) {
            vx::Usage usage;
            engine.add_usage(usage);
            return usage.engine_stat(name).value_or(~0ull);
        };
        auto code_now = [&] {
            for (const vx::HostRegion& region : engine.host_regions())
                if (std::string(region.what) == "code cache") {
                    const auto* bytes = reinterpret_cast<const uint8_t*>(region.begin);
                    return std::vector<uint8_t>(bytes, bytes + stat("code_cache_bytes"));
                }
            return std::vector<uint8_t>{};
        };
        const std::vector<uint8_t> chained = code_now();
        const uint64_t translations = stat("translations");
        engine.stop_soon(nullptr);
        engine.stop_soon(&uc);
        EXPECT_EQ(g[REG_RIP], reinterpret_cast<greg_t>(pc)) << "the gate runs to its end";
        EXPECT_NE(code_now(), chained) << "the block that called the gate was not unchained";
        // run() takes the request; run on, the exit is chained again as it
        // is taken, and nothing is translated again.
        cpu.i386().eip = kCode;
        ASSERT_EQ(engine.run(cpu).kind, vx::EventKind::Interrupted);
        ASSERT_EQ(engine.run(cpu).kind, vx::EventKind::Syscall);
        EXPECT_EQ(code_now(), chained);
        EXPECT_EQ(stat("translations"), translations);
        EXPECT_EQ(stat("code_cache_flushes"), 0u);
    }
}

}  // namespace
