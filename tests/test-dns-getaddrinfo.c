/* weft_getaddrinfo / weft_getnameinfo on the thread pool. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lib/test.h"

static void *gai_localhost(void *arg) {
  struct addrinfo hints = {0}, *res = NULL;
  int found = 0;

  (void)arg;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  ASSERT_OK(weft_getaddrinfo("localhost", "80", &hints, &res));
  ASSERT_NOT_NULL(res);
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;

    ASSERT_EQ(ai->ai_family, AF_INET);
    ASSERT_EQ(ntohs(sin->sin_port), 80);
    if (ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK)
      found = 1;
  }
  ASSERT(found);
  weft_freeaddrinfo(res);
  return NULL;
}

TEST_IMPL(getaddrinfo_localhost) {
  ASSERT_OK(weft_test_run(gai_localhost, NULL, NULL));
  return 0;
}

static void *gai_numeric(void *arg) {
  struct addrinfo hints = {0}, *res = NULL;
  char text[INET6_ADDRSTRLEN];

  (void)arg;
  hints.ai_flags = AI_NUMERICHOST | AI_CANONNAME;
  hints.ai_socktype = SOCK_DGRAM;
  ASSERT_OK(weft_getaddrinfo("::1", "5353", &hints, &res));
  ASSERT_EQ(res->ai_family, AF_INET6);
  ASSERT_EQ(res->ai_socktype, SOCK_DGRAM);
  inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, text, sizeof text);
  ASSERT_STR_EQ(text, "::1");
  ASSERT_EQ(ntohs(((struct sockaddr_in6 *)res->ai_addr)->sin6_port), 5353);
  ASSERT_NULL(res->ai_next);
  weft_freeaddrinfo(res);
  /* a name where only numbers are allowed */
  hints.ai_flags = AI_NUMERICHOST;
  ASSERT_EQ(weft_getaddrinfo("localhost", NULL, &hints, &res), WEFT_EAI_NONAME);
  ASSERT_NULL(res);
  return NULL;
}

TEST_IMPL(getaddrinfo_numeric) {
  ASSERT_OK(weft_test_run(gai_numeric, NULL, NULL));
  return 0;
}

static void *gai_noname(void *arg) {
  struct addrinfo hints = {0}, *res = NULL;
  int rc;

  (void)arg;
  hints.ai_family = AF_INET;
  /* .invalid never resolves (RFC 6761); without network the answer may be
   * a temporary failure instead. */
  rc = weft_getaddrinfo("no-such-host.invalid", NULL, &hints, &res);
  ASSERT(rc == WEFT_EAI_NONAME || rc == WEFT_EAI_AGAIN || rc == WEFT_EAI_NODATA);
  ASSERT_NULL(res);
  ASSERT(strlen(weft_strerror(rc)) > 0);
  ASSERT_STR_EQ(weft_dns_strerror(WEFT_EAI_NONAME), weft_strerror(WEFT_EAI_NONAME));
  ASSERT(strcmp(weft_dns_strerror(WEFT_EAI_NONAME), "unknown error") != 0);
  ASSERT_EQ(weft_getaddrinfo(NULL, NULL, &hints, &res), -EINVAL);
  ASSERT_EQ(weft_getaddrinfo("localhost", NULL, NULL, NULL), -EINVAL);
  ASSERT_EQ(weft_getaddrinfo("localhost", "no-such-service-x", &hints, &res), WEFT_EAI_SERVICE);
  return NULL;
}

TEST_IMPL(getaddrinfo_noname) {
  ASSERT_OK(weft_test_run(gai_noname, NULL, NULL));
  return 0;
}

static void *gai_one(void *arg) {
  struct addrinfo *res = NULL;
  int rc = weft_getaddrinfo("localhost", NULL, NULL, &res);

  (void)arg;
  weft_freeaddrinfo(res);
  return (void *)(intptr_t)rc;
}

/* Many lookups at once, most cancelled at once or mid-flight: each task
 * returns -ECANCELED without waiting and the late results are freed. */
static void *gai_cancel_main(void *arg) {
  enum { N = 64 };
  weft_task *t[N];
  weft_scope scope;
  struct addrinfo *res = NULL;

  (void)arg;
  for (int i = 0; i < N; i++)
    ASSERT_OK(weft_spawn(&t[i], gai_one, NULL, NULL));
  ASSERT_OK(weft_sleep(0));
  for (int i = 0; i < N; i += 2)
    weft_task_cancel(t[i]);
  for (int i = 0; i < N; i++) {
    void *r = NULL;
    int rc = weft_await(t[i], &r);

    if (i % 2 == 0)
      ASSERT(rc == -ECANCELED || (rc == 0 && ((intptr_t)r == -ECANCELED || r == NULL)));
    else
      ASSERT_OK(rc);
    weft_task_release(t[i]);
  }
  /* a timeout scope that has already expired */
  ASSERT_OK(weft_timeout_enter(&scope, 0));
  ASSERT_EQ(weft_getaddrinfo("localhost", NULL, NULL, &res), -ETIMEDOUT);
  ASSERT_EQ(weft_timeout_leave(&scope), -ETIMEDOUT);
  ASSERT_NULL(res);
  return NULL;
}

TEST_IMPL(getaddrinfo_cancel) {
  ASSERT_OK(weft_test_run(gai_cancel_main, NULL, NULL));
  return 0;
}

static void *gni_main(void *arg) {
  struct sockaddr_in sin = {0};
  struct sockaddr_in6 sin6 = {0};
  char host[NI_MAXHOST], serv[NI_MAXSERV];

  (void)arg;
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_OK(weft_getnameinfo((struct sockaddr *)&sin, NI_NUMERICHOST | NI_NUMERICSERV, host,
                             sizeof host, serv, sizeof serv));
  ASSERT_STR_EQ(host, "127.0.0.1");
  ASSERT_STR_EQ(serv, "80");
  ASSERT_OK(weft_getnameinfo((struct sockaddr *)&sin, NI_NUMERICSERV, host, sizeof host, serv,
                             sizeof serv));
  ASSERT(strlen(host) > 0); /* "localhost" from /etc/hosts */
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  sin6.sin6_port = htons(443);
  ASSERT_OK(weft_getnameinfo((struct sockaddr *)&sin6, NI_NUMERICHOST | NI_NUMERICSERV, host, 3,
                             NULL, 0));
  ASSERT_STR_EQ(host, "::"); /* truncated to the buffer */
  sin.sin_family = AF_UNIX;
  ASSERT_EQ(weft_getnameinfo((struct sockaddr *)&sin, 0, host, sizeof host, NULL, 0), -EINVAL);
  ASSERT_EQ(weft_getnameinfo(NULL, 0, host, sizeof host, NULL, 0), -EINVAL);
  return NULL;
}

TEST_IMPL(getaddrinfo_getnameinfo) {
  ASSERT_OK(weft_test_run(gni_main, NULL, NULL));
  return 0;
}

TEST_IMPL(getaddrinfo_outside_task) {
  struct addrinfo *res;
  char host[64];
  struct sockaddr_in sin = {0};

  sin.sin_family = AF_INET;
  ASSERT_EQ(weft_getaddrinfo("localhost", NULL, NULL, &res), -EPERM);
  ASSERT_EQ(weft_getnameinfo((struct sockaddr *)&sin, 0, host, sizeof host, NULL, 0), -EPERM);
  return 0;
}
