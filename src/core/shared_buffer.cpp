#include "vx/shared_buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "vx/error.h"
#include "vx/guest_memory.h"

namespace vx {

SharedBuffer::SharedBuffer(size_t size) : size_(size) {
    if (size < kPageSize || size > kMaxGuestMemory || size % kPageSize)
        throw Error("a shared buffer's size must be a multiple of 4 KiB between 4 KiB and 3 GiB");
    fd_ = memfd_create("vx-shared-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    auto refuse = [&](const char* what) {
        const std::string reason = strerror(errno);
        if (fd_ >= 0) close(fd_);
        throw Error(std::string("cannot make a shared buffer (") + what + "): " + reason);
    };
    if (fd_ < 0) refuse("memfd_create");
    // Allocated now, and of a size nobody changes: a page past the file's end,
    // or one the host cannot give when touched, would be a SIGBUS instead of
    // memory.
    if (fallocate(fd_, 0, 0, off_t(size)) != 0) refuse("fallocate");
    if (fcntl(fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) refuse("seal");
    void* view = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (view == MAP_FAILED) refuse("mmap");
    data_ = static_cast<uint8_t*>(view);
}

SharedBuffer::~SharedBuffer() {
    munmap(data_, size_);
    close(fd_);
}

}  // namespace vx
