/* What a program learns about itself at startup: arguments, environment,
 * its own path, the auxiliary vector's basics. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(int argc, char** argv, char** envp) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; ++i) printf("arg %s\n", argv[i]);
    int n = 0;
    for (char** e = envp; *e; ++e) ++n;
    printf("environment entries: %s\n", n == 0 ? "none" : "some");
    printf("page size %ld\n", sysconf(_SC_PAGESIZE));
    printf("AT_PAGESZ %lu, AT_SECURE %lu\n", getauxval(AT_PAGESZ), getauxval(AT_SECURE));
    char self[256] = {0};
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    printf("/proc/self/exe is absolute: %s\n", len > 0 && self[0] == '/' ? "yes" : "no");
    return argc;
}
