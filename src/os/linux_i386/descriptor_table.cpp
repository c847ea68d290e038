#include "os/linux_i386/descriptor_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "os/linux_i386/abi.h"

namespace vx::os::linux_i386 {

int64_t DirectoryCookies::hand_out(int64_t host_offset) {
    host_offsets_.push_back(host_offset);
    return int64_t(host_offsets_.size());
}

int64_t DirectoryCookies::host_offset(int64_t cookie) {
    if (cookie == 0) {
        host_offsets_.clear();
        return 0;
    }
    return cookie > 0 && uint64_t(cookie) <= host_offsets_.size() ? host_offsets_[size_t(cookie - 1)] : -1;
}

DescriptorTable::DescriptorTable(uint32_t limit) : limit_(std::min(limit, kMaxDescriptors)) {}

DescriptorTable::~DescriptorTable() { close_all(); }

Descriptor* DescriptorTable::find(uint32_t fd) {
    return fd < entries_.size() && entries_[fd].host >= 0 ? &entries_[fd] : nullptr;
}

const Descriptor* DescriptorTable::find(uint32_t fd) const {
    return fd < entries_.size() && entries_[fd].host >= 0 ? &entries_[fd] : nullptr;
}

int DescriptorTable::host(uint32_t fd) const {
    const Descriptor* d = find(fd);
    return d ? d->host : -1;
}

int32_t DescriptorTable::install(int host, uint32_t lowest, bool close_on_exec, Place place) {
    for (uint32_t fd = lowest; fd < limit_; ++fd) {
        if (fd >= entries_.size()) entries_.resize(fd + 1);
        if (entries_[fd].host < 0) {
            entries_[fd] = Descriptor{host, std::move(place), close_on_exec, std::nullopt};
            return int32_t(fd);
        }
    }
    ::close(host);
    return fail(EMFILE);
}

int32_t DescriptorTable::close(uint32_t fd) {
    Descriptor* d = find(fd);
    if (!d) return fail(EBADF);
    ::close(d->host);
    *d = Descriptor{};
    return 0;
}

int32_t DescriptorTable::duplicate(uint32_t fd, uint32_t lowest, bool close_on_exec) {
    const Descriptor* d = find(fd);
    if (!d) return fail(EBADF);
    if (lowest >= limit_) return fail(EINVAL);  // as F_DUPFD at RLIMIT_NOFILE
    int copy = ::fcntl(d->host, F_DUPFD_CLOEXEC, 3);  // never in the host's own 0-2
    if (copy < 0) return fail(errno);
    return install(copy, lowest, close_on_exec, d->place);  // (d may move as the table grows)
}

int32_t DescriptorTable::duplicate_onto(uint32_t fd, uint32_t target, bool close_on_exec) {
    const Descriptor* d = find(fd);
    if (!d || target >= limit_) return fail(EBADF);
    if (fd == target) return int32_t(target);
    int copy = ::fcntl(d->host, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return fail(errno);  // `target` is left as it was
    Place place = d->place;
    close(target);
    return install(copy, target, close_on_exec, std::move(place));
}

void DescriptorTable::close_on_exec() {
    for_each([&](uint32_t fd, Descriptor& d) {
        if (d.close_on_exec) close(fd);
    });
}

void DescriptorTable::close_all() {
    for_each([&](uint32_t fd, Descriptor&) { close(fd); });
    entries_.clear();
}

}  // namespace vx::os::linux_i386
