#pragma once
#include <cstdint>

namespace vx {

// The guest's i386 general registers, in x86 encoding order (eax=0 ... edi=7).
struct Registers {
    uint32_t eax = 0, ecx = 0, edx = 0, ebx = 0, esp = 0, ebp = 0, esi = 0, edi = 0;
    uint32_t eip = 0;
    uint32_t eflags = 0x202;

    // The general register with x86 encoding `index` (0 = eax ... 7 = edi).
    uint32_t& gpr(unsigned index) {
        uint32_t* order[8] = {&eax, &ecx, &edx, &ebx, &esp, &ebp, &esi, &edi};
        return *order[index & 7];
    }
};

// The segment registers a guest may address memory through besides its own
// data segment; their bases are the guest's to set (Linux TLS).
enum class SegmentRegister { fs, gs };

// What a segment register holds: the selector the guest reads back and the
// base its accesses through the register add.
struct Segment {
    uint16_t selector = 0;
    uint32_t base = 0;
    bool operator==(const Segment&) const = default;
};

// What the guest reads from its code segment register (cs) and from its
// data segment registers (ds, es, ss): the values are its host's to choose
// (Linux i386: 0x23 and 0x2b); every access goes to the guest's memory
// whatever they are.
struct FlatSelectors {
    uint16_t code = 0;
    uint16_t data = 0;
    bool operator==(const FlatSelectors&) const = default;
};

// The eflags bits a guest may hold. TF (single-step) and NT are not among them:
// vx does not single-step guests, and IOPL/IF/VM are never the guest's to set.
inline constexpr uint32_t kGuestEflagsMask =
    (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 7) | (1u << 10) |
    (1u << 11) | (1u << 18) | (1u << 21);

inline uint32_t sanitize_eflags(uint32_t eflags) {
    return (eflags & kGuestEflagsMask) | 0x202;  // bit 1 is always set, IF always on
}

}  // namespace vx
