/* An unbounded queue grows its ring in place, also when it has wrapped. */
#include "test.h"

static void *grow_main(void *arg) {
  weft_queue q;
  long next_in = 0, next_out = 0;
  void *item;

  (void)arg;
  ASSERT_OK(weft_queue_init(&q, WEFT_QUEUE_FIFO, 0, NULL));
  /* Shift the head, then fill until the ring wraps and has to grow, several
   * times over, checking FIFO order throughout. */
  for (int round = 0; round < 6; round++) {
    for (int i = 0; i < 5 + round * 7; i++)
      ASSERT_OK(weft_queue_put_nowait(&q, (void *)next_in++));
    for (int i = 0; i < 3 + round * 2; i++) {
      ASSERT_OK(weft_queue_get_nowait(&q, &item));
      ASSERT_EQ(next_out++, (long)item);
    }
  }
  ASSERT_EQ(next_in - next_out, weft_queue_qsize(&q));
  while (weft_queue_get_nowait(&q, &item) == 0) {
    ASSERT_EQ(next_out++, (long)item);
    ASSERT_OK(weft_queue_task_done(&q));
  }
  ASSERT_EQ(next_in, next_out);
  ASSERT_OK(weft_queue_destroy(&q, NULL, NULL));
  return NULL;
}

TEST_IMPL(queue_grow_wrapped_ring_keeps_order) {
  ASSERT_OK(weft_test_run(grow_main, NULL, NULL));
  return 0;
}
