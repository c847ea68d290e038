#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "dbt/cache/code_cache.h"
#include "vx/guest_memory.h"
#include "vx/registers.h"
#include "x86/decoder.h"

namespace vx::dbt {

// What differs from the guest's own state at a host instruction (for a fault
// there): an inline string instruction runs with edi and esi as host
// addresses, and its rep checks with the guest's flags in r13; an
// instruction naming ah/bh/ch/dh with an esp-based address runs with esp
// exchanged with another guest register (index in bits 4-6), since x86-64
// cannot encode a high-byte register beside r12, where esp lives.
// A rep string instruction may also be stopped where it is (kInterruptible):
// the CPU keeps its progress in ecx, esi and edi, and it goes on from there.
enum Fixup : uint8_t {
    kNoFixup = 0, kHostEdi = 1, kHostEsi = 2, kFlagsInR13 = 4, kEspSwapped = 8, kInterruptible = 128
};
inline uint8_t esp_swapped_with(unsigned gpr_index) { return uint8_t(kEspSwapped | (gpr_index << 4)); }
inline unsigned esp_swap_partner(uint8_t fixup) { return (fixup >> 4) & 7; }

struct InsnRecord {
    uint32_t host_offset;  // from the block's start
    uint32_t guest_eip;
    uint8_t fixup = kNoFixup;
    uint8_t index = 0;     // of the guest instruction in its block: how many ran before it
};

struct Block {
    uint32_t guest_eip = 0;
    uint32_t guest_end = 0;      // past its last instruction's bytes
    uint64_t host_entry = 0;
    uint64_t host_body_end = 0;  // exit stubs follow; they never fault
    uint32_t prologue_end = 0;   // host offset of the first instruction's code: before it, the gate slot and the fuel check
    uint8_t insn_count = 0;      // guest instructions translated (the last may be one that exits or faults)
    // Its gate slot (kGateSlotBytes at host_entry) calls the extended state's
    // gate: it has an instruction that needs the state. Then the state is
    // loaded wherever its code leaves to, and its direct exits are chained
    // past their target's gate slot (the 4-byte nop of a block without one).
    bool loads_extended_state = false;
    std::vector<InsnRecord> insns;
    // Each direct branch out of it: the rel32 (chained to the target's block,
    // or to the stub) and its stub, which leaves to the host instead (host
    // offsets from the block's start). A stop request points them all at
    // their stubs.
    struct DirectExit { uint32_t site, stub; };
    std::vector<DirectExit> exits;

    // The guest instruction whose translation contains host address `pc`.
    const InsnRecord* record_for(uint64_t pc) const;
};

// Every block starts with this many bytes for the gate: `call [r15 +
// CTX_XSTATE_GATE]` where it needs the guest's extended state, a nop where
// not. A branch from a block that loaded the state enters past them.
inline constexpr uint32_t kGateSlotBytes = 4;
inline constexpr uint8_t kGateSlotNop[kGateSlotBytes] = {0x0f, 0x1f, 0x40, 0x00};  // nop dword [rax + 0]
inline uint64_t chained_entry(const Block& from, uint64_t target_entry) {
    return from.loads_extended_state ? target_entry + kGateSlotBytes : target_entry;
}

// Shared code in the cache that blocks jump to.
struct RuntimeLinks {
    uint64_t exit_stub = 0;    // stores the guest state and leaves to the host
    uint64_t miss_path = 0;    // an indirect branch's target is not in the lookup table
};

// The guest's %fs and %gs: their bases are folded into translated code, and
// their selectors are what the guest reads back.
struct SegmentBases {
    uint32_t fs = 0, gs = 0;
    uint16_t fs_selector = 0, gs_selector = 0;
    FlatSelectors flat;  // what cs and ds, es, ss read
    bool operator==(const SegmentBases&) const = default;
};

// The base a guest segment register adds to an address (fs/gs: Linux TLS).
uint32_t fold_segment_base(ZydisRegister segment, const SegmentBases& bases);

// Whether a guest instruction may read or write the guest's extended state
// (x87, MMX, SSE, AVX, AVX-512 registers, MXCSR, the x87 control, status and
// tag words, XINUSE): true unless it is known to be integer-only. A block
// with such an instruction loads that state at its start (see runtime.S);
// until then the CPU holds the host's, which no guest instruction may see.
bool needs_extended_state(const x86::Instruction& insn);

class Translator {
public:
    using EntryFinder = std::function<uint64_t(uint32_t guest_eip)>;  // 0: not translated

    // `links` is read at each translation: it may be filled in after
    // construction. With `count_fuel`, blocks keep the fuel in r9 exact.
    Translator(const GuestMemory& memory, CodeCache& cache, const RuntimeLinks& links, bool count_fuel)
        : memory_(memory), cache_(cache), links_(links), count_fuel_(count_fuel) {}

    static constexpr size_t kMaxBlockBytes = 16384;  // the cache must have this much free
    static constexpr int kMaxInsnsPerBlock = 64;

    // Translates the block at `eip`, of at most `max_insns` instructions.
    // Direct branches to blocks `find` knows are chained at once; the others
    // exit to the host (EXIT_CODE_LIMIT + offset of the rel32 to patch) until
    // patched (each has its stub all the same, see Block::exits). With fuel
    // counted, every block starts by taking its instructions from r9 (see
    // FUEL_WINDOW), and every exit from inside it gives back those that did
    // not run.
    Block translate(uint32_t eip, const SegmentBases& segments, const EntryFinder& find,
                    int max_insns = kMaxInsnsPerBlock);

private:
    const GuestMemory& memory_;
    CodeCache& cache_;
    const RuntimeLinks& links_;
    bool count_fuel_;
};

}  // namespace vx::dbt
