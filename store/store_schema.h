/* store_schema.h -- the migration list (schema.c). */
#ifndef LS_STORE_SCHEMA_H
#define LS_STORE_SCHEMA_H

/* Number of migrations = the latest schema version. */
int store_schema_count(void);
/* SQL of migration `version` (1-based), or NULL. */
const char *store_schema_step(int version);
/* The C part of migration `version`, run after its SQL in the same transaction (a step
 * that needs our own functions, like the tag key). STORE_OK when it has none. */
typedef struct store store_t;
int store_schema_code(store_t *s, int version);

#endif
