#include <stdio.h>
#include "CFixedFormat.h"

int riskattest_format_fixed(char *buf, size_t size, int digits, double x) {
    return snprintf(buf, size, "%.*f", digits, x);
}
