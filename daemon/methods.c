/* methods.c -- the method table: joins each group's table and finds a method by name.
 * Adding a group is one line here plus its file. */
#include <string.h>

#include "method.h"

static const method_def_t *const groups[] = {
    methods_daemon,
    methods_link,
    methods_tag,
    methods_watch,
    methods_import,
    methods_backup,
    methods_snapshot,
    methods_chart,
    methods_web,
    methods_site,
    methods_search,
};

const method_def_t *methods_find(const char *name)
{
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const method_def_t *m = groups[g]; m && m->name; m++)
            if (!strcmp(m->name, name))
                return m;
    return NULL;
}
