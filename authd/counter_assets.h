/* The counter verification page's files (authd/counter/), embedded at build time by embed.py. */
#ifndef AUTHD_COUNTER_ASSETS_H
#define AUTHD_COUNTER_ASSETS_H

#include <stddef.h>

struct authd_asset {
    const char *name; /* "index.html", "app.js", "style.css" */
    const char *content_type;
    const unsigned char *bytes;
    size_t len;
};

/* Ends with an entry whose name is NULL. */
extern const struct authd_asset authd_counter_assets[];

#endif
