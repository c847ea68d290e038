#include "os/linux_i386/thread_areas.h"

#include <algorithm>
#include <cerrno>

namespace vx::os::linux_i386 {
namespace {

// What get_thread_area reads from an entry never set or deleted: the
// kernel's zeroed descriptor seen as a user_desc (read-only, not present).
constexpr uint32_t kEmptyFlags = kUserDescReadExecOnly | kUserDescNotPresent;

// tls_desc_okay: a TLS entry is a present 32-bit data segment (contents 0 or
// 1: expanding up or down), or deleted.
bool acceptable(const UserDesc& desc) {
    if (ThreadAreas::deletes(desc)) return true;
    return (desc.flags & kUserDescSeg32Bit) && (desc.flags & kUserDescContents) >> 1 <= 1 &&
           !(desc.flags & kUserDescNotPresent);
}

}  // namespace

bool ThreadAreas::deletes(const UserDesc& desc) {
    const uint32_t flags = desc.flags & kUserDescFlags;
    return desc.base_addr == 0 && desc.limit == 0 && (flags == kEmptyFlags || flags == 0);
}

int32_t ThreadAreas::check(UserDesc& desc) const {
    if (!acceptable(desc)) return -EINVAL;
    if (desc.entry_number == kAnyFree) {
        uint32_t slot = 0;
        while (slot < kTlsEntries && entries_[slot]) ++slot;
        if (slot == kTlsEntries) return -ESRCH;
        desc.entry_number = kFirstTlsEntry + slot;
    }
    return is_entry(desc.entry_number) ? 0 : -EINVAL;
}

std::optional<uint32_t> ThreadAreas::store(const UserDesc& desc) {
    std::optional<UserDesc>& entry = entries_[desc.entry_number - kFirstTlsEntry];
    if (deletes(desc)) {
        entry.reset();
        return std::nullopt;
    }
    entry = UserDesc{desc.entry_number, desc.base_addr, desc.limit & 0xfffff, desc.flags & kUserDescFlags};
    return desc.base_addr;
}

std::optional<UserDesc> ThreadAreas::read(uint32_t entry) const {
    if (!is_entry(entry)) return std::nullopt;
    const std::optional<UserDesc>& held = entries_[entry - kFirstTlsEntry];
    return held ? *held : UserDesc{entry, 0, 0, kEmptyFlags};
}

void ThreadAreas::clear() { std::fill(std::begin(entries_), std::end(entries_), std::nullopt); }

}  // namespace vx::os::linux_i386
