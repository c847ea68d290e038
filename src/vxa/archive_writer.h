#pragma once
// Writes a vxa archive (docs/vxa-format.md): a zip file whose members are
// compressed by the host's encoders, each with a vxa record (its SHA-256 and
// the decoder it needs), the decoders stored once each under
// .vxa/decoders/. Members are written as they are added, their local
// headers completed afterwards, so the file must be seekable.
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "archive.h"
#include "codec.h"

namespace vxa {

class ArchiveWriter {
public:
    // Writes to `fd` (a regular file, from its start; not closed here).
    explicit ArchiveWriter(int fd);

    // A file whose content is read from `fd` to its end, compressed as
    // `compression` says. `decoder`: the digest of the decoder added for it
    // (none for stored members). Throws std::system_error when reading or
    // writing fails, std::runtime_error when the encoder does.
    const Member& add_file(const std::string& name, int fd, uint32_t mode, uint32_t dos_time,
                           const Compression& compression, const std::optional<Digest>& decoder);
    const Member& add_directory(const std::string& name, uint32_t mode, uint32_t dos_time);
    // A decoder, once: later calls with the same program add nothing.
    // Returns its digest.
    Digest add_decoder(std::span<const uint8_t> program);
    // Writes the central directory and the end records.
    void finish(const std::string& comment = {});

    uint64_t bytes_written() const { return offset_; }

private:
    void write(std::span<const uint8_t> bytes);
    void write(const std::string& bytes);
    void write_local_header(const Member& member, bool zip64);
    Member& begin_member(const std::string& name, MemberType type, uint32_t mode, uint32_t dos_time, uint16_t method);

    int fd_;
    uint64_t offset_ = 0;
    std::vector<Member> members_;
    std::set<std::string> names_;
};

// Now as an MS-DOS date and time (the zip header's), in local time.
uint32_t dos_time_of(int64_t unix_seconds);

}  // namespace vxa
