// brk, mmap and friends, all inside guest memory. The process keeps its own
// record of which pages are mapped (reserved_), since a PROT_NONE mapping
// still owns its addresses.
#include <sys/mman.h>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kPageMask = kPageSize - 1;
constexpr uint32_t kLowestMapping = 0x10000;  // as Linux's mmap_min_addr

uint64_t page_ceil(uint64_t value) { return (value + kPageMask) & ~uint64_t(kPageMask); }

Perm perms_of(uint32_t prot) {  // PROT_READ/WRITE/EXEC have Perm's values
    return Perm(prot & (kRead | kWrite | kExec));
}

}  // namespace

bool LinuxProcess::range_reserved(uint32_t addr, uint32_t length, bool all) const {
    for (uint32_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p)
        if (reserved_[p] != all) return !all;
    return all;
}

void LinuxProcess::reserve(uint32_t addr, uint32_t length, bool reserved) {
    for (uint32_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p) reserved_[p] = reserved;
}

uint32_t LinuxProcess::find_free_range(uint32_t length) const {
    uint32_t pages = length / kPageSize, run = 0;
    for (uint32_t p = mmap_top_ / kPageSize; p-- > page_ceil(brk_) / kPageSize;) {
        run = reserved_[p] ? 0 : run + 1;
        if (run == pages) return p * kPageSize;
    }
    return 0;
}

int32_t LinuxProcess::sys_brk(const SyscallArgs& a) {
    uint32_t wanted = a.a[0];
    if (wanted < brk_start_ || wanted > memory_.size()) return int32_t(brk_);
    uint32_t old_end = uint32_t(page_ceil(brk_)), new_end = uint32_t(page_ceil(wanted));
    if (new_end > old_end) {
        if (new_end > mmap_top_ || range_reserved(old_end, new_end - old_end, false)) return int32_t(brk_);
        memory_.map(old_end, new_end - old_end, kRead | kWrite);
        reserve(old_end, new_end - old_end, true);
    } else if (new_end < old_end) {
        memory_.unmap(new_end, old_end - new_end);
        reserve(new_end, old_end - new_end, false);
    }
    brk_ = wanted;
    return int32_t(brk_);
}

int32_t LinuxProcess::sys_mmap2(const SyscallArgs& a) {
    const uint32_t addr = a.a[0], prot = a.a[2], flags = a.a[3];
    const uint64_t length = page_ceil(a.a[1]);
    if (length == 0 || length > memory_.size()) return fail(length ? ENOMEM : EINVAL);
    if (!(flags & MAP_ANONYMOUS)) return fail(int32_t(a.a[4]) < 0 ? EBADF : ENODEV);  // no files yet
    if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0) return fail(EINVAL);

    uint32_t at = 0;
    const bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    const bool fits = addr % kPageSize == 0 && addr >= kLowestMapping && addr + length <= memory_.size();
    if (fixed) {
        if (!fits) return fail(addr % kPageSize ? EINVAL : ENOMEM);
        if ((flags & MAP_FIXED_NOREPLACE) && range_reserved(addr, uint32_t(length), false)) return fail(EEXIST);
        at = addr;
    } else if (fits && !range_reserved(addr, uint32_t(length), false)) {
        at = addr;  // the hint is free: take it, as Linux does
    } else if (!(at = find_free_range(uint32_t(length)))) {
        return fail(ENOMEM);
    }
    memory_.map(at, uint32_t(length), perms_of(prot));
    reserve(at, uint32_t(length), true);
    return int32_t(at);
}

int32_t LinuxProcess::sys_old_mmap(const SyscallArgs& a) {
    uint32_t args[6];  // old_mmap takes one pointer to its six arguments
    if (!memory_.read(a.a[0], args, sizeof args)) return fail(EFAULT);
    if (args[5] % kPageSize) return fail(EINVAL);
    SyscallArgs as_mmap2{192, {args[0], args[1], args[2], args[3], args[4], args[5] / kPageSize}};
    return sys_mmap2(as_mmap2);
}

int32_t LinuxProcess::sys_munmap(const SyscallArgs& a) {
    const uint32_t addr = a.a[0];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || length == 0 || addr + length > memory_.size()) return fail(EINVAL);
    memory_.unmap(addr, uint32_t(length));
    reserve(addr, uint32_t(length), false);
    return 0;
}

int32_t LinuxProcess::sys_mprotect(const SyscallArgs& a) {
    const uint32_t addr = a.a[0];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || addr + length > memory_.size()) return fail(EINVAL);
    if (!range_reserved(addr, uint32_t(length), true)) return fail(ENOMEM);
    if (length) memory_.protect(addr, uint32_t(length), perms_of(a.a[2]));
    return 0;
}

int32_t LinuxProcess::sys_madvise(const SyscallArgs& a) {
    const uint32_t addr = a.a[0];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || addr + length > memory_.size()) return fail(EINVAL);
    return 0;  // advice only; MADV_DONTNEED's zeroing is not implemented
}

}  // namespace vx::os::linux_i386
