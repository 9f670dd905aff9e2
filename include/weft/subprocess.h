/*
 * weft subprocesses: asyncio's create_subprocess_exec / create_subprocess_shell.
 *
 * A child is started with libuv's uv_spawn, so a program that cannot be
 * run is reported at once, by the starting call. Its pipes are weft
 * streams (include/weft/stream.h): read its output line by line with
 * weft_stream_next_line, feed it with weft_stream_write + weft_stream_drain.
 *
 * Return code: the child's exit status (0..255) once it exited, or -S when
 * signal S ended it (as asyncio's Process.returncode).
 *
 * Cancellation: cancelling (or timing out) a task in weft_subprocess_wait or
 * weft_subprocess_communicate does NOT stop the child, as in asyncio. The
 * child goes on running and a later wait collects its status; stop it with
 * weft_subprocess_terminate / weft_subprocess_kill if that is what you want.
 *
 * Lifetime: weft_subprocess_free releases the object. A child still running
 * then is detached, not killed: its pipes are closed and the loop keeps
 * watching it until it exits (and reaps it, so it leaves no zombie). When the
 * loop shuts down (the end of weft_run, or weft_loop_close after cancelling
 * every task) while children are still running, a line on stderr names
 * them ("weft: subprocess 1234 (sleep) still running at loop close,
 * left detached") and they are left to run on their own (nothing reaps
 * them then: each stays a zombie from its exit until this program exits).
 *
 * Reaping: libuv collects exactly its own children (waitpid on their pids),
 * so subprocesses and the process pool (include/weft/process.h) work side by
 * side in one program. A pool started after a subprocess forks children that
 * inherit copies of the subprocess's pipe ends (fork without exec): start
 * pools first, or expect a child's stdin to see end of file only once those
 * copies are gone.
 *
 * Threads: a subprocess belongs to the loop that started it.
 */
#ifndef WEFT_SUBPROCESS_H
#define WEFT_SUBPROCESS_H

#include <stddef.h>
#include <sys/types.h>

#include "weft/core.h"
#include "weft/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_subprocess weft_subprocess;

/* What a standard stream of the child is connected to. */
enum {
  WEFT_SUBPROCESS_INHERIT = 0, /* the parent's own descriptor (the default) */
  WEFT_SUBPROCESS_PIPE = 1,    /* a pipe to the parent: a weft stream */
  WEFT_SUBPROCESS_DEVNULL = 2, /* /dev/null */
  WEFT_SUBPROCESS_FD = 3,      /* the descriptor in stdin_fd/stdout_fd/stderr_fd */
  WEFT_SUBPROCESS_STDOUT = 4   /* stderr only: wherever stdout goes */
};

/* Options; zero-initialised means asyncio's defaults. */
typedef struct weft_subprocess_opts {
  int stdin_mode, stdout_mode, stderr_mode; /* WEFT_SUBPROCESS_* */
  /* With WEFT_SUBPROCESS_FD: the descriptor to hand to the child. It stays
   * the caller's (the child gets a copy). */
  int stdin_fd, stdout_fd, stderr_fd;
  /* "K=V" strings, NULL-terminated. NULL: the parent's environment. */
  const char *const *env;
  /* 0: env replaces the environment; 1: env adds to the parent's (an entry
   * whose K exists in the parent overrides it). */
  int env_extend;
  const char *cwd; /* working directory of the child; NULL: the parent's */
  /* 1: the child calls setsid(): it leads a new session and a new process
   * group whose id is its pid (asyncio's start_new_session), so
   * weft_subprocess_killpg reaches it and its own children. */
  int new_session;
  size_t limit; /* the pipes' stream limit (weft_stream_set_limit); 0: 64 KiB */
} weft_subprocess_opts;

/*
 * create_subprocess_exec: run argv[0] (searched in PATH when it has no '/')
 * with arguments argv (NULL-terminated). opts may be NULL. Does not
 * suspend; must be called on the loop's thread (inside a task or not).
 * Returns 0 and *out, or:
 *   -ENOENT  the program does not exist, or cwd does not (the message,
 *            weft_subprocess_error(), names which)
 *   -EACCES  the program is not executable (or cwd not searchable)
 *   -EINVAL  NULL or empty argv, a bad mode, FD mode with a negative fd,
 *            STDOUT mode for stdin/stdout, no current loop
 *   -ENOMEM, -EMFILE and other errors of pipe(2), open(2) and uv_spawn
 * On failure nothing is left running and *out is NULL.
 */
int weft_subprocess_exec(const char *const *argv, const weft_subprocess_opts *opts,
                         weft_subprocess **out);
/* create_subprocess_shell: /bin/sh -c cmd. Same codes (-EINVAL for a NULL
 * cmd). */
int weft_subprocess_shell(const char *cmd, const weft_subprocess_opts *opts, weft_subprocess **out);

/* The message of this thread's last failed weft_subprocess_exec/_shell, e.g.
 * "spawn 'nosuch': no such file or directory" or "cwd '/missing': no such
 * file or directory". */
const char *weft_subprocess_error(void);

/* The pipes as streams, NULL when that stream is not WEFT_SUBPROCESS_PIPE.
 * The subprocess owns them (weft_subprocess_free frees them); closing one
 * (weft_stream_close) is how the child sees end of file on its stdin. */
weft_stream *weft_subprocess_stdin(weft_subprocess *p);
weft_stream *weft_subprocess_stdout(weft_subprocess *p);
weft_stream *weft_subprocess_stderr(weft_subprocess *p);

/*
 * communicate(input): write inlen bytes of input to stdin (if any), close
 * stdin, read stdout and stderr to their ends at the same time (never
 * deadlocks however much either side sends), then wait for the child to
 * exit. *out / *err (each may be NULL to discard) get weft_malloc'd,
 * NUL-terminated buffers (free with weft_free), NULL when that stream is
 * not a pipe; *outlen / *errlen (may be NULL) their lengths. A child that
 * stops reading its stdin early is not an error (as asyncio).
 * Returns 0, or:
 *   -EINVAL     p NULL, or input given but stdin is not a pipe
 *   -EPERM      outside a task
 *   -EBUSY      another task is reading stdout or stderr
 *   -ECANCELED / -ETIMEDOUT from the task's scopes: the child is NOT
 *               killed; output read so far stays in the streams
 *   -ENOMEM, or a read error of a pipe
 * Output buffers are NULL on error.
 */
int weft_subprocess_communicate(weft_subprocess *p, const void *input, size_t inlen, char **out,
                                size_t *outlen, char **err, size_t *errlen);

/*
 * wait: suspend until the child exits; *returncode (may be NULL) gets the
 * return code (see above). Returns at once once it has exited. Returns 0,
 * -ECANCELED / -ETIMEDOUT (the child is NOT killed; wait again later),
 * -EPERM outside a task, -EINVAL (NULL p).
 * Like asyncio, wait does not read the pipes: a child blocked writing to
 * a full stdout pipe nobody reads never exits (use communicate).
 */
int weft_subprocess_wait(weft_subprocess *p, int *returncode);

/* 1 and *returncode once the child has exited, else 0 (asyncio's
 * returncode being None). */
int weft_subprocess_returncode(const weft_subprocess *p, int *returncode);
/* The child's process id. */
pid_t weft_subprocess_pid(const weft_subprocess *p);

/* send_signal(sig). Returns 0, -ESRCH once the child has exited (nothing
 * is sent: the pid may belong to another process by then), -EINVAL (bad
 * signal or NULL p). */
int weft_subprocess_send_signal(weft_subprocess *p, int sig);
/* send_signal(SIGTERM) and send_signal(SIGKILL). Same codes. */
int weft_subprocess_terminate(weft_subprocess *p);
int weft_subprocess_kill(weft_subprocess *p);
/* Signal the child's process group (its pid as group id; meaningful with
 * new_session). Same codes. */
int weft_subprocess_killpg(weft_subprocess *p, int sig);

/* Free: the pipes are closed and freed; a child still running is left
 * running (see "Lifetime" above). NULL is ignored. */
void weft_subprocess_free(weft_subprocess *p);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_SUBPROCESS_H */
