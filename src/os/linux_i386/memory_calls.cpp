// brk, mmap and friends, all inside guest memory (file mappings are copies). The process keeps its own
// record of which pages are mapped (AddressSpace, which also says where the
// break and a mapping may go), since a PROT_NONE mapping still owns its
// addresses. Every call that maps pages first asks the
// sandbox to admit the pages it adds (admit_memory, for the whole tree): beyond the
// memory limit the sandbox stops, and the call maps nothing (ENOMEM). That
// is asked before looking for room, so a bomb is stopped by the limit rather
// than seeing an address space full. A change that would take the guest
// past its host mappings (GuestMemory::host_mappings) is refused with ENOMEM,
// as Linux refuses one past vm.max_map_count, and the guest goes on.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_numbers.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kPageMask = kPageSize - 1;

uint64_t page_ceil(uint64_t value) { return (value + kPageMask) & ~uint64_t(kPageMask); }

Perm perms_of(uint32_t prot) {  // PROT_READ/WRITE/EXEC have Perm's values
    return Perm(prot & (kRead | kWrite | kExec));
}

}  // namespace

bool LinuxProcess::in_stack_region(uint32_t addr, uint64_t length) const {
    return addr < memory_.grow_down_low() && addr + length > memory_.grow_down_floor();
}

uint64_t LinuxProcess::unmapped_bytes(uint32_t addr, uint64_t length) const {
    uint64_t bytes = 0;
    for (uint64_t page = addr; page < uint64_t(addr) + length; page += kPageSize)
        if (!memory_.mapped(uint32_t(page))) bytes += kPageSize;
    return bytes;
}

bool LinuxProcess::admit_memory(uint64_t bytes) {
    return !sandbox_.limits().memory || sandbox_.admit_memory(bytes, tree_->memory_of_others());
}

bool LinuxProcess::admit_own_growth(uint64_t bytes) {
    if (!sandbox_.limits().memory) return true;
    // Said first: other processes growing at the same moment (their guests
    // write between calls too) see it, and cannot pass the limit together.
    tree_->set_memory(sandbox_.memory_in_use() + bytes);
    if (admit_memory(bytes)) return true;
    tree_->set_memory(sandbox_.memory_in_use());
    return false;
}

int32_t LinuxProcess::sys_brk(const SyscallArgs& a) {
    const uint32_t wanted = a.a[0];
    const int32_t unchanged = int32_t(space_.brk());
    const std::optional<AddressSpace::BreakChange> change = space_.break_change(wanted);
    if (!change) return unchanged;
    const uint32_t old_end = change->old_end, new_end = change->new_end;
    if (new_end > old_end) {
        // All its pages are new (admitted before looking for room).
        if (!admit_memory(new_end - old_end)) return unchanged;
        if (!space_.heap_may_grow_to(new_end)) return unchanged;
        if (!memory_.map(old_end, new_end - old_end, kRead | kWrite)) return unchanged;
        space_.reserve(old_end, new_end - old_end, true);
    } else if (new_end < old_end) {
        if (!memory_.unmap(new_end, old_end - new_end)) return unchanged;
        space_.reserve(new_end, old_end - new_end, false);
    }
    space_.set_break(wanted);
    return int32_t(space_.brk());
}

int32_t LinuxProcess::sys_mmap2(const SyscallArgs& a) {
    const uint32_t addr = a.a[0], prot = a.a[2], flags = a.a[3], fd = a.a[4], page_offset = a.a[5];
    const uint64_t length = page_ceil(a.a[1]);
    if (length == 0 || length > memory_.size()) return fail(length ? ENOMEM : EINVAL);
    if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0) return fail(EINVAL);
    const bool anonymous = flags & MAP_ANONYMOUS;
    const bool shared = flags & MAP_SHARED;
    int file = -1;
    if (!anonymous) {
        // A file's pages are copied in, never mapped: a host mapping of a file
        // that shrinks would fault the host's own accesses to guest memory.
        // So writes cannot reach the file through a shared mapping: refused.
        file = descriptors_.host(fd);
        if (file < 0) return fail(EBADF);
        int mode = ::fcntl(file, F_GETFL);
        if (mode < 0 || (mode & O_ACCMODE) == O_WRONLY) return fail(EACCES);
        if (shared && (prot & PROT_WRITE)) return fail(ENODEV);
        struct stat st;
        if (::fstat(file, &st) != 0 || !S_ISREG(st.st_mode)) return fail(ENODEV);
    }

    uint32_t at = 0;
    const bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    const bool fits = addr % kPageSize == 0 && addr >= kLowestGuestMapping && addr + length <= memory_.size();
    if (fixed) {
        if (!fits) return fail(addr % kPageSize ? EINVAL : ENOMEM);
        if ((flags & MAP_FIXED_NOREPLACE) && space_.taken(addr, uint32_t(length), false)) return fail(EEXIST);
        // Over pages already mapped it adds nothing, they are replaced, but
        // for pages shared with other processes (still theirs).
        if (!admit_memory(unmapped_bytes(addr, length) + memory_.held_bytes(addr, length, false) +
                          memory_.pending_bytes(addr, length)))
            return fail(ENOMEM);
        at = addr;
    } else if (!admit_memory(length)) {  // wherever it goes, the pages are new
        return fail(ENOMEM);
    } else if (fits && !space_.taken(addr, uint32_t(length), false) && !in_stack_region(addr, length)) {
        at = addr;  // the hint is free: take it, as Linux does (but for the stack's room to grow)
    } else if (!(at = space_.place(uint32_t(length)))) {
        return fail(ENOMEM);
    }
    // Past the host mappings limit (or when the host refuses), ENOMEM, as
    // Linux says at its map count; a mapping it replaced is gone then, as on
    // Linux when a MAP_FIXED mmap fails.
    if (anonymous) {
        if (!memory_.map(at, uint32_t(length), perms_of(prot), shared)) return fail(ENOMEM);
    } else {
        if (!memory_.map(at, uint32_t(length), kRead | kWrite)) return fail(ENOMEM);
        int32_t error = read_file_into(file, uint64_t(page_offset) * kPageSize, at, uint32_t(length));
        if (!error && !memory_.protect(at, uint32_t(length), perms_of(prot))) error = fail(ENOMEM);
        if (error) {
            if (memory_.unmap(at, uint32_t(length))) space_.reserve(at, uint32_t(length), false);
            return error;
        }
    }
    space_.reserve(at, uint32_t(length), true);
    return int32_t(at);
}

int32_t LinuxProcess::read_file_into(int file, uint64_t offset, uint32_t at, uint32_t length) {
    uint32_t done = 0;
    while (done < length) {  // past the end of the file the pages stay zero
        ssize_t n = ::pread(file, memory_.host_base() + at + done, length - done, off_t(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(errno);
        if (n == 0) break;
        done += uint32_t(n);
    }
    return 0;
}

int32_t LinuxProcess::sys_mremap(const SyscallArgs& a) {
    const uint32_t old_addr = a.a[0], flags = a.a[3];
    const uint64_t old_length = page_ceil(a.a[1]), new_length = page_ceil(a.a[2]);
    if (old_addr % kPageSize || new_length == 0 || (flags & ~uint32_t(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        (flags & MREMAP_FIXED))
        return fail(EINVAL);  // MREMAP_FIXED: not needed by the programs seen so far
    if (old_length == 0 || old_addr + old_length > memory_.size() ||
        !space_.taken(old_addr, uint32_t(old_length), true))
        return fail(EFAULT);
    if (new_length > memory_.size()) return fail(ENOMEM);
    if (new_length <= old_length) {
        if (new_length < old_length) {
            if (!memory_.unmap(old_addr + uint32_t(new_length), uint32_t(old_length - new_length)))
                return fail(ENOMEM);
            space_.reserve(old_addr + uint32_t(new_length), uint32_t(old_length - new_length), false);
        }
        return int32_t(old_addr);
    }
    // A host's shared buffer neither grows nor moves (GuestMemory::map_buffer).
    if (memory_.buffer_bytes(old_addr, old_length)) return fail(EFAULT);
    const uint32_t grow = uint32_t(new_length - old_length);
    // Grown in place or moved (the old pages go), it adds `grow` bytes of pages.
    if (!admit_memory(grow)) return fail(ENOMEM);
    const uint32_t tail = old_addr + uint32_t(old_length);
    if (space_.may_extend(tail, grow)) {
        if (!memory_.map(tail, grow, memory_.perms_at(tail - kPageSize))) return fail(ENOMEM);  // the last mapping grows
        space_.reserve(tail, grow, true);
        return int32_t(old_addr);
    }
    if (!(flags & MREMAP_MAYMOVE)) return fail(ENOMEM);
    uint32_t to = space_.place(uint32_t(new_length));
    if (!to) return fail(ENOMEM);
    for (uint32_t page = old_addr; page < old_addr + old_length; page += kPageSize)
        if (memory_.perms_at(page) != memory_.perms_at(old_addr)) return fail(EFAULT);  // not one mapping
    // Moved, pages held in common with other processes become this one's own.
    if (!admit_memory(memory_.held_bytes(old_addr, old_length, false))) return fail(ENOMEM);
    if (!memory_.move(old_addr, uint32_t(old_length), to, uint32_t(new_length))) return fail(ENOMEM);
    space_.reserve(old_addr, uint32_t(old_length), false);
    space_.reserve(to, uint32_t(new_length), true);
    return int32_t(to);
}

int32_t LinuxProcess::sys_old_mmap(const SyscallArgs& a) {
    const uint32_t args_address = a.a[0];  // old_mmap takes one pointer to its six arguments
    uint32_t args[6];
    if (!memory_.read(args_address, args, sizeof args)) return fail(EFAULT);
    if (args[5] % kPageSize) return fail(EINVAL);
    SyscallArgs as_mmap2{nr::mmap2, {args[0], args[1], args[2], args[3], args[4], args[5] / kPageSize}};
    return sys_mmap2(as_mmap2);
}

int32_t LinuxProcess::sys_munmap(const SyscallArgs& a) {
    const uint32_t addr = a.a[0];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || length == 0 || addr + length > memory_.size()) return fail(EINVAL);
    if (!memory_.unmap(addr, uint32_t(length))) return fail(ENOMEM);  // as Linux when a split passes its map count
    space_.reserve(addr, uint32_t(length), false);
    return 0;
}

int32_t LinuxProcess::sys_mprotect(const SyscallArgs& a) {
    const uint32_t addr = a.a[0], prot = a.a[2];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || addr + length > memory_.size()) return fail(EINVAL);
    if (!space_.taken(addr, uint32_t(length), true)) return fail(ENOMEM);
    // Private pages held in common with other processes become this one's
    // own once it may write them.
    if ((prot & PROT_WRITE) && !admit_memory(memory_.held_bytes(addr, length, true))) return fail(ENOMEM);
    if (length && !memory_.protect(addr, uint32_t(length), perms_of(prot))) return fail(ENOMEM);
    return 0;
}

int32_t LinuxProcess::sys_madvise(const SyscallArgs& a) {
    const uint32_t addr = a.a[0];
    const uint64_t length = page_ceil(a.a[1]);
    if (addr % kPageSize || addr + length > memory_.size()) return fail(EINVAL);
    return 0;  // advice only; MADV_DONTNEED's zeroing is not implemented
}

}  // namespace vx::os::linux_i386
