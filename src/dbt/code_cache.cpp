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

CodeCache::CodeCache(size_t capacity) : capacity_(capacity) {
    fd_ = memfd_create("vx-code-cache", MFD_CLOEXEC);
    if (fd_ < 0) throw Error(std::string("memfd_create: ") + strerror(errno));
    void* x = MAP_FAILED;
    void* w = MAP_FAILED;
    if (ftruncate(fd_, off_t(capacity)) == 0) {
        x = mmap(nullptr, capacity, PROT_READ | PROT_EXEC, MAP_SHARED, fd_, 0);
        w = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    }
    if (x == MAP_FAILED || w == MAP_FAILED) {
        int e = errno;
        if (x != MAP_FAILED) munmap(x, capacity);
        if (w != MAP_FAILED) munmap(w, capacity);
        close(fd_);
        throw Error(std::string("code cache: ") + strerror(e));
    }
    exec_base_ = reinterpret_cast<uint64_t>(x);
    write_base_ = static_cast<uint8_t*>(w);
}

void CodeCache::prepare_fork() {
    int fd = memfd_create("vx-code-cache", MFD_CLOEXEC);
    if (fd >= 0 && (ftruncate(fd, off_t(capacity_)) != 0 || pwrite(fd, write_base_, used_, 0) != ssize_t(used_))) {
        close(fd);
        fd = -1;
    }
    child_fd_ = fd;  // -1: the child will report it and end
}

void CodeCache::finish_fork(bool in_child) {
    int fd = std::exchange(child_fd_, -1);
    if (!in_child) {
        if (fd >= 0) close(fd);
        return;
    }
    auto* x = reinterpret_cast<void*>(exec_base_);
    bool ok = fd >= 0 &&
              mmap(x, capacity_, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0) == x &&
              mmap(write_base_, capacity_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == write_base_;
    if (!ok) {
        // The child's code may now be half its own: nothing here can be trusted.
        std::fprintf(stderr, "vx: cannot give a forked sandbox its own code cache: %s\n", strerror(errno));
        _exit(125);
    }
    close(fd_);
    fd_ = fd;
}

CodeCache::~CodeCache() {
    munmap(write_base_, capacity_);
    munmap(reinterpret_cast<void*>(exec_base_), capacity_);
    close(fd_);
}

}  // namespace vx::dbt
