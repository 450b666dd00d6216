/* pngread.h -- the one PNG reader of the product: a PNG in memory or in a file, decoded
 * row by row with libpng into 8-bit RGB (palette and grey expanded, 16 bit and alpha
 * stripped), so a 30,000 px screenshot never needs all its rows in memory. One error path:
 * whatever libpng refuses comes back as a sentence that carries libpng's own message.
 * Not interlaced. No loop, no globals: any number at once, one per thread. */
#ifndef LS_PNGREAD_H
#define LS_PNGREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct pngread pngread_t;

/* Opens data[0..len) (borrowed until pngread_close); what names it in messages ("the
 * screenshot"). Images wider or taller than max_w / max_h are refused. NULL with err. */
pngread_t *pngread_open_mem(const void *data, size_t len, const char *what, uint32_t max_w,
                            uint32_t max_h, char *err, size_t errlen);
/* Opens the file at path (named by its path in messages). NULL with err. */
pngread_t *pngread_open_file(const char *path, uint32_t max_w, uint32_t max_h, char *err,
                             size_t errlen);
uint32_t pngread_width(const pngread_t *r);
uint32_t pngread_height(const pngread_t *r);
/* Decodes the next n rows, width * 3 bytes each, into out. 0, or -1 with err (a damaged or
 * cut file: libpng's message). */
int pngread_rows(pngread_t *r, unsigned char *out, uint32_t n, char *err, size_t errlen);
/* Accepts NULL. */
void pngread_close(pngread_t *r);

#endif
