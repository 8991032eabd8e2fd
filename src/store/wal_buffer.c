/*
 * wal_buffer.c — a VFS for the writer connection that hands a COMMIT's WAL
 * frames to the kernel in a few large writes.
 *
 * SQLite writes each WAL frame with two pwrite() calls, its 24-byte header
 * and then the page, so a COMMIT of n pages is 2n system calls; with 4,096-
 * byte pages every 4,120-byte frame also straddles two page-cache pages,
 * which the kernel looks up, locks and dirties once per call.  At a million
 * cases an action dirties about 13 pages: 26 writes on the writer thread,
 * the one thread every write in the store waits for.
 *
 * This VFS wraps the default one.  For a WAL file it gathers writes that
 * follow one another in a buffer, and writes the run out (in pieces of
 * WB_CHUNK: the unix VFS takes less than 128 KiB a call):
 *   - with the page of a commit frame, the last frame of a transaction
 *     (its header says so: the database size after the commit is not
 *     zero).  That is inside sqlite3WalFrames, before SQLite updates the
 *     wal-index, so a failed write fails the COMMIT as it did without this
 *     VFS, and no reader can see the frames before they are in the file;
 *   - before anything looks at the file: a read, a sync, a truncation, a
 *     size query, a close;
 *   - when the run would pass WB_CAP, or a write does not follow it (SQLite
 *     rewriting a frame of the transaction, or starting the WAL again):
 *     unless it falls inside the run, which then takes it.
 * As a last guard the database file's xShmBarrier, which SQLite calls
 * between the two copies of a new wal-index header, writes out anything
 * still buffered; it cannot report an error, so a failure there stops the
 * process before a reader can see frames that are not in the file (as the
 * syncer does when the WAL cannot be synced).  No path of SQLite's is known
 * to leave a commit's frames to it.
 *
 * Nothing here changes what is durable: a commit's frames are in the page
 * cache when COMMIT returns, as before, and the syncer's fdatasync() (or
 * COMMIT's own xSync) follows.  Only the writer connection opens its files
 * through this VFS (WAL_BUFFER_VFS); readers and the checkpointer read the
 * WAL through the default one.
 */
#include "store/wal_buffer.h"

#include "base/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WB_CAP (248 << 10)   /* a run longer than this is written as it grows (2 writes) */
#define WB_CHUNK (124 << 10) /* bytes per write() at most */

typedef struct wb_file wb_file;
struct wb_file {
	sqlite3_file base;      /* its pMethods: wb_io */
	sqlite3_file *real;     /* the default VFS's file, allocated after this struct */
	bool is_wal;
	/* a WAL: the run of writes not yet in the file, at off .. off + len */
	unsigned char *buf;
	size_t len;
	sqlite3_int64 off;
	bool commit_next;       /* the run ends with a commit frame's header */
	wb_file *peer;          /* a WAL: its database file; a database: its WAL */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_base;

/* Writes to the real file, in pieces: the unix VFS writes less than
 * 128 KiB a call (seekAndWriteFd). */
static int put(wb_file *f, const unsigned char *data, size_t len, sqlite3_int64 off)
{
	int rc = SQLITE_OK;
	for (size_t done = 0; done < len && rc == SQLITE_OK; done += WB_CHUNK) {
		size_t n = len - done < WB_CHUNK ? len - done : WB_CHUNK;
		rc = f->real->pMethods->xWrite(f->real, data + done, (int)n,
		                               off + (sqlite3_int64)done);
	}
	return rc;
}

static int wb_flush(wb_file *f)
{
	f->commit_next = false;
	if (f->len == 0)
		return SQLITE_OK;
	int rc = put(f, f->buf, f->len, f->off);
	f->len = 0;
	return rc;
}

static int wb_close(sqlite3_file *p)
{
	wb_file *f = (wb_file *)p;
	int rc = f->is_wal ? wb_flush(f) : SQLITE_OK;
	if (f->peer)
		f->peer->peer = NULL;
	int rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *p, void *out, int n, sqlite3_int64 off)
{
	wb_file *f = (wb_file *)p;
	if (f->is_wal) {
		int rc = wb_flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	return f->real->pMethods->xRead(f->real, out, n, off);
}

/* A frame header (24 bytes) whose second word, the database size after
 * the commit, is not zero: the header of a transaction's last frame. */
static bool commit_header(const void *data, int n)
{
	const unsigned char *h = data;
	return n == 24 && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int wb_write(sqlite3_file *p, const void *data, int n, sqlite3_int64 off)
{
	wb_file *f = (wb_file *)p;
	if (!f->is_wal || n <= 0)
		return f->real->pMethods->xWrite(f->real, data, n, off);
	bool commit = commit_header(data, n);
	if (f->len && off >= f->off && off + n <= f->off + (sqlite3_int64)f->len) {
		memcpy(f->buf + (off - f->off), data, (size_t)n);  /* a frame rewritten */
		return commit ? wb_flush(f) : SQLITE_OK;
	}
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > WB_CAP)) {
		int rc = wb_flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	/* alone (a checksum rewritten), too long, or no buffer: straight through */
	if ((f->len == 0 && commit) || (size_t)n > WB_CAP ||
	    (!f->buf && !(f->buf = malloc(WB_CAP))))
		return put(f, data, (size_t)n, off);
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)n);
	f->len += (size_t)n;
	if (commit) {
		f->commit_next = true;  /* its page follows */
		return SQLITE_OK;
	}
	/* the commit frame's page: the transaction's frames go to the file
	 * now, where an error still fails the COMMIT */
	return f->commit_next ? wb_flush(f) : SQLITE_OK;
}

static int wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	wb_file *f = (wb_file *)p;
	int rc = f->is_wal ? wb_flush(f) : SQLITE_OK;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *p, int flags)
{
	wb_file *f = (wb_file *)p;
	int rc = f->is_wal ? wb_flush(f) : SQLITE_OK;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	wb_file *f = (wb_file *)p;
	int rc = f->is_wal ? wb_flush(f) : SQLITE_OK;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *p, int level)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xLock(f->real, level);
}

static int wb_unlock(sqlite3_file *p, int level)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xUnlock(f->real, level);
}

static int wb_check_reserved(sqlite3_file *p, int *out)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *p, int op, void *arg)
{
	wb_file *f = (wb_file *)p;
	if (op == SQLITE_FCNTL_VFSNAME) {
		int rc = f->real->pMethods->xFileControl(f->real, op, arg);
		if (rc == SQLITE_OK) {
			char *inner = *(char **)arg;
			*(char **)arg = sqlite3_mprintf("%s/%z", wb_vfs.zName, inner);
		}
		return rc;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *p)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device_characteristics(sqlite3_file *p)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *p, int page, int size, int extend, void volatile **out)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int wb_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* Between the two copies of a new wal-index header: the frames it names go
 * to the file first (see the top of the file). */
static void wb_shm_barrier(sqlite3_file *p)
{
	wb_file *f = (wb_file *)p;
	if (f->peer && f->peer->len && wb_flush(f->peer) != SQLITE_OK) {
		/* frames a new header may name are not in the file, and this
		 * call cannot fail: stop before any reader sees them, as the
		 * syncer does when the WAL cannot be synced.  (A commit's frames
		 * are flushed with its last page, where a failure fails the
		 * COMMIT; this is for any other write SQLite makes.) */
		log_error("store: a write to the WAL failed with frames about to be named; stopping");
		abort();
	}
	f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *p, int del)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xFetch(f->real, off, n, out);
}

static int wb_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	wb_file *f = (wb_file *)p;
	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods wb_io = {
	.iVersion = 3,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device_characteristics,
	.xShmMap = wb_shm_map,
	.xShmLock = wb_shm_lock,
	.xShmBarrier = wb_shm_barrier,
	.xShmUnmap = wb_shm_unmap,
	.xFetch = wb_fetch,
	.xUnfetch = wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *p, int flags,
                   int *out_flags)
{
	(void)vfs;
	wb_file *f = (wb_file *)p;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	int rc = wb_base->xOpen(wb_base, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;  /* SQLite calls xClose only when it is set */
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	if (f->is_wal && name) {
		/* the main database's file object, which SQLite opened first and
		 * through this VFS (it names the WAL's database) */
		wb_file *db = (wb_file *)sqlite3_database_file_object(name);
		if (db && db->base.pMethods == &wb_io && !db->is_wal) {
			f->peer = db;
			db->peer = f;
		}
	}
	f->base.pMethods = &wb_io;
	return SQLITE_OK;
}

/* The rest of the VFS is the default one's. */
static int wb_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return wb_base->xDelete(wb_base, name, sync);
}
static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return wb_base->xAccess(wb_base, name, flags, out);
}
static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return wb_base->xFullPathname(wb_base, name, n, out);
}
static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return wb_base->xDlOpen(wb_base, name);
}
static void wb_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	wb_base->xDlError(wb_base, n, out);
}
static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return wb_base->xDlSym(wb_base, h, sym);
}
static void wb_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	wb_base->xDlClose(wb_base, h);
}
static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return wb_base->xRandomness(wb_base, n, out);
}
static int wb_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return wb_base->xSleep(wb_base, us);
}
static int wb_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return wb_base->xCurrentTime(wb_base, out);
}
static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return wb_base->xGetLastError ? wb_base->xGetLastError(wb_base, n, out) : 0;
}
static int wb_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return wb_base->xCurrentTimeInt64(wb_base, out);
}

static int wb_registered = SQLITE_ERROR;

static void wb_register_once(void)
{
	wb_base = sqlite3_vfs_find(NULL);
	if (!wb_base || wb_base->iVersion < 2 || !wb_base->xCurrentTimeInt64)
		return;
	wb_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(wb_file) + wb_base->szOsFile,
		.mxPathname = wb_base->mxPathname,
		.zName = WAL_BUFFER_VFS,
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_full_pathname,
		.xDlOpen = wb_dlopen,
		.xDlError = wb_dlerror,
		.xDlSym = wb_dlsym,
		.xDlClose = wb_dlclose,
		.xRandomness = wb_randomness,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error,
		.xCurrentTimeInt64 = wb_current_time_int64,
	};
	wb_registered = sqlite3_vfs_register(&wb_vfs, 0);
}

int wal_buffer_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, wb_register_once);
	return wb_registered;
}
