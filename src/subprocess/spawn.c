/*
 * Starting a child: its standard streams, its environment, uv_spawn, and
 * the error messages of a child that could not start.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

static _Thread_local char sp_message[512];

const char *weft_subprocess_error(void) {
  return sp_message;
}

int weft__sp_fail(int code, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(sp_message, sizeof sp_message, fmt, ap);
  va_end(ap);
  return code;
}

/* What a spawn needs and what it must release afterwards. */
typedef struct sp_setup {
  uv_stdio_container_t stdio[3];
  int parent_end[3]; /* pipe ends the parent keeps, -1 */
  int child_fd[3];   /* descriptors opened for the child, closed after spawn */
  char **env;        /* merged environment (strings borrowed), or NULL */
} sp_setup;

static void setup_init(sp_setup *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < 3; i++)
    s->parent_end[i] = s->child_fd[i] = -1;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void setup_release(sp_setup *s) {
  for (int i = 0; i < 3; i++) {
    close_fd(&s->parent_end[i]);
    close_fd(&s->child_fd[i]);
  }
  weft_free(s->env);
  s->env = NULL;
}

static void use_fd(sp_setup *s, int i, int fd) {
  s->stdio[i].flags = UV_INHERIT_FD;
  s->stdio[i].data.fd = fd;
}

static int stdio_pipe(sp_setup *s, int i) {
  int fds[2];

  if (pipe2(fds, O_CLOEXEC) != 0)
    return -errno;
  s->child_fd[i] = i == 0 ? fds[0] : fds[1];
  s->parent_end[i] = i == 0 ? fds[1] : fds[0];
  use_fd(s, i, s->child_fd[i]);
  return 0;
}

static int stdio_one(sp_setup *s, int i, int mode, int fd) {
  switch (mode) {
  case WEFT_SUBPROCESS_INHERIT:
    use_fd(s, i, i);
    return 0;
  case WEFT_SUBPROCESS_PIPE:
    return stdio_pipe(s, i);
  case WEFT_SUBPROCESS_DEVNULL:
    if ((s->child_fd[i] = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
      return -errno;
    use_fd(s, i, s->child_fd[i]);
    return 0;
  case WEFT_SUBPROCESS_FD:
    if (fd < 0)
      return -EINVAL;
    use_fd(s, i, fd);
    return 0;
  case WEFT_SUBPROCESS_STDOUT:
    if (i != 2)
      return -EINVAL;
    s->stdio[2] = s->stdio[1];
    return 0;
  default:
    return -EINVAL;
  }
}

static int setup_stdio(sp_setup *s, const weft_subprocess_opts *o) {
  int modes[3] = {o->stdin_mode, o->stdout_mode, o->stderr_mode};
  int fds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
  int rc;

  for (int i = 0; i < 3; i++)
    if ((rc = stdio_one(s, i, modes[i], fds[i])) != 0)
      return rc;
  return 0;
}

static int env_overridden(const char *entry, const char *const *env) {
  size_t klen = strcspn(entry, "=");

  for (; *env; env++)
    if (strncmp(*env, entry, klen) == 0 && (*env)[klen] == '=')
      return 1;
  return 0;
}

/* The parent's environment with env's entries added or replacing. */
static int setup_env(sp_setup *s, const weft_subprocess_opts *o) {
  size_t n = 0, k = 0, m = 0;

  if (!o->env || !o->env_extend)
    return 0;
  while (environ[n])
    n++;
  while (o->env[m])
    m++;
  if (!(s->env = weft_calloc(n + m + 1, sizeof *s->env)))
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (!env_overridden(environ[i], o->env))
      s->env[k++] = environ[i];
  for (size_t i = 0; i < m; i++)
    s->env[k++] = (char *)o->env[i];
  return 0;
}

/* Streams over the parent's pipe ends; each then owns its descriptor. */
static int open_pipes(weft_subprocess *p, sp_setup *s, size_t limit) {
  int rc;

  for (int i = 0; i < 3; i++) {
    if (s->parent_end[i] < 0)
      continue;
    if (i == 0)
      rc = weft_stream_open_pipes(-1, s->parent_end[i], &p->pipes[i]);
    else
      rc = weft_stream_open_pipes(s->parent_end[i], -1, &p->pipes[i]);
    if (rc)
      return rc;
    s->parent_end[i] = -1;
    if (limit)
      weft_stream_set_limit(p->pipes[i], limit);
  }
  return 0;
}

static int spawn_fail(const char *prog, const char *cwd, int rc) {
  if (rc == -ENOENT && cwd && access(cwd, F_OK) != 0)
    return weft__sp_fail(rc, "cwd '%s': %s", cwd, weft_strerror(rc));
  if ((rc == -EACCES || rc == -ENOTDIR) && cwd && access(cwd, X_OK) != 0)
    return weft__sp_fail(rc, "cwd '%s': %s", cwd, weft_strerror(rc));
  return weft__sp_fail(rc, "spawn '%s': %s", prog, weft_strerror(rc));
}

static int do_spawn(weft_subprocess *p, const char *const *argv, const weft_subprocess_opts *o,
                    sp_setup *s) {
  uv_process_options_t uo = {0};
  int rc;

  uo.exit_cb = weft__sp_exit_cb;
  uo.file = argv[0];
  uo.args = (char **)argv;
  uo.env = s->env ? s->env : o->env && !o->env_extend ? (char **)o->env : NULL;
  uo.cwd = o->cwd;
  uo.flags = o->new_session ? UV_PROCESS_DETACHED : 0;
  uo.stdio_count = 3;
  uo.stdio = s->stdio;
  p->proc.data = p;
  rc = uv_spawn(&p->loop->uv, &p->proc, &uo);
  p->refs++; /* the handle: initialised whether or not the spawn worked */
  if (rc)
    return spawn_fail(argv[0], o->cwd, rc);
  p->pid = p->proc.pid;
  return 0;
}

static int sp_alloc(const char *name, weft_subprocess **out) {
  weft_subprocess *p = weft_calloc(1, sizeof *p);
  weft_loop *loop = weft_loop_current();

  if (!loop || !p) {
    weft_free(p);
    return weft__sp_fail(loop ? -ENOMEM : -EINVAL, "spawn '%s': %s", name,
                         loop ? "out of memory" : "no current loop");
  }
  p->loop = loop;
  p->refs = 1; /* the user */
  weft__list_init(&p->waiters);
  snprintf(p->name, sizeof p->name, "%s", name);
  *out = p;
  return 0;
}

/* The child never ran: undo everything (the watcher, if started, exits). */
static void sp_abandon(weft_subprocess *p, int spawned_handle) {
  p->exited = 1;
  p->freed = 1;
  weft__sp_free_pipes(p);
  if (p->watcher)
    weft__wake(p->watcher, 0);
  if (spawned_handle)
    uv_close((uv_handle_t *)&p->proc, weft__sp_close_cb);
  weft__sp_unref(p);
}

static int sp_prepare(weft_subprocess *p, sp_setup *s, const weft_subprocess_opts *o) {
  int rc;

  if ((rc = setup_stdio(s, o)) != 0 || (rc = setup_env(s, o)) != 0 ||
      (rc = open_pipes(p, s, o->limit)) != 0 || (rc = weft__sp_watch(p)) != 0)
    return weft__sp_fail(rc, "spawn '%s': %s", p->name, weft_strerror(rc));
  return 0;
}

int weft_subprocess_exec(const char *const *argv, const weft_subprocess_opts *opts,
                         weft_subprocess **out) {
  static const weft_subprocess_opts defaults;
  const weft_subprocess_opts *o = opts ? opts : &defaults;
  weft_subprocess *p = NULL;
  sp_setup s;
  int rc;

  if (out)
    *out = NULL;
  if (!out || !argv || !argv[0] || !argv[0][0])
    return weft__sp_fail(-EINVAL, "spawn: no program given");
  if ((rc = sp_alloc(argv[0], &p)) != 0)
    return rc;
  setup_init(&s);
  if ((rc = sp_prepare(p, &s, o)) != 0)
    goto fail_early;
  if ((rc = do_spawn(p, argv, o, &s)) != 0)
    goto fail_spawned;
  setup_release(&s);
  *out = p;
  return 0;
fail_spawned:
  setup_release(&s);
  sp_abandon(p, 1);
  return rc;
fail_early:
  setup_release(&s);
  sp_abandon(p, 0);
  return rc;
}

int weft_subprocess_shell(const char *cmd, const weft_subprocess_opts *opts,
                          weft_subprocess **out) {
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

  if (!cmd) {
    if (out)
      *out = NULL;
    return weft__sp_fail(-EINVAL, "spawn: no command given");
  }
  return weft_subprocess_exec(argv, opts, out);
}
