#pragma once
// Host memory with an inaccessible page on either side, for the runtime data
// translated code reaches through host pointers: a runaway access off either
// end faults instead of landing in whatever the host keeps next to it.
#include <cstddef>
#include <cstdint>

namespace vx {

class GuardedMapping {
public:
    GuardedMapping() = default;
    // `size` bytes (rounded up to pages) with `prot`: private zero pages, or
    // when fd >= 0, a shared mapping of that file from offset 0. Throws
    // vx::Error when the host refuses.
    GuardedMapping(size_t size, int prot, int fd = -1);
    ~GuardedMapping();
    GuardedMapping(GuardedMapping&& other) noexcept;
    GuardedMapping& operator=(GuardedMapping&& other) noexcept;
    GuardedMapping(const GuardedMapping&) = delete;
    GuardedMapping& operator=(const GuardedMapping&) = delete;

    uint8_t* data() const { return reservation_ ? reservation_ + kGuard : nullptr; }
    size_t size() const { return size_; }
    // Maps `fd` over the same addresses again (after a fork, to make a shared
    // view the process's own); false with errno when the host refuses.
    bool remap(int prot, int fd);

    static constexpr size_t kGuard = 4096;

private:
    uint8_t* reservation_ = nullptr;
    size_t size_ = 0;
};

}  // namespace vx
