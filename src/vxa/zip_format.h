#pragma once
// The zip format's records, as PKWARE's APPNOTE.TXT lays them out (all
// integers little-endian), and the vxa extra field (docs/vxa-format.md).
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace vxa::zip {

inline constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
inline constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
inline constexpr uint32_t kEndSignature = 0x06054b50;
inline constexpr uint32_t kZip64EndSignature = 0x06064b50;
inline constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
inline constexpr uint32_t kDataDescriptorSignature = 0x08074b50;

inline constexpr size_t kLocalHeaderSize = 30;
inline constexpr size_t kCentralHeaderSize = 46;
inline constexpr size_t kEndSize = 22;
inline constexpr size_t kZip64EndSize = 56;
inline constexpr size_t kZip64LocatorSize = 20;
inline constexpr size_t kMaxComment = 0xffff;

inline constexpr uint16_t kZip64ExtraId = 0x0001;
// The vxa record: "vx" as its two bytes.
inline constexpr uint16_t kVxaExtraId = 0x7876;
inline constexpr uint8_t kVxaExtraVersion = 1;
inline constexpr uint8_t kVxaHasDecoder = 1;  // the record names a decoder

inline constexpr uint16_t kFlagEncrypted = 1 << 0;
inline constexpr uint16_t kFlagDataDescriptor = 1 << 3;
inline constexpr uint16_t kFlagStrongEncryption = 1 << 6;
inline constexpr uint16_t kFlagUtf8 = 1 << 11;
inline constexpr uint16_t kFlagMaskedHeaders = 1 << 13;

inline constexpr uint8_t kMadeByUnix = 3;
inline constexpr uint32_t kSizeEscape = 0xffffffff;  // the real value is in the zip64 extra field
inline constexpr uint16_t kCountEscape = 0xffff;

// The version needed to extract a member (APPNOTE 4.4.3.2).
inline constexpr uint16_t kVersionDefault = 20;   // stored, deflate, directories
inline constexpr uint16_t kVersionZip64 = 45;
inline constexpr uint16_t kVersionBzip2 = 46;
inline constexpr uint16_t kVersionLzma = 63;      // lzma, xz, zstd

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline uint32_t get32(const uint8_t* p) { return uint32_t(get16(p)) | uint32_t(get16(p + 2)) << 16; }
inline uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) | uint64_t(get32(p + 4)) << 32; }

// Appends little-endian integers and bytes to a record being built.
class RecordWriter {
public:
    explicit RecordWriter(std::string& out) : out_(out) {}
    RecordWriter& u8(uint8_t v) { out_.push_back(char(v)); return *this; }
    RecordWriter& u16(uint16_t v) { return u8(uint8_t(v)).u8(uint8_t(v >> 8)); }
    RecordWriter& u32(uint32_t v) { return u16(uint16_t(v)).u16(uint16_t(v >> 16)); }
    RecordWriter& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
    RecordWriter& bytes(std::span<const uint8_t> b) { out_.append(reinterpret_cast<const char*>(b.data()), b.size()); return *this; }
    RecordWriter& bytes(const std::string& b) { out_ += b; return *this; }

private:
    std::string& out_;
};

}  // namespace vxa::zip
