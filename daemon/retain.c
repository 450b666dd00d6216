/* retain.c -- what becomes of the captures retention pruned (store_retain_link, in the
 * writer's transaction that saved a watched link's capture): once that committed, their
 * files (screenshot, thumbnail, MHTML, PDF, and the diff overlays under
 * <state_dir>/snapshots/diffs that name them) are unlinked on the thread pool, never on
 * the loop, and snapshot.deleted is published. A crash between the commit and the unlink
 * leaves files no row names: nothing serves them (files are found through their rows). */
#include "retain.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "daemon.h"
#include "events.h"
#include "log.h"
#include "util.h"

typedef struct {
    uv_work_t work;
    json_t *files;                /* paths */
    int64_t *ids;                 /* sorted: the diff overlays naming one of them go too */
    size_t nids;
    char diffs[UTIL_PATH_MAX];    /* the overlays' directory */
    size_t removed;               /* files unlinked */
} unlink_job_t;

int retain_snapshot_files(const store_snapshot_t *x, json_t *arr)
{
    int bad = 0;
    if (x->path)
        bad |= json_array_append_new(arr, json_string(x->path));
    if (x->thumb_path)
        bad |= json_array_append_new(arr, json_string(x->thumb_path));
    json_t *kept = x->files ? json_loads(x->files, 0, NULL) : NULL;
    static const char *const kinds[] = {"mhtml", "pdf"};
    for (int k = 0; k < 2; k++) {
        const char *f = json_string_value(json_object_get(json_object_get(kept, kinds[k]), "path"));
        if (f)
            bad |= json_array_append_new(arr, json_string(f));
    }
    json_decref(kept);
    return bad ? -1 : 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int has_id(const unlink_job_t *j, long long id)
{
    int64_t key = id;
    return bsearch(&key, j->ids, j->nids, sizeof *j->ids, cmp_id) != NULL;
}

static void unlink_work_cb(uv_work_t *w)
{
    unlink_job_t *j = w->data;
    size_t i;
    json_t *f;
    json_array_foreach(j->files, i, f) {
        if (unlink(json_string_value(f)) == 0)
            j->removed++;
        else if (errno != ENOENT)
            log_warn("retention: cannot remove %s: %s", json_string_value(f), strerror(errno));
    }
    /* overlays are named FROM-TO.png (daemon/snapdiff.c) */
    DIR *d = opendir(j->diffs);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long from = 0, to = 0;
        char tail[8] = "";
        if (sscanf(e->d_name, "%lld-%lld%7s", &from, &to, tail) != 3 || strcmp(tail, ".png") ||
            (!has_id(j, from) && !has_id(j, to)))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            j->removed++;
    }
    closedir(d);
}

static void unlink_after_cb(uv_work_t *w, int status)
{
    unlink_job_t *j = w->data;
    if (status == 0)
        log_info("retention: %zu files of %zu pruned captures removed", j->removed, j->nids);
    json_decref(j->files);
    free(j->ids);
    free(j);
}

void retain_pruned(daemon_t *d, int64_t link_id, store_snapshot_t **v, size_t n)
{
    if (!n) {
        store_snapshot_list_free(v, n);
        return;
    }
    unlink_job_t *j = calloc(1, sizeof *j);
    json_t *ids = json_array();
    int bad = !j || !ids || !(j->files = json_array()) || !(j->ids = calloc(n, sizeof *j->ids));
    for (size_t i = 0; !bad && i < n; i++) {
        j->ids[j->nids++] = v[i]->id;
        bad = json_array_append_new(ids, json_integer(v[i]->id)) ||
              retain_snapshot_files(v[i], j->files);
    }
    store_snapshot_list_free(v, n);
    if (bad || util_path(j->diffs, "%s/snapshots/diffs", d->cfg.state_dir) != 0) {
        log_warn("retention: out of memory: the files of %zu pruned captures of link %lld stay "
                 "on disk (no row names them)", n, (long long)link_id);
        json_decref(ids);
        if (j) {
            json_decref(j->files);
            free(j->ids);
        }
        free(j);
        return;
    }
    qsort(j->ids, j->nids, sizeof *j->ids, cmp_id);
    json_t *ev = json_pack("{s:s,s:I,s:o,s:s}", "topic", "snapshot.deleted", "link_id",
                           (json_int_t)link_id, "ids", ids, "reason", "retention");
    if (ev) {
        events_publish(d->events, ev);
        json_decref(ev);
    }
    j->work.data = j;
    if (uv_queue_work(d->loop, &j->work, unlink_work_cb, unlink_after_cb) != 0) {
        json_decref(j->files);
        free(j->ids);
        free(j);
    }
}
