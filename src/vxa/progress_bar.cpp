#include "progress_bar.h"

#include <unistd.h>

#include <string>

namespace vxa {
namespace {

std::string bytes_text(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", bytes, units[unit]);
    return text;
}

}  // namespace

ProgressBar::ProgressBar(FILE* out, bool wanted)
    : out_(out), shown_(wanted && isatty(fileno(out))), start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressBar::update(uint64_t done, uint64_t total) {
    if (!shown_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done != total) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? double(done) / seconds : 0;
    const double fraction = total && done < total ? double(done) / double(total) : 1;
    constexpr int kWidth = 30;
    std::string bar(size_t(fraction * kWidth), '#');
    bar.resize(kWidth, '.');
    std::string left = "--";
    if (rate > 0 && total > done && double(total - done) / rate < 100 * 3600.0) {
        const long remaining = long(double(total - done) / rate);
        left = std::to_string(remaining / 60) + "m" + (remaining % 60 < 10 ? "0" : "") + std::to_string(remaining % 60) + "s";
    }
    std::fprintf(out_, "\r[%s] %s / %s  %s/s  %s left ", bar.c_str(), bytes_text(double(done)).c_str(),
                 bytes_text(double(total)).c_str(), bytes_text(rate).c_str(), left.c_str());
    std::fflush(out_);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (drawn_) std::fprintf(out_, "\r\033[K");
    drawn_ = false;
}

}  // namespace vxa
