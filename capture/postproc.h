/* postproc.h -- what happens to a screenshot after the browser sent it, off the loop (a
 * libuv thread-pool job): base64 decoded, SHA-256 taken, the PNG written atomically (temp
 * file, fsync, rename, fsync of the directory), checked for a single flat colour (a page
 * that had not painted), and a thumbnail of the first screen made with libpng. Pure
 * function of its inputs: no loop, no globals; any number run at once. */
#ifndef LS_POSTPROC_H
#define LS_POSTPROC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *b64;           /* the screenshot as the browser sent it (borrowed) */
    size_t b64_len;
    const char *out_path;      /* the PNG */
    const char *thumb_path;    /* NULL = no thumbnail */
    int thumb_width;           /* e.g. 320 */
    int first_screen_rows;     /* the thumbnail shows this many image rows from the top (the
                                  viewport's height in device px); 0 = the whole image */
} postproc_request_t;

typedef struct {
    int ok;
    int64_t bytes;
    char sha256[65];           /* hex */
    int width, height;         /* of the PNG as decoded */
    int blank;                 /* every pixel the same colour */
    int thumb_w, thumb_h;      /* 0 when no thumbnail was written */
    int64_t elapsed_ms;
    char error[256];
} postproc_result_t;

/* Runs every step; on failure nothing is left at out_path/thumb_path and error says why. */
void postproc_run(const postproc_request_t *req, postproc_result_t *res);

/* Base64 (standard alphabet, padding optional, whitespace ignored) into out, which holds
 * at least len * 3 / 4 + 3 bytes. Returns the decoded length or -1 on a bad character. */
long postproc_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
