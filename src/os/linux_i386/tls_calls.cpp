// Thread-local storage: set_thread_area defines GDT entries 12-14 as the
// kernel does (present 32-bit data segments), their bases the sandbox's
// descriptors, so that the guest's own `mov %gs, reg` with such a selector
// loads that entry's base (Sandbox::set_descriptor); get_thread_area reads
// back what was set.
#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

// What get_thread_area reads from an entry never set or deleted: the
// kernel's zeroed descriptor seen as a user_desc (read-only, not present).
constexpr uint32_t kEmptyFlags = kUserDescReadExecOnly | kUserDescNotPresent;

// The kernel's "delete this entry": LDT_empty, or a user_desc all zeros.
bool deletes_entry(const UserDesc& desc) {
    const uint32_t flags = desc.flags & kUserDescFlags;
    return desc.base_addr == 0 && desc.limit == 0 && (flags == kEmptyFlags || flags == 0);
}

// tls_desc_okay: a TLS entry is a present 32-bit data segment (contents 0 or
// 1: expanding up or down), or deleted.
bool acceptable(const UserDesc& desc) {
    if (deletes_entry(desc)) return true;
    return (desc.flags & kUserDescSeg32Bit) && (desc.flags & kUserDescContents) >> 1 <= 1 &&
           !(desc.flags & kUserDescNotPresent);
}

bool is_tls_entry(uint32_t entry) { return entry >= kFirstTlsEntry && entry < kFirstTlsEntry + kTlsEntries; }

uint16_t user_selector(uint32_t entry) { return uint16_t(entry << 3 | 3); }

}  // namespace

int32_t LinuxProcess::sys_set_thread_area(const SyscallArgs& a) {
    const uint32_t user_desc = a.a[0];
    UserDesc desc;
    if (!memory_.read(user_desc, &desc, sizeof desc)) return fail(EFAULT);
    if (!acceptable(desc)) return fail(EINVAL);
    if (desc.entry_number == UINT32_MAX) {
        uint32_t slot = 0;
        while (slot < kTlsEntries && tls_[slot]) ++slot;
        if (slot == kTlsEntries) return fail(ESRCH);
        desc.entry_number = kFirstTlsEntry + slot;
        if (!memory_.write(user_desc, &desc.entry_number, sizeof desc.entry_number)) return fail(EFAULT);
    }
    if (!is_tls_entry(desc.entry_number)) return fail(EINVAL);
    std::optional<UserDesc>& entry = tls_[desc.entry_number - kFirstTlsEntry];
    if (deletes_entry(desc)) {
        entry.reset();
        sandbox_.clear_descriptor(desc.entry_number);
    } else {
        entry = UserDesc{desc.entry_number, desc.base_addr, desc.limit & 0xfffff, desc.flags & kUserDescFlags};
        sandbox_.set_descriptor(desc.entry_number, desc.base_addr);
    }
    // The kernel loads %fs and %gs again when they hold the entry's selector:
    // its new base, or null once it is deleted.
    const uint16_t selector = user_selector(desc.entry_number);
    for (SegmentRegister segment : {SegmentRegister::fs, SegmentRegister::gs})
        if (sandbox_.segment(segment).selector == selector) load_segment_or_null(segment, selector);
    return 0;
}

int32_t LinuxProcess::sys_get_thread_area(const SyscallArgs& a) {
    const uint32_t user_desc = a.a[0];
    uint32_t entry_number;
    if (!memory_.read(user_desc, &entry_number, sizeof entry_number)) return fail(EFAULT);
    if (!is_tls_entry(entry_number)) return fail(EINVAL);
    const std::optional<UserDesc>& entry = tls_[entry_number - kFirstTlsEntry];
    const UserDesc desc = entry ? *entry : UserDesc{entry_number, 0, 0, kEmptyFlags};
    return memory_.write(user_desc, &desc, sizeof desc) ? 0 : fail(EFAULT);
}

void LinuxProcess::load_segment_or_null(SegmentRegister segment, uint16_t selector) {
    if (!sandbox_.load_segment(segment, selector)) sandbox_.load_segment(segment, 0);
}

}  // namespace vx::os::linux_i386
