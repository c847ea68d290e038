#include "dbt/code_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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

CodeCache::~CodeCache() {
    munmap(write_base_, capacity_);
    munmap(reinterpret_cast<void*>(exec_base_), capacity_);
    close(fd_);
}

}  // namespace vx::dbt
