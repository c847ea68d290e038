#pragma once
// What vxrun sets up for its guest before the sandbox: its exit statuses for
// what goes wrong, the program file, the environment and the standard
// descriptors.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vxrun {

constexpr int kExitUsage = 2;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;
constexpr int kExitSetupFailed = 125;  // vx itself could not start (e.g. no XSAVE, a bad --mount)

// Reads the whole program file; on failure says why and returns vxrun's
// exit status for it.
int read_program(const std::string& path, std::vector<uint8_t>& contents);

enum class EnvironmentBase { Minimal, Empty, Host };

// The base environment (PATH only, nothing, or the host's whole one), then
// each --env setting in order: K=V sets K, a bare K copies the host's value of
// K (and sets nothing when the host has none).
std::vector<std::string> guest_environment(EnvironmentBase base, const std::vector<std::string>& settings);

// The guest's standard descriptors are copies of vxrun's, given only where
// vxrun was started with them open. A closed one is held here by /dev/null,
// so that nothing vxrun opens later takes its number, and stays closed for the
// guest (EBADF). Anything else vxrun inherited is closed: no descriptor in
// this process but the guest's own may lead anywhere.
std::array<int, 3> take_standard_descriptors();

}  // namespace vxrun
