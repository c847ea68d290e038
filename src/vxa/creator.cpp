#include "creator.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

#include "archive_writer.h"
#include "codec.h"
#include "decoder.h"
#include "own_codecs.h"

namespace vxa {
namespace {

struct Walk {
    ArchiveWriter& writer;
    const Compression& compression;
    std::optional<Digest> decoder;
    struct stat archive;
    CreateReport& report;

    void add(const std::string& path, const std::string& name) {
        struct stat st;
        if (lstat(path.c_str(), &st) != 0) return skip(path, std::strerror(errno));
        if (st.st_dev == archive.st_dev && st.st_ino == archive.st_ino) return skip(path, "the archive itself");
        const uint32_t time = dos_time_of(st.st_mtime);
        if (name.empty() && !S_ISDIR(st.st_mode)) return skip(path, "no name to store it under");
        if (name == kReservedDirectory.substr(0, kReservedDirectory.size() - 1) || name.starts_with(kReservedDirectory))
            return skip(path, "its name is under .vxa/, which vxa keeps for its decoders");
        if (S_ISDIR(st.st_mode)) {
            if (!name.empty()) report.members.push_back(writer.add_directory(name, st.st_mode & 07777, time));
            for (const std::string& entry : entries(path)) {
                const std::string child = path.ends_with('/') ? path + entry : path + "/" + entry;
                add(child, name.empty() ? entry : name + "/" + entry);
            }
        } else if (S_ISREG(st.st_mode)) {
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0) return skip(path, std::strerror(errno));
            try {
                report.members.push_back(
                    writer.add_file(name, fd, st.st_mode & 07777, time, compression, decoder));
            } catch (...) {
                ::close(fd);
                throw;
            }
            ::close(fd);
        } else if (S_ISLNK(st.st_mode)) {
            skip(path, "a symbolic link (vxa stores files and directories)");
        } else {
            skip(path, "not a file or a directory");
        }
    }

    std::vector<std::string> entries(const std::string& path) {
        std::vector<std::string> names;
        DIR* dir = opendir(path.c_str());
        if (!dir) {
            skip(path + "/", std::strerror(errno));
            return names;
        }
        while (const dirent* entry = readdir(dir)) {
            const std::string entry_name = entry->d_name;
            if (entry_name != "." && entry_name != "..") names.push_back(entry_name);
        }
        closedir(dir);
        std::sort(names.begin(), names.end());
        return names;
    }

    void skip(const std::string& path, const std::string& why) { report.skipped.push_back(path + ": " + why); }
};


}  // namespace

std::optional<std::string> member_name(const std::string& path) {
    std::string name;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part == "..") return std::nullopt;
        if (!part.empty() && part != ".") name += (name.empty() ? "" : "/") + part;
        start = end + 1;
    }
    return name;
}

CreateReport create_archive(const std::string& archive_path, const std::vector<std::string>& paths,
                            const CreateOptions& options) {
    Compression compression{method::kStored, options.level, {}};
    std::string decoder_path;
    if (const std::optional<Codec> codec = codec_named(options.codec)) {
        compression.method = codec->method;
        decoder_path = options.decoder_directory + "/" + codec->name;
    } else if (const std::optional<OwnCodec> own = own_codec(options.codec)) {
        compression = {own->method, 0, own->encoder};
        decoder_path = own->decoder_path;
    } else {
        throw std::runtime_error("no codec named " + options.codec + " (vxa's own, or one added with vxa add-codec)");
    }
    if (!options.decoder_file.empty()) {
        if (compression.method == method::kStored) throw std::runtime_error("stored members need no decoder");
        decoder_path = options.decoder_file;
    }
    std::vector<uint8_t> decoder_program;
    if (compression.method != method::kStored) {
        std::optional<std::vector<uint8_t>> program = read_decoder(decoder_path);
        if (!program)
            throw std::runtime_error("no decoder at " + decoder_path +
                                     " (vxa's own are built by: cmake --build build --target vxa-decoders)");
        decoder_program = std::move(*program);
    }

    const int fd = ::open(archive_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), archive_path);
    CreateReport report;
    try {
        ArchiveWriter writer(fd);
        Walk walk{writer, compression, std::nullopt, {}, report};
        if (fstat(fd, &walk.archive) != 0) throw std::system_error(errno, std::generic_category(), archive_path);
        if (!decoder_program.empty()) walk.decoder = writer.add_decoder(decoder_program);
        for (const std::string& path : paths) {
            if (const std::optional<std::string> name = member_name(path))
                walk.add(path, *name);
            else
                walk.skip(path, "its name climbs out of the archive (..)");
        }
        writer.finish();
        report.archive_size = writer.bytes_written();
    } catch (...) {
        ::close(fd);
        unlink(archive_path.c_str());
        throw;
    }
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), archive_path);
    return report;
}

}  // namespace vxa
