/*
 * Subprocesses (asyncio.create_subprocess_exec / _shell): stream a child's
 * output line by line, talk to a filter with communicate, collect stdout,
 * stderr and the exit code of a shell command, and stop a child that takes
 * too long (a timeout does not kill it: terminate does).
 */
#include <signal.h>
#include <stdio.h>
#include <weft.h>

/* `async for line in proc.stdout` */
static int stream_lines(void) {
  const char *argv[] = {"seq", "5", NULL};
  weft_subprocess *p;
  const char *line;
  size_t len;
  int rc, code;

  rc = weft_subprocess_exec(argv, &(weft_subprocess_opts){.stdout_mode = WEFT_SUBPROCESS_PIPE}, &p);
  if (rc)
    return rc;
  while ((rc = weft_stream_next_line(weft_subprocess_stdout(p), &line, &len)) > 0)
    printf("seq says: %.*s", (int)len, line);
  if (rc == 0)
    rc = weft_subprocess_wait(p, &code);
  if (rc == 0)
    printf("seq exited with %d\n", code);
  weft_subprocess_free(p);
  return rc;
}

/* stdout, stderr and the return code of a shell command. */
static int shell_outputs(void) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  char *out, *err;
  int rc, code;

  if ((rc = weft_subprocess_shell("echo out; echo err >&2; exit 3", &o, &p)) != 0)
    return rc;
  rc = weft_subprocess_communicate(p, NULL, 0, &out, NULL, &err, NULL);
  if (rc == 0) {
    weft_subprocess_returncode(p, &code);
    printf("stdout: %sstderr: %sreturncode: %d\n", out, err, code);
    weft_free(out);
    weft_free(err);
  }
  weft_subprocess_free(p);
  return rc;
}

/* communicate(input) with a filter. */
static int filter(void) {
  const char *argv[] = {"tr", "a-z", "A-Z", NULL};
  weft_subprocess_opts o = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                            .stdout_mode = WEFT_SUBPROCESS_PIPE};
  const char input[] = "hello from weft\n";
  weft_subprocess *p;
  char *out;
  int rc;

  if ((rc = weft_subprocess_exec(argv, &o, &p)) != 0)
    return rc;
  rc = weft_subprocess_communicate(p, input, sizeof input - 1, &out, NULL, NULL, NULL);
  if (rc == 0) {
    printf("tr: %s", out);
    weft_free(out);
  }
  weft_subprocess_free(p);
  return rc;
}

/* asyncio.wait_for(proc.wait(), 0.2): the timeout leaves the child running. */
static int too_slow(void) {
  const char *argv[] = {"sleep", "30", NULL};
  weft_subprocess *p;
  weft_scope sc;
  int rc, code;

  if ((rc = weft_subprocess_exec(argv, NULL, &p)) != 0)
    return rc;
  weft_timeout_enter(&sc, 0.2);
  rc = weft_subprocess_wait(p, &code);
  weft_timeout_leave(&sc);
  printf("wait: %s; still running: %s\n", weft_err_name(rc),
         weft_subprocess_returncode(p, NULL) ? "no" : "yes");
  weft_subprocess_terminate(p);
  if ((rc = weft_subprocess_wait(p, &code)) == 0)
    printf("after terminate: returncode %d (-SIGTERM)\n", code);
  weft_subprocess_free(p);
  return rc;
}

static void *main_task(void *arg) {
  int rc;

  (void)arg;
  if ((rc = stream_lines()) != 0 || (rc = shell_outputs()) != 0 || (rc = filter()) != 0 ||
      (rc = too_slow()) != 0)
    return weft_fail(rc, "subprocess example: %s", weft_strerror(rc));
  return NULL;
}

int main(void) {
  int rc = weft_run(main_task, NULL, NULL);

  if (rc)
    fprintf(stderr, "failed: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
