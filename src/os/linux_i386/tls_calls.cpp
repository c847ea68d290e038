// Thread-local storage: set_thread_area hands out GDT slots 12-14, and a
// guest's `mov %gs, reg` with such a selector points %gs at that slot's base
// (LinuxProcess::load_segment).
#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {

int32_t LinuxProcess::sys_set_thread_area(const SyscallArgs& a) {
    const uint32_t user_desc = a.a[0];
    UserDesc desc;
    if (!memory_.read(user_desc, &desc, sizeof desc)) return fail(EFAULT);
    uint32_t slot;
    if (desc.entry_number == UINT32_MAX) {
        for (slot = 0; slot < kTlsEntries && tls_used_[slot]; ++slot) {}
        if (slot == kTlsEntries) return fail(ESRCH);
        desc.entry_number = kFirstTlsEntry + slot;
        if (!memory_.write(user_desc, &desc, sizeof desc)) return fail(EFAULT);
    } else if (desc.entry_number >= kFirstTlsEntry && desc.entry_number < kFirstTlsEntry + kTlsEntries) {
        slot = desc.entry_number - kFirstTlsEntry;
    } else {
        return fail(EINVAL);
    }
    tls_base_[slot] = desc.base_addr;
    tls_used_[slot] = true;
    return 0;
}

int32_t LinuxProcess::sys_get_thread_area(const SyscallArgs& a) {
    const uint32_t user_desc = a.a[0];
    UserDesc desc;
    if (!memory_.read(user_desc, &desc, sizeof desc)) return fail(EFAULT);
    if (desc.entry_number < kFirstTlsEntry || desc.entry_number >= kFirstTlsEntry + kTlsEntries)
        return fail(EINVAL);
    uint32_t slot = desc.entry_number - kFirstTlsEntry;
    desc.base_addr = tls_used_[slot] ? tls_base_[slot] : 0;
    desc.limit = tls_used_[slot] ? 0xfffff : 0;
    desc.flags = tls_used_[slot] ? 0x51 : 0x28;  // 32-bit, page-granular, usable / not present
    return memory_.write(user_desc, &desc, sizeof desc) ? 0 : fail(EFAULT);
}

}  // namespace vx::os::linux_i386
