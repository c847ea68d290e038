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

HostReservation::HostReservation(size_t size, const void* hint) : size_(size) {
    void* at = mmap(const_cast<void*>(hint), size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (at == MAP_FAILED) throw Error(std::string("cannot reserve host memory: ") + strerror(errno));
    base_ = static_cast<uint8_t*>(at);
}

HostReservation::~HostReservation() {
    if (base_) munmap(base_, size_);
}

HostReservation::HostReservation(HostReservation&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HostReservation& HostReservation::operator=(HostReservation&& other) noexcept {
    std::swap(base_, other.base_);
    std::swap(size_, other.size_);
    return *this;
}

CodeCache::CodeCache(size_t capacity) : own_(span_bytes(capacity)), capacity_(capacity), span_(own_.data()) {
    create({});
}

CodeCache::CodeCache(size_t capacity, uint8_t* span, std::span<const uint8_t> first_code)
    : capacity_(capacity), span_(span) {
    create(first_code);
}

// The memfd is closed as soon as both views are mapped: a descriptor of the
// cache, had anything in the process reached it, would write translated code
// past every check (read, write, mmap through it). The first code goes in
// through it, before: the writable view is mapped sealed, and stays so until
// the translator needs it (opening and sealing it again would cost two
// protection changes, each a TLB flush, and a fault on its first page).
void CodeCache::create(std::span<const uint8_t> first_code) {
    if (capacity_ % kGuard) throw Error("the code cache's size must be whole pages");
    if (first_code.size() > capacity_) throw Error("the code cache is too small for its first code");
    int fd = memfd_create("vx-code-cache", MFD_CLOEXEC);
    if (fd < 0) throw Error(std::string("memfd_create: ") + strerror(errno));
    if (ftruncate(fd, off_t(capacity_)) != 0 ||
        (!first_code.empty() && pwrite(fd, first_code.data(), first_code.size(), 0) != ssize_t(first_code.size())) ||
        !map_views(fd, false)) {
        int error = errno;
        close(fd);
        throw Error(std::string("code cache: ") + strerror(error));
    }
    close(fd);
    exec_base_ = reinterpret_cast<uint64_t>(exec_view());
    used_ = first_code.size();
}

bool CodeCache::map_views(int fd, bool open) {
    return mmap(write_view(), capacity_, open ? kOpen : kSealed, MAP_SHARED | MAP_FIXED, fd, 0) == write_view() &&
           mmap(exec_view(), capacity_, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0) == exec_view();
}

// Both only change the protection of the writable view, a host mapping of
// its own whichever (a file's, between the reservation's anonymous guard
// pages): no mapping is split or merged, so nothing for the host to refuse, even at its
// map count, but a broken process, which must not go on.
void CodeCache::open() const {
    if (open_) return;
    if (mprotect(write_view(), capacity_, kOpen) != 0) {
        static const char message[] = "vx: cannot open the code cache's writable view\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(125);
    }
    open_ = true;
}

void CodeCache::seal() const {
    if (!open_) return;
    if (mprotect(write_view(), capacity_, kSealed) != 0) {
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
    const void* code = exec_view();
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
    bool ok = fd >= 0 && map_views(fd, true);
    open_ = true;
    if (!ok) {
        // The child's code may now be half its own: nothing here can be trusted.
        std::fprintf(stderr, "vx: cannot give a forked sandbox its own code cache: %s\n", strerror(errno));
        _exit(125);
    }
    close(fd);
}

}  // namespace vx::dbt
