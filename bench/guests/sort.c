/* Compute kernel: sorting. Quicksort (median of three, insertion sort for
 * small ranges) over 256 Ki generated u32 values, checked to be sorted and
 * to keep the same multiset (sum and xor). Branchy, memory-bound code. */
#include "bench.h"

#define COUNT (256 * 1024)

static u32 data[COUNT];

static void insertion_sort(u32* a, u32 n) {
    for (u32 i = 1; i < n; ++i) {
        u32 v = a[i], j = i;
        for (; j > 0 && a[j - 1] > v; --j) a[j] = a[j - 1];
        a[j] = v;
    }
}

static void quicksort(u32* a, u32 n) {
    while (n > 16) {
        u32 x = a[0], y = a[n / 2], z = a[n - 1];
        u32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        u32 i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) ++i;
            while (a[j] > pivot) --j;
            if (i >= j) break;
            u32 t = a[i]; a[i] = a[j]; a[j] = t;
            ++i; --j;
        }
        /* Recurse into the smaller half, loop on the larger one. */
        u32 left = j + 1;
        if (left < n - left) { quicksort(a, left); a += left; n -= left; }
        else { quicksort(a + left, n - left); n = left; }
    }
    insertion_sort(a, n);
}

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 12);
    u64 check = 0;
    for (u32 it = 0; it < n; ++it) {
        u32 s = 0x1234567u + it * 0x9e3779b9u, sum = 0, xr = 0;
        for (u32 i = 0; i < COUNT; ++i) {
            /* Some runs of duplicates, some ascending stretches, mostly random. */
            u32 r = bench_rand(&s);
            data[i] = (i & 1023) < 64 ? i : (r & 7) == 0 ? r & 0xff : r;
            sum += data[i]; xr ^= data[i];
        }
        quicksort(data, COUNT);
        u32 sum2 = data[0], xr2 = data[0];
        for (u32 i = 1; i < COUNT; ++i) {
            if (data[i - 1] > data[i]) { vx_puts("sort FAILED: not sorted\n"); return 1; }
            sum2 += data[i]; xr2 ^= data[i];
        }
        if (sum != sum2 || xr != xr2) { vx_puts("sort FAILED: elements changed\n"); return 1; }
        check = check * 31 + data[COUNT / 3] + data[COUNT - 1];
    }
    vx_report("iterations", n);
    vx_report("checksum", check);
    return 0;
}
