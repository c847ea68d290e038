#pragma once
// A progress bar for long work on a terminal: bytes done of all, the rate,
// and the time left, redrawn at most a few times a second on one line.
// Nothing at all when the stream is not a terminal or it is not wanted.
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace vxa {

class ProgressBar {
public:
    ProgressBar(FILE* out, bool wanted);
    void update(uint64_t done, uint64_t total);
    void finish();  // clears the line

private:
    FILE* out_;
    bool shown_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace vxa
