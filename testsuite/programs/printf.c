// printf conversions: integers of every length modifier, widths, precision, flags,
// characters and strings, and doubles through %e %f %g %a. A handful of cases are
// checked against the result the C standard prescribes; the whole output is compared
// with qemu's, which covers glibc's floating-point formatting (it leans on 128-bit
// and multi-precision integer arithmetic).
// Exit status: the number of failed checks.
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

// printf("%s", NULL) is a glibc extension ("(null)") that this program tests on purpose.
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static void report(const char *args, const char *got, const char *want)
{
    printf("%-28s -> [%s]", args, got);
    if (want != NULL && strcmp(got, want) != 0) {
        printf("  FAIL, want [%s]", want);
        failures++;
    }
    printf("\n");
}

// Formats into a buffer, prints it, and checks it when `want` is not NOCHECK.
#define CASE(want, ...)                                                                  \
    do {                                                                                 \
        char _buf[512];                                                                  \
        snprintf(_buf, sizeof _buf, __VA_ARGS__);                                        \
        report(#__VA_ARGS__, _buf, want);                                                \
    } while (0)

#define NOCHECK ((const char *)NULL)

int main(void)
{
    // Integers.
    CASE("42|-42|+42| 42", "%d|%i|%+d|% d", 42, -42, 42, 42);
    CASE("   42|42   |00042|-0042", "%5d|%-5d|%05d|%05d", 42, 42, 42, -42);
    CASE("00042|  00042", "%.5d|%7.5d", 42, 42);
    CASE("|", "%.0d|", 0);
    CASE("4294967295|ffffffff|FFFFFFFF|37777777777", "%u|%x|%X|%o", UINT_MAX, UINT_MAX,
         UINT_MAX, UINT_MAX);
    CASE("0x1f|0X1F|017|0", "%#x|%#X|%#o|%#x", 31, 31, 15, 0);
    CASE("-9223372036854775808", "%ld", LONG_MIN);
    CASE("18446744073709551615", "%llu", ULLONG_MAX);
    CASE("-1|255|-32768|65535", "%hhd|%hhu|%hd|%hu", (signed char)-1, (unsigned char)255,
         (short)-32768, (unsigned short)65535);
    CASE("-128", "%hhd", 128);
    CASE("ffffffffffffffff|7fffffffffffffff", "%llx|%lx", -1ll, LONG_MAX);
    CASE("18446744073709551615|-1", "%zu|%zd", (size_t)-1, (ssize_t)-1);
    CASE("-9223372036854775808", "%jd", INTMAX_MIN);
    CASE("       -17", "%*d", 10, -17);
    CASE("-17       |", "%-*d|", 10, -17);
    CASE("00123", "%.*d", 5, 123);
    // Characters and strings.
    CASE("A|  B|C  |%", "%c|%3c|%-3c|%%", 'A', 'B', 'C');
    CASE("hello|  hello|hello  |hel|  hel", "%s|%7s|%-7s|%.3s|%5.3s", "hello", "hello",
         "hello", "hello", "hello");
    CASE("(null)", "%s", (char *)NULL);
    // Doubles.
    CASE("3.141593|3.14|   3.1|3|3.", "%f|%.2f|%6.1f|%.0f|%#.0f", M_PI, M_PI, M_PI, M_PI, M_PI);
    CASE("2|4|-2|-4", "%.0f|%.0f|%.0f|%.0f", 2.5, 3.5, -2.5, -3.5);
    CASE("1.234568e+04|1.2346E+04|1e+100", "%e|%.4E|%.0e", 12345.678, 12345.678, 1e100);
    CASE("100000|1e+06|0.0001|1e-05|1.5", "%g|%g|%g|%g|%g", 1e5, 1e6, 1e-4, 1e-5, 1.5);
    CASE("1.50000|1.000e+10", "%#g|%#.4g", 1.5, 1e10);
    CASE("0x1p+0|0x1.8p+1|-0x1.921fb54442d18p+1", "%a|%a|%a", 1.0, 3.0, -M_PI);
    CASE("0X1.000P-1022", "%.3A", 2.2250738585072014e-308);
    CASE("inf|-inf|nan|INF", "%f|%f|%f|%F", INFINITY, -INFINITY, NAN, INFINITY);
    CASE("-0.000000|+0.000000", "%f|%+f", -0.0, 0.0);
    CASE("+001.50|  -1.50|1.50   ", "%+07.2f|%7.2f|%-7.2f", 1.5, -1.5, 1.5);
    CASE(NOCHECK, "%.17g", 0.1);
    CASE(NOCHECK, "%.20f", 1.0 / 3.0);
    CASE(NOCHECK, "%.40e", 1e-300);
    CASE(NOCHECK, "%f", 1e300);
    CASE(NOCHECK, "%g", 4.9406564584124654e-324);
    CASE(NOCHECK, "%a", 4.9406564584124654e-324);
    CASE(NOCHECK, "%.10Lf", (long double)1 / 7);
    CASE(NOCHECK, "%La", (long double)M_PI);
    // Many doubles: a geometric series through %g and %e.
    double x = 1.0;
    for (int i = 0; i < 40; i++) {
        printf("%d: %g %.12e %f\n", i, x, x, x);
        x *= -7.3;
    }
    printf("printf: %d failure(s)\n", failures);
    return failures;
}
