#pragma once
// A vxa archive read: a zip file's members as its central directory lists
// them, each checked against its local header, the decoders it carries
// (docs/vxa-format.md) set apart. Whatever the file holds, reading it either
// gives members whose data lie inside the file, each apart from every
// other, or throws FormatError saying what is wrong: a hostile archive is
// refused here before anything of it is decoded.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace vxa {

// Compression methods by their zip method ids.
namespace method {
inline constexpr uint16_t kStored = 0;
inline constexpr uint16_t kDeflate = 8;
inline constexpr uint16_t kBzip2 = 12;
inline constexpr uint16_t kLzma = 14;
inline constexpr uint16_t kZstd = 93;
inline constexpr uint16_t kXz = 95;
}  // namespace method
// "deflate", "bzip2", ..., or "method N" for one vxa has no name for.
std::string method_name(uint16_t method);

using Digest = std::array<uint8_t, 32>;  // SHA-256
std::string to_hex(const Digest& digest);
std::optional<Digest> digest_from_hex(std::string_view hex);

// What an archive keeps for vxa itself: its decoders, each a member named by
// its digest, in the decoder directory, and nothing else.
inline constexpr std::string_view kReservedDirectory = ".vxa/";
inline constexpr std::string_view kDecoderDirectory = ".vxa/decoders/";

// Other: a device, a FIFO or a socket, as a Unix zip tool records one.
enum class MemberType { File, Directory, Symlink, Other };

struct Member {
    std::string name;  // as stored: '/'-separated, a directory's ending in '/'
    MemberType type = MemberType::File;
    uint16_t method = method::kStored;
    uint16_t flags = 0;
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0;
    uint64_t size = 0;            // what it decodes to, as declared
    uint64_t header_offset = 0;   // of its local header
    uint64_t data_offset = 0;     // of its compressed data
    uint32_t mode = 0;            // Unix permission bits, when the archive has them
    uint32_t dos_time = 0;        // MS-DOS date (high half) and time (low half)
    std::optional<Digest> sha256;   // of its content (the vxa record)
    std::optional<Digest> decoder;  // the decoder its record names
};

class FormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Archive {
public:
    // Reads the archive at `path` (mapped, not copied). Throws FormatError
    // for one that is not a zip file vxa can read, std::system_error when
    // it cannot be opened.
    static Archive open(const std::string& path);
    // Reads an archive that `bytes` hold (borrowed: they must outlive it).
    explicit Archive(std::span<const uint8_t> bytes);
    Archive(Archive&&) noexcept;
    Archive& operator=(Archive&&) noexcept;
    ~Archive();

    // The members, in the central directory's order, decoders left out.
    const std::vector<Member>& members() const { return members_; }
    // The decoders the archive carries (its .vxa/decoders/ members).
    const std::vector<Member>& decoders() const { return decoders_; }
    const Member* decoder(const Digest& digest) const;
    // A member's compressed data.
    std::span<const uint8_t> data(const Member& member) const;
    const std::string& comment() const { return comment_; }

private:
    struct Mapping;
    Archive(std::unique_ptr<Mapping> mapping);
    void read();

    std::unique_ptr<Mapping> mapping_;
    std::span<const uint8_t> bytes_;
    std::vector<Member> members_;
    std::vector<Member> decoders_;
    std::string comment_;
};

}  // namespace vxa
