#pragma once
// What vxverify does with its plug-ins: checks files against digests (one
// at a time, or listed in the sha256sum format), or prints their digests,
// and keeps the tally its exit status gives. Each file is read and hashed by
// the plug-in its algorithm names; a plug-in that cannot be loaded, or that
// is stopped on a file, fails that file and no other.
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hash_plugin.h"

namespace vxverify {

// Every file matched (or was printed).
constexpr int kExitMatched = 0;
// A file did not match, could not be read, or a list had a malformed line.
constexpr int kExitMismatch = 1;
// Bad options.
constexpr int kExitUsage = 2;
// A plug-in could not be loaded or was stopped (whatever else happened).
constexpr int kExitPluginFailed = 3;

// A line of a digest list: "HEX  FILE" (sha256sum's format; "HEX *FILE" too)
// or the tagged "ALGORITHM (FILE) = HEX" (sha256sum --tag).
struct ListedDigest {
    std::string algorithm;  // the tag; empty for an untagged line
    std::string hex;
    std::string file;
};
std::optional<ListedDigest> parse_list_line(std::string_view line);

class Verifier {
public:
    Verifier(FILE* out, FILE* err) : out_(out), err_(err) {}
    // Loads the plug-in NAME from PATH; says why not when it cannot (and a
    // file that needs it then fails).
    void add_plugin(const std::string& name, const std::string& path, const PluginLimits& limits);
    bool has_plugin(const std::string& name) const { return plugins_.count(name) != 0; }
    // The host system calls the plug-ins' sandboxes make (vx::Sandbox::host_calls).
    std::vector<long> host_calls() const;

    void check(const std::string& file, const std::string& algorithm, std::string_view hex);
    // `algorithm` is for untagged lines; "-" reads standard input.
    void check_list(const std::string& list, const std::string& algorithm);
    void print(const std::string& file, const std::string& algorithm);

    void set_quiet(bool quiet) { quiet_ = quiet; }
    int exit_status() const;
    // The closing warnings, as sha256sum -c gives them.
    void summarize() const;

private:
    // The digest of `file`, or none (said why on err_, tallied).
    std::optional<std::vector<uint8_t>> digest(const std::string& file, const std::string& algorithm);
    HashPlugin* plugin(const std::string& algorithm, const std::string& file);

    FILE* out_;
    FILE* err_;
    bool quiet_ = false;
    std::map<std::string, std::unique_ptr<HashPlugin>> plugins_;  // null: named but unusable
    unsigned mismatched_ = 0, unreadable_ = 0, malformed_ = 0, plugin_failures_ = 0;
};

}  // namespace vxverify
