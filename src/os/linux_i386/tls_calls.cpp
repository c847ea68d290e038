// Thread-local storage: set_thread_area defines GDT entries 12-14 as the
// kernel does (ThreadAreas keeps them, with the kernel's checks), their
// bases the sandbox's descriptors, so that the guest's own `mov %gs, reg`
// with such a selector loads that entry's base (Sandbox::set_descriptor);
// get_thread_area reads back what was set.
#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

uint16_t user_selector(uint32_t entry) { return uint16_t(entry << 3 | 3); }

}  // namespace

int32_t LinuxProcess::sys_set_thread_area(const SyscallArgs& a) {
    const uint32_t user_desc = a.a[0];
    UserDesc desc;
    if (!memory_.read(user_desc, &desc, sizeof desc)) return fail(EFAULT);
    const bool any_free = desc.entry_number == ThreadAreas::kAnyFree;
    if (int32_t error = thread_areas_.check(desc); error < 0) return error;
    if (any_free && !memory_.write(user_desc, &desc.entry_number, sizeof desc.entry_number)) return fail(EFAULT);
    if (std::optional<uint32_t> base = thread_areas_.store(desc))
        sandbox_.set_descriptor(desc.entry_number, *base);
    else
        sandbox_.clear_descriptor(desc.entry_number);
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
    const std::optional<UserDesc> desc = thread_areas_.read(entry_number);
    if (!desc) return fail(EINVAL);
    return memory_.write(user_desc, &*desc, sizeof *desc) ? 0 : fail(EFAULT);
}

void LinuxProcess::load_segment_or_null(SegmentRegister segment, uint16_t selector) {
    if (!sandbox_.load_segment(segment, selector)) sandbox_.load_segment(segment, 0);
}

}  // namespace vx::os::linux_i386
