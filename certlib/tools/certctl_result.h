/* Rendering verification results for people (aligned text with Chinese labels) and programs (JSON).
 * Shared by certctl verify and certctl inspect. */
#ifndef CERTCTL_RESULT_H
#define CERTCTL_RESULT_H

#include <stdbool.h>
#include <stdio.h>

#include "certlib/verify.h"

void certctl_print_result(FILE *out, const certlib_result *r, bool show_checks);
/* Prints one JSON object and a newline; returns -1 when out of memory. */
int certctl_print_result_json(FILE *out, const certlib_result *r);

#endif
