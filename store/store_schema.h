/* store_schema.h -- the migration list (schema.c). */
#ifndef LS_STORE_SCHEMA_H
#define LS_STORE_SCHEMA_H

/* Number of migrations = the latest schema version. */
int store_schema_count(void);
/* SQL of migration `version` (1-based), or NULL. */
const char *store_schema_step(int version);

#endif
