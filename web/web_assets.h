/* web_assets.h -- the web page's static files, compiled in by embed.cmake: one entry per
 * file under web/static, sorted by path ("/index.html", "/js/app.js", ...). */
#ifndef LS_WEB_ASSETS_H
#define LS_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;              /* "/app.css" */
    const char *type;              /* Content-Type */
    const unsigned char *data;     /* len bytes, then a NUL */
    size_t len;
} web_asset_t;

extern const web_asset_t web_assets[];
extern const size_t web_assets_count;

#endif
