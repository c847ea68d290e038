#include "codec.h"

#include <bzlib.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace vxa {

const std::vector<Codec>& codecs() {
    static const std::vector<Codec> kCodecs = {
        {"stored", method::kStored}, {"deflate", method::kDeflate}, {"bzip2", method::kBzip2},
        {"xz", method::kXz},         {"zstd", method::kZstd},
    };
    return kCodecs;
}

std::optional<Codec> codec_named(std::string_view name) {
    for (const Codec& codec : codecs())
        if (codec.name == name) return codec;
    return std::nullopt;
}

std::optional<Codec> codec_of_method(uint16_t method) {
    for (const Codec& codec : codecs())
        if (codec.method == method) return codec;
    return std::nullopt;
}

struct ContentDigest::Sha {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    ~Sha() { EVP_MD_CTX_free(context); }
};

ContentDigest::ContentDigest() : sha_(std::make_unique<Sha>()), crc32_(uint32_t(::crc32(0, nullptr, 0))) {
    if (!sha_->context || EVP_DigestInit_ex(sha_->context, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 is not available (OpenSSL)");
}

ContentDigest::~ContentDigest() = default;

void ContentDigest::update(std::span<const uint8_t> bytes) {
    size_ += bytes.size();
    while (!bytes.empty()) {
        const size_t piece = std::min<size_t>(bytes.size(), 1u << 30);
        crc32_ = uint32_t(::crc32_z(crc32_, bytes.data(), piece));
        EVP_DigestUpdate(sha_->context, bytes.data(), piece);
        bytes = bytes.subspan(piece);
    }
}

Digest ContentDigest::sha256() {
    Digest digest;
    unsigned length = 0;
    EVP_DigestFinal_ex(sha_->context, digest.data(), &length);
    return digest;
}

Digest sha256_of(std::span<const uint8_t> bytes) {
    ContentDigest digest;
    digest.update(bytes);
    return digest.sha256();
}

namespace {

constexpr size_t kOutputChunk = 256 << 10;

[[noreturn]] void library_failed(const char* codec, long code) {
    throw std::runtime_error(std::string(codec) + " compression failed (error " + std::to_string(code) + ")");
}

class StoredEncoder : public Encoder {
public:
    explicit StoredEncoder(Sink sink) : sink_(std::move(sink)) {}
    void write(std::span<const uint8_t> bytes) override { sink_(bytes); }
    void finish() override {}

private:
    Sink sink_;
};

class DeflateEncoder : public Encoder {
public:
    DeflateEncoder(int level, Sink sink) : sink_(std::move(sink)), out_(kOutputChunk) {
        if (deflateInit2(&stream_, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
            library_failed("deflate", Z_MEM_ERROR);
    }
    ~DeflateEncoder() override { deflateEnd(&stream_); }
    void write(std::span<const uint8_t> bytes) override { pump(bytes, Z_NO_FLUSH); }
    void finish() override { pump({}, Z_FINISH); }

private:
    void pump(std::span<const uint8_t> bytes, int flush) {
        while (true) {
            const size_t piece = std::min<size_t>(bytes.size(), 1u << 30);
            stream_.next_in = const_cast<uint8_t*>(bytes.data());
            stream_.avail_in = uInt(piece);
            int status;
            do {
                stream_.next_out = out_.data();
                stream_.avail_out = uInt(out_.size());
                status = deflate(&stream_, piece == bytes.size() ? flush : Z_NO_FLUSH);
                if (status == Z_STREAM_ERROR) library_failed("deflate", status);
                sink_({out_.data(), out_.size() - stream_.avail_out});
            } while (stream_.avail_out == 0);
            bytes = bytes.subspan(piece);
            if (bytes.empty() && (flush != Z_FINISH || status == Z_STREAM_END)) return;
        }
    }
    Sink sink_;
    z_stream stream_{};
    std::vector<uint8_t> out_;
};

class Bzip2Encoder : public Encoder {
public:
    Bzip2Encoder(int level, Sink sink) : sink_(std::move(sink)), out_(kOutputChunk) {
        if (BZ2_bzCompressInit(&stream_, level ? level : 9, 0, 0) != BZ_OK) library_failed("bzip2", BZ_MEM_ERROR);
    }
    ~Bzip2Encoder() override { BZ2_bzCompressEnd(&stream_); }
    void write(std::span<const uint8_t> bytes) override {
        while (!bytes.empty()) {
            const size_t piece = std::min<size_t>(bytes.size(), 1u << 30);
            stream_.next_in = reinterpret_cast<char*>(const_cast<uint8_t*>(bytes.data()));
            stream_.avail_in = unsigned(piece);
            while (stream_.avail_in > 0) drain(BZ_RUN);
            bytes = bytes.subspan(piece);
        }
    }
    void finish() override {
        while (drain(BZ_FINISH) != BZ_STREAM_END) {}
    }

private:
    int drain(int action) {
        stream_.next_out = reinterpret_cast<char*>(out_.data());
        stream_.avail_out = unsigned(out_.size());
        const int status = BZ2_bzCompress(&stream_, action);
        if (status < 0) library_failed("bzip2", status);
        sink_({out_.data(), out_.size() - stream_.avail_out});
        return status;
    }
    Sink sink_;
    bz_stream stream_{};
    std::vector<uint8_t> out_;
};

class XzEncoder : public Encoder {
public:
    XzEncoder(int level, Sink sink) : sink_(std::move(sink)), out_(kOutputChunk) {
        const lzma_ret status = lzma_easy_encoder(&stream_, level ? uint32_t(level) : LZMA_PRESET_DEFAULT, LZMA_CHECK_CRC64);
        if (status != LZMA_OK) library_failed("xz", status);
    }
    ~XzEncoder() override { lzma_end(&stream_); }
    void write(std::span<const uint8_t> bytes) override {
        stream_.next_in = bytes.data();
        stream_.avail_in = bytes.size();
        while (stream_.avail_in > 0) drain(LZMA_RUN);
    }
    void finish() override {
        while (drain(LZMA_FINISH) != LZMA_STREAM_END) {}
    }

private:
    lzma_ret drain(lzma_action action) {
        stream_.next_out = out_.data();
        stream_.avail_out = out_.size();
        const lzma_ret status = lzma_code(&stream_, action);
        if (status != LZMA_OK && status != LZMA_STREAM_END) library_failed("xz", status);
        sink_({out_.data(), out_.size() - stream_.avail_out});
        return status;
    }
    Sink sink_;
    lzma_stream stream_ = LZMA_STREAM_INIT;
    std::vector<uint8_t> out_;
};

class ZstdEncoder : public Encoder {
public:
    ZstdEncoder(int level, Sink sink) : sink_(std::move(sink)), out_(ZSTD_CStreamOutSize()) {
        if (!context_) library_failed("zstd", 0);
        ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, level ? level : ZSTD_CLEVEL_DEFAULT);
        ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1);
    }
    ~ZstdEncoder() override { ZSTD_freeCCtx(context_); }
    void write(std::span<const uint8_t> bytes) override {
        ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
        while (in.pos < in.size) drain(in, ZSTD_e_continue);
    }
    void finish() override {
        ZSTD_inBuffer in{nullptr, 0, 0};
        while (drain(in, ZSTD_e_end) != 0) {}
    }

private:
    size_t drain(ZSTD_inBuffer& in, ZSTD_EndDirective directive) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        const size_t left = ZSTD_compressStream2(context_, &out, &in, directive);
        if (ZSTD_isError(left)) library_failed("zstd", long(left));
        sink_({out_.data(), out.pos});
        return left;
    }
    Sink sink_;
    ZSTD_CCtx* context_ = ZSTD_createCCtx();
    std::vector<uint8_t> out_;
};

// A command of the user's, fed through a pipe while its output is drained
// through another, so that neither side waits on the other.
class CommandEncoder : public Encoder {
public:
    CommandEncoder(const std::string& command, Sink sink) : command_(command), sink_(std::move(sink)), out_(kOutputChunk) {
        int input[2], output[2];
        if (pipe2(input, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
        if (pipe2(output, O_CLOEXEC) != 0) {
            const int error = errno;
            ::close(input[0]);
            ::close(input[1]);
            throw std::system_error(error, std::generic_category(), "pipe");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
        // The command gets SIGPIPE's default back (its host may ignore it).
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        sigset_t default_signals;
        sigemptyset(&default_signals);
        sigaddset(&default_signals, SIGPIPE);
        posix_spawnattr_setsigdefault(&attributes, &default_signals);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
        const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
        const int error = posix_spawn(&child_, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), environ);
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
        ::close(input[0]);
        ::close(output[1]);
        if (error != 0) {
            ::close(input[1]);
            ::close(output[0]);
            throw std::system_error(error, std::generic_category(), "running the encoder " + command);
        }
        to_child_ = input[1];
        from_child_ = output[0];
    }
    ~CommandEncoder() override {
        if (to_child_ >= 0) ::close(to_child_);
        if (from_child_ >= 0) ::close(from_child_);
        if (child_ > 0) {
            kill(child_, SIGKILL);
            waitpid(child_, nullptr, 0);
        }
    }
    void write(std::span<const uint8_t> bytes) override {
        while (!bytes.empty()) {
            pollfd fds[2] = {{to_child_, POLLOUT, 0}, {from_child_, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                throw std::system_error(errno, std::generic_category(), "poll");
            }
            if (fds[1].revents) drain();
            if (fds[0].revents & (POLLERR | POLLHUP)) failed("stopped reading its input");
            if (fds[0].revents & POLLOUT) {
                const ssize_t written = ::write(to_child_, bytes.data(), std::min<size_t>(bytes.size(), 1 << 16));
                if (written < 0 && errno != EINTR && errno != EAGAIN) failed("stopped reading its input");
                if (written > 0) bytes = bytes.subspan(size_t(written));
            }
        }
    }
    void finish() override {
        ::close(to_child_);
        to_child_ = -1;
        while (drain()) {}
        int status = 0;
        while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {}
        child_ = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed("failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
    }

private:
    // Reads what the command wrote; false at its end.
    bool drain() {
        const ssize_t got = ::read(from_child_, out_.data(), out_.size());
        if (got < 0 && errno == EINTR) return true;
        if (got < 0) throw std::system_error(errno, std::generic_category(), "reading the encoder's output");
        if (got > 0) sink_({out_.data(), size_t(got)});
        return got > 0;
    }
    [[noreturn]] void failed(const std::string& what) {
        throw std::runtime_error("the encoder `" + command_ + "` " + what);
    }
    std::string command_;
    Sink sink_;
    std::vector<uint8_t> out_;
    pid_t child_ = -1;
    int to_child_ = -1, from_child_ = -1;
};

}  // namespace

std::unique_ptr<Encoder> make_encoder(const Compression& compression, Sink sink) {
    if (!compression.command.empty()) return std::make_unique<CommandEncoder>(compression.command, std::move(sink));
    const int level = compression.level;
    switch (compression.method) {
    case method::kStored: return std::make_unique<StoredEncoder>(std::move(sink));
    case method::kDeflate: return std::make_unique<DeflateEncoder>(level, std::move(sink));
    case method::kBzip2: return std::make_unique<Bzip2Encoder>(level, std::move(sink));
    case method::kXz: return std::make_unique<XzEncoder>(level, std::move(sink));
    case method::kZstd: return std::make_unique<ZstdEncoder>(level, std::move(sink));
    default: throw std::invalid_argument("vxa cannot compress with " + method_name(compression.method));
    }
}

std::vector<uint8_t> inflate_exactly(std::span<const uint8_t> compressed, uint64_t size) {
    // What deflate can give at most (258 bytes from a bit and a quarter, and
    // block headers): no buffer is sized by a larger claim.
    if (size > (uint64_t(1) << 30) || size > 1032 * uint64_t(compressed.size()) + 64)
        throw FormatError("not deflate data of its declared size");
    std::vector<uint8_t> out(size_t(size) + 1);  // one byte more: to see one that decodes to more
    z_stream stream{};
    if (inflateInit2(&stream, -15) != Z_OK) throw std::runtime_error("zlib: out of memory");
    stream.next_in = const_cast<uint8_t*>(compressed.data());
    stream.avail_in = uInt(compressed.size());
    stream.next_out = out.data();
    stream.avail_out = uInt(out.size());
    const int status = compressed.size() > UINT32_MAX ? Z_DATA_ERROR : inflate(&stream, Z_FINISH);
    const bool exact = status == Z_STREAM_END && stream.total_out == size && stream.avail_in == 0;
    inflateEnd(&stream);
    if (!exact) throw FormatError("not deflate data of its declared size");
    out.resize(size_t(size));
    return out;
}

}  // namespace vxa
