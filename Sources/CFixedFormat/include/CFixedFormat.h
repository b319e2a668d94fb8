#ifndef RISKATTEST_CFIXEDFORMAT_H
#define RISKATTEST_CFIXEDFORMAT_H
#include <stddef.h>

/// snprintf(buf, size, "%.*f", digits, x): the C library's correctly rounded fixed-point text.
/// A plain (non-variadic) C entry point because Swift can only reach snprintf through
/// withVaList, whose boxing of the arguments cost more than the formatting itself when the
/// metrics table formats a million numbers.
int riskattest_format_fixed(char *buf, size_t size, int digits, double x);

#endif
