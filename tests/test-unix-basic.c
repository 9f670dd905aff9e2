/* Unix socket servers and connections: paths and abstract names. */
#include <sys/stat.h>
#include <sys/un.h>

#include "test-transport-util.h"

static srv_side side;
static rec cli;

static void unix_echo(const char *path) {
  weft_server *srv;
  weft_transport *tr;
  struct sockaddr_storage ss;
  char buf[128];

  side.echo = 1;
  ASSERT_OK(weft_create_unix_server(path, srv_factory, &side, NULL, &srv));
  ASSERT_EQ(1, weft_server_nsockets(srv));
  ASSERT_EQ(0, weft_server_port(srv));
  ASSERT_OK(weft_create_unix_connection(path, &rec_proto, &cli, NULL, &tr));
  ASSERT_STR_EQ("M", cli.log);
  ASSERT_OK(weft_transport_peername(tr, &ss));
  ASSERT_EQ(AF_UNIX, ss.ss_family);
  ASSERT_OK(weft_sockaddr_format((struct sockaddr *)&ss, buf, sizeof buf));
  ASSERT_STR_EQ(path[0] == '\0' ? "@weft-test-abstract" : path, buf);
  ASSERT_OK(weft_transport_write(tr, "over unix", 9));
  WAIT_UNTIL(cli.len == 9, 5);
  ASSERT_OK(memcmp(cli.data, "over unix", 9));
  /* Half-close works on Unix sockets too. */
  ASSERT_EQ(1, weft_transport_can_write_eof(tr));
  ASSERT_OK(weft_transport_write_eof(tr));
  WAIT_UNTIL(cli.lost, 5);
  ASSERT_STR_EQ("MDEL", cli.log);
  stop_server(srv);
  rec_free(&cli);
}

static void *path_main(void *arg) {
  char path[64];
  struct stat st;

  (void)arg;
  snprintf(path, sizeof path, "/tmp/weft-test-%d.sock", (int)getpid());
  unix_echo(path);
  ASSERT_EQ(-1, stat(path, &st)); /* removed on close */
  return NULL;
}

TEST_IMPL(unix_echo_path) {
  ASSERT_OK(weft_test_run(path_main, NULL, NULL));
  return 0;
}

static void *abstract_main(void *arg) {
  char name[64];

  (void)arg;
  snprintf(name, sizeof name, "@weft-test-%d", (int)getpid());
  unix_echo("\0weft-test-abstract");
  memset(&cli, 0, sizeof cli);
  memset(&side, 0, sizeof side);
  {
    weft_server *srv;
    weft_transport *tr;

    side.echo = 1;
    ASSERT_OK(weft_create_unix_server(name, srv_factory, &side, NULL, &srv));
    ASSERT_OK(weft_create_unix_connection(name, &rec_proto, &cli, NULL, &tr));
    ASSERT_OK(weft_transport_write(tr, "@", 1));
    WAIT_UNTIL(cli.len == 1, 5);
    weft_transport_close(tr);
    WAIT_UNTIL(cli.lost, 5);
    stop_server(srv);
    rec_free(&cli);
  }
  return NULL;
}

TEST_IMPL(unix_echo_abstract) {
  ASSERT_OK(weft_test_run(abstract_main, NULL, NULL));
  return 0;
}

/* A stale socket file from an earlier run is replaced; a regular file is
 * not. */
static void *stale_main(void *arg) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  char path[64];
  weft_server *srv;
  int fd;

  (void)arg;
  snprintf(path, sizeof path, "/tmp/weft-test-stale-%d.sock", (int)getpid());
  strcpy(sun.sun_path, path);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof sun));
  close(fd); /* the file stays */
  ASSERT_OK(weft_create_unix_server(path, srv_factory, &side, NULL, &srv));
  stop_server(srv);
  fd = open(path, O_CREAT | O_WRONLY, 0600);
  close(fd);
  ASSERT_EQ(-EADDRINUSE, weft_create_unix_server(path, srv_factory, &side, NULL, &srv));
  unlink(path);
  return NULL;
}

TEST_IMPL(unix_stale_socket) {
  ASSERT_OK(weft_test_run(stale_main, NULL, NULL));
  return 0;
}

static void *unix_errors_main(void *arg) {
  char longpath[200];
  weft_transport *tr;
  weft_server *srv;

  (void)arg;
  memset(longpath, 'a', sizeof longpath - 1);
  longpath[0] = '/';
  longpath[sizeof longpath - 1] = '\0';
  ASSERT_EQ(-ENAMETOOLONG, weft_create_unix_connection(longpath, &rec_proto, &cli, NULL, &tr));
  ASSERT_EQ(-ENAMETOOLONG, weft_create_unix_server(longpath, srv_factory, &side, NULL, &srv));
  ASSERT_EQ(-EINVAL, weft_create_unix_connection("@", &rec_proto, &cli, NULL, &tr));
  ASSERT_EQ(-ENOENT,
            weft_create_unix_connection("/tmp/weft-no-such.sock", &rec_proto, &cli, NULL, &tr));
  ASSERT_EQ(-ECONNREFUSED,
            weft_create_unix_connection("@weft-no-such-name", &rec_proto, &cli, NULL, &tr));
  ASSERT_STR_EQ("", cli.log);
  return NULL;
}

TEST_IMPL(unix_errors) {
  ASSERT_OK(weft_test_run(unix_errors_main, NULL, NULL));
  return 0;
}
