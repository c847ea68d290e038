// The host CPU facts every engine loads a guest's extended state against.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "x86/host_cpu.h"

namespace {

using namespace vx::x86;

// An image of the initial state: every component initial, MXCSR's default.
std::vector<uint8_t> initial_image() {
    std::vector<uint8_t> image(xsave_area_size(), 0);
    const uint32_t mxcsr = 0x1f80;
    std::memcpy(image.data() + kXsaveMxcsr, &mxcsr, 4);
    return image;
}

void set_u64(std::vector<uint8_t>& image, size_t offset, uint64_t value) {
    std::memcpy(image.data() + offset, &value, 8);
}

TEST(HostCpu, TheAreaHoldsTheLegacyPartAndTheHeader) {
    EXPECT_GE(xsave_area_size(), kXsaveReservedEnd);
    EXPECT_EQ(enabled_xstate_components() & 3, 3u) << "x87 and SSE are always enabled";
    EXPECT_EQ(os_saves_pkru(), (enabled_xstate_components() & kXstatePkru) != 0);
}

TEST(HostCpu, AcceptsTheInitialStateAndWhatAGuestHas) {
    std::vector<uint8_t> image = initial_image();
    EXPECT_TRUE(is_loadable_guest_xsave(image, image.size()));
    set_u64(image, kXsaveHeader, 3);  // x87 and SSE in use
    EXPECT_TRUE(is_loadable_guest_xsave(image, image.size()));
}

TEST(HostCpu, RefusesWhatXrstorWouldFaultOn) {
    const std::vector<uint8_t> good = initial_image();
    std::vector<uint8_t> image = good;
    image.pop_back();
    EXPECT_FALSE(is_loadable_guest_xsave(image, good.size())) << "another size";

    image = good;
    uint32_t reserved = ~mxcsr_mask();
    ASSERT_NE(reserved, 0u);
    uint32_t mxcsr = 0x1f80 | (reserved & -reserved);
    std::memcpy(image.data() + kXsaveMxcsr, &mxcsr, 4);
    EXPECT_FALSE(is_loadable_guest_xsave(image, image.size())) << "a reserved MXCSR bit";

    image = good;
    set_u64(image, kXsaveXcompBv, uint64_t(1) << 63 | 3);
    EXPECT_FALSE(is_loadable_guest_xsave(image, image.size())) << "the compacted form";

    image = good;
    image[kXsaveReservedEnd - 1] = 1;
    EXPECT_FALSE(is_loadable_guest_xsave(image, image.size())) << "a non-zero reserved header";
}

TEST(HostCpu, RefusesComponentsAGuestDoesNotHave) {
    std::vector<uint8_t> image = initial_image();
    set_u64(image, kXsaveHeader, uint64_t(1) << 17);  // AMX tile data
    EXPECT_FALSE(is_loadable_guest_xsave(image, image.size()));
    set_u64(image, kXsaveHeader, uint64_t(1) << 62);  // not a component the kernel enables
    EXPECT_FALSE(is_loadable_guest_xsave(image, image.size()));
    // PKRU, which Linux's own signal frames carry, is accepted where the
    // kernel saves it (and then ignored by the engines: the host's stays).
    set_u64(image, kXsaveHeader, kXstatePkru);
    EXPECT_EQ(is_loadable_guest_xsave(image, image.size()), os_saves_pkru());
}

}  // namespace
