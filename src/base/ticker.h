/*
 * ticker.h — a background thread that runs one function every N seconds.
 *
 * The server's periodic passes (the deadline timer, the outbox sender) share
 * this loop: sleep on a condition variable until the interval passes or the
 * ticker is stopped, run the pass without holding the lock, repeat.
 * ticker_stop() wakes the thread at once, waits for a pass in progress to
 * finish, and joins it, so shutdown never cuts a pass in half.
 */
#ifndef PA_TICKER_H
#define PA_TICKER_H

typedef struct pa_ticker pa_ticker_t;
typedef void (*pa_tick_fn)(void *ctx);

/* Starts the thread; the first pass runs after one interval. NULL (logged,
 * naming `what`) when the thread cannot be created. */
pa_ticker_t *ticker_start(const char *what, int interval_s, pa_tick_fn fn, void *ctx);
/* Stops and frees; NULL is a no-op. */
void ticker_stop(pa_ticker_t *t);

#endif
