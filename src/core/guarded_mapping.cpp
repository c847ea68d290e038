#include "core/guarded_mapping.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "vx/error.h"

namespace vx {

GuardedMapping::GuardedMapping(size_t size, int prot, int fd) : size_((size + kGuard - 1) & ~(kGuard - 1)) {
    void* reservation = mmap(nullptr, size_ + 2 * kGuard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reservation == MAP_FAILED) throw Error(std::string("cannot reserve host memory: ") + strerror(errno));
    reservation_ = static_cast<uint8_t*>(reservation);
    if (!remap(prot, fd)) {
        int e = errno;
        munmap(reservation_, size_ + 2 * kGuard);
        throw Error(std::string("cannot map host memory: ") + strerror(e));
    }
}

bool GuardedMapping::remap(int prot, int fd) {
    int flags = MAP_FIXED | (fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS);
    return mmap(data(), size_, prot, flags, fd, 0) == data();
}

GuardedMapping::~GuardedMapping() {
    if (reservation_) munmap(reservation_, size_ + 2 * kGuard);
}

GuardedMapping::GuardedMapping(GuardedMapping&& other) noexcept
    : reservation_(std::exchange(other.reservation_, nullptr)), size_(std::exchange(other.size_, 0)) {}

GuardedMapping& GuardedMapping::operator=(GuardedMapping&& other) noexcept {
    std::swap(reservation_, other.reservation_);
    std::swap(size_, other.size_);
    return *this;
}

}  // namespace vx
