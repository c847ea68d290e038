#include "dbt/code_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "vx/error.h"

namespace vx::dbt {

// The memfd is closed as soon as both views are mapped: a descriptor of the
// cache, had anything in the process reached it, would write translated code
// past every check (read, write, mmap through it).
CodeCache::CodeCache(size_t capacity) : capacity_(capacity) {
    int fd = memfd_create("vx-code-cache", MFD_CLOEXEC);
    if (fd < 0) throw Error(std::string("memfd_create: ") + strerror(errno));
    try {
        if (ftruncate(fd, off_t(capacity)) != 0) throw Error(std::string("code cache: ") + strerror(errno));
        exec_view_ = GuardedMapping(capacity, PROT_READ | PROT_EXEC, fd);
        write_view_ = GuardedMapping(capacity, PROT_READ | PROT_WRITE, fd);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    exec_base_ = reinterpret_cast<uint64_t>(exec_view_.data());
}

bool CodeCache::prepare_fork() {
    int fd = memfd_create("vx-code-cache", MFD_CLOEXEC);
    if (fd >= 0 && (ftruncate(fd, off_t(capacity_)) != 0 || pwrite(fd, write_view_.data(), used_, 0) != ssize_t(used_))) {
        int error = errno;
        close(fd);
        fd = -1;
        errno = error;
    }
    child_fd_ = fd;
    return fd >= 0;
}

void CodeCache::finish_fork(bool in_child) {
    int fd = std::exchange(child_fd_, -1);
    if (!in_child) {
        if (fd >= 0) close(fd);
        return;
    }
    bool ok = fd >= 0 && exec_view_.remap(PROT_READ | PROT_EXEC, fd) && write_view_.remap(PROT_READ | PROT_WRITE, fd);
    if (!ok) {
        // The child's code may now be half its own: nothing here can be trusted.
        std::fprintf(stderr, "vx: cannot give a forked sandbox its own code cache: %s\n", strerror(errno));
        _exit(125);
    }
    close(fd);
}

}  // namespace vx::dbt
