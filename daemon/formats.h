/* formats.h -- what a capture keeps besides its picture: the names png, text, mhtml and pdf
 * as a bit set, read from the config's `formats`, a site rule's `formats` and
 * snapshot.request's `formats`. Knows nothing of how each is taken. */
#ifndef LS_FORMATS_H
#define LS_FORMATS_H

#include <stddef.h>

#include <jansson.h>

enum {
    FORMAT_PNG = 1,
    FORMAT_TEXT = 2,
    FORMAT_MHTML = 4,
    FORMAT_PDF = 8,
};
#define FORMAT_ALL (FORMAT_PNG | FORMAT_TEXT | FORMAT_MHTML | FORMAT_PDF)
#define FORMAT_DEFAULT (FORMAT_PNG | FORMAT_TEXT | FORMAT_MHTML)

/* "png,text,mhtml" (commas, optional spaces) into *mask. png is always kept (the picture
 * is the capture): a list without it is refused. -1 with a sentence in err. */
int formats_parse(const char *list, int *mask, char *err, size_t errlen);
/* The same from a JSON array of names. */
int formats_parse_json(json_t *array, int *mask, char *err, size_t errlen);
/* The names of mask, comma-separated, into out. */
void formats_names(int mask, char *out, size_t outlen);

#endif
