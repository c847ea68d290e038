#include "archive.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <system_error>

#include "zip_format.h"

namespace vxa {

using zip::get16;
using zip::get32;
using zip::get64;

std::string method_name(uint16_t id) {
    switch (id) {
    case method::kStored: return "stored";
    case method::kDeflate: return "deflate";
    case method::kBzip2: return "bzip2";
    case method::kLzma: return "lzma";
    case method::kZstd: return "zstd";
    case method::kXz: return "xz";
    default: return "method " + std::to_string(id);
    }
}

std::string to_hex(const Digest& digest) {
    static const char kDigits[] = "0123456789abcdef";
    std::string text;
    for (uint8_t byte : digest) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    Digest digest;
    for (size_t i = 0; i < digest.size(); ++i) {
        const int high = nibble(hex[2 * i]), low = nibble(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        digest[i] = uint8_t(high << 4 | low);
    }
    return digest;
}

struct Archive::Mapping {
    void* address = nullptr;
    size_t size = 0;
    ~Mapping() {
        if (address) munmap(address, size);
    }
};

Archive Archive::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::generic_category(), path);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FormatError(path + " is not a regular file");
    }
    auto mapping = std::make_unique<Mapping>();
    mapping->size = size_t(st.st_size);
    if (mapping->size != 0) {
        void* address = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED) {
            const int error = errno;
            ::close(fd);
            throw std::system_error(error, std::generic_category(), path);
        }
        mapping->address = address;
    }
    ::close(fd);
    return Archive(std::move(mapping));
}

Archive::Archive(std::unique_ptr<Mapping> mapping)
    : mapping_(std::move(mapping)),
      bytes_(static_cast<const uint8_t*>(mapping_->address), mapping_->size) {
    read();
}

Archive::Archive(std::span<const uint8_t> bytes) : bytes_(bytes) { read(); }
Archive::Archive(Archive&&) noexcept = default;
Archive& Archive::operator=(Archive&&) noexcept = default;
Archive::~Archive() = default;

const Member* Archive::decoder(const Digest& digest) const {
    for (const Member& member : decoders_)
        if (member.sha256 == digest) return &member;
    return nullptr;
}

std::span<const uint8_t> Archive::data(const Member& member) const {
    return bytes_.subspan(member.data_offset, member.compressed_size);
}

namespace {

[[noreturn]] void refuse(const std::string& what) { throw FormatError(what); }

// The end of central directory record: the last one in the file's final
// 64 KiB and 22 bytes whose comment reaches exactly to the end of the file
// (a record-like run of bytes inside a comment does not).
size_t find_end_record(std::span<const uint8_t> file) {
    if (file.size() < zip::kEndSize) refuse("not a zip file: too short to hold its end record");
    const size_t lowest = file.size() > zip::kEndSize + zip::kMaxComment ? file.size() - zip::kEndSize - zip::kMaxComment : 0;
    for (size_t at = file.size() - zip::kEndSize;; --at) {
        if (get32(&file[at]) == zip::kEndSignature && at + zip::kEndSize + get16(&file[at + 20]) == file.size())
            return at;
        if (at == lowest) break;
    }
    refuse("not a zip file: no end of central directory record");
}

struct Directory {
    uint64_t offset, size, entries;
};

Directory find_directory(std::span<const uint8_t> file, size_t end_at) {
    const uint8_t* end = &file[end_at];
    if (get16(end + 4) != 0 || get16(end + 6) != 0) refuse("a multi-disk (spanned) zip archive, which vxa does not read");
    Directory directory{get32(end + 16), get32(end + 12), get16(end + 10)};
    if (get16(end + 8) != directory.entries) refuse("its end record gives two different member counts");
    const bool escaped = directory.offset == zip::kSizeEscape || directory.size == zip::kSizeEscape ||
                         directory.entries == zip::kCountEscape;
    const bool has_locator = end_at >= zip::kZip64LocatorSize &&
                             get32(&file[end_at - zip::kZip64LocatorSize]) == zip::kZip64LocatorSignature;
    if (!has_locator) {
        if (escaped) refuse("its end record points to a zip64 record that is not there");
        return directory;
    }
    const uint8_t* locator = &file[end_at - zip::kZip64LocatorSize];
    if (get32(locator + 4) != 0 || get32(locator + 16) > 1) refuse("a multi-disk (spanned) zip64 archive, which vxa does not read");
    const uint64_t record_at = get64(locator + 8);
    if (record_at > end_at - zip::kZip64LocatorSize || end_at - zip::kZip64LocatorSize - record_at < zip::kZip64EndSize)
        refuse("its zip64 end record lies outside the file");
    const uint8_t* record = &file[record_at];
    if (get32(record) != zip::kZip64EndSignature) refuse("its zip64 end record has no signature");
    if (get32(record + 16) != 0 || get32(record + 20) != 0) refuse("a multi-disk (spanned) zip64 archive, which vxa does not read");
    const Directory zip64{get64(record + 48), get64(record + 40), get64(record + 32)};
    if (get64(record + 24) != zip64.entries) refuse("its zip64 end record gives two different member counts");
    if ((directory.offset != zip::kSizeEscape && directory.offset != zip64.offset) ||
        (directory.size != zip::kSizeEscape && directory.size != zip64.size) ||
        (directory.entries != zip::kCountEscape && directory.entries != zip64.entries))
        refuse("its end record and its zip64 end record disagree");
    if (zip64.offset > record_at || record_at - zip64.offset < zip64.size)
        refuse("its central directory overlaps its zip64 end record");
    return zip64;
}

// The zip64 extra field's values for the fields a header escaped, in
// APPNOTE's order (size, compressed size, offset).
void apply_zip64(std::span<const uint8_t> data, bool size_escaped, bool compressed_escaped, bool offset_escaped,
                 Member& member) {
    size_t at = 0;
    auto take = [&](uint64_t& value) {
        if (at + 8 > data.size()) refuse(member.name + ": its zip64 extra field is too short");
        value = get64(&data[at]);
        at += 8;
    };
    if (size_escaped) take(member.size);
    if (compressed_escaped) take(member.compressed_size);
    if (offset_escaped) take(member.header_offset);
}

// The extra fields of a header, each checked to lie inside it.
template <class Visit> void for_each_extra(std::span<const uint8_t> extra, const std::string& name, Visit visit) {
    size_t at = 0;
    while (at < extra.size()) {
        if (extra.size() - at < 4) refuse(name + ": a truncated extra field");
        const uint16_t id = get16(&extra[at]), length = get16(&extra[at + 2]);
        if (extra.size() - at - 4 < length) refuse(name + ": an extra field runs past its header");
        visit(id, extra.subspan(at + 4, length));
        at += 4 + size_t(length);
    }
}

void read_vxa_record(std::span<const uint8_t> data, Member& member) {
    if (data.size() < 2 || data[0] != zip::kVxaExtraVersion) refuse(member.name + ": a vxa record of a version vxa does not read");
    const bool has_decoder = data[1] & zip::kVxaHasDecoder;
    if ((data[1] & ~zip::kVxaHasDecoder) != 0) refuse(member.name + ": a vxa record with flags vxa does not know");
    if (data.size() != 2 + 32 + (has_decoder ? 32 : 0)) refuse(member.name + ": a vxa record of the wrong length");
    Digest digest;
    std::copy_n(&data[2], 32, digest.begin());
    member.sha256 = digest;
    if (has_decoder) {
        std::copy_n(&data[34], 32, digest.begin());
        member.decoder = digest;
    }
}

MemberType type_of(const std::string& name, uint16_t made_by, uint32_t external) {
    const uint32_t mode = external >> 16;
    if (made_by >> 8 == zip::kMadeByUnix) {
        switch (mode & S_IFMT) {
        case S_IFLNK: return MemberType::Symlink;
        case S_IFDIR: return MemberType::Directory;
        case S_IFREG: case 0: break;
        default: return MemberType::Other;
        }
    }
    if (!name.empty() && name.back() == '/') return MemberType::Directory;
    return MemberType::File;
}

// Checks a member's local header against its central one and finds its data.
void read_local_header(std::span<const uint8_t> file, Member& member) {
    if (member.header_offset > file.size() || file.size() - member.header_offset < zip::kLocalHeaderSize)
        refuse(member.name + ": its local header lies outside the file");
    const uint8_t* local = &file[member.header_offset];
    if (get32(local) != zip::kLocalHeaderSignature) refuse(member.name + ": no local header where the directory says");
    const uint16_t flags = get16(local + 6), method = get16(local + 8);
    const uint16_t name_length = get16(local + 26), extra_length = get16(local + 28);
    if (method != member.method) refuse(member.name + ": its local header names another compression method");
    if ((flags & (zip::kFlagEncrypted | zip::kFlagDataDescriptor)) !=
        (member.flags & (zip::kFlagEncrypted | zip::kFlagDataDescriptor)))
        refuse(member.name + ": its local header's flags differ from the directory's");
    const uint64_t variable_at = member.header_offset + zip::kLocalHeaderSize;
    if (file.size() - variable_at < uint64_t(name_length) + extra_length)
        refuse(member.name + ": its local header runs past the end of the file");
    const std::string local_name(reinterpret_cast<const char*>(&file[variable_at]), name_length);
    if (local_name != member.name) refuse(member.name + ": its local header names it " + local_name);
    Member local_view = member;
    local_view.size = get32(local + 22);
    local_view.compressed_size = get32(local + 18);
    local_view.sha256.reset();
    local_view.decoder.reset();
    bool zip64_seen = false, vxa_seen = false;
    for_each_extra(file.subspan(variable_at + name_length, extra_length), member.name,
                   [&](uint16_t id, std::span<const uint8_t> data) {
                       if (id == zip::kZip64ExtraId && !zip64_seen) {
                           zip64_seen = true;
                           apply_zip64(data, local_view.size == zip::kSizeEscape,
                                       local_view.compressed_size == zip::kSizeEscape, false, local_view);
                       } else if (id == zip::kVxaExtraId) {
                           if (vxa_seen) refuse(member.name + ": two vxa records");
                           vxa_seen = true;
                           read_vxa_record(data, local_view);
                       }
                   });
    if (local_view.sha256 != member.sha256 || local_view.decoder != member.decoder)
        refuse(member.name + ": its local header's vxa record differs from the directory's");
    if (!(flags & zip::kFlagDataDescriptor) &&
        (get32(local + 14) != member.crc32 || local_view.size != member.size ||
         local_view.compressed_size != member.compressed_size))
        refuse(member.name + ": its local header's sizes or CRC differ from the directory's");
    member.data_offset = variable_at + name_length + extra_length;
    if (member.data_offset > file.size() || file.size() - member.data_offset < member.compressed_size)
        refuse(member.name + ": its data run past the end of the file");
}

}  // namespace

void Archive::read() {
    const size_t end_at = find_end_record(bytes_);
    comment_.assign(reinterpret_cast<const char*>(&bytes_[end_at + zip::kEndSize]), get16(&bytes_[end_at + 20]));
    const Directory directory = find_directory(bytes_, end_at);
    if (directory.offset > end_at || end_at - directory.offset < directory.size)
        refuse("its central directory lies outside the file");
    // Each entry takes 46 bytes at least: a count the directory cannot hold
    // is refused before anything is reserved for it.
    if (directory.entries > directory.size / zip::kCentralHeaderSize)
        refuse("its end record counts more members than its central directory holds");
    std::vector<Member> all;
    all.reserve(size_t(directory.entries));
    uint64_t at = directory.offset;
    const uint64_t directory_end = directory.offset + directory.size;
    for (uint64_t i = 0; i < directory.entries; ++i) {
        if (directory_end - at < zip::kCentralHeaderSize) refuse("its central directory ends inside an entry");
        const uint8_t* header = &bytes_[at];
        if (get32(header) != zip::kCentralHeaderSignature) refuse("its central directory holds something not an entry");
        const uint16_t name_length = get16(header + 28), extra_length = get16(header + 30),
                       comment_length = get16(header + 32);
        const uint64_t entry_size = zip::kCentralHeaderSize + uint64_t(name_length) + extra_length + comment_length;
        if (directory_end - at < entry_size) refuse("its central directory ends inside an entry");
        Member member;
        member.name.assign(reinterpret_cast<const char*>(header + zip::kCentralHeaderSize), name_length);
        const uint16_t made_by = get16(header + 4);
        member.flags = get16(header + 8);
        member.method = get16(header + 10);
        member.dos_time = uint32_t(get16(header + 14)) << 16 | get16(header + 12);
        member.crc32 = get32(header + 16);
        member.compressed_size = get32(header + 20);
        member.size = get32(header + 24);
        const uint16_t disk = get16(header + 34);
        const uint32_t external = get32(header + 38);
        member.header_offset = get32(header + 42);
        if (member.flags & (zip::kFlagEncrypted | zip::kFlagStrongEncryption | zip::kFlagMaskedHeaders))
            refuse(member.name + ": an encrypted member, which vxa does not read");
        const bool size_escaped = member.size == zip::kSizeEscape,
                   compressed_escaped = member.compressed_size == zip::kSizeEscape,
                   offset_escaped = member.header_offset == zip::kSizeEscape;
        bool zip64_seen = false, vxa_seen = false;
        for_each_extra(std::span(header + zip::kCentralHeaderSize + name_length, extra_length), member.name,
                       [&](uint16_t id, std::span<const uint8_t> data) {
                           if (id == zip::kZip64ExtraId) {
                               if (zip64_seen) refuse(member.name + ": two zip64 extra fields");
                               zip64_seen = true;
                               apply_zip64(data, size_escaped, compressed_escaped, offset_escaped, member);
                           } else if (id == zip::kVxaExtraId) {
                               if (vxa_seen) refuse(member.name + ": two vxa records");
                               vxa_seen = true;
                               read_vxa_record(data, member);
                           }
                       });
        if (disk != 0 && disk != zip::kCountEscape) refuse(member.name + ": on another disk of a spanned archive");
        if ((size_escaped || compressed_escaped || offset_escaped) && !zip64_seen)
            refuse(member.name + ": its sizes are escaped to a zip64 extra field it does not have");
        if (member.name.empty()) refuse("a member without a name");
        if (made_by >> 8 == zip::kMadeByUnix) member.mode = (external >> 16) & 07777;
        member.type = type_of(member.name, made_by, external);
        read_local_header(bytes_, member);
        all.push_back(std::move(member));
        at += entry_size;
    }
    if (at != directory_end) refuse("its central directory holds more than its entries");

    // No two members share bytes, and none reaches into the directory: the
    // overlapping members of a zip bomb are refused here.
    std::vector<const Member*> by_offset;
    for (const Member& member : all) by_offset.push_back(&member);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const Member* a, const Member* b) { return a->header_offset < b->header_offset; });
    uint64_t previous_end = 0;
    const Member* previous = nullptr;
    for (const Member* member : by_offset) {
        if (member->header_offset < previous_end)
            refuse(member->name + " overlaps " + previous->name + ": the overlapping members of a zip bomb");
        previous_end = member->data_offset + member->compressed_size;
        previous = member;
    }
    if (previous_end > directory.offset) refuse(previous->name + " reaches into the central directory");

    std::map<std::string, int> names;
    for (Member& member : all) {
        if (names[member.name]++) refuse("two members are named " + member.name);
        if (member.name.starts_with(kReservedDirectory)) {
            if (member.name == kReservedDirectory || member.name == kDecoderDirectory) continue;
            if (!member.name.starts_with(kDecoderDirectory) || member.type != MemberType::File)
                refuse(member.name + ": vxa keeps only decoders under " + std::string(kReservedDirectory));
            const std::optional<Digest> digest =
                digest_from_hex(std::string_view(member.name).substr(kDecoderDirectory.size()));
            if (!digest || member.sha256 != digest)
                refuse(member.name + ": a decoder must be named by the SHA-256 its vxa record gives");
            if (member.decoder) refuse(member.name + ": a decoder that needs a decoder");
            decoders_.push_back(std::move(member));
        } else {
            members_.push_back(std::move(member));
        }
    }
}

}  // namespace vxa
