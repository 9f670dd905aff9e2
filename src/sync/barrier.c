/*
 * Barrier. The last task to arrive hands every waiter its arrival index and
 * wakes it, so the barrier is empty again at once: there is no draining
 * phase, and a new cycle can start while the previous one is still waking.
 */
#include "internal.h"

enum { BARRIER_FILLING = 0, BARRIER_BROKEN = 1 };

typedef struct weft__barrier {
  weft__list waiters;
  weft_loop *loop;
  long parties;
  long count; /* arrived in the current cycle */
  long state;
} weft__barrier;

_Static_assert(sizeof(weft__barrier) == sizeof(weft_barrier), "weft_barrier layout");
_Static_assert(offsetof(weft__barrier, parties) == offsetof(weft_barrier, parties_),
               "weft_barrier layout");
_Static_assert(offsetof(weft__barrier, state) == offsetof(weft_barrier, state_),
               "weft_barrier layout");

static weft__barrier *barrier_of(weft_barrier *b) {
  return (weft__barrier *)(void *)b;
}

int weft_barrier_init(weft_barrier *b, long parties) {
  if (parties < 1)
    return -EINVAL;
  *b = (weft_barrier)WEFT_BARRIER_INIT(parties);
  return 0;
}

int weft_barrier_destroy(weft_barrier *b) {
  weft__barrier *br = barrier_of(b);

  return weft__sync_check_idle(&br->waiters, br->loop, "barrier");
}

/* The last party arrived: everyone passes (each waiter's node holds its
 * index) and a new cycle starts at once. */
static long barrier_pass(weft__barrier *br) {
  long index = br->count - 1;

  br->count = 0;
  weft__sync_wake_all(&br->waiters, 0);
  return index;
}

long weft_barrier_wait(weft_barrier *b) {
  weft__barrier *br = barrier_of(b);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&br->loop, t, br->count == 0)) != 0)
    return rc;
  if (br->parties < 1)
    return -EINVAL;
  if (br->state == BARRIER_BROKEN)
    return -EPIPE;
  node.value = br->count++;
  if (br->count == br->parties)
    return barrier_pass(br);
  rc = weft__sync_park(&br->waiters, &node, t, "barrier");
  if (rc == -ECANCELED || rc == -ETIMEDOUT)
    br->count--; /* this task leaves; the others keep waiting */
  return rc ? rc : node.value;
}

/* Wake every waiter with -EPIPE and empty the cycle. */
static void barrier_break(weft__barrier *br) {
  br->count = 0;
  weft__sync_wake_all(&br->waiters, -EPIPE);
}

int weft_barrier_abort(weft_barrier *b) {
  weft__barrier *br = barrier_of(b);
  int rc = weft__sync_bind(&br->loop, weft__current(), br->count == 0);

  if (rc)
    return rc;
  br->state = BARRIER_BROKEN;
  barrier_break(br);
  return 0;
}

int weft_barrier_reset(weft_barrier *b) {
  weft__barrier *br = barrier_of(b);
  int rc = weft__sync_bind(&br->loop, weft__current(), br->count == 0);

  if (rc)
    return rc;
  barrier_break(br);
  br->state = BARRIER_FILLING;
  return 0;
}

long weft_barrier_parties(const weft_barrier *b) {
  return b->parties_;
}

long weft_barrier_n_waiting(const weft_barrier *b) {
  return b->state_ == BARRIER_BROKEN ? 0 : b->count_;
}

int weft_barrier_broken(const weft_barrier *b) {
  return b->state_ == BARRIER_BROKEN;
}
