#pragma once
// set_thread_area's TLS entries (GDT entries 12-14) as the kernel keeps
// them: the user_desc each was set with, or none (never set, or deleted),
// and the kernel's checks: an entry is a present 32-bit data segment, or
// deleted by an empty or all-zero user_desc; entry_number -1 asks for the
// lowest free entry (ESRCH when none is), any other number outside 12-14 is
// EINVAL. Copying user_desc in and out of guest memory, and the bases the
// sandbox's descriptors hold, are LinuxProcess's (tls_calls.cpp).
#include <cstdint>
#include <optional>

#include "os/linux_i386/abi.h"

namespace vx::os::linux_i386 {

class ThreadAreas {
public:
    // entry_number's "pick a free entry for me".
    static constexpr uint32_t kAnyFree = UINT32_MAX;

    static bool is_entry(uint32_t entry) { return entry >= kFirstTlsEntry && entry < kFirstTlsEntry + kTlsEntries; }
    // The user_desc that deletes an entry: LDT_empty, or all zeros.
    static bool deletes(const UserDesc& desc);

    // set_thread_area's checks, nothing set yet: 0, or -EINVAL (not a TLS
    // segment, not a TLS entry) or -ESRCH (kAnyFree, and none is free). An
    // entry_number of kAnyFree becomes the entry chosen (the guest reads it
    // back).
    int32_t check(UserDesc& desc) const;
    // Sets (or deletes) the entry `desc` names, which check() accepted: its
    // base, or none once it is deleted.
    std::optional<uint32_t> store(const UserDesc& desc);
    // get_thread_area: what `entry` holds (an entry never set or deleted
    // reads as the kernel's zeroed descriptor: read-only, not present), or
    // none when it is not a TLS entry (EINVAL).
    std::optional<UserDesc> read(uint32_t entry) const;
    // A new image has none.
    void clear();

private:
    std::optional<UserDesc> entries_[kTlsEntries];  // by entry - kFirstTlsEntry
};

}  // namespace vx::os::linux_i386
