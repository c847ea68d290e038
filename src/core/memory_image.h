#pragma once
// A copy-on-write image of guest memory (GuestMemory::capture/restore): the
// contents of the mapped pages in a sealed memfd, at offsets equal to their
// guest addresses, and what restore makes of each page.
#include <cstdint>
#include <mutex>
#include <vector>

namespace vx {

struct MemoryImage {
    MemoryImage() = default;
    ~MemoryImage();
    MemoryImage(const MemoryImage&) = delete;
    MemoryImage& operator=(const MemoryImage&) = delete;

    // A host mapping restore makes, in page order: the pages' flags say
    // which kind (unmapped: the reservation; an image mapping of the file;
    // a new shared one the file's contents are copied into).
    struct Run {
        uint32_t first_page = 0;
        uint32_t pages = 0;
    };

    uint64_t serial = 0;  // of this process's images, from 1
    int fd = -1;          // sealed: nobody writes it again
    uint32_t size = 0;
    // Per page, as restore leaves them: GuestMemory's PageFlags, held in
    // common (the pages pending a copy are for no record).
    std::vector<uint16_t> flags;
    std::vector<bool> held;
    std::vector<Run> runs;        // cover every page
    uint32_t host_mappings = 1;   // that the restored pages make (GuestMemory::host_mappings)
    uint32_t mapped_pages = 0, held_pages = 0, pending_pages = 0, shared_pages = 0;
    uint64_t stored_bytes = 0;    // of the file: pages that held anything but zeros
    uint32_t grow_floor = 0, grow_low = 0;

    // The file's contents, mapped read-only once (nullptr when the host
    // refused): what a restore copies back into the pages a guest wrote.
    const uint8_t* contents() const;

private:
    mutable std::once_flag contents_once_;
    mutable const uint8_t* contents_ = nullptr;
};

}  // namespace vx
