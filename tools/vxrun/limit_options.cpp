#include "limit_options.h"

#include <cctype>
#include <charconv>
#include <string>

namespace vxrun {
namespace {

bool all_digits(const std::string& text) {
    if (text.empty()) return false;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// CLI11 reads integers with strtoull's base 0: a leading 0 would make 010
// octal. Decimal is meant, always.
std::string without_leading_zeros(const std::string& digits) {
    const size_t first = digits.find_first_not_of('0');
    return first == std::string::npos ? "0" : digits.substr(first);
}

}  // namespace

CLI::Validator size_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            size_t unit_at = text.size();
            while (unit_at > 0 && std::isalpha(static_cast<unsigned char>(text[unit_at - 1]))) --unit_at;
            const std::string number = text.substr(0, unit_at), unit = text.substr(unit_at);
            if (!all_digits(number)) return "not a size (digits, then k, M or G): " + text;
            std::string normal = without_leading_zeros(number) + unit;
            static const CLI::AsSizeValue binary_units(false);
            if (std::string error = binary_units(normal); !error.empty()) return error;
            text = normal;
            return {};
        },
        "");
}

CLI::Validator seconds_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            double seconds = 0;
            const char* end = text.data() + text.size();
            const auto [rest, error] = std::from_chars(text.data(), end, seconds, std::chars_format::general);
            const std::string unit(rest, end);
            // (from_chars reads "inf" and "nan" too: a time starts with a digit or a point.)
            const bool starts_as_number =
                !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.');
            if (error != std::errc() || !starts_as_number || (unit != "" && unit != "s" && unit != "ms"))
                return "not a time (seconds, e.g. 10, 1.5, 250ms): " + text;
            if (unit == "ms") seconds /= 1e3;
            if (!(seconds > 0) || seconds > 1e9) return "must be above 0 and at most 1e9 seconds: " + text;
            const uint64_t nanoseconds = uint64_t(seconds * 1e9);
            if (nanoseconds == 0) return "must be at least a nanosecond: " + text;
            text = std::to_string(nanoseconds);
            return {};
        },
        "");
}

CLI::Validator count_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (!all_digits(text)) return "not a count (decimal digits): " + text;
            text = without_leading_zeros(text);
            return {};
        },
        "");
}

CLI::Validator multiple_of(uint64_t unit) {
    return CLI::Validator(
        [unit](std::string& text) -> std::string {
            uint64_t value = 0;
            const auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || rest != text.data() + text.size() || value % unit)
                return "not a multiple of " + std::to_string(unit) + ": " + text;
            return {};
        },
        "");
}

}  // namespace vxrun
