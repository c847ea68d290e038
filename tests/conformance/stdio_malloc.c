/* stdio formatting, malloc/realloc/free from brk and from mmap, qsort, strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_ints(const void* a, const void* b) {
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) printf("argv[%d] = \"%s\"\n", i, i ? argv[i] : "(program)");
    printf("%5d|%-5d|%05x|%o|%c|%s|%%\n", 42, 42, 0xbeef, 8, 'v', "text");
    printf("%lld %llu %#llx\n", -1234567890123ll, 18446744073709551615ull, 0xfeedfacecafebeefull);

    enum { kSmall = 1000, kLarge = 4 << 20 };
    char* small[kSmall];
    for (int i = 0; i < kSmall; ++i) {
        small[i] = malloc((size_t)(i % 97) + 1);
        memset(small[i], i & 0xff, (size_t)(i % 97) + 1);
    }
    unsigned sum = 0;
    for (int i = 0; i < kSmall; ++i) { sum += (unsigned char)small[i][0]; free(small[i]); }
    printf("small blocks: %u\n", sum);

    int* big = malloc(kLarge * sizeof(int));  /* large: served by mmap */
    for (int i = 0; i < kLarge; ++i) big[i] = (int)((i * 2654435761u) >> 7);
    qsort(big, kLarge, sizeof(int), compare_ints);
    int sorted = 1;
    for (int i = 1; i < kLarge; ++i) sorted &= big[i - 1] <= big[i];
    printf("qsort of %d: %s, min %d max %d\n", kLarge, sorted ? "sorted" : "NOT sorted", big[0], big[kLarge - 1]);
    big = realloc(big, 2 * kLarge * sizeof(int));
    printf("realloc kept %d\n", big[kLarge - 1]);
    free(big);

    char buffer[64];
    snprintf(buffer, sizeof buffer, "%s-%d-%s", "a", 7, "z");
    printf("%s %zu %d\n", buffer, strlen(buffer), strcmp(buffer, "a-7-z"));
    return 3;
}
