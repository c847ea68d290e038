#include "verifier.h"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

namespace vxverify {
namespace {

bool is_hex(std::string_view text) {
    if (text.empty() || text.size() % 2) return false;
    for (char c : text)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
    std::string text;
    for (uint8_t b : bytes) {
        text += "0123456789abcdef"[b >> 4];
        text += "0123456789abcdef"[b & 15];
    }
    return text;
}

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// sha256sum writes a name holding a newline or a backslash escaped, the
// line starting with a backslash.
std::optional<std::string> unescape(std::string_view name) {
    std::string text;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] != '\\') {
            text += name[i];
            continue;
        }
        if (++i == name.size()) return std::nullopt;
        if (name[i] == 'n') text += '\n';
        else if (name[i] == '\\') text += '\\';
        else return std::nullopt;
    }
    return text;
}

}  // namespace

std::optional<ListedDigest> parse_list_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool escaped = !line.empty() && line.front() == '\\';
    if (escaped) line.remove_prefix(1);
    ListedDigest listed;
    std::string_view name;
    if (const size_t space = line.find(' '); space != std::string_view::npos && is_hex(line.substr(0, space)) &&
                                             line.size() > space + 2 &&
                                             (line[space + 1] == ' ' || line[space + 1] == '*')) {
        listed.hex = line.substr(0, space);
        name = line.substr(space + 2);
    } else if (const size_t open = line.find(" ("), close = line.rfind(") = ");
               open != std::string_view::npos && close != std::string_view::npos && close > open && open > 0) {
        listed.algorithm = line.substr(0, open);
        name = line.substr(open + 2, close - open - 2);
        listed.hex = line.substr(close + 4);
        if (!is_hex(listed.hex)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    std::optional<std::string> file = escaped ? unescape(name) : std::string(name);
    if (!file || file->empty()) return std::nullopt;
    listed.file = *file;
    return listed;
}

void Verifier::add_plugin(const std::string& name, const std::string& path, const PluginLimits& limits) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> program{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) program.clear();
    std::unique_ptr<HashPlugin>& slot = plugins_[name];
    if (!in.is_open()) {
        std::fprintf(err_, "vxverify: plug-in %s: cannot read %s: %s\n", name.c_str(), path.c_str(),
                     std::strerror(errno));
        ++plugin_failures_;
        return;
    }
    try {
        slot = std::make_unique<HashPlugin>(name, program, limits);
    } catch (const PluginStopped& e) {
        std::fprintf(err_, "vxverify: %s\n", e.what());
        ++plugin_failures_;
    }
}

std::vector<long> Verifier::host_calls() const {
    std::vector<long> calls;
    for (const auto& [name, plugin] : plugins_)
        if (plugin)
            for (long call : plugin->host_calls())
                if (std::find(calls.begin(), calls.end(), call) == calls.end()) calls.push_back(call);
    return calls;
}

HashPlugin* Verifier::plugin(const std::string& algorithm, const std::string& file) {
    for (auto& [name, plugin] : plugins_) {
        if (!same_name(name, algorithm)) continue;
        if (!plugin) {
            std::fprintf(out_, "%s: FAILED (plug-in %s unusable)\n", file.c_str(), name.c_str());
            ++plugin_failures_;
        }
        return plugin.get();
    }
    std::fprintf(err_, "vxverify: %s: no plug-in for %s\n", file.c_str(), algorithm.c_str());
    ++malformed_;
    return nullptr;
}

std::optional<std::vector<uint8_t>> Verifier::digest(const std::string& file, const std::string& algorithm) {
    HashPlugin* hasher = plugin(algorithm, file);
    if (!hasher) return std::nullopt;
    const int fd = file == "-" ? STDIN_FILENO : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(err_, "vxverify: %s: %s\n", file.c_str(), std::strerror(errno));
        std::fprintf(out_, "%s: FAILED open or read\n", file.c_str());
        ++unreadable_;
        return std::nullopt;
    }
    std::optional<std::vector<uint8_t>> digest;
    try {
        digest = hasher->hash(fd);
    } catch (const ReadError& e) {
        std::fprintf(err_, "vxverify: %s: %s\n", file.c_str(), e.what());
        std::fprintf(out_, "%s: FAILED open or read\n", file.c_str());
        ++unreadable_;
    } catch (const PluginStopped& e) {
        std::fprintf(err_, "vxverify: %s: %s\n", file.c_str(), e.what());
        std::fprintf(out_, "%s: FAILED (plug-in %s stopped)\n", file.c_str(), hasher->name().c_str());
        ++plugin_failures_;
    }
    if (fd != STDIN_FILENO) ::close(fd);
    return digest;
}

void Verifier::check(const std::string& file, const std::string& algorithm, std::string_view hex) {
    std::optional<std::vector<uint8_t>> computed = digest(file, algorithm);
    if (!computed) return;
    if (same_name(to_hex(*computed), hex)) {
        if (!quiet_) std::fprintf(out_, "%s: OK\n", file.c_str());
    } else {
        std::fprintf(out_, "%s: FAILED\n", file.c_str());
        ++mismatched_;
    }
}

void Verifier::check_list(const std::string& list, const std::string& algorithm) {
    std::ifstream file;
    if (list != "-") {
        file.open(list);
        if (!file.is_open()) {
            std::fprintf(err_, "vxverify: %s: %s\n", list.c_str(), std::strerror(errno));
            ++unreadable_;
            return;
        }
    }
    std::istream& in = list == "-" ? std::cin : file;
    std::string line;
    for (unsigned number = 1; std::getline(in, line); ++number) {
        std::optional<ListedDigest> listed = parse_list_line(line);
        const std::string& name = listed && !listed->algorithm.empty() ? listed->algorithm : algorithm;
        HashPlugin* hasher = nullptr;
        if (listed && !name.empty())
            for (auto& [plugin_name, plugin] : plugins_)
                if (same_name(plugin_name, name)) hasher = plugin.get();
        if (!listed || name.empty() || (hasher && listed->hex.size() != 2 * hasher->digest_size())) {
            std::fprintf(err_, "vxverify: %s: %u: %s\n", list.c_str(), number,
                         listed && name.empty() ? "no algorithm for this line (--algorithm)"
                                                : "improperly formatted checksum line");
            ++malformed_;
            continue;
        }
        check(listed->file, name, listed->hex);
    }
}

void Verifier::print(const std::string& file, const std::string& algorithm) {
    if (std::optional<std::vector<uint8_t>> computed = digest(file, algorithm))
        std::fprintf(out_, "%s  %s\n", to_hex(*computed).c_str(), file.c_str());
}

int Verifier::exit_status() const {
    if (plugin_failures_) return kExitPluginFailed;
    if (mismatched_ || unreadable_ || malformed_) return kExitMismatch;
    return kExitMatched;
}

void Verifier::summarize() const {
    auto warn = [&](unsigned count, const char* one, const char* many) {
        if (count) std::fprintf(err_, "vxverify: WARNING: %u %s\n", count, count == 1 ? one : many);
    };
    warn(malformed_, "line is improperly formatted", "lines are improperly formatted");
    warn(unreadable_, "listed file could not be read", "listed files could not be read");
    warn(mismatched_, "computed checksum did NOT match", "computed checksums did NOT match");
    warn(plugin_failures_, "plug-in failure", "plug-in failures");
}

}  // namespace vxverify
