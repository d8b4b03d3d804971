// A dynamically linked program: the emulator loads the ELF interpreter
// (ld-linux-riscv64-lp64d.so.1) from the sysroot given with -L, which then maps
// libc.so.6 and libm.so.6, resolves symbols and runs this program. Uses libc
// (printf, qsort, strtod, malloc) and libm (sqrt, cbrt, hypot) across the PLT.
// Exit status: the number of failed checks.
// build: -O2 -lm
// sysroot: /usr/riscv64-linux-gnu
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(const char *what, long got, long want)
{
    printf("%-26s %ld%s\n", what, got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    (void)argv;
    const char *names[] = {"ld.so", "libc", "libm", "dynamic", "linking", "works"};
    qsort(names, 6, sizeof names[0], cmp);
    for (int i = 0; i < 6; i++)
        printf("%s%s", names[i], i < 5 ? " " : "\n");
    check("argc", argc, 1);
    double h = hypot(strtod("3.0", NULL), 4.0);
    printf("hypot(3, 4) = %g, sqrt(2) = %.15f, cbrt(27) = %g\n", h, sqrt(2.0 + argc - 1),
           cbrt(27.0 + argc - 1));
    check("hypot(3, 4)", (long)h, 5);
    char *buf = malloc(1000);
    check("malloc", buf != NULL, 1);
    if (buf != NULL) {
        for (int i = 0; i < 999; i++)
            buf[i] = (char)('a' + i % 26);
        buf[999] = 0;
        check("strlen", (long)strlen(buf), 999);
        free(buf);
    }
    printf("dynamic: %d failure(s)\n", failures);
    return failures;
}
