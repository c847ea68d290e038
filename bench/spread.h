#pragma once
// The median and the 10th and 90th percentiles of a bench's timings.
#include <algorithm>
#include <vector>

struct Spread {
    double median, p10, p90;
};

inline Spread spread_of(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    return {samples[n / 2], samples[n / 10], samples[n * 9 / 10]};
}
