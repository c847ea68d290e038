#include "dbt/cache/code_cache.h"

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

// Both only change the protection of the whole view, one mapping: nothing
// for the host to refuse but a broken process, which must not go on.
void CodeCache::open() const {
    if (open_) return;
    if (mprotect(write_view_.data(), capacity_, PROT_READ | PROT_WRITE) != 0) {
        static const char message[] = "vx: cannot open the code cache's writable view\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(125);
    }
    open_ = true;
}

void CodeCache::seal() const {
    if (!open_) return;
    if (mprotect(write_view_.data(), capacity_, PROT_NONE) != 0) {
        static const char message[] = "vx: cannot seal the code cache's writable view\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(125);
    }
    open_ = false;
}

bool CodeCache::prepare_fork() {
    int fd = memfd_create("vx-code-cache", MFD_CLOEXEC);
    // Copied from the executable view: the writable one may be sealed.
    const void* code = exec_view_.data();
    if (fd >= 0 && (ftruncate(fd, off_t(capacity_)) != 0 || pwrite(fd, code, used_, 0) != ssize_t(used_))) {
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
    open_ = true;
    if (!ok) {
        // The child's code may now be half its own: nothing here can be trusted.
        std::fprintf(stderr, "vx: cannot give a forked sandbox its own code cache: %s\n", strerror(errno));
        _exit(125);
    }
    close(fd);
}

}  // namespace vx::dbt
