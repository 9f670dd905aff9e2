/* Task-local values (contextvars): set/get, inheritance by copy. */
#include "test.h"

static char key_user, key_trace, key_child; /* distinct addresses as keys */

static void *locals_main(void *arg) {
  (void)arg;
  ASSERT_NULL(weft_local_get(&key_user));
  ASSERT_OK(weft_local_set(&key_user, "alice"));
  ASSERT_OK(weft_local_set(&key_trace, "t-1"));
  ASSERT_STR_EQ("alice", weft_local_get(&key_user));
  ASSERT_STR_EQ("t-1", weft_local_get(&key_trace));
  ASSERT_OK(weft_local_set(&key_user, "bob")); /* overwrite */
  ASSERT_STR_EQ("bob", weft_local_get(&key_user));
  ASSERT_STR_EQ("t-1", weft_local_get(&key_trace));
  ASSERT_OK(weft_local_set(&key_user, NULL));
  ASSERT_NULL(weft_local_get(&key_user));
  ASSERT_NULL(weft_local_get(&key_child));
  return NULL;
}

TEST_IMPL(local_set_get) {
  ASSERT_OK(weft_test_run(locals_main, NULL, NULL));
  return 0;
}

static void *grandchild(void *arg) {
  (void)arg;
  ASSERT_STR_EQ("child-value", weft_local_get(&key_user));
  ASSERT_STR_EQ("child-only", weft_local_get(&key_child));
  ASSERT_STR_EQ("t-1", weft_local_get(&key_trace));
  return (void *)1;
}

static void *child(void *arg) {
  weft_task *g;
  void *res = NULL;

  (void)arg;
  /* The values the parent had when it spawned us. */
  ASSERT_STR_EQ("parent-value", weft_local_get(&key_user));
  ASSERT_STR_EQ("t-1", weft_local_get(&key_trace));
  ASSERT_OK(weft_local_set(&key_user, "child-value"));
  ASSERT_OK(weft_local_set(&key_child, "child-only"));
  ASSERT_OK(weft_spawn(&g, grandchild, NULL, NULL));
  ASSERT_OK(weft_await(g, &res));
  ASSERT_EQ(1, (long)res);
  weft_task_release(g);
  return (void *)2;
}

static void *bare(void *arg) {
  (void)arg;
  ASSERT_NULL(weft_local_get(&key_user));
  return NULL;
}

static void *inherit_main(void *arg) {
  weft_task *c, *b;
  void *res = NULL;

  (void)arg;
  ASSERT_OK(weft_spawn(&b, bare, NULL, NULL)); /* spawned before any value */
  ASSERT_OK(weft_local_set(&key_user, "parent-value"));
  ASSERT_OK(weft_local_set(&key_trace, "t-1"));
  ASSERT_OK(weft_spawn(&c, child, NULL, NULL));
  /* A change after spawning is not seen by the child: it got a copy. */
  ASSERT_OK(weft_local_set(&key_trace, "t-2"));
  ASSERT_OK(weft_local_set(&key_trace, "t-1"));
  ASSERT_OK(weft_local_set(&key_user, "changed-after-spawn"));
  ASSERT_OK(weft_await(c, &res));
  ASSERT_EQ(2, (long)res);
  ASSERT_OK(weft_await(b, NULL));
  /* The child's changes stay in the child. */
  ASSERT_STR_EQ("changed-after-spawn", weft_local_get(&key_user));
  ASSERT_NULL(weft_local_get(&key_child));
  weft_task_release(c);
  weft_task_release(b);
  return NULL;
}

TEST_IMPL(local_child_inherits_copy) {
  ASSERT_OK(weft_test_run(inherit_main, NULL, NULL));
  return 0;
}

static void *unset_in_parent_main(void *arg) {
  weft_task *c;

  (void)arg;
  ASSERT_OK(weft_local_set(&key_user, "parent-value"));
  ASSERT_OK(weft_local_set(&key_trace, "t-1"));
  ASSERT_OK(weft_spawn(&c, child, NULL, NULL));
  ASSERT_OK(weft_local_set(&key_user, NULL));
  ASSERT_OK(weft_await(c, NULL));
  ASSERT_NULL(weft_local_get(&key_user));
  weft_task_release(c);
  return NULL;
}

TEST_IMPL(local_parent_change_after_spawn_not_seen) {
  ASSERT_OK(weft_test_run(unset_in_parent_main, NULL, NULL));
  return 0;
}

static int cb_rc = 1;
static void *cb_value = (void *)1;

static void local_in_callback(void *arg) {
  (void)arg;
  cb_rc = weft_local_set(&key_user, "x");
  cb_value = weft_local_get(&key_user);
}

static void *callback_main(void *arg) {
  (void)arg;
  ASSERT_OK(weft_call_soon(NULL, local_in_callback, NULL, NULL));
  ASSERT_OK(weft_yield());
  ASSERT_EQ(-EPERM, cb_rc);
  ASSERT_NULL(cb_value);
  return NULL;
}

TEST_IMPL(local_outside_task_eperm) {
  ASSERT_EQ(-EPERM, weft_local_set(&key_user, "x"));
  ASSERT_NULL(weft_local_get(&key_user));
  ASSERT_OK(weft_test_run(callback_main, NULL, NULL));
  return 0;
}
