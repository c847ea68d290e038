#include "x86/host_cpu.h"

#include <cpuid.h>

#include <cstring>

#include "vx/error.h"

namespace vx::x86 {

size_t xsave_area_size() {
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    if (!(c & bit_OSXSAVE)) throw Error("this CPU or kernel lacks XSAVE, which vx needs");
    __cpuid_count(0xd, 1, a, b, c, d);
    if (!(a & 1)) throw Error("this CPU lacks XSAVEOPT, which vx needs");
    __cpuid_count(0xd, 0, a, b, c, d);
    return b;
}

XsaveRange xsave_component_range(unsigned component) {
    unsigned a, b, c, d;
    __cpuid_count(0xd, component, a, b, c, d);
    return {b, a};
}

uint64_t enabled_xstate_components() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    uint32_t eax, edx;
    asm volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

uint32_t mxcsr_mask() {
    static const uint32_t mask = [] {
        alignas(16) uint8_t area[512] = {};
        __builtin_ia32_fxsave64(area);
        uint32_t reported;
        std::memcpy(&reported, area + 28, 4);
        return reported ? reported : 0xffbfu;
    }();
    return mask;
}

bool os_saves_pkru() {
    static const bool saves = (enabled_xstate_components() & kXstatePkru) != 0;
    return saves;
}

bool is_loadable_guest_xsave(std::span<const uint8_t> image, size_t area_size) {
    if (image.size() != area_size || area_size < kXsaveReservedEnd) return false;
    uint32_t mxcsr;
    uint64_t xstate_bv, xcomp_bv;
    std::memcpy(&mxcsr, image.data() + kXsaveMxcsr, 4);
    std::memcpy(&xstate_bv, image.data() + kXsaveHeader, 8);
    std::memcpy(&xcomp_bv, image.data() + kXsaveXcompBv, 8);
    static const uint64_t enabled_components = enabled_xstate_components();
    if (mxcsr & ~mxcsr_mask()) return false;
    if (xstate_bv & ~enabled_components) return false;
    if (xstate_bv & ~(kGuestXstateComponents | kXstatePkru)) return false;
    if (xcomp_bv != 0) return false;
    for (size_t i = kXsaveXcompBv + 8; i < kXsaveReservedEnd; ++i)
        if (image[i] != 0) return false;
    return true;
}

}  // namespace vx::x86
