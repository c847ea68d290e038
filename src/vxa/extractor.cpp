#include "extractor.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "codec.h"

namespace vxa {
namespace {

constexpr size_t kMaxName = 4095;
// Deflate's longest match (258 bytes) costs at least a bit and a quarter,
// and a little more with its block headers: no deflate stream expands more.
constexpr uint64_t kDeflateMaxRatio = 1032;
// Decoders are tens of KiB: one an archive says is larger is not loaded,
// and no archive gets more of them running than this.
constexpr uint64_t kMaxDecoderSize = uint64_t(16) << 20;
constexpr size_t kMaxDecoders = 16;
constexpr size_t kMaxComponent = 255;

// A failure of one member: what extract() throws and run() reports.
struct MemberFailed {
    std::string reason;
};
[[noreturn]] void fail(std::string reason) { throw MemberFailed{std::move(reason)}; }
[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

class Descriptor {
public:
    explicit Descriptor(int fd = -1) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(Descriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Descriptor& operator=(Descriptor&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < path.size()) {
        const size_t end = path.find('/', start);
        parts.push_back(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return parts;
}

std::string temporary_name() {
    uint64_t random = 0;
    if (getrandom(&random, sizeof random, 0) != sizeof random) random = uint64_t(getpid()) << 32 ^ uint64_t(time(nullptr));
    char name[32];
    std::snprintf(name, sizeof name, ".vxa-%016llx", static_cast<unsigned long long>(random));
    return name;
}

void write_all(int fd, std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) fail_errno("writing it");
        bytes = bytes.subspan(size_t(written));
    }
}

// An MS-DOS date and time (local time, 2-second steps) as a time.
timespec time_of(uint32_t dos_time) {
    struct tm local {};
    local.tm_year = int(dos_time >> 25) + 80;
    local.tm_mon = int((dos_time >> 21) & 15) - 1;
    local.tm_mday = int((dos_time >> 16) & 31);
    local.tm_hour = int((dos_time >> 11) & 31);
    local.tm_min = int((dos_time >> 5) & 63);
    local.tm_sec = int(dos_time & 31) * 2;
    local.tm_isdst = -1;
    const time_t seconds = mktime(&local);
    return {seconds == time_t(-1) ? 0 : seconds, 0};
}

}  // namespace

std::optional<std::string> path_problem(const std::string& name) {
    if (name.empty()) return "an empty name";
    if (name.size() > kMaxName) return "a name longer than " + std::to_string(kMaxName) + " bytes";
    if (name.front() == '/') return "an absolute path";
    if (name.find('\0') != std::string::npos) return "a name with a NUL byte";
    if (name.find('\\') != std::string::npos) return "a name with a backslash (a Windows path?)";
    std::string path = name;
    if (path.back() == '/') path.pop_back();
    for (const std::string& part : components(path)) {
        if (part.empty()) return "a name with an empty component (//)";
        if (part == "..") return "a path that climbs out (..)";
        if (part == ".") return "a name with a '.' component";
        if (part.size() > kMaxComponent) return "a name component longer than 255 bytes";
    }
    return std::nullopt;
}

Extractor::Extractor(const Archive& archive, ExtractOptions options, int directory_fd)
    : archive_(archive), options_(std::move(options)), directory_fd_(directory_fd) {
    umask_ = umask(0);  // read, and put back: an archive's modes are held to the user's umask
    umask(umask_);
}

Extractor::~Extractor() {
    if (parent_fd_ >= 0) ::close(parent_fd_);
}

// Whether `name`, as given to take members, takes `member`: its own name,
// a directory's without its '/', or a directory ending in '/' above it.
bool Extractor::takes(const std::string& name, const Member& member) {
    return member.name == name || member.name == name + "/" || (name.ends_with('/') && member.name.starts_with(name));
}

bool Extractor::selected(const Member& member) const {
    if (options_.only.empty()) return true;
    for (const std::string& name : options_.only)
        if (takes(name, member)) return true;
    return false;
}

void Extractor::load_decoders() {
    for (const Member& member : archive_.members()) {
        if (!selected(member) || member.type != MemberType::File || member.method == method::kStored) continue;
        try {
            decoder_for(member);
        } catch (const MemberFailed&) {
            // Kept in decoder_failures_: said when the member comes.
        }
    }
}

std::vector<long> Extractor::host_calls() const {
    std::vector<long> calls;
    for (const auto& [key, decoder] : decoders_) {
        const std::vector<long> more = decoder->host_calls();
        calls.insert(calls.end(), more.begin(), more.end());
    }
    return calls;
}

std::vector<MemberOutcome> Extractor::run(const Progress& progress) {
    std::vector<MemberOutcome> outcomes;
    std::vector<const Member*> chosen;
    for (const Member& member : archive_.members())
        if (selected(member)) {
            chosen.push_back(&member);
            // Files only (nothing else is written), and no wrap at 2^64.
            if (member.type == MemberType::File)
                total_ = member.size > UINT64_MAX - total_ ? UINT64_MAX : total_ + member.size;
        }
    for (const std::string& name : options_.only) {
        if (std::none_of(chosen.begin(), chosen.end(), [&](const Member* member) { return takes(name, *member); }))
            outcomes.push_back({nullptr, false, name + ": no such member"});
    }
    if (options_.max_size && total_ > options_.max_size) {
        outcomes.push_back({nullptr, false, "the members declare " + std::to_string(total_) + " bytes, more than --max-size (" +
                                                std::to_string(options_.max_size) + "): nothing extracted"});
        return outcomes;
    }
    struct statvfs space;
    if (options_.write && fstatvfs(directory_fd_, &space) == 0 && total_ > uint64_t(space.f_bavail) * space.f_frsize) {
        outcomes.push_back({nullptr, false, "the members declare " + std::to_string(total_) + " bytes, and only " +
                                                std::to_string(uint64_t(space.f_bavail) * space.f_frsize) +
                                                " are free there: nothing extracted"});
        return outcomes;
    }
    for (const Member* member : chosen) {
        try {
            extract(*member, progress);
            outcomes.push_back({member, true, {}});
        } catch (const MemberFailed& failure) {
            outcomes.push_back({member, false, failure.reason});
            if (options_.strict) break;
        }
    }
    return outcomes;
}

void Extractor::extract(const Member& member, const Progress& progress) {
    if (const std::optional<std::string> problem = path_problem(member.name)) fail(*problem);
    switch (member.type) {
    case MemberType::Symlink: fail("a symbolic link, which vxa does not extract");
    case MemberType::Other: fail("a device, FIFO or socket, which vxa does not extract");
    case MemberType::Directory:
        if (member.size != 0) fail("a directory with content");
        if (options_.write) make_directories(member.name);
        return;
    case MemberType::File: extract_file(member, progress); return;
    }
}

void Extractor::make_directories(const std::string& path) {
    Descriptor directory(open_directory(components(path.ends_with('/') ? path.substr(0, path.size() - 1) : path)));
}

int Extractor::open_parent(const std::string& name, std::string& leaf) {
    const size_t slash = name.rfind('/');
    leaf = slash == std::string::npos ? name : name.substr(slash + 1);
    const std::string parent = slash == std::string::npos ? std::string() : name.substr(0, slash);
    if (parent_fd_ < 0 || parent != parent_name_) {
        if (parent_fd_ >= 0) ::close(parent_fd_);
        parent_fd_ = -1;
        parent_fd_ = open_directory(parent.empty() ? std::vector<std::string>{} : components(parent));
        parent_name_ = parent;
    }
    return parent_fd_;
}

// The directory `parts` name below the extraction directory, made as
// needed; none of them may be a symbolic link.
int Extractor::open_directory(const std::vector<std::string>& parts) {
    Descriptor current(fcntl(directory_fd_, F_DUPFD_CLOEXEC, 0));
    if (current.get() < 0) fail_errno("the extraction directory");
    for (const std::string& part : parts) {
        int next = openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) fail_errno("making " + part);
            next = openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0 && (errno == ELOOP || errno == ENOTDIR))
            fail(part + " is in the way: a symbolic link or a file where a directory goes");
        if (next < 0) fail_errno(part);
        current = Descriptor(next);
    }
    return current.release();
}

Decoder& Extractor::decoder_for(const Member& member) {
    std::string key;
    std::vector<uint8_t> program;
    if (member.decoder) {
        key = to_hex(*member.decoder);
    } else {
        const std::optional<Codec> codec = codec_of_method(member.method);
        if (!codec) fail("compressed with " + method_name(member.method) + ", and it names no decoder");
        key = "builtin:" + codec->name;
    }
    if (auto loaded = decoders_.find(key); loaded != decoders_.end()) return *loaded->second;
    if (auto failed = decoder_failures_.find(key); failed != decoder_failures_.end()) fail(failed->second);
    try {
        if (decoders_.size() == kMaxDecoders)
            throw DecodeFailed("its decoder would be the archive's " + std::to_string(kMaxDecoders + 1) +
                               "th: vxa runs " + std::to_string(kMaxDecoders) + " at most");
        if (member.decoder) {
            const Member* carried = archive_.decoder(*member.decoder);
            if (!carried) throw DecodeFailed("its decoder " + key.substr(0, 12) + "... is not in the archive");
            if (carried->method != method::kDeflate && carried->method != method::kStored)
                throw DecodeFailed("its decoder is compressed with " + method_name(carried->method));
            if (carried->size > kMaxDecoderSize)
                throw DecodeFailed("its decoder declares " + std::to_string(carried->size) + " bytes: more than " +
                                   std::to_string(kMaxDecoderSize >> 20) + " MiB");
            program = carried->method == method::kStored
                          ? std::vector<uint8_t>(archive_.data(*carried).begin(), archive_.data(*carried).end())
                          : inflate_exactly(archive_.data(*carried), carried->size);
            if (sha256_of(program) != *member.decoder)
                throw DecodeFailed("its decoder " + key.substr(0, 12) + "... does not have the digest it is named by");
        } else {
            const std::string path = options_.builtin_decoders + "/" + key.substr(8);
            if (!options_.builtin_decoders.empty()) program = read_decoder(path).value_or(std::vector<uint8_t>{});
            if (program.empty())
                throw DecodeFailed("it names no decoder, and vxa has no " + key.substr(8) + " decoder of its own");
        }
        auto decoder = std::make_unique<Decoder>(program, options_.limits);
        return *decoders_.emplace(key, std::move(decoder)).first->second;
    } catch (const DecodeFailed& e) {
        decoder_failures_[key] = e.what();
        fail(e.what());
    } catch (const FormatError& e) {
        decoder_failures_[key] = std::string("its decoder is damaged: ") + e.what();
        fail(decoder_failures_[key]);
    }
}

void Extractor::extract_file(const Member& member, const Progress& progress) {
    const uint64_t ratio = member.size / std::max<uint64_t>(member.compressed_size, 1);
    if (member.method == method::kDeflate && ratio > kDeflateMaxRatio)
        fail("declares " + std::to_string(member.size) + " bytes from " + std::to_string(member.compressed_size) +
             " compressed: more than deflate can expand to (" + std::to_string(kDeflateMaxRatio) + " to 1)");
    if (options_.max_ratio && member.size > (uint64_t(1) << 20) && ratio > options_.max_ratio)
        fail("declares " + std::to_string(member.size) + " bytes from " + std::to_string(member.compressed_size) +
             " compressed: more than " + std::to_string(options_.max_ratio) + " to 1 (see --max-ratio)");
    Decoder* decoder = member.method == method::kStored ? nullptr : &decoder_for(member);

    std::string leaf;
    Descriptor file;
    int parent = -1;
    std::string temporary;
    if (options_.write) {
        parent = open_parent(member.name, leaf);
        for (int attempt = 0; file.get() < 0; ++attempt) {
            temporary = temporary_name();
            file = Descriptor(openat(parent, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (file.get() < 0 && (errno != EEXIST || attempt == 8)) fail_errno("creating it");
        }
    }
    auto discard = [&] {
        if (!temporary.empty()) unlinkat(parent, temporary.c_str(), 0);
    };
    try {
        ContentDigest content;
        const Sink sink = [&](std::span<const uint8_t> bytes) {
            content.update(bytes);
            if (options_.write) write_all(file.get(), bytes);
            done_ += bytes.size();
            if (progress) progress(done_, total_);
        };
        const std::span<const uint8_t> data = archive_.data(member);
        if (!decoder) {
            if (member.compressed_size != member.size) fail("a stored member whose two sizes differ");
            for (size_t at = 0; at < data.size(); at += 1 << 20) sink(data.subspan(at, std::min<size_t>(1 << 20, data.size() - at)));
        } else {
            try {
                decoder->decode(data, member.size, sink);
            } catch (const DecodeFailed& e) {
                fail(e.what());
            }
        }
        if (content.crc32() != member.crc32) fail("its CRC-32 does not match");
        if (member.sha256 && content.sha256() != *member.sha256) fail("its SHA-256 does not match");
        if (options_.write) {
            if (fchmod(file.get(), (member.mode ? member.mode : 0644) & 0777 & ~umask_) != 0) fail_errno("setting its mode");
            const timespec modified = time_of(member.dos_time);
            const timespec times[2] = {modified, modified};
            if (futimens(file.get(), times) != 0) fail_errno("setting its time");
            const int flags = options_.overwrite ? 0 : RENAME_NOREPLACE;
            if (renameat2(parent, temporary.c_str(), parent, leaf.c_str(), flags) != 0) {
                if (errno == EEXIST) fail("it exists already (--overwrite replaces it)");
                fail_errno("naming it");
            }
            temporary.clear();
        }
    } catch (...) {
        discard();
        throw;
    }
}

}  // namespace vxa
