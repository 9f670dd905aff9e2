/* Running example programs from tests (see examples.h). */
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "examples.h"

example_run run;

/* Reads the example's output into run.out; what does not fit is read and
 * dropped, so an example printing more never blocks on a full pipe. */
static void read_output(FILE *p, size_t *len) {
  char spill[4096];
  size_t room;

  for (;;) {
    room = sizeof(run.out) - 1 - *len;
    if (room > 0) {
      size_t got = fread(run.out + *len, 1, room, p);
      if (got == 0)
        return;
      *len += got;
    } else if (fread(spill, 1, sizeof spill, p) == 0) {
      return;
    }
  }
}

void run_example_args(const char *name, const char *args) {
  char exe[PATH_MAX], cmd[2 * PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  size_t len = 0;
  double start;
  FILE *p;
  int st;

  ASSERT(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  snprintf(cmd, sizeof(cmd), "'%s/../examples/%s' %s", exe, name, args ? args : "");
  start = weft_time();
  p = popen(cmd, "r");
  ASSERT_NOT_NULL(p);
  read_output(p, &len);
  run.out[len] = '\0';
  st = pclose(p);
  run.seconds = weft_time() - start;
  run.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (run.status != 0) /* for the failure report: what it printed first */
    fprintf(stderr, "example %s: status %d after %.2f s; its output:\n%s\n", name, run.status,
            run.seconds, run.out);
}

void run_example(const char *name) {
  run_example_args(name, NULL);
}

const char *find_line(const char *from, const char *line) {
  size_t n = strlen(line);

  for (const char *p = strstr(from, line); p; p = strstr(p + 1, line))
    if ((p == run.out || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
      return p;
  return NULL;
}

int count_lines(const char *line) {
  int count = 0;

  for (const char *p = find_line(run.out, line); p; p = find_line(p + 1, line))
    count++;
  return count;
}

int count_substr(const char *s) {
  int count = 0;

  for (const char *p = strstr(run.out, s); p; p = strstr(p + 1, s))
    count++;
  return count;
}

void expect_in_order(const char *const *lines, size_t n) {
  const char *at = run.out;

  for (size_t i = 0; i < n; i++) {
    const char *p = find_line(at, lines[i]);
    if (!p)
      fprintf(stderr, "missing (in order): %s\n--- output ---\n%s", lines[i], run.out);
    ASSERT_NOT_NULL(p);
    at = p + 1;
  }
}

double number_after(const char *prefix, int nth) {
  const char *p = strstr(run.out, prefix);

  for (; p && nth > 0; nth--)
    p = strstr(p + 1, prefix);
  if (!p)
    fprintf(stderr, "missing: %s #%d\n--- output ---\n%s", prefix, nth, run.out);
  ASSERT_NOT_NULL(p);
  return strtod(p + strlen(prefix), NULL);
}
