#pragma once
#include <cstdio>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {

struct SyscallEntry {
    uint32_t nr;
    const char* name;
    int32_t (LinuxProcess::*handler)(const SyscallArgs&);
};

// The entry for i386 syscall `nr`, or nullptr (the guest gets -ENOSYS).
const SyscallEntry* find_syscall(uint32_t nr);

// One strace-like line: name(args) = result, with the guest pid unless it is 1.
void trace_syscall(FILE* out, int32_t pid, const SyscallArgs& args, const SyscallEntry* entry, int32_t result);

}  // namespace vx::os::linux_i386
