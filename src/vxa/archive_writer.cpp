#include "archive_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include "codec.h"
#include "zip_format.h"

namespace vxa {
namespace {

// A member of this size or more gets zip64 fields from the start: its
// compressed size may pass 4 GiB even when it was smaller when we looked.
// (bzip2 adds up to about 0.5% to data it cannot compress: 256 MiB of room.)
constexpr uint64_t kZip64Threshold = 0xf0000000;

uint16_t version_needed(uint16_t method, bool zip64) {
    uint16_t version = zip::kVersionDefault;
    if (zip64) version = zip::kVersionZip64;
    if (method == method::kBzip2) version = std::max(version, zip::kVersionBzip2);
    if (method == method::kLzma || method == method::kXz || method == method::kZstd)
        version = std::max(version, zip::kVersionLzma);
    return version;
}

bool ascii(const std::string& text) {
    for (unsigned char c : text)
        if (c >= 0x80) return false;
    return true;
}

// Well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool utf8(const std::string& text) {
    for (size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (length == 0 || i + length > text.size()) return false;
        uint32_t value = length == 1 ? c : c & (0x7f >> length);
        for (size_t k = 1; k < length; ++k) {
            const unsigned char next = static_cast<unsigned char>(text[i + k]);
            if ((next >> 6) != 2) return false;
            value = value << 6 | (next & 0x3f);
        }
        static const uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
        if (value < kLeast[length] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

std::string vxa_record(const Member& member) {
    std::string record;
    zip::RecordWriter writer(record);
    writer.u16(zip::kVxaExtraId).u16(uint16_t(2 + 32 + (member.decoder ? 32 : 0)));
    writer.u8(zip::kVxaExtraVersion).u8(member.decoder ? zip::kVxaHasDecoder : 0).bytes(*member.sha256);
    if (member.decoder) writer.bytes(*member.decoder);
    return record;
}

uint32_t external_attributes(const Member& member) {
    const uint32_t type = member.type == MemberType::Directory ? S_IFDIR : S_IFREG;
    uint32_t attributes = (type | member.mode) << 16;
    if (member.type == MemberType::Directory) attributes |= 0x10;  // MS-DOS's directory bit
    return attributes;
}

}  // namespace

uint32_t dos_time_of(int64_t unix_seconds) {
    const time_t t = time_t(unix_seconds);
    struct tm local;
    if (!localtime_r(&t, &local) || local.tm_year < 80) return (0 << 9 | 1 << 5 | 1) << 16;  // 1980-01-01
    const uint32_t date = uint32_t((local.tm_year - 80) << 9 | (local.tm_mon + 1) << 5 | local.tm_mday);
    const uint32_t time_of_day = uint32_t(local.tm_hour << 11 | local.tm_min << 5 | local.tm_sec / 2);
    return date << 16 | time_of_day;
}

ArchiveWriter::ArchiveWriter(int fd) : fd_(fd) {
    if (lseek(fd_, 0, SEEK_SET) != 0) throw std::system_error(errno, std::generic_category(), "archive");
}

void ArchiveWriter::write(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw std::system_error(errno, std::generic_category(), "writing the archive");
        bytes = bytes.subspan(size_t(written));
        offset_ += uint64_t(written);
    }
}

void ArchiveWriter::write(const std::string& bytes) {
    write(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Member& ArchiveWriter::begin_member(const std::string& name, MemberType type, uint32_t mode, uint32_t dos_time,
                                    uint16_t method) {
    if (name.empty() || name.size() > 0xffff) throw std::invalid_argument("a member name of 1 to 65535 bytes");
    if (!names_.insert(name).second) throw std::invalid_argument("two members would be named " + name);
    Member member;
    member.name = name;
    member.type = type;
    member.mode = mode & 07777;
    member.dos_time = dos_time;
    member.method = method;
    // Names that are UTF-8 say so; others (bytes of another encoding) do not.
    member.flags = !ascii(name) && utf8(name) ? zip::kFlagUtf8 : 0;
    member.header_offset = offset_;
    members_.push_back(std::move(member));
    return members_.back();
}

// The local header: sizes and CRC as known now (a file's are patched in
// afterwards), with a zip64 field holding both sizes when asked for.
void ArchiveWriter::write_local_header(const Member& member, bool zip64) {
    std::string header;
    zip::RecordWriter writer(header);
    writer.u32(zip::kLocalHeaderSignature).u16(version_needed(member.method, zip64)).u16(member.flags);
    writer.u16(member.method).u16(uint16_t(member.dos_time)).u16(uint16_t(member.dos_time >> 16));
    writer.u32(member.crc32);
    writer.u32(zip64 ? zip::kSizeEscape : uint32_t(member.compressed_size));
    writer.u32(zip64 ? zip::kSizeEscape : uint32_t(member.size));
    const std::string record = vxa_record(member);
    writer.u16(uint16_t(member.name.size())).u16(uint16_t(record.size() + (zip64 ? 20 : 0)));
    writer.bytes(member.name);
    if (zip64) writer.u16(zip::kZip64ExtraId).u16(16).u64(member.size).u64(member.compressed_size);
    writer.bytes(record);
    write(header);
}

const Member& ArchiveWriter::add_file(const std::string& name, int fd, uint32_t mode, uint32_t dos_time,
                                      const Compression& compression, const std::optional<Digest>& decoder) {
    const uint16_t method = compression.method;
    struct stat st;
    if (fstat(fd, &st) != 0) throw std::system_error(errno, std::generic_category(), name);
    const bool zip64 = uint64_t(st.st_size) >= kZip64Threshold;
    Member& member = begin_member(name, MemberType::File, mode, dos_time, method);
    member.decoder = method == method::kStored ? std::nullopt : decoder;
    member.sha256 = Digest{};  // its place in the header; the digest itself is patched in
    write_local_header(member, zip64);
    member.data_offset = offset_;

    ContentDigest content;
    uint64_t compressed = 0;
    std::unique_ptr<Encoder> encoder = make_encoder(compression, [&](std::span<const uint8_t> bytes) {
        write(bytes);
        compressed += bytes.size();
    });
    std::vector<uint8_t> buffer(1 << 20);
    while (true) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw std::system_error(errno, std::generic_category(), "reading " + name);
        if (got == 0) break;
        const std::span<const uint8_t> piece(buffer.data(), size_t(got));
        content.update(piece);
        encoder->write(piece);
    }
    encoder->finish();
    member.crc32 = content.crc32();
    member.size = content.size();
    member.compressed_size = compressed;
    member.sha256 = content.sha256();
    if (!zip64 && (member.size >= zip::kSizeEscape || member.compressed_size >= zip::kSizeEscape))
        throw std::runtime_error(name + " grew past 4 GiB while it was being added");
    const uint64_t end = offset_;
    if (lseek(fd_, off_t(member.header_offset), SEEK_SET) < 0)
        throw std::system_error(errno, std::generic_category(), "the archive (not seekable)");
    offset_ = member.header_offset;
    write_local_header(member, zip64);
    if (lseek(fd_, off_t(end), SEEK_SET) < 0) throw std::system_error(errno, std::generic_category(), "the archive");
    offset_ = end;
    return member;
}

const Member& ArchiveWriter::add_directory(const std::string& name, uint32_t mode, uint32_t dos_time) {
    Member& member = begin_member(name.ends_with('/') ? name : name + "/", MemberType::Directory, mode, dos_time,
                                  method::kStored);
    member.crc32 = 0;
    member.sha256 = sha256_of({});
    write_local_header(member, false);
    member.data_offset = offset_;
    return member;
}

Digest ArchiveWriter::add_decoder(std::span<const uint8_t> program) {
    const Digest digest = sha256_of(program);
    const std::string name = std::string(kDecoderDirectory) + to_hex(digest);
    if (names_.count(name)) return digest;
    if (!names_.count(std::string(kReservedDirectory))) add_directory(std::string(kReservedDirectory), 0755, dos_time_of(0));
    if (!names_.count(std::string(kDecoderDirectory))) add_directory(std::string(kDecoderDirectory), 0755, dos_time_of(0));
    Member& member = begin_member(name, MemberType::File, 0644, dos_time_of(0), method::kDeflate);
    member.sha256 = digest;
    member.size = program.size();
    ContentDigest content;
    content.update(program);
    member.crc32 = content.crc32();
    std::vector<uint8_t> compressed;
    std::unique_ptr<Encoder> encoder = make_encoder({method::kDeflate, 9, {}}, [&](std::span<const uint8_t> bytes) {
        compressed.insert(compressed.end(), bytes.begin(), bytes.end());
    });
    encoder->write(program);
    encoder->finish();
    member.compressed_size = compressed.size();
    write_local_header(member, false);
    member.data_offset = offset_;
    write(compressed);
    return digest;
}

void ArchiveWriter::finish(const std::string& comment) {
    const uint64_t directory_offset = offset_;
    for (const Member& member : members_) {
        const bool zip64_sizes = member.size >= zip::kSizeEscape || member.compressed_size >= zip::kSizeEscape;
        const bool zip64_offset = member.header_offset >= zip::kSizeEscape;
        std::string zip64;
        zip::RecordWriter zip64_writer(zip64);
        if (zip64_sizes) zip64_writer.u64(member.size).u64(member.compressed_size);
        if (zip64_offset) zip64_writer.u64(member.header_offset);
        const std::string record = vxa_record(member);
        std::string header;
        zip::RecordWriter writer(header);
        writer.u32(zip::kCentralHeaderSignature).u16(uint16_t(zip::kMadeByUnix << 8 | 63));
        writer.u16(version_needed(member.method, zip64_sizes || zip64_offset)).u16(member.flags).u16(member.method);
        writer.u16(uint16_t(member.dos_time)).u16(uint16_t(member.dos_time >> 16)).u32(member.crc32);
        writer.u32(zip64_sizes ? zip::kSizeEscape : uint32_t(member.compressed_size));
        writer.u32(zip64_sizes ? zip::kSizeEscape : uint32_t(member.size));
        writer.u16(uint16_t(member.name.size())).u16(uint16_t(record.size() + (zip64.empty() ? 0 : 4 + zip64.size())));
        writer.u16(0).u16(0).u16(0).u32(external_attributes(member));
        writer.u32(zip64_offset ? zip::kSizeEscape : uint32_t(member.header_offset));
        writer.bytes(member.name);
        if (!zip64.empty()) writer.u16(zip::kZip64ExtraId).u16(uint16_t(zip64.size())).bytes(zip64);
        writer.bytes(record);
        write(header);
    }
    const uint64_t directory_size = offset_ - directory_offset;
    const uint64_t count = members_.size();
    const bool zip64 = count >= zip::kCountEscape || directory_offset >= zip::kSizeEscape ||
                       directory_size >= zip::kSizeEscape;
    std::string end;
    zip::RecordWriter writer(end);
    if (zip64) {
        const uint64_t record_offset = offset_;
        writer.u32(zip::kZip64EndSignature).u64(zip::kZip64EndSize - 12).u16(zip::kMadeByUnix << 8 | 63);
        writer.u16(zip::kVersionZip64).u32(0).u32(0).u64(count).u64(count).u64(directory_size).u64(directory_offset);
        writer.u32(zip::kZip64LocatorSignature).u32(0).u64(record_offset).u32(1);
    }
    const std::string text = comment.substr(0, zip::kMaxComment);
    writer.u32(zip::kEndSignature).u16(0).u16(0);
    writer.u16(zip64 ? zip::kCountEscape : uint16_t(count)).u16(zip64 ? zip::kCountEscape : uint16_t(count));
    writer.u32(zip64 ? zip::kSizeEscape : uint32_t(directory_size));
    writer.u32(zip64 ? zip::kSizeEscape : uint32_t(directory_offset));
    writer.u16(uint16_t(text.size())).bytes(text);
    write(end);
}

}  // namespace vxa
