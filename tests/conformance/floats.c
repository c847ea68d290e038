/* strtod, printf of floating point, and libm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char* inputs[] = {"3.14159", "-0.0", "1e308", "2.2250738585072014e-308", "0x1.8p3", "inf", "nan", "12abc"};
    for (unsigned i = 0; i < sizeof inputs / sizeof *inputs; ++i) {
        char* end;
        double d = strtod(inputs[i], &end);
        printf("%-24s -> %.17g (rest \"%s\")\n", inputs[i], d, end);
    }
    for (double x = -2.0; x <= 2.0; x += 0.5)
        printf("x=%4.1f sin=%.15f exp=%.15e log1p=%.15g pow=%.10f\n", x, sin(x), exp(x),
               x > -1 ? log1p(x) : 0.0, pow(fabs(x) + 1, 2.5));
    printf("%a %e %G %f\n", 1.0 / 3.0, 6.02214076e23, 1e-10, 123456.789);
    long double ld = 1.0L / 3.0L;
    printf("%.20Lf\n", ld);
    return 0;
}
