#pragma once
// What vxa does natively on the host: compressing members (the encoders of
// zlib, libbz2, liblzma and libzstd), and the digests every member is
// checked against (CRC-32 for zip, SHA-256 for vxa's record).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "archive.h"

namespace vxa {

// A codec vxa can compress with: its name (as --codec takes it) and method.
struct Codec {
    std::string name;
    uint16_t method;
};
const std::vector<Codec>& codecs();
std::optional<Codec> codec_named(std::string_view name);
std::optional<Codec> codec_of_method(uint16_t method);

// The CRC-32 and SHA-256 of a stream of bytes.
class ContentDigest {
public:
    ContentDigest();
    ~ContentDigest();
    ContentDigest(const ContentDigest&) = delete;
    ContentDigest& operator=(const ContentDigest&) = delete;
    void update(std::span<const uint8_t> bytes);
    uint32_t crc32() const { return crc32_; }
    uint64_t size() const { return size_; }
    Digest sha256();  // once, at the end

private:
    struct Sha;
    std::unique_ptr<Sha> sha_;
    uint32_t crc32_ = 0;
    uint64_t size_ = 0;
};
Digest sha256_of(std::span<const uint8_t> bytes);

// A compressor for one member: given its bytes in pieces, gives the
// compressed stream to `sink` in pieces. Throws std::runtime_error when the
// library fails (out of memory).
using Sink = std::function<void(std::span<const uint8_t>)>;
class Encoder {
public:
    virtual ~Encoder() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
    virtual void finish() = 0;
};
// How a member is compressed: by vxa's encoder for `method` (level 0: the
// codec's default), or by `command`, a codec of one's own (vxa add-codec):
// run by /bin/sh -c with the member on its standard input, what it writes on
// its standard output is the compressed member. (The host must ignore
// SIGPIPE, or a command that exits early ends it.)
struct Compression {
    uint16_t method = method::kStored;
    int level = 0;
    std::string command;
};
std::unique_ptr<Encoder> make_encoder(const Compression& compression, Sink sink);

// Raw deflate decoded by the host's own zlib, to exactly `size` bytes (at
// most 1 GiB, and what deflate can give from the data's size): only for the
// decoders an archive carries, which something
// must decode before any of them can run. Throws FormatError for data that
// are not that.
std::vector<uint8_t> inflate_exactly(std::span<const uint8_t> compressed, uint64_t size);

}  // namespace vxa
