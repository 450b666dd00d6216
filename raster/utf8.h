/* utf8.h -- UTF-8 decoding with replacement, for text that reaches fonts and SVG.
 * Invalid bytes never stop a label from drawing: they become U+FFFD. */
#ifndef LS_RASTER_UTF8_H
#define LS_RASTER_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define RASTER_REPLACEMENT 0xFFFDu

/* Decodes the code point at s[*i] (i < len) and advances *i past it. An invalid,
 * overlong, surrogate or truncated sequence yields U+FFFD and advances one byte. */
uint32_t raster_utf8_next(const char *s, size_t len, size_t *i);
/* Writes cp as UTF-8 into out (4 bytes room); returns the byte count (1..4). A value
 * that is not a Unicode scalar is written as U+FFFD. */
size_t raster_utf8_encode(uint32_t cp, char *out);
/* Returns a new NUL-terminated copy of s[0..len) that is valid UTF-8 and safe in XML:
 * invalid sequences, C0/C1 controls other than tab and newline, DEL and the
 * non-characters U+FFFE/U+FFFF become U+FFFD; tab and newline become a space. Returns
 * NULL when out of memory. The caller frees. */
char *raster_utf8_sanitize(const char *s, size_t len);

#endif
