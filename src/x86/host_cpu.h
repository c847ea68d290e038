#pragma once
// What the host CPU and kernel offer that every engine must respect: the
// XSAVE layout and the state components enabled, the MXCSR bits supported,
// and which images of a guest's extended state XRSTOR would accept.
#include <cstddef>
#include <cstdint>
#include <span>

namespace vx::x86 {

// The extended-state components a guest has: x87, SSE, AVX and AVX-512
// (opmask, ZMM_Hi256, Hi16_ZMM). Never PKRU or AMX, which stay the host's.
inline constexpr uint64_t kGuestXstateComponents = 0xe7;

// The size of a standard-format XSAVE area for every enabled component.
// Throws vx::Error when the CPU or kernel lacks XSAVE or XSAVEOPT.
size_t xsave_area_size();
// Where state component `component` (2 and up: AVX, opmask, ...) lies in
// a standard-format XSAVE area: its offset and size in bytes (CPUID leaf
// 0xD), both 0 for one the CPU does not have.
struct XsaveRange {
    size_t offset = 0, size = 0;
};
XsaveRange xsave_component_range(unsigned component);
// XCR0: the state components the kernel has enabled.
uint64_t enabled_xstate_components();
// The MXCSR bits this CPU supports (what FXSAVE reports, 0 read as the
// architectural default).
uint32_t mxcsr_mask();
// Whether the kernel saves PKRU with the rest of the extended state (XCR0 bit 9).
bool os_saves_pkru();

// Whether `image` is a guest's extended state the host may load with XRSTOR
// (standard format, `area_size` bytes): no reserved MXCSR bit, no component
// the kernel has not enabled or a guest does not have (PKRU, which Linux's
// own signal frames carry, is accepted and ignored), not compacted, a zero
// reserved header. Loading one that is not would fault in the host.
bool is_loadable_guest_xsave(std::span<const uint8_t> image, size_t area_size);

// Byte offsets in a standard-format XSAVE area.
inline constexpr size_t kXsaveMxcsr = 24, kXsaveHeader = 512, kXsaveXcompBv = 520, kXsaveReservedEnd = 576;
inline constexpr uint64_t kXstatePkru = 1u << 9;

}  // namespace vx::x86
