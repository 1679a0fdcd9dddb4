/* Rewrites h2o's own plain-text error responses as problem documents. */
#ifndef AUTHD_PROBLEM_FILTER_H
#define AUTHD_PROBLEM_FILTER_H

#include "http.h"

void authd_problem_filter_register(h2o_pathconf_t *pathconf);

#endif
