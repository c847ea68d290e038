#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace vx {

class GuestMemory;

// Host memory that guests map (GuestMemory::map_buffer) and the host reads
// and writes in place: data streams through it with no copy. Its pages are
// one memory file, mapped once here for the host and once in each guest
// that maps it, so every view sees every write at once.
//
// What a guest wrote can change again while the host looks at it: the host
// copies what it must check before it checks it, as with any memory it
// shares with code it does not trust.
//
// Its pages are the host's: they count against no guest's memory limit. They
// are allocated when the buffer is made (a guest can never meet a page the
// host could not give), and outlive it while a guest still maps them.
class SharedBuffer {
public:
    // `size`: a multiple of 4 KiB, from 4 KiB to 3 GiB; throws vx::Error
    // otherwise, or when the host refuses the memory.
    explicit SharedBuffer(size_t size);
    ~SharedBuffer();
    SharedBuffer(const SharedBuffer&) = delete;
    SharedBuffer& operator=(const SharedBuffer&) = delete;

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    std::span<uint8_t> bytes() const { return {data_, size_}; }

private:
    friend class GuestMemory;
    int fd_ = -1;  // close-on-exec, size sealed
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace vx
