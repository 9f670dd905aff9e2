/* Transports over pipes and existing fds: read and write pipes, a
 * socketpair through connect_fd, unsupported fds. */
#include <sys/wait.h>

#include "test-transport-util.h"

static rec reader, writer, a, b;

static void *pipes_main(void *arg) {
  weft_transport *rt, *wt;
  int fds[2];

  (void)arg;
  ASSERT_OK(pipe(fds));
  ASSERT_OK(weft_connect_read_pipe(fds[0], &rec_proto, &reader, &rt));
  ASSERT_OK(weft_connect_write_pipe(fds[1], &rec_proto, &writer, &wt));
  ASSERT_EQ(-ENOTSUP, weft_transport_write(rt, "x", 1));
  ASSERT_EQ(0, weft_transport_can_write_eof(rt));
  ASSERT_EQ(-ENOTSUP, weft_transport_write_eof(rt));
  ASSERT_EQ(1, weft_transport_can_write_eof(wt));
  ASSERT_EQ(0, weft_transport_is_reading(wt));
  ASSERT_OK(weft_transport_write(wt, "through ", 8));
  ASSERT_OK(weft_transport_write(wt, "a pipe", 6));
  ASSERT_OK(weft_transport_write_eof(wt)); /* closes the write end */
  WAIT_UNTIL(reader.lost && writer.lost, 5);
  ASSERT_STR_EQ("MDEL", reader.log);
  ASSERT_STR_EQ("ML", writer.log);
  ASSERT_EQ(14, reader.len);
  ASSERT_OK(memcmp(reader.data, "through a pipe", 14));
  ASSERT_EQ(-1, fcntl(fds[0], F_GETFD));
  ASSERT_EQ(-1, fcntl(fds[1], F_GETFD));
  rec_free(&reader);
  return NULL;
}

TEST_IMPL(pipe_read_write) {
  ASSERT_OK(weft_test_run(pipes_main, NULL, NULL));
  return 0;
}

/* Writing to a pipe whose reader is gone ends in connection_lost(-EPIPE)
 * (SIGPIPE is ignored). */
static void *broken_pipe_main(void *arg) {
  weft_transport *wt;
  int fds[2], rc;

  (void)arg;
  ASSERT_OK(pipe(fds));
  close(fds[0]);
  ASSERT_OK(weft_connect_write_pipe(fds[1], &rec_proto, &writer, &wt));
  weft_transport_retain(wt); /* used after connection_lost below */
  rc = weft_transport_write(wt, "x", 1);
  ASSERT(rc == 0 || rc == -EPIPE);
  WAIT_UNTIL(writer.lost, 5);
  ASSERT_EQ(-EPIPE, writer.lost_err);
  ASSERT_EQ(-EPIPE, weft_transport_write(wt, "x", 1));
  weft_transport_release(wt);
  return NULL;
}

TEST_IMPL(pipe_broken) {
  ASSERT_OK(weft_test_run(broken_pipe_main, NULL, NULL));
  return 0;
}

static void *socketpair_main(void *arg) {
  weft_transport *ta, *tb;
  int sv[2];

  (void)arg;
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  b.echo = 1;
  ASSERT_OK(weft_connect_fd(sv[0], &rec_proto, &a, &ta));
  ASSERT_OK(weft_connect_fd(sv[1], &rec_proto, &b, &tb));
  ASSERT_EQ(sv[0], weft_transport_fileno(ta));
  ASSERT_OK(weft_transport_write(ta, "pair", 4));
  WAIT_UNTIL(a.len == 4, 5);
  ASSERT_OK(weft_transport_write_eof(ta)); /* a socket: shutdown, still reading */
  WAIT_UNTIL(b.lost, 5);                   /* b closes on EOF */
  WAIT_UNTIL(a.lost, 5);
  ASSERT_STR_EQ("MDEL", a.log);
  ASSERT_STR_EQ("MDEL", b.log);
  rec_free(&a);
  return NULL;
}

TEST_IMPL(pipe_socketpair_fd) {
  ASSERT_OK(weft_test_run(socketpair_main, NULL, NULL));
  return 0;
}

static void *bad_fd_main(void *arg) {
  weft_transport *tr;
  int fd;

  (void)arg;
  ASSERT_EQ(-EBADF, weft_connect_fd(-1, &rec_proto, &a, &tr));
  ASSERT_EQ(-EBADF, weft_connect_fd(1000, &rec_proto, &a, &tr));
  fd = open("/tmp", O_RDONLY);
  ASSERT_EQ(-EINVAL, weft_connect_fd(fd, &rec_proto, &a, &tr));
  ASSERT_NE(-1, fcntl(fd, F_GETFD)); /* left to the caller */
  close(fd);
  ASSERT_EQ(-EINVAL, weft_connect_fd(0, NULL, &a, &tr));
  ASSERT_STR_EQ("", a.log);
  return NULL;
}

TEST_IMPL(pipe_bad_fd) {
  ASSERT_OK(weft_test_run(bad_fd_main, NULL, NULL));
  return 0;
}

/* stdin and stdout as transports: a child process's pipes. */
static void *stdio_main(void *arg) {
  weft_transport *in, *out;
  int to_child[2], from_child[2], status;
  pid_t pid;

  (void)arg;
  ASSERT_OK(pipe(to_child));
  ASSERT_OK(pipe(from_child));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
    execl("/bin/cat", "cat", (char *)NULL);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  ASSERT_OK(weft_connect_write_pipe(to_child[1], &rec_proto, &writer, &out));
  ASSERT_OK(weft_connect_read_pipe(from_child[0], &rec_proto, &reader, &in));
  ASSERT_OK(weft_transport_write(out, "cat me\n", 7));
  ASSERT_OK(weft_transport_write_eof(out));
  WAIT_UNTIL(reader.lost, 5);
  ASSERT_EQ(7, reader.len);
  ASSERT_OK(memcmp(reader.data, "cat me\n", 7));
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_EQ(0, WEXITSTATUS(status));
  WAIT_UNTIL(writer.lost, 5);
  rec_free(&reader);
  return NULL;
}

TEST_IMPL(pipe_child_stdio) {
  ASSERT_OK(weft_test_run(stdio_main, NULL, NULL));
  return 0;
}
