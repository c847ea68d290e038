#pragma once
// Making a vxa archive from files and directories: each file compressed
// with one codec, and that codec's decoder carried once.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "archive.h"

namespace vxa {

struct CreateOptions {
    std::string codec = "deflate";
    int level = 0;                 // the codec's default
    std::string decoder_directory;  // where the decoder of each codec is: DIRECTORY/CODEC
    std::string decoder_file;       // carry this decoder instead (one's own build of it)
};

// What went into the archive, for the tool to report.
struct CreateReport {
    std::vector<Member> members;
    std::vector<std::string> skipped;  // "PATH: why"
    uint64_t archive_size = 0;
};

// The name a path is stored under: relative, '/'-separated, with no
// leading "/" or "./" and no "." components (empty for "/" or "."); none
// when it cannot be stored (it climbs out with "..").
std::optional<std::string> member_name(const std::string& path);

// Writes the archive `archive_path` from `paths` (directories with all
// below them, in name order: the same files give the same archive). Throws
// std::runtime_error (or std::system_error) when the archive cannot be
// made; a file that cannot be read or stored is skipped and said so.
CreateReport create_archive(const std::string& archive_path, const std::vector<std::string>& paths,
                            const CreateOptions& options);

}  // namespace vxa
