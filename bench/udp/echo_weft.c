/*
 * weft's UDP echo servers for bench/udp:
 *
 *     weft-bench-udp-echo protocol|task
 *
 * Binds 127.0.0.1 on an ephemeral port, prints the port, and echoes every
 * datagram back to its sender until killed: in protocol style from
 * datagram_received, or in task style from one task looping on
 * weft_udp_recvfrom.
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

static void echo_datagram(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                          void *arg) {
  (void)arg;
  weft_udp_sendto(u, data, len, addr);
}

static const weft_udp_protocol echo_protocol = {.datagram_received = echo_datagram};

static void *serve(void *arg) {
  int task_style = arg != NULL;
  weft_udp_opts o = {.local_host = "127.0.0.1", .queue_datagrams = 4096};
  static char buf[WEFT_UDP_MAX_DATAGRAM];
  struct sockaddr_storage ss;
  weft_udp *u;
  size_t len;
  int rc;

  if (!task_style)
    o.protocol = &echo_protocol;
  if ((rc = weft_udp_open(&u, &o)) != 0)
    return weft_fail(rc, "open: %s", weft_strerror(rc));
  weft_udp_sockname(u, &ss);
  printf("%d\n", weft_udp_addr_port((struct sockaddr *)&ss));
  fflush(stdout);
  if (!task_style)
    return weft_fail(weft_sleep(INFINITY), "interrupted");
  for (;;) {
    rc = weft_udp_recvfrom(u, buf, sizeof buf, &len, &ss);
    if (rc == 0)
      weft_udp_sendto(u, buf, len, (struct sockaddr *)&ss);
    else if (rc != -EMSGSIZE)
      break;
  }
  weft_udp_close(u);
  return weft_fail(rc, "recvfrom: %s", weft_strerror(rc));
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "protocol") != 0 && strcmp(argv[1], "task") != 0)) {
    fprintf(stderr, "usage: %s protocol|task\n", argv[0]);
    return 2;
  }
  return weft_run(serve, strcmp(argv[1], "task") == 0 ? argv : NULL, NULL) ? 1 : 0;
}
