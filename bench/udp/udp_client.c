/*
 * The load generator of bench/udp, the same for every server:
 *
 *     weft-bench-udp-client PORT SECONDS WINDOW SIZE
 *
 * Plain blocking sockets, so the generator costs the same whatever the
 * server is. Keeps WINDOW datagrams of SIZE bytes in flight to
 * 127.0.0.1:PORT (each echo sends the next one; a datagram lost to a full
 * buffer is replaced after a 50 ms silence), and after a warm-up second
 * counts echoes for SECONDS. Prints `RESULT udp-echo <msgs/s> msgs/s`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_client(int port) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  if (fd < 0)
    return -1;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Echoes received until the deadline. */
static long pump(int fd, char *buf, size_t size, double until) {
  long got = 0;

  while (now() < until) {
    ssize_t n = recv(fd, buf, size, 0);

    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return -1;
    if (n >= 0)
      got++;
    if (send(fd, buf, size, 0) < 0 && errno != ECONNREFUSED)
      return -1; /* an echo, or a lost datagram's replacement */
  }
  return got;
}

int main(int argc, char **argv) {
  int port, window, fd;
  double seconds, t0;
  size_t size;
  char *buf;
  long got;

  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT SECONDS WINDOW SIZE\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  seconds = atof(argv[2]);
  window = atoi(argv[3]);
  size = (size_t)atol(argv[4]);
  if ((fd = open_client(port)) < 0 || !(buf = calloc(1, size + 1))) {
    perror("client");
    return 1;
  }
  for (int i = 0; i < window; i++)
    send(fd, buf, size, 0);
  if (pump(fd, buf, size, now() + 1.0) < 0) /* warm-up */
    return 1;
  t0 = now();
  got = pump(fd, buf, size, t0 + seconds);
  if (got < 0) {
    perror("client");
    return 1;
  }
  printf("RESULT udp-echo %.0f msgs/s\n", (double)got / (now() - t0));
  free(buf);
  close(fd);
  return 0;
}
