#pragma once
// Extraction (and testing) of a vxa archive's members, each decoded in the
// sandbox of the decoder it names (decoder.h), its size, CRC-32 and SHA-256
// checked, and written below one directory only: a member's path is checked
// before anything is made for it, directories are walked without following
// a symbolic link, and a file appears under its name only once all of it
// was decoded and checked (written beside it, then renamed). A member that
// fails leaves nothing; the others go on unless `strict` says to stop.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive.h"
#include "decoder.h"

namespace vxa {

struct ExtractOptions {
    DecoderLimits limits;
    bool write = true;       // false: decode and check only (vxa test)
    bool overwrite = false;  // replace files that exist
    bool strict = false;     // stop at the first member that fails
    // Members to extract: names, or directories (ending in '/') with all
    // below them; none: every member.
    std::vector<std::string> only;
    // The most a member of over 1 MiB may declare it decodes to per
    // compressed byte; 0: no bound (its output is bounded by what it
    // declares anyway). Deflate members are held to what deflate can give.
    uint64_t max_ratio = 100000;
    // The most the members taken may declare in all; 0: no bound beyond the
    // free space where they go.
    uint64_t max_size = 0;
    // Decoders for members that name none (zip files made elsewhere): the
    // file DIRECTORY/CODEC for each codec (deflate, bzip2, xz, zstd).
    std::string builtin_decoders;
};

struct MemberOutcome {
    const Member* member;
    bool ok;
    std::string reason;  // why it failed
};

// Bytes decoded so far and in all (as the members declare), for progress.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// Why vxa will not make `name` below the extraction directory, or nothing.
std::optional<std::string> path_problem(const std::string& name);

class Extractor {
public:
    // `directory_fd`: where members go (ignored when only testing).
    Extractor(const Archive& archive, ExtractOptions options, int directory_fd);
    ~Extractor();

    // Loads the decoders the selected members need (a host that confines
    // itself before run(), so that nothing more is read, calls it first).
    // One that cannot be loaded fails its members when they come.
    void load_decoders();
    // The host system calls the decoders' sandboxes make (vx::Sandbox::host_calls).
    std::vector<long> host_calls() const;

    // The members selected; a name of `only` that matches none fails alone.
    std::vector<MemberOutcome> run(const Progress& progress = {});

private:
    void extract(const Member& member, const Progress& progress);
    void extract_file(const Member& member, const Progress& progress);
    void make_directories(const std::string& path);
    // The directory that holds `name` (made as needed; kept open for the
    // members after it, which mostly share it), and its last component in
    // `leaf`.
    int open_parent(const std::string& name, std::string& leaf);
    int open_directory(const std::vector<std::string>& parts);
    Decoder& decoder_for(const Member& member);
    bool selected(const Member& member) const;
    static bool takes(const std::string& name, const Member& member);

    const Archive& archive_;
    ExtractOptions options_;
    int directory_fd_;
    std::map<std::string, std::unique_ptr<Decoder>> decoders_;  // by digest, or "builtin:CODEC"
    std::map<std::string, std::string> decoder_failures_;        // the same keys: why it could not be loaded
    uint64_t done_ = 0, total_ = 0;
    std::string parent_name_;  // the directory parent_fd_ is, below the extraction directory
    int parent_fd_ = -1;
    unsigned umask_ = 022;
};

}  // namespace vxa
