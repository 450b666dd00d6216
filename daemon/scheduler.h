/* scheduler.h -- the loop's side of watches: when to ask the store for due runs. */
#ifndef LS_SCHEDULER_H
#define LS_SCHEDULER_H

struct daemon;
typedef struct scheduler scheduler_t;

/* Starts the timer; its first run (at once) is the catch-up after a start. NULL out of
 * memory. */
scheduler_t *scheduler_new(struct daemon *d);
/* Look again soon (watches or tags changed). Accepts NULL. */
void scheduler_kick(scheduler_t *sc);
/* Closes the timer and frees sc once no writer call of it is pending (call it after the
 * writer closed). Accepts NULL. */
void scheduler_close(scheduler_t *sc);

#endif
