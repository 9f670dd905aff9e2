/*
 * The seed ports in examples/: run each program (they sleep for real) and
 * check the key lines of its output, its exit status and its timings.
 * The examples live in ../examples next to the directory of this runner.
 */
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "examples.h"

TEST_TIMEOUT(examples_000_sync_vs_async, 30);
TEST_IMPL(examples_000_sync_vs_async) {
  run_example("000_sync_vs_async");
  ASSERT_EQ(0, run.status);
  ASSERT_TOOK(number_after("总耗时：", 0), 8.0);
  ASSERT_TOOK(number_after("总耗时：", 1), 2.0);
  ASSERT_EQ(2, count_lines("开始向'新浪'要数据……")); /* once each way */
  EXPECT_IN_ORDER("'新浪'的数据", "开始向'百度'要数据……", "开始向'新浪'要数据……",
                  "call_back: '百度'的数据", "call_back: '新浪'的数据");
  ASSERT_TOOK(run.seconds, 10.0);
  return 0;
}

TEST_TIMEOUT(examples_000_create_task, 30);
TEST_IMPL(examples_000_create_task) {
  run_example("000_create_task");
  ASSERT_EQ(0, run.status);
  for (int i = 0; i < 3; i++)
    ASSERT_TOOK(number_after("总耗时：", i), 2.0);
  ASSERT_EQ(3, count_lines("call_back: '新浪'的数据"));
  /* every callback runs before main, which waited for the tasks, goes on
   * (the times themselves are checked above, with their tolerance) */
  {
    const char *at = run.out;

    for (int i = 0; i < 3; i++) {
      const char *cb = find_line(at, "call_back: '新浪'的数据");

      ASSERT_NOT_NULL(cb);
      at = strstr(cb, "总耗时：");
      ASSERT_NOT_NULL(at);
    }
  }
  EXPECT_IN_ORDER("main start", "main end", "1", "1", "2", "2", "test test");
  ASSERT_TOOK(run.seconds, 8.0);
  return 0;
}

TEST_TIMEOUT(examples_000_task_basics, 30);
TEST_IMPL(examples_000_task_basics) {
  run_example("000_task_basics");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(3, count_lines("waiting：2"));
  ASSERT_EQ(3, count_lines("结束run"));
  EXPECT_IN_ORDER("开始向'百度'要数据……", "给你数据", "call_back: '百度'的数据");
  ASSERT_TOOK(run.seconds, 11.0);
  return 0;
}

TEST_TIMEOUT(examples_000_wait_vs_gather, 30);
TEST_IMPL(examples_000_wait_vs_gather) {
  run_example("000_wait_vs_gather");
  ASSERT_EQ(0, run.status);
  for (int i = 0; i < 5; i++) { /* each result is read once by each program */
    char key[64];
    snprintf(key, sizeof(key), "] 得到函数 func-%d 执行结果】", i);
    ASSERT_EQ(2, count_substr(key));
  }
  ASSERT_EQ(10, count_substr("执行完毕"));
  /* gather: results in the order of the tasks */
  ASSERT(strstr(strstr(run.out, "--- asyncio.gather ---"), "func-0 执行结果") <
         strstr(strstr(run.out, "--- asyncio.gather ---"), "func-4 执行结果"));
  ASSERT_TOOK(run.seconds, 8.0);
  return 0;
}

TEST_TIMEOUT(examples_000_nested, 30);
TEST_IMPL(examples_000_nested) {
  run_example("000_nested");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(4, count_lines("数据：'百度'的数据"));
  ASSERT_EQ(4, count_lines("数据：'新浪'的数据"));
  for (int i = 0; i < 4; i++)
    ASSERT_TOOK(number_after("总耗时：", i), 2.0);
  ASSERT_TOOK(run.seconds, 8.0);
  return 0;
}

TEST_TIMEOUT(examples_001_run_until_complete, 30);
TEST_IMPL(examples_001_run_until_complete) {
  run_example("001_run_until_complete");
  ASSERT_EQ(0, run.status);
  for (int i = 0; i < 4; i++)
    ASSERT_TOOK(number_after("消耗时间:", i), 2.0);
  ASSERT_EQ(1 + 10 + 1 + 1 + 10 + 1, count_lines("网站访问成功"));
  EXPECT_IN_ORDER("success", "获取结果:success",
                  "获取结果:['success', 'success', 'success', 'success', 'success', "
                  "'success', 'success', 'success', 'success', 'success']",
                  "网站访问成功", "检测网址:http://www.langzi.fun状态正常", "获取结果:success");
  ASSERT_TOOK(run.seconds, 12.0);
  return 0;
}

TEST_TIMEOUT(examples_001_gather_groups, 20);
TEST_IMPL(examples_001_gather_groups) {
  run_example("001_gather_groups");
  ASSERT_EQ(0, run.status);
  ASSERT_EQ(3 * 3, count_lines("开始访问网站:http://www.langzi.fun"));
  ASSERT_EQ(3 * 5, count_lines("开始访问网站:http://www.baidu.com"));
  ASSERT_EQ(8 + 8 + 3, count_lines("网站访问成功")); /* group2's five were cancelled */
  EXPECT_IN_ORDER("group2.cancel(): True", "group1: success", "group2: operation cancelled");
  ASSERT_TOOK(run.seconds, 6.0);
  return 0;
}

TEST_IMPL(examples_001_ctrl_c) {
  run_example("001_ctrl_c");
  ASSERT_EQ(130, run.status);
  ASSERT_EQ(1, count_lines("运行结束"));
  EXPECT_IN_ORDER("开始运行,等待:1s", "开始运行,等待:3s", "运行结束", "^C", "开始取消协程 Task-4",
                  "Task-2: FINISHED", "Task-3: CANCELLED", "Task-4: CANCELLED",
                  "KeyboardInterrupt: operation cancelled");
  ASSERT_TOOK(run.seconds, 1.5);
  return 0;
}

TEST_TIMEOUT(examples_001_run_forever, 20);
TEST_IMPL(examples_001_run_forever) {
  run_example("001_run_forever");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("loop 已停止: do_some_work(loop, 3) PENDING", "取消后: CANCELLED");
  ASSERT_TOOK(number_after("loop 已停止, 耗时 ", 0), 3.0);
  EXPECT_IN_ORDER("loop 已关闭, run_until_complete(do_some_work(loop, 3)): Invalid argument "
                  "(EINVAL)",
                  "loop 已关闭, run_forever(): Invalid argument (EINVAL)");
  ASSERT_TOOK(run.seconds, 9.0);
  return 0;
}

TEST_IMPL(examples_001_nested_sum) {
  run_example("001_nested_sum");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("开始执行传入参数相加:1000 + 2000", "3000", "开始执行传入参数相加:100 + 200",
                  "300");
  ASSERT_TOOK(run.seconds, 2.0);
  return 0;
}

TEST_TIMEOUT(examples_001_call_later, 20);
TEST_IMPL(examples_001_call_later) {
  run_example("001_call_later");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("预计消耗时间 5 s", "时间消耗完毕", "预计消耗时间 1.0 s", "时间消耗完毕");
  ASSERT_TOOK(number_after("总共耗时:", 0), 0.0);
  ASSERT_TOOK(number_after("总共耗时:", 1), 5.0);
  ASSERT_TOOK(number_after("总共耗时:", 2), 5.0);
  ASSERT_NEAR(number_after("传入loop.time()时间为: ", 1) -
                  number_after("传入loop.time()时间为: ", 0),
              2.0, 0.1);
  ASSERT_TOOK(run.seconds, 10.0);
  return 0;
}

TEST_IMPL(examples_002_workers) {
  run_example("002_workers");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("before await", "worker_1 start", "worker_1 done", "awaited worker_1",
                  "worker_2 start", "worker_2 done", "awaited worker_2", "before await",
                  "worker_1 start", "worker_2 start", "worker_1 done", "awaited worker_1",
                  "worker_2 done", "awaited worker_2");
  ASSERT_TOOK(number_after("Wall time: ", 0), 3.0);
  ASSERT_TOOK(number_after("Wall time: ", 1), 2.0);
  return 0;
}

TEST_IMPL(examples_002_gather_exceptions) {
  run_example("002_gather_exceptions");
  ASSERT_EQ(0, run.status);
  ASSERT_NOT_NULL(find_line(run.out, "[1, division by zero, cancelled]"));
  ASSERT_TOOK(run.seconds, 2.0);
  return 0;
}

TEST_TIMEOUT(examples_002_crawl, 40);
TEST_IMPL(examples_002_crawl) {
  run_example("002_crawl");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("crawling url_1", "OK url_1", "crawling url_2", "OK url_2", "crawling url_4",
                  "OK url_4", "crawling url_1", "crawling url_4", "OK url_1", "OK url_4");
  ASSERT_TOOK(number_after("Wall time: ", 0), 10.0);
  ASSERT_TOOK(number_after("Wall time: ", 1), 4.0);
  ASSERT_TOOK(number_after("Wall time: ", 2), 4.0);
  ASSERT_EQ(3, count_lines("computer begin"));
  ASSERT_NOT_NULL(find_line(run.out, "computer end, loop 2 result is 49995000"));
  return 0;
}

TEST_IMPL(examples_003_define_coroutine) {
  run_example("003_define_coroutine");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("After calling execute", "Number: 1", "After calling loop",
                  "Task: <Task pending name='Task-2' fn=execute()>", "Number: 1",
                  "Task: <Task finished name='Task-2' fn=execute() result=None>",
                  "After calling loop");
  ASSERT_EQ(3, count_lines("Number: 1"));
  return 0;
}

TEST_IMPL(examples_004_task_state) {
  run_example("004_task_state");
  ASSERT_EQ(0, run.status);
  ASSERT_TOOK(number_after("消耗时间:", 0), 0.1);
  EXPECT_IN_ORDER("task state PENDING", "start ------", "doing something", "take state FINISHED",
                  "start doing", "done", "call back:vllbc", "call back:FINISHED");
  EXPECT_IN_ORDER("start !>> wlb", "start !>> yyh", "Stop coroutine yyh", "Stop coroutine wlb",
                  "task1 Coroutine wlb OK", "task2 Coroutine yyh OK");
  ASSERT_TOOK(number_after("total time:", 0), 3.0);
  return 0;
}

TEST_IMPL(examples_001_thread_pool) {
  run_example("001_thread_pool");
  ASSERT_EQ(0, run.status);
  ASSERT_NOT_NULL(
      find_line(run.out, " Langzi - Never Setter 永不将就 - 致力于Python开发网络安全工具"));
  ASSERT_TOOK(number_after("ThreadPoolExecutor(5): ", 0), 2.0);
  ASSERT_TOOK(number_after("ThreadPoolExecutor(10): ", 0), 1.0);
  return 0;
}

TEST_IMPL(examples_001_janus) {
  run_example("001_janus");
  ASSERT_EQ(0, run.status);
  EXPECT_IN_ORDER("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  return 0;
}

TEST_IMPL(examples_001_process_pool) {
  run_example("001_process_pool");
  ASSERT_EQ(0, run.status);
  /* children print as they go: any order; the results come back in order */
  for (int i = 1; i <= 4; i++) {
    char url[32];
    snprintf(url, sizeof(url), "http://%d.com/a.jpg", i);
    ASSERT_NOT_NULL(find_line(run.out, url));
    snprintf(url, sizeof(url), "http://%d.com/b.jpg", i);
    ASSERT_NOT_NULL(find_line(run.out, url));
  }
  ASSERT_NOT_NULL(find_line(
      run.out, "[http://1.com/b.jpg, http://2.com/b.jpg, http://3.com/b.jpg, http://4.com/b.jpg]"));
  ASSERT_NOT_NULL(find_line(run.out, "http://www.langzi.fun:200"));
  ASSERT_NOT_NULL(strstr(run.out, "Cost time: "));
  return 0;
}

TEST_IMPL(examples_001_primes_pool) {
  run_example("001_primes_pool");
  ASSERT_EQ(0, run.status);
  ASSERT_TOOK(number_after("ProcessPool(5): ", 0), 2.0);
  ASSERT_NOT_NULL(strstr(run.out, "primes below 2000000: 148933 with 1 process"));
  ASSERT_NOT_NULL(strstr(run.out, "primes below 2000000: 148933 with "));
  ASSERT_NOT_NULL(strstr(run.out, "speed-up: "));
  return 0;
}
