/* Prints its environment, one entry a line, in order. */
#include <stdio.h>

int main(int argc, char** argv, char** envp) {
    (void)argc, (void)argv;
    for (char** e = envp; *e; ++e) printf("%s\n", *e);
    return 0;
}
