/*
 * weft async files (aiofiles) and file-system functions (aiofiles.os).
 *
 * Every operation that may wait for the disk runs as a libuv fs request on
 * the libuv thread pool: the loop never blocks on a file. A read whose data
 * is already in the page cache is copied on the loop thread instead
 * (preadv2 with RWF_NOWAIT; requests of at most 1 MiB, the reading task
 * yielding after every 4 MiB read that way). Must be called from a task;
 * otherwise they return -EPERM.
 *
 * Files are bytes. The modes are Python's: "r", "w", "a", "x", each with an
 * optional "+", and an optional "b" or "t" (text mode is the same bytes: no
 * newline translation, no decoding). Reads and writes go through a buffer
 * in the file object (WEFT_FILE_BUFFER bytes; the read buffer grows to
 * 1 MiB while the file is read sequentially), so reading lines and small
 * writes do not cost a thread-pool round trip each; flush semantics follow
 * Python's buffered files: written data reaches the OS on flush, close, a
 * seek, a read, truncate, or when the buffer fills.
 *
 * Write-behind: the write buffer is a ring of 64 KiB segments. A full
 * segment is published to a writer job on the thread pool, which writes
 * the published segments in order while the task fills the next (and
 * gives its pool thread back every 100 ms); the task waits only when the
 * ring is full. The failure of a published segment
 * (-ENOSPC, -EIO ...) stops the job and comes back from the next call that
 * needs it: a write that fills a segment, flush, seek, a read, truncate or
 * close; the segments not written are kept and written again, before
 * anything later, by the next flush or write that publishes.
 *
 * Streams: a file that cannot seek (a FIFO, a pipe such as /dev/stdin, a
 * terminal) is read and written with read(2) / write(2); seek, tell and
 * sendfile return -ESPIPE. One open one way ("r", "w", "a") is read or
 * written on the loop thread, waiting for the pipe like a socket (no pool
 * thread waits on an idle pipe). An interrupted read of a stream keeps all
 * it read in the file's buffer for the next call (nothing is lost).
 * Writing a pipe without readers returns -EPIPE (SIGPIPE is ignored).
 *
 * Errors: functions return 0 (or a count) or a negative errno. The failing
 * call also leaves a message with the path in it, "open 'x': No such file
 * or directory", readable with weft_fs_error() until the next fs call of
 * this thread (so a task can `return weft_fail(rc, "%s", weft_fs_error())`).
 *
 * Cancellation: every call that waits for the disk is a suspension point
 * and honours cancellation and timeout scopes (a cached read suspends only
 * at its yield every 4 MiB). A request already running on
 * the thread pool cannot be stopped: the call waits for it (shielded) and
 * then returns -ECANCELED (or -ETIMEDOUT); a request still queued is
 * withdrawn. The file stays usable and its position consistent:
 *  - a cancelled read (read, read_all, read_line, next_line, read_lines)
 *    consumes nothing: the position is where it was before the call;
 *  - a cancelled write keeps nothing of the piece it waited for; segments
 *    already published are written all the same. weft_file_tell() counts
 *    them with the buffered data, and the next flush or close waits for
 *    them.
 * A pending cancellation makes these calls return at once without starting
 * a request. Writes that fit in the current segment do not suspend (unless another
 * task's call on the same file is under way, below).
 *
 * Sharing: tasks may use one file object together. Their calls take turns,
 * as Python's buffered files do with their lock: a call that finds another
 * task's call on the file under way waits for it (a suspension point), so a
 * write's bytes are never split by another's and a line is read whole by
 * one task. weft_file_write_lines writes all its lines in one turn. Close a
 * file only when no other task is using it.
 */
#ifndef WEFT_FS_H
#define WEFT_FS_H

#include <stdint.h>
#include <sys/types.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_FILE_BUFFER (256u * 1024u)

typedef struct weft_file weft_file;

/* The message of this thread's last failed fs call ("" if none). */
const char *weft_fs_error(void);

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/*
 * aiofiles.open(path, mode). "r" read; "w" truncate or create; "a" append
 * (every write goes to the end); "x" create, failing if it exists; "+" adds
 * the other direction ("r+" does not create, "w+" truncates, "a+" reads
 * from the start after a seek). New files get mode 0666 & ~umask.
 * Returns 0 and *out, -EINVAL (bad mode, NULL argument), -ENOENT, -EACCES,
 * -EISDIR (a directory, in any mode), -EEXIST ("x"), -ENOMEM, -ECANCELED,
 * -ETIMEDOUT, -EPERM (outside a task), or another errno from open(2).
 */
int weft_file_open(weft_file **out, const char *path, const char *mode);

/*
 * read(n): up to n bytes into buf, fewer only at end of file. Returns the
 * count (0 at end of file), -EBADF (not open for reading, or closed),
 * -ECANCELED, -ETIMEDOUT, -EPERM, -EISDIR, -EIO or another errno of read(2).
 */
ssize_t weft_file_read(weft_file *f, void *buf, size_t n);

/*
 * read(): the rest of the file in *data (weft_malloc'd, NUL-terminated,
 * free with weft_free), its length in *len. Returns 0, -ENOMEM, and the
 * codes of weft_file_read.
 */
int weft_file_read_all(weft_file *f, char **data, size_t *len);

/*
 * readline(): the next line, with its '\n' when it has one, in *line
 * (NUL-terminated, owned by f, valid until the next call on f); at end of
 * file *len is 0 and *line is "". Lines may be of any length. Returns 0,
 * -ENOMEM, and the codes of weft_file_read.
 */
int weft_file_read_line(weft_file *f, const char **line, size_t *len);

/*
 * `async for line in f`: as weft_file_read_line, but returns WEFT_DONE at
 * end of file, so `while ((rc = weft_file_next_line(f, &l, &n)) == 0)`.
 * The last line may lack its '\n'.
 */
int weft_file_next_line(weft_file *f, const char **line, size_t *len);

/*
 * readlines(): every remaining line; *lines is an array of *n
 * NUL-terminated strings (free with weft_fs_strings_free). Returns 0 and
 * the codes of weft_file_read_line.
 */
int weft_file_read_lines(weft_file *f, char ***lines, size_t *n);

/* Free an array returned by read_lines, listdir. */
void weft_fs_strings_free(char **strings, size_t n);

/*
 * write(data): buffer n bytes; when a segment fills, publish it to the
 * writer job and go on (write-behind, above); data of 4 MiB or more is
 * written directly. Returns n, -EBADF (not open for writing, or closed),
 * -ENOSPC, -EFBIG, -EIO, -ECANCELED, -ETIMEDOUT, -EPERM, or another errno
 * of write(2) — the failure of this call's direct write or of a segment
 * published before. On an error nothing more of this call is buffered,
 * though part of it may have been published or written directly (tell()
 * counts that part).
 */
ssize_t weft_file_write(weft_file *f, const void *data, size_t n);

/* writelines(lines): write each NUL-terminated string (no separator is
 * added). Returns 0 or the codes of weft_file_write. */
int weft_file_write_lines(weft_file *f, const char *const *lines, size_t n);

/* flush(): write the buffered data and wait until every byte written so
 * far has reached the OS. Returns 0, -EBADF (closed) or the codes of
 * weft_file_write. Data not written stays kept for the next flush. */
int weft_file_flush(weft_file *f);

/*
 * seek(offset, whence): flush, then move to offset from SEEK_SET, SEEK_CUR
 * or SEEK_END. *pos (may be NULL) gets the new position. Returns 0,
 * -EINVAL (bad whence, negative result), -EBADF, -ESPIPE (a stream), and
 * the codes of flush.
 */
int weft_file_seek(weft_file *f, int64_t offset, int whence, int64_t *pos);

/* tell(): the position, counting buffered data (no suspension). Returns
 * it (>= 0), -EBADF, or -ESPIPE for a stream (pipe, FIFO, terminal). */
int64_t weft_file_tell(weft_file *f);

/* truncate(size): flush, then cut or extend the file to size bytes (size
 * < 0: the current position). The position does not move. Returns 0,
 * -EBADF (closed or read-only), -EINVAL, and the codes of flush. */
int weft_file_truncate(weft_file *f, int64_t size);

/*
 * close(): flush, close the descriptor and free f, whatever happens. It
 * runs to the end even when the task is cancelled (shielded; the
 * cancellation stays pending for the next suspension point). Returns 0 or
 * the first error of the flush or close(2); -EINVAL for NULL. Outside a
 * task nothing can be written (-EPERM for buffered data); a buffer still
 * being written finishes, and the descriptor is closed after it.
 */
int weft_file_close(weft_file *f);

/* The file descriptor (its own offset is not used by weft's reads and
 * writes, which use explicit offsets), or -EBADF once closed. */
int weft_file_fd(const weft_file *f);
/* The path it was opened with. */
const char *weft_file_path(const weft_file *f);

typedef struct weft_stream weft_stream; /* include/weft/stream.h */

/*
 * loop.sendfile(transport, file, offset, count): send count bytes of f from
 * offset (count 0: to the end of the file) to stream s. f's position does
 * not move; its pending writes are flushed first. Over a plain TCP or Unix
 * socket stream the kernel copies (sendfile(2) on the thread pool, after
 * the stream's earlier writes have gone out); over TLS or pipes the bytes
 * are read and written in 64 KiB chunks, draining after each. No other
 * task may write to s meanwhile. *sent (may be NULL) gets the bytes sent,
 * also on error. Returns 0 (fewer bytes than asked when the file ends
 * first), -EINVAL (NULL, negative offset), -EBADF (closed or not readable
 * file), -ESPIPE (f is a stream), -EPERM (outside a task), the stream's error (-EPIPE,
 * -ECONNRESET ...), a read error of the file, -ENOMEM, -ECANCELED /
 * -ETIMEDOUT (what was sent counts in *sent).
 */
int weft_file_sendfile(weft_file *f, weft_stream *s, int64_t offset, size_t count, size_t *sent);

/* ------------------------------------------------------------------ */
/* aiofiles.os                                                         */
/* ------------------------------------------------------------------ */

typedef struct weft_stat {
  uint64_t size;
  uint32_t mode; /* type and permission bits, as st_mode */
  uint32_t uid, gid;
  uint64_t nlink, ino, dev;
  double atime, mtime, ctime; /* seconds since the epoch */
  int is_dir, is_file, is_link;
} weft_stat;

/* stat / lstat (lstat does not follow a final symlink). Returns 0, -ENOENT,
 * -ENOTDIR, -EACCES, -ELOOP, -ENAMETOOLONG, -EINVAL (NULL), -ECANCELED,
 * -ETIMEDOUT, -EPERM (outside a task). */
int weft_fs_stat(const char *path, weft_stat *st);
int weft_fs_lstat(const char *path, weft_stat *st);

/* os.path.exists: 1 if path exists, 0 if not (ENOENT, ENOTDIR), else a
 * negative code as weft_fs_stat (-EACCES, -ECANCELED ...). */
int weft_fs_exists(const char *path);

/* os.remove (a file, not a directory). Returns 0, -ENOENT, -EISDIR,
 * -EACCES, -EPERM, -EROFS, -EINVAL, -ECANCELED, -ETIMEDOUT. */
int weft_fs_remove(const char *path);

/* os.rename (replacing `to` if it exists). Returns 0, -ENOENT, -EXDEV,
 * -EISDIR, -ENOTEMPTY, -EACCES, -EINVAL, -ECANCELED, -ETIMEDOUT. */
int weft_fs_rename(const char *from, const char *to);

#define WEFT_MKDIR_PARENTS 1 /* os.makedirs(path, exist_ok=True) */

/* os.mkdir(path, mode); with WEFT_MKDIR_PARENTS, missing parents are
 * created and an existing directory is not an error. Returns 0, -EEXIST
 * (exists, or without the flag), -ENOENT (missing parent without the flag),
 * -ENOTDIR, -EACCES, -ENOSPC, -EINVAL, -ENOMEM, -ECANCELED, -ETIMEDOUT. */
int weft_fs_mkdir(const char *path, int mode, int flags);

/* os.rmdir (an empty directory). Returns 0, -ENOENT, -ENOTEMPTY, -ENOTDIR,
 * -EACCES, -EBUSY, -EINVAL, -ECANCELED, -ETIMEDOUT. */
int weft_fs_rmdir(const char *path);

/* os.listdir: the names in a directory (without "." and ".."), sorted;
 * free with weft_fs_strings_free. Returns 0, -ENOENT, -ENOTDIR, -EACCES,
 * -ENOMEM, -EINVAL, -ECANCELED, -ETIMEDOUT. */
int weft_fs_listdir(const char *path, char ***names, size_t *n);

typedef enum weft_dirent_type {
  WEFT_DIRENT_UNKNOWN = 0,
  WEFT_DIRENT_FILE,
  WEFT_DIRENT_DIR,
  WEFT_DIRENT_LINK,
  WEFT_DIRENT_OTHER,
} weft_dirent_type;

typedef struct weft_dirent {
  char *name;
  weft_dirent_type type;
} weft_dirent;

/* os.scandir: names with their type, sorted by name; free with
 * weft_fs_dirents_free. Returns the codes of weft_fs_listdir. */
int weft_fs_scandir(const char *path, weft_dirent **entries, size_t *n);
void weft_fs_dirents_free(weft_dirent *entries, size_t n);

/*
 * tempfile.mkstemp: create a new file from template (its last six
 * characters must be "XXXXXX"; they are replaced), mode 0600, open "r+". *path
 * (may be NULL) gets the name (weft_free it); *out the open file. The file
 * is not removed on close. Returns 0, -EINVAL (bad template), -ENOENT,
 * -EACCES, -EEXIST, -ENOMEM, -ECANCELED, -ETIMEDOUT, -EPERM.
 */
int weft_fs_mkstemp(const char *template_, weft_file **out, char **path);

/* tempfile.mkdtemp: create a new directory (mode 0700) from template (as
 * mkstemp); *path gets its name (weft_free it). Returns the codes of
 * weft_fs_mkstemp. */
int weft_fs_mkdtemp(const char *template_, char **path);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_FS_H */
