/* wal_buffer.h — the writer connection's VFS: a COMMIT's WAL frames in one
 * write (see wal_buffer.c). */
#ifndef PINGAN_STORE_WAL_BUFFER_H
#define PINGAN_STORE_WAL_BUFFER_H

#define WAL_BUFFER_VFS "pingan-walbuf"

/* Registers the VFS (not as the default) once per process: SQLITE_OK, or
 * an SQLite error code when it cannot (the caller then opens its
 * connection with the default VFS). */
int wal_buffer_register(void);

#endif
