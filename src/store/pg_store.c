/*
 * pg_store.c — the PostgreSQL engine: the pool, statements, errors, reads,
 * store_write, migrations, open and close.  The typed reads and writes are
 * those of sqlite_<area>.c compiled through pg_shim.h (see there).
 *
 * The pool.  `database.pool_size` physical connections per process
 * (pg_phys_t), opened on first use.  A thread's handle (store_conn_t, found
 * through a pthread key) borrows one per statement — the whole result is
 * fetched, then it goes back — or for a read transaction or a write.  A
 * borrower waits up to STORE_PG_POOL_WAIT_MS for a free connection, then
 * gets PA_EUNAVAIL (503).
 *
 * Losing the database.  Any failure that leaves a connection bad (server
 * restart, network) marks it broken and gives PA_EUNAVAIL; the next borrower
 * reconnects it.  So while the database is gone requests get 503 problem
 * responses, and when it returns the pool heals by itself, connection by
 * connection.  A write whose COMMIT got no answer is reported unavailable:
 * the client retries (every write is conditional on the current row, so a
 * retry of one that did commit changes nothing twice, or is refused).
 *
 * Writes.  store_write borrows a connection, BEGIN, takes the writers' lock
 * — a transaction-level advisory lock (pg_advisory_xact_lock), or on
 * engines without advisory locks a row lock on pingan_writer — runs the
 * function, and COMMITs (synchronous_commit as the server says: on by
 * default, so an acknowledged write is durable).  A function returning < 0,
 * or any statement error, rolls the whole transaction back.  The lock makes
 * writers of every process run one at a time, exactly like SQLite's single
 * writer: a read-check-write inside one function is atomic across servers,
 * which is what makes the timer, reminders, the outbox sender and document
 * claims act once per due item however many servers run them (each of
 * their changes is conditional on the row it reads).  Readers never wait for
 * it.
 *
 * Errors.  SQLSTATE 23505 → PA_ECONFLICT naming the last column of the key,
 * 23503 → PA_EINVAL (a reference to a missing row), connection classes 08,
 * 57P01-57P03, 53, 40001, 40P01, 55P03 and a lost connection → PA_EUNAVAIL
 * (retry after 1 s), anything else → PA_EINTERNAL (logged: a bug).
 */
#include "base/common.h"
#include "store/pg_internal.h"
#include "store/sqlite_stmts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STORE_PG_POOL_DEFAULT 16     /* connections per process */
#define STORE_PG_POOL_MAX 256
#define STORE_PG_POOL_WAIT_MS 10000  /* longest wait for a free connection */
/* advisory lock keys: the writers' lock, and the migrating process's */
#define STORE_PG_WRITER_KEY "88331457142126"
#define STORE_PG_MIGRATE_KEY "88331457142093"
#define INT8OID 20
#define BYTEAOID 17
#define TEXTOID 25
#define FLOAT8OID 701

struct store {
	store_hdr_t hdr;              /* &store_pg_engine */
	char *url;
	bool read_only;
	unsigned caps;
	int pool_size;
	pg_phys_t *pool;
	pthread_mutex_t mu;           /* guards pool[].busy, handles, the counters */
	pthread_cond_t cv;            /* a connection came back */
	pthread_key_t handle_key;
	store_conn_t *handles;
	int64_t commits, writes;
	atomic_int fault_countdown;
	const store_observer_t *observer; /* store_set_observer (core/indicators.c) */
};

/* The write this thread is running, if any. */
static _Thread_local store_t *tl_tx_store;
static _Thread_local store_conn_t *tl_tx_conn;

const char *const pg_sq_sql[] = {
#define SQ_SQL(name, sql) sql,
	SQ_STATEMENTS(SQ_SQL)
#undef SQ_SQL
};
#define PG_SQ_COUNT ARRAY_SIZE(pg_sq_sql)

/* ---- errors ------------------------------------------------------------------------- */

static int unavailable(pa_err_t *err, const char *what, const char *msg)
{
	pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "%s%s", what, msg);
	if (err)
		err->retry_after = 1;
	return PA_EUNAVAIL;
}

/* "Key (case_id, stage)=(3, replied) already exists." → "stage" */
static void conflict_field(const char *detail, char *out, size_t n)
{
	out[0] = '\0';
	const char *p = detail ? strstr(detail, "Key (") : NULL;
	if (!p)
		return;
	p += 5;
	const char *end = strstr(p, ")=");
	if (!end)
		return;
	const char *start = p;
	for (const char *q = p; q < end; q++)
		if (*q == ',' || *q == '(')
			start = q + 1;
	while (start < end && *start == ' ')
		start++;
	size_t len = (size_t)(end - start);
	while (len && (start[len - 1] == ')' || start[len - 1] == ' '))
		len--;
	snprintf(out, n, "%.*s", (int)len, start);
}

static bool state_unavailable(const char *st)
{
	if (!st)
		return true;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
	       strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 ||
	       strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0 ||
	       strcmp(st, "25006") == 0;
}

/* Maps a failed result (or a NULL one) to PA_E*; marks a lost connection broken. */
static int pg_result_error(store_conn_t *c, PGresult *res, pa_err_t *err, const char *what)
{
	pg_phys_t *p = c ? c->phys : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	if ((!msg || !*msg) && p && p->conn)
		msg = PQerrorMessage(p->conn);
	if (!msg || !*msg)
		msg = "no answer from the database";
	if (p && (!p->conn || PQstatus(p->conn) != CONNECTION_OK))
		p->broken = true;
	if (!state || (p && p->broken) || state_unavailable(state)) {
		if (p && !state)
			p->broken = true;
		log_warn("store: database unavailable: %s", msg);
		return unavailable(err, "database unavailable: ", msg);
	}
	if (strcmp(state, "23505") == 0) {
		char field[96];
		conflict_field(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), field, sizeof(field));
		return pa_fail(err, PA_ECONFLICT, "conflict", field,
		               "a record with this %s already exists", field[0] ? field : "key");
	}
	if (strcmp(state, "23503") == 0)
		return pa_fail(err, PA_EINVAL, "invalid-reference", NULL,
		               "a referenced record does not exist");
	log_error("store: %s [%s] in %s", msg, state, what ? what : "?");
	return pa_fail(err, PA_EINTERNAL, "internal", NULL, "database error: %s", msg);
}

/* ---- the pool --------------------------------------------------------------------------- */

static int phys_connect(store_t *s, pg_phys_t *p, pa_err_t *err)
{
	if (p->conn)
		PQfinish(p->conn);
	p->nprepared = 0;
	p->conn = PQconnectdb(s->url);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		const char *msg = p->conn ? PQerrorMessage(p->conn) : "out of memory";
		log_warn("store: cannot connect to PostgreSQL: %s", msg);
		unavailable(err, "cannot connect to the database: ", msg);
		if (p->conn)
			PQfinish(p->conn);
		p->conn = NULL;
		p->broken = true;
		return PA_EUNAVAIL;
	}
	PGresult *r = PQexec(p->conn, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
	PQclear(r);
	p->broken = false;
	return 0;
}

static int phys_acquire(store_t *s, pg_phys_t **out, pa_err_t *err)
{
	*out = NULL;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STORE_PG_POOL_WAIT_MS / 1000;
	pg_phys_t *p = NULL;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		/* prefer a connection that is open and well */
		for (int i = 0; i < s->pool_size && !p; i++)
			if (!s->pool[i].busy && s->pool[i].conn && !s->pool[i].broken)
				p = &s->pool[i];
		for (int i = 0; i < s->pool_size && !p; i++)
			if (!s->pool[i].busy)
				p = &s->pool[i];
		if (p)
			break;
		if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&s->mu);
			return unavailable(err, "", "all database connections are busy");
		}
	}
	p->busy = true;
	pthread_mutex_unlock(&s->mu);
	if (!p->conn || p->broken || PQstatus(p->conn) != CONNECTION_OK) {
		int rc = phys_connect(s, p, err);
		if (rc < 0) {
			pthread_mutex_lock(&s->mu);
			p->busy = false;
			pthread_cond_signal(&s->cv);
			pthread_mutex_unlock(&s->mu);
			return rc;
		}
	}
	*out = p;
	return 0;
}

static void phys_release(store_t *s, pg_phys_t *p)
{
	if (!p)
		return;
	if (p->conn && PQstatus(p->conn) == CONNECTION_OK &&
	    PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(p->conn, "ROLLBACK");
		PQclear(r);
	}
	if (p->conn && PQstatus(p->conn) != CONNECTION_OK)
		p->broken = true;
	pthread_mutex_lock(&s->mu);
	p->busy = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Runs SQL text on a borrowed connection (no parameters, no result wanted). */
static int phys_exec(store_conn_t *c, const char *sql, pa_err_t *err)
{
	PGresult *r = PQexec(c->phys->conn, sql);
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = pg_result_error(c, r, err, sql);
	PQclear(r);
	return rc;
}

/* ---- handles ---------------------------------------------------------------------------- */

static void stmt_free(pg_stmt_t *st)
{
	if (!st)
		return;
	PQclear(st->res);
	free(st->sql);
	free(st->offs);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->store);
	free(st);
}

static void handle_free(store_conn_t *c)
{
	if (!c)
		return;
	if (c->stmts)
		for (size_t i = 0; i < PG_SQ_COUNT; i++)
			stmt_free(c->stmts[i]);
	free(c->stmts);
	for (size_t i = 0; i < ARRAY_SIZE(c->dyn); i++) {
		stmt_free(c->dyn[i].st);
		free(c->dyn[i].sql);
	}
	free(c);
}

static void handle_unlink(store_t *s, store_conn_t *c)
{
	for (store_conn_t **pp = &s->handles; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

static void handle_release(void *arg)
{
	store_conn_t *c = arg;
	store_t *s = c->s;
	if (c->phys)
		phys_release(s, c->phys);
	pthread_mutex_lock(&s->mu);
	handle_unlink(s, c);
	pthread_mutex_unlock(&s->mu);
	handle_free(c);
}

static store_conn_t *handle_of_thread(store_t *s)
{
	store_conn_t *c = pthread_getspecific(s->handle_key);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->hdr.eng = &store_pg_engine;
	c->db = c;
	c->s = s;
	c->stmts = xcalloc(PG_SQ_COUNT, sizeof(*c->stmts));
	pthread_mutex_lock(&s->mu);
	c->next = s->handles;
	s->handles = c;
	pthread_mutex_unlock(&s->mu);
	pthread_setspecific(s->handle_key, c);
	return c;
}

store_conn_t *pg_reader(store_t *s)
{
	if (!s)
		return NULL;
	if (tl_tx_store == s)
		return tl_tx_conn;
	return handle_of_thread(s);
}

int pg_read_begin(store_conn_t *c)
{
	if (!c || c->writer)
		return 0;
	if (c->read_depth++ > 0)
		return 0;
	int rc = phys_acquire(c->s, &c->phys, NULL);
	if (rc == 0)
		rc = phys_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
	if (rc < 0) {
		phys_release(c->s, c->phys);
		c->phys = NULL;
		c->read_depth = 0;
	}
	return rc;
}

void pg_read_end(store_conn_t *c)
{
	if (!c || c->writer || c->read_depth == 0)
		return;
	if (--c->read_depth == 0 && c->phys) {
		phys_exec(c, "COMMIT", NULL);
		phys_release(c->s, c->phys);
		c->phys = NULL;
	}
}

/* ---- SQL translation ---------------------------------------------------------------------- */

static bool word_at(const char *p, const char *start, const char *w)
{
	size_t n = strlen(w);
	if (strncasecmp(p, w, n) != 0)
		return false;
	if (p > start && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
		return false;
	return !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* INSERT INTO t … ON CONFLICT … DO UPDATE SET c = f(c): PostgreSQL sees both
 * t.c and excluded.c there, so a bare c right of `=` becomes t.c. */
static void qualify_upsert(strbuf_t *sb)
{
	const char *ins = strcasestr(sb->buf, "INSERT INTO ");
	const char *set = strcasestr(sb->buf, "DO UPDATE SET ");
	if (!ins || !set)
		return;
	const char *t = ins + 12;
	size_t tlen = 0;
	while (isalnum((unsigned char)t[tlen]) || t[tlen] == '_')
		tlen++;
	char table[64];
	if (tlen == 0 || tlen >= sizeof(table))
		return;
	memcpy(table, t, tlen);
	table[tlen] = '\0';
	/* the assigned columns */
	char cols[32][64];  /* indicator_month sets 16 */
	size_t ncols = 0;
	const char *p = set + 14;
	while (ncols < ARRAY_SIZE(cols)) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = 0;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (n == 0 || n >= sizeof(cols[0]) || strncmp(p + n, " = ", 3) != 0)
			break;
		memcpy(cols[ncols], p, n);
		cols[ncols++][n] = '\0';
		p += n + 3;
		int depth = 0;
		while (*p && !(depth == 0 && *p == ',')) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			p++;
		}
		if (!*p)
			break;
	}
	if (ncols == 0)
		return;
	strbuf_t out = STRBUF_INIT;
	size_t head = (size_t)(set + 14 - sb->buf);
	strbuf_add(&out, sb->buf, head);
	const char *q = sb->buf + head;
	while (*q) {
		bool done = false;
		for (size_t i = 0; i < ncols && !done; i++) {
			size_t n = strlen(cols[i]);
			if (strncmp(q, cols[i], n) == 0 && !(isalnum((unsigned char)q[n]) || q[n] == '_') &&
			    q > sb->buf && !(isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == '.') &&
			    strncmp(q + n, " = ", 3) != 0) {
				strbuf_addf(&out, "%s.%s", table, cols[i]);
				q += n;
				done = true;
			}
		}
		if (!done)
			strbuf_addch(&out, *q++);
	}
	strbuf_release(sb);
	*sb = out;
}

char *pg_translate(const char *sql, size_t len, int *nparams)
{
	strbuf_t out = STRBUF_INIT;
	strbuf_grow(&out, len + 32);
	const char *p = sql, *end = sql + len;
	int maxp = 0;
	const char *boolsum[8];  /* closing parentheses of sum(<comparison>) */
	size_t nboolsum = 0;
	bool or_ignore = false;  /* INSERT OR IGNORE: ON CONFLICT DO NOTHING at the end */
	while (p < end) {
		char ch = *p;
		if (ch == ')' && nboolsum && p == boolsum[nboolsum - 1]) {
			strbuf_adds(&out, ")::int)");
			nboolsum--;
			p++;
			continue;
		}
		if (word_at(p, sql, "sum") && p[3] == '(' && nboolsum < ARRAY_SIZE(boolsum)) {
			/* SQLite sums truth values as 0/1; PostgreSQL needs the cast */
			const char *q = p + 4;
			int depth = 0;
			bool cmp = false;
			for (; q < end && !(depth == 0 && *q == ')'); q++) {
				depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
				if (depth == 0 && (*q == '=' || *q == '<' || *q == '>'))
					cmp = true;
			}
			if (cmp && q < end) {
				boolsum[nboolsum++] = q;
				strbuf_adds(&out, "sum((");
				p += 4;
				continue;
			}
		}
		if (ch == '\'') {  /* a string literal, copied as it is */
			const char *q = p + 1;
			while (q < end && !(*q == '\'' && (q + 1 >= end || q[1] != '\'')))
				q += *q == '\'' ? 2 : 1;
			q = q < end ? q + 1 : end;
			strbuf_add(&out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (ch == '?') {
			p++;
			int n = 0;
			if (p < end && isdigit((unsigned char)*p)) {
				while (p < end && isdigit((unsigned char)*p))
					n = n * 10 + (*p++ - '0');
			} else {
				n = maxp + 1;
			}
			if (n > maxp)
				maxp = n;
			strbuf_addf(&out, "$%d", n);
			/* an untyped parameter tested for NULL needs a type */
			if (strncasecmp(p, " IS NULL", 8) == 0 || strncasecmp(p, " IS NOT NULL", 12) == 0)
				strbuf_adds(&out, "::text");
			continue;
		}
		if (word_at(p, sql, "WHERE") && strncmp(p + 5, " 1", 2) == 0 &&
		    (p + 7 == end || (p[7] == ' ' && !strchr("=<>!+-*/%", p + 8 < end ? p[8] : ' ')))) {
			strbuf_adds(&out, "WHERE TRUE");  /* SQLite's integer truth */
			p += 7;
			continue;
		}
		if (word_at(p, sql, "CROSS") && strncasecmp(p, "CROSS JOIN ", 11) == 0) {
			/* SQLite's CROSS JOIN t [alias] ON … (a join order hint) is a
			 * plain JOIN; PostgreSQL's CROSS JOIN takes no ON */
			const char *q = p + 11;
			for (int w = 0; w < 2 && q < end; w++) {
				while (q < end && (isalnum((unsigned char)*q) || *q == '_'))
					q++;
				while (q < end && *q == ' ')
					q++;
				if (word_at(q, sql, "ON"))
					break;
			}
			if (word_at(q, sql, "ON")) {
				strbuf_adds(&out, "JOIN ");
				p += 11;
				continue;
			}
		}
		if (word_at(p, sql, "IFNULL")) {
			strbuf_adds(&out, "COALESCE");
			p += 6;
			continue;
		}
		if (word_at(p, sql, "INDEXED") && strncasecmp(p, "INDEXED BY ", 11) == 0) {
			p += 11;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			continue;
		}
		if (strncasecmp(p, "AS INTEGER)", 11) == 0 && word_at(p, sql, "AS")) {
			strbuf_adds(&out, "AS BIGINT)");
			p += 11;
			continue;
		}
		if (word_at(p, sql, "INSERT") && strncasecmp(p, "INSERT OR IGNORE ", 17) == 0) {
			strbuf_adds(&out, "INSERT ");
			p += 17;
			or_ignore = true;
			continue;
		}
		strbuf_addch(&out, ch);
		p++;
	}
	if (or_ignore)
		strbuf_adds(&out, " ON CONFLICT DO NOTHING");
	if (nparams)
		*nparams = maxp;
	qualify_upsert(&out);
	return strbuf_detach(&out, NULL);
}

/* ---- statements --------------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static pg_stmt_t *stmt_new(store_conn_t *c, const char *sqlite_sql, size_t len)
{
	pg_stmt_t *st = xcalloc(1, sizeof(*st));
	st->c = c;
	st->sql = pg_translate(sqlite_sql, len, &st->sql_params);
	st->hash = fnv1a(st->sql);
	const char *p = st->sql;
	while (isspace((unsigned char)*p))
		p++;
	st->write = !(strncasecmp(p, "SELECT", 6) == 0 || strncasecmp(p, "WITH", 4) == 0);
	return st;
}

int pg_stmt_fixed(store_conn_t *c, int id, const char *sqlite_sql, pg_stmt_t **out,
                  pa_err_t *err)
{
	*out = NULL;
	if (!c)
		return unavailable(err, "", "no database connection");
	if (!c->stmts[id])
		c->stmts[id] = stmt_new(c, sqlite_sql, strlen(sqlite_sql));
	*out = c->stmts[id];
	return 0;
}

int pg_stmt_dyn(store_conn_t *c, const char *sql, size_t len, pg_stmt_t **out)
{
	if (!c)
		return PA_EUNAVAIL;
	for (size_t i = 0; i < ARRAY_SIZE(c->dyn); i++)
		if (c->dyn[i].sql && strlen(c->dyn[i].sql) == len && memcmp(c->dyn[i].sql, sql, len) == 0) {
			*out = c->dyn[i].st;
			return 0;
		}
	unsigned slot = c->dyn_next++ % ARRAY_SIZE(c->dyn);
	stmt_free(c->dyn[slot].st);
	free(c->dyn[slot].sql);
	c->dyn[slot].sql = xstrndup(sql, len);
	c->dyn[slot].st = stmt_new(c, sql, len);
	*out = c->dyn[slot].st;
	return 0;
}

/* sqlite_internal.h's sq_stmt_const: a string constant's statement, kept in
 * the handle's cache of run-time statements (found again by its text). */
int pg_stmt_const(store_conn_t *c, const char *sql, pg_stmt_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!c)
		return unavailable(err, "", "no database connection");
	return pg_stmt_dyn(c, sql, strlen(sql), out);
}

int pg_prepare(store_conn_t *c, const char *sql, pg_stmt_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!c)
		return unavailable(err, "", "no database connection");
	*out = stmt_new(c, sql, strlen(sql));
	(*out)->owned = true;
	return 0;
}

void pg_finalize(pg_stmt_t *st)
{
	if (st && st->owned)
		stmt_free(st);
	else
		pg_done(st);
}

static void bind_slot(pg_stmt_t *st, int i)
{
	if (i > st->cap) {
		int ncap = st->cap ? st->cap : 8;
		while (ncap < i)
			ncap *= 2;
		st->offs = xrealloc(st->offs, st_mult((size_t)ncap, sizeof(*st->offs)));
		st->lens = xrealloc(st->lens, st_mult((size_t)ncap, sizeof(*st->lens)));
		st->fmts = xrealloc(st->fmts, st_mult((size_t)ncap, sizeof(*st->fmts)));
		st->types = xrealloc(st->types, st_mult((size_t)ncap, sizeof(*st->types)));
		for (int k = st->cap; k < ncap; k++) {
			st->offs[k] = SIZE_MAX;
			st->lens[k] = 0;
			st->fmts[k] = 0;
			st->types[k] = 0;
		}
		st->cap = ncap;
	}
	if (i > st->nparams)
		st->nparams = i;
}

static void bind_bytes(pg_stmt_t *st, int i, const void *p, size_t n, int fmt, Oid type)
{
	bind_slot(st, i);
	if (st->store_len + n + 1 > st->store_cap) {
		size_t ncap = st->store_cap ? st->store_cap : 256;
		while (ncap < st->store_len + n + 1)
			ncap = st_mult(ncap, 2);
		st->store = xrealloc(st->store, ncap);
		st->store_cap = ncap;
	}
	memcpy(st->store + st->store_len, p, n);
	st->store[st->store_len + n] = '\0';
	st->offs[i - 1] = st->store_len;
	st->lens[i - 1] = (int)n;
	st->fmts[i - 1] = fmt;
	if (type)
		st->types[i - 1] = type;
	st->store_len += n + 1;
}

void pg_bind_at_int(pg_stmt_t *st, int i, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	bind_bytes(st, i, buf, (size_t)n, 0, INT8OID);
}

void pg_bind_at_text(pg_stmt_t *st, int i, const char *s)
{
	if (!s) {
		pg_bind_at_null(st, i);
		return;
	}
	bind_bytes(st, i, s, strlen(s), 0, 0);
}

void pg_bind_at_blob(pg_stmt_t *st, int i, const void *p, size_t n)
{
	bind_bytes(st, i, p, n, 1, BYTEAOID);
}

void pg_bind_at_null(pg_stmt_t *st, int i)
{
	bind_slot(st, i);
	st->offs[i - 1] = SIZE_MAX;
}

/* Test hook: true when this write statement is the one to fail. */
static bool fault_fires(store_t *s)
{
	int n = atomic_load(&s->fault_countdown);
	while (n > 0 && !atomic_compare_exchange_weak(&s->fault_countdown, &n, n - 1))
		;
	return n == 1;
}

static bool phys_has(pg_phys_t *p, uint64_t h)
{
	for (size_t i = 0; i < p->nprepared; i++)
		if (p->prepared[i] == h)
			return true;
	return false;
}

/* Executes st on the handle's connection (borrowing one for this statement
 * if the handle holds none) and keeps the whole result. */
static int stmt_execute(store_conn_t *c, pg_stmt_t *st, pa_err_t *err)
{
	bool borrowed = false;
	if (!c->phys) {
		int rc = phys_acquire(c->s, &c->phys, err);
		if (rc < 0)
			return rc;
		borrowed = true;
	}
	pg_phys_t *p = c->phys;
	if (st->sql_params > st->nparams)
		bind_slot(st, st->sql_params);  /* parameters never bound are NULL */
	char name[24];
	snprintf(name, sizeof(name), "s%016llx", (unsigned long long)st->hash);
	int rc = 0;
	if (!phys_has(p, st->hash)) {
		if (p->nprepared == PG_PREP_CACHE) {
			PGresult *r = PQexec(p->conn, "DEALLOCATE ALL");
			PQclear(r);
			p->nprepared = 0;
		}
		PGresult *r = PQprepare(p->conn, name, st->sql, st->nparams, st->types);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_result_error(c, r, err, st->sql);
		else
			p->prepared[p->nprepared++] = st->hash;
		PQclear(r);
	}
	if (rc == 0) {
		const char **vals = NULL;
		if (st->nparams) {
			vals = xmalloc(st_mult((size_t)st->nparams, sizeof(*vals)));
			for (int i = 0; i < st->nparams; i++)
				vals[i] = st->offs[i] == SIZE_MAX ? NULL : st->store + st->offs[i];
		}
		PGresult *r = PQexecPrepared(p->conn, name, st->nparams, vals, st->lens, st->fmts, 0);
		free(vals);
		ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
			st->res = r;
			st->nrows = PQntuples(r);
			st->row = -1;
			const char *ct = PQcmdTuples(r);
			c->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
		} else {
			rc = pg_result_error(c, r, err, st->sql);
			PQclear(r);
		}
	}
	if (borrowed) {
		phys_release(c->s, c->phys);
		c->phys = NULL;
	}
	return rc;
}

int pg_step(store_conn_t *c, pg_stmt_t *st, pa_err_t *err)
{
	if (!c)
		return unavailable(err, "", "no database connection");
	if (!st->res) {
		if (c->writer && st->write && fault_fires(c->s))
			return pa_fail(err, PA_EIO, "io", NULL, "injected write fault");
		int rc = stmt_execute(c, st, err);
		if (rc < 0)
			return rc;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return 1;
	}
	st->row = st->nrows;
	return 0;
}

void pg_done(pg_stmt_t *st)
{
	if (!st)
		return;
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
	st->store_len = 0;
	for (int i = 0; i < st->nparams; i++)
		st->offs[i] = SIZE_MAX;
}

int pg_exec_one(store_conn_t *c, pg_stmt_t *st, pa_err_t *err)
{
	int rc = pg_step(c, st, err);
	if (rc >= 0 && c->changes == 0)
		rc = pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "no such record");
	pg_done(st);
	return rc < 0 ? rc : 0;
}

int pg_exec(store_conn_t *c, const char *sql, pa_err_t *err)
{
	pg_stmt_t *st;
	int rc = pg_prepare(c, sql, &st, err);
	if (rc < 0)
		return rc;
	rc = pg_step(c, st, err);
	pg_finalize(st);
	return rc < 0 ? rc : 0;
}

int64_t pg_changes(store_conn_t *c)
{
	return c ? c->changes : 0;
}

int64_t pg_last_insert_id(store_conn_t *c)
{
	if (!c || !c->phys)
		return 0;
	PGresult *r = PQexec(c->phys->conn, "SELECT lastval()");
	int64_t id = 0;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

int64_t pg_column_int(pg_stmt_t *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= st->nrows || PQgetisnull(st->res, st->row, i))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, i);
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	if (v[0] == 'f' && v[1] == '\0')
		return 0;
	return strtoll(v, NULL, 10);
}

const char *pg_column_text(pg_stmt_t *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= st->nrows || PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

bool pg_column_null(pg_stmt_t *st, int i)
{
	return !st->res || PQgetisnull(st->res, st->row, i);
}

pa_blob_t pg_column_blob(pg_stmt_t *st, int i, arena_t *a)
{
	const char *v = pg_column_text(st, i);
	if (!v)
		return (pa_blob_t){ NULL, 0 };
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)v, &n);
	if (!raw || n == 0) {
		PQfreemem(raw);
		return (pa_blob_t){ NULL, 0 };
	}
	pa_blob_t b = { arena_memdup(a, raw, n), n };
	PQfreemem(raw);
	return b;
}

void pg_bind_at_textn(pg_stmt_t *st, int i, const char *s, int n)
{
	if (!s) {
		pg_bind_at_null(st, i);
		return;
	}
	bind_bytes(st, i, s, n < 0 ? strlen(s) : (size_t)n, 0, 0);
}

void pg_bind_at_double(pg_stmt_t *st, int i, double v)
{
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "%.17g", v);
	bind_bytes(st, i, buf, (size_t)n, 0, FLOAT8OID);
}

double pg_column_double(pg_stmt_t *st, int i)
{
	const char *v = pg_column_text(st, i);
	return v ? strtod(v, NULL) : 0.0;
}

size_t pg_column_bytes(pg_stmt_t *st, int i)
{
	const char *v = pg_column_text(st, i);
	return v ? (size_t)PQgetlength(st->res, st->row, i) : 0;
}

/* ---- writes ------------------------------------------------------------------------------- */

store_conn_t *pg_tx_conn(store_tx_t *tx)
{
	return tx->conn;
}

pa_err_t *pg_tx_err(store_tx_t *tx)
{
	return tx->err;
}

static int pg_write(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err)
{
	if (!fn)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "store_write without a function");
	if (tl_tx_store == s)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL,
		               "store_write called from inside a write function");
	if (s->read_only)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "the store is read-only");

	store_conn_t *c = handle_of_thread(s);
	/* a read transaction of this thread keeps its own connection meanwhile */
	pg_phys_t *saved = c->phys;
	int saved_depth = c->read_depth;
	c->phys = NULL;
	c->read_depth = 0;

	pa_err_t jerr = { 0 };
	int rc = phys_acquire(s, &c->phys, &jerr);
	if (rc == 0) {
		rc = phys_exec(c, (s->caps & STORE_CAP_ADVISORY)
		                      ? "BEGIN; SELECT pg_advisory_xact_lock(" STORE_PG_WRITER_KEY ")"
		                      : "BEGIN; SELECT 1 FROM pingan_writer FOR UPDATE",
		               &jerr);
		if (rc == 0) {
			store_tx_t tx = { { &store_pg_engine }, s, c, &jerr };
			c->writer = true;
			tl_tx_store = s;
			tl_tx_conn = c;
			rc = fn(&tx, ctx);
			tl_tx_store = NULL;
			tl_tx_conn = NULL;
			c->writer = false;
			if (rc < 0) {
				phys_exec(c, "ROLLBACK", NULL);
			} else {
				pa_err_t cerr = { 0 };
				rc = phys_exec(c, "COMMIT", &cerr);
				if (rc < 0) {
					rc = pa_fail(&jerr, PA_EUNAVAIL, "unavailable", NULL,
					             "the write was not saved: %s", cerr.detail);
					jerr.retry_after = 1;
				}
			}
		}
		phys_release(s, c->phys);
	}
	c->phys = saved;
	c->read_depth = saved_depth;

	pthread_mutex_lock(&s->mu);
	s->writes++;
	if (rc >= 0)
		s->commits++;
	pthread_mutex_unlock(&s->mu);

	if (rc < 0) {
		if (jerr.code == 0)
			pa_fail(&jerr, rc, "internal", NULL, "write failed: %s", pa_strerror(rc));
		jerr.code = rc;
		if (err)
			*err = jerr;
		return rc;
	}
	return 0;
}

static void pg_fault_inject(store_t *s, int nth)
{
	atomic_store(&s->fault_countdown, nth > 0 ? nth : 0);
}

static void pg_set_observer(store_t *s, const store_observer_t *obs)
{
	s->observer = obs;
}

/* sqlite_indicators.c, compiled for PostgreSQL, asks for the observer here
 * (its sq_store_observer becomes pgsq_store_observer). */
const store_observer_t *pgsq_store_observer(store_t *s)
{
	return s->observer;
}

static void pg_stats(store_t *s, int64_t *commits, int64_t *writes)
{
	pthread_mutex_lock(&s->mu);
	if (commits)
		*commits = s->commits;
	if (writes)
		*writes = s->writes;
	pthread_mutex_unlock(&s->mu);
}

/* ---- schema version and migrations -------------------------------------------------------- */

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS pingan_schema (version INTEGER NOT NULL);\n"
	"INSERT INTO pingan_schema(version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM pingan_schema);\n"
	"CREATE TABLE IF NOT EXISTS pingan_writer (id INTEGER PRIMARY KEY);\n"
	"INSERT INTO pingan_writer(id) VALUES (1) ON CONFLICT DO NOTHING;\n";

/* The schema version on a borrowed connection; 0 when the database is empty. */
static int read_version(store_conn_t *c, int *version, pa_err_t *err)
{
	*version = 0;
	PGresult *r = PQexec(c->phys->conn, "SELECT to_regclass('pingan_schema') IS NOT NULL");
	bool exists = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	              PQgetvalue(r, 0, 0)[0] == 't';
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && !exists) {
		PQclear(r);
		return 0;
	}
	if (exists) {
		PQclear(r);
		r = PQexec(c->phys->conn, "SELECT max(version) FROM pingan_schema");
	}
	int rc = 0;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_result_error(c, r, err, "schema version");
	else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static int check_not_too_new(int version, pa_err_t *err)
{
	if (version <= sq_schema_latest)
		return 0;
	return pa_fail(err, PA_EINVAL, "schema-too-new", "database",
	               "the database has schema version %d but this pingan knows versions up to "
	               "%d: use a newer pingan",
	               version, sq_schema_latest);
}

static int pg_schema_version(store_t *s, int *version)
{
	store_conn_t *c = handle_of_thread(s);
	*version = 0;
	pg_phys_t *held = c->phys;
	if (!held && phys_acquire(s, &c->phys, NULL) < 0)
		return PA_EUNAVAIL;
	int rc = read_version(c, version, NULL);
	if (!held) {
		phys_release(s, c->phys);
		c->phys = NULL;
	}
	return rc;
}

static int pg_migrate(store_t *s, int *from, int *to, pa_err_t *err)
{
	if (from)
		*from = 0;
	if (to)
		*to = 0;
	if (s->read_only)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "the store is read-only");
	store_conn_t *c = handle_of_thread(s);
	pg_phys_t *saved = c->phys;
	c->phys = NULL;
	int rc = phys_acquire(s, &c->phys, err);
	if (rc < 0) {
		c->phys = saved;
		return rc;
	}
	/* one migrating process at a time; the others wait, then find nothing to do */
	if (s->caps & STORE_CAP_ADVISORY)
		rc = phys_exec(c, "SELECT pg_advisory_lock(" STORE_PG_MIGRATE_KEY ")", err);
	int cur = 0;
	if (rc == 0)
		rc = read_version(c, &cur, err);
	if (from)
		*from = cur;
	if (to)
		*to = cur;
	if (rc == 0)
		rc = check_not_too_new(cur, err);
	if (rc == 0 && cur == 0)
		rc = phys_exec(c, "CREATE EXTENSION IF NOT EXISTS citext", err);
	for (int v = cur + 1; rc == 0 && v <= sq_schema_latest; v++) {
		char *script = pg_migration(v);
		strbuf_t sql = STRBUF_INIT;
		strbuf_adds(&sql, "BEGIN;\n");
		strbuf_adds(&sql, bootstrap_sql);
		strbuf_adds(&sql, "LOCK TABLE pingan_schema IN EXCLUSIVE MODE;\n");
		strbuf_addf(&sql, "DO $m$ BEGIN IF (SELECT max(version) FROM pingan_schema) <> %d THEN "
		                  "RAISE EXCEPTION 'migrated by another process meanwhile'; END IF; END $m$;\n",
		            v - 1);
		strbuf_adds(&sql, script);
		strbuf_addf(&sql, "\nUPDATE pingan_schema SET version = %d;\nCOMMIT;", v);
		free(script);
		rc = phys_exec(c, sql.buf, err);
		strbuf_release(&sql);
		if (rc < 0) {
			if (err && strcmp(err->type, "unavailable") != 0) {
				char why[sizeof(err->detail)];
				snprintf(why, sizeof(why), "%s", err->detail);
				pa_fail(err, rc, "migration-failed", NULL, "migration %d failed: %.200s", v,
				        why);
			}
			break;
		}
		if (to)
			*to = v;
		log_info("store: PostgreSQL schema migrated to version %d", v);
	}
	if (s->caps & STORE_CAP_ADVISORY)
		phys_exec(c, "SELECT pg_advisory_unlock(" STORE_PG_MIGRATE_KEY ")", NULL);
	phys_release(s, c->phys);
	c->phys = saved;
	return rc;
}

/* ---- open and close ------------------------------------------------------------------------- */

static bool is_utf8(const char *v)
{
	if (!v)
		return false;
	for (const char *p = v; *p; p++)
		if (strncasecmp(p, "utf8", 4) == 0 || strncasecmp(p, "utf-8", 5) == 0)
			return true;
	return false;
}

/* Refuses a database whose encoding or LC_CTYPE is not UTF-8 (Chinese text
 * would be mangled, and pg_trgm would not split it into characters). */
static int check_database(store_t *s, store_conn_t *c, pa_err_t *err)
{
	PGresult *r = PQexec(c->phys->conn,
	                     "SELECT current_setting('server_encoding'), "
	                     "(SELECT datctype FROM pg_database WHERE datname = current_database()), "
	                     "version()");
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		int rc = pg_result_error(c, r, err, "database settings");
		PQclear(r);
		return rc;
	}
	const char *enc = PQgetvalue(r, 0, 0), *ctype = PQgetvalue(r, 0, 1), *ver = PQgetvalue(r, 0, 2);
	int rc = 0;
	if (!is_utf8(enc) || !is_utf8(ctype))
		rc = pa_fail(err, PA_EINVAL, "validation", "database",
		             "the database must use UTF-8 (encoding %s, LC_CTYPE %s): create it with "
		             "`createdb -E UTF8 --locale=C.UTF-8 -T template0 NAME` (or initdb "
		             "--locale=C.UTF-8)",
		             enc, ctype);
	/* what PostgreSQL-compatible engines lack (docs/postgresql.md) */
	s->caps = STORE_CAP_SHARED | STORE_CAP_ADVISORY | STORE_CAP_SKIP_LOCKED | STORE_CAP_NOTIFY;
	if (strstr(ver, "YugabyteDB"))
		s->caps &= ~(unsigned)(STORE_CAP_ADVISORY | STORE_CAP_NOTIFY);
	if (strstr(ver, "openGauss"))
		s->caps &= ~(unsigned)(STORE_CAP_NOTIFY);
	if (rc == 0 && !is_utf8(ctype))
		log_warn("store: LC_CTYPE %s", ctype);
	PQclear(r);
	return rc;
}

static void pg_close(store_t *s);

static int pg_open(const store_options_t *opt, store_t **out, pa_err_t *err)
{
	*out = NULL;
	store_t *s = xcalloc(1, sizeof(*s));
	s->hdr.eng = &store_pg_engine;
	s->url = xstrdup(opt->path);
	s->read_only = opt->read_only;
	s->pool_size = opt->pool_size > 0 ? opt->pool_size : STORE_PG_POOL_DEFAULT;
	if (s->pool_size > STORE_PG_POOL_MAX)
		s->pool_size = STORE_PG_POOL_MAX;
	s->pool = xcalloc((size_t)s->pool_size, sizeof(*s->pool));
	s->caps = STORE_CAP_SHARED | STORE_CAP_ADVISORY;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	atomic_init(&s->fault_countdown, 0);
	pthread_key_create(&s->handle_key, handle_release);

	store_conn_t *c = handle_of_thread(s);
	int rc = phys_acquire(s, &c->phys, err);
	int version = 0;
	if (rc == 0)
		rc = check_database(s, c, err);
	if (rc == 0)
		rc = read_version(c, &version, err);
	if (rc == 0)
		rc = check_not_too_new(version, err);
	if (c->phys) {
		phys_release(s, c->phys);
		c->phys = NULL;
	}
	if (rc < 0) {
		pg_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void pg_close(store_t *s)
{
	if (!s)
		return;
	pthread_key_delete(s->handle_key);
	pthread_mutex_lock(&s->mu);
	while (s->handles) {
		store_conn_t *c = s->handles;
		s->handles = c->next;
		handle_free(c);
	}
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->pool_size; i++)
		if (s->pool[i].conn)
			PQfinish(s->pool[i].conn);
	free(s->pool);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->url);
	free(s);
}

int pg_is_pg(store_t *s)
{
	return s && STORE_ENGINE_OF(s) == &store_pg_engine;
}

/* ---- the engine table ------------------------------------------------------------------------ */

const store_engine_t store_pg_engine = {
	.name = "postgresql",
	.caps = STORE_CAP_SHARED | STORE_CAP_ADVISORY | STORE_CAP_SKIP_LOCKED | STORE_CAP_NOTIFY,
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.backup = NULL,
	.reader = pg_reader,
	.read_begin = pg_read_begin,
	.read_end = pg_read_end,
	.write = pg_write,
	.write_checked = pg_write,  /* each write is its own transaction */
	.tx_conn = pg_tx_conn,
	.tx_err = pg_tx_err,
	.fault_inject = pg_fault_inject,
	.stats = pg_stats,
	.set_observer = pg_set_observer,
#define PG_OP(name, params, args) .name = pg_##name,
	STORE_CONN_FUNCS(PG_OP)
	STORE_TX_FUNCS(PG_OP)
#undef PG_OP
};
