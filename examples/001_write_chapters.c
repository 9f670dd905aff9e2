/*
 * Port of the seed's novel downloader, the saving part: every chapter is
 * written with aiofiles into <book>/<volume>/<number>_<title>.txt, the
 * directories created on the way (os.makedirs), at most 10 chapters at a
 * time (Semaphore(10)). The chapters are made up here instead of fetched;
 * the tree goes into a temporary directory, which is listed and removed at
 * the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define NCHAPTERS 24
#define NVOLUMES 3

static char root[256];
static weft_sem sem;

typedef struct chapter {
  int number;
  char path[512];
} chapter;

static int save(const chapter *c) {
  static const char *const para[] = {"第一段：天色渐晚，众人收拾行装。\n", "\n",
                                     "第二段：胡八一举灯探路。\n", "\n",
                                     "第三段：墓门后传来风声。\n"};
  char dir[512];
  weft_file *f;
  int rc, rc2;

  snprintf(dir, sizeof dir, "%s/鬼吹灯/第%d卷", root, (c->number - 1) / 8 + 1);
  if ((rc = weft_fs_mkdir(dir, 0755, WEFT_MKDIR_PARENTS)) != 0)
    return rc;
  if ((rc = weft_file_open(&f, c->path, "w")) != 0)
    return rc;
  rc = weft_file_write_lines(f, para, sizeof para / sizeof para[0]);
  rc2 = weft_file_close(f);
  return rc ? rc : rc2;
}

static void *download_one(void *arg) {
  chapter *c = arg;
  int rc;

  if ((rc = weft_sem_acquire(&sem)) != 0)
    return weft_fail(rc, "cancelled");
  rc = save(c);
  weft_sem_release(&sem);
  if (rc)
    return weft_fail(rc, "%s", weft_fs_error());
  printf("chapter %02d 下载完毕!\n", c->number);
  return NULL;
}

/* List the tree: each volume and how many chapters it holds. */
static int show_tree(void) {
  char book[300], vol[600], **vols, **files;
  size_t nv, nf, total = 0;
  int rc;

  snprintf(book, sizeof book, "%s/鬼吹灯", root);
  if ((rc = weft_fs_listdir(book, &vols, &nv)) != 0)
    return rc;
  for (size_t i = 0; i < nv && !rc; i++) {
    snprintf(vol, sizeof vol, "%s/%s", book, vols[i]);
    if ((rc = weft_fs_listdir(vol, &files, &nf)) != 0)
      break;
    printf("鬼吹灯/%s: %zu chapters, first %s\n", vols[i], nf, nf ? files[0] : "-");
    total += nf;
    weft_fs_strings_free(files, nf);
  }
  weft_fs_strings_free(vols, nv);
  printf("saved %zu chapters in %zu volumes\n", total, nv);
  return rc;
}

static void *main_task(void *arg) {
  static chapter chapters[NCHAPTERS];
  weft_task *tasks[NCHAPTERS];
  char *dir, cmd[300];
  int rc;

  (void)arg;
  if ((rc = weft_fs_mkdtemp("/tmp/weft-chapters-XXXXXX", &dir)) != 0)
    return weft_fail(rc, "%s", weft_fs_error());
  snprintf(root, sizeof root, "%s", dir);
  weft_free(dir);
  weft_sem_init(&sem, 10);
  for (int i = 0; i < NCHAPTERS; i++) {
    chapters[i].number = i + 1;
    snprintf(chapters[i].path, sizeof chapters[i].path, "%s/鬼吹灯/第%d卷/%02d_第%d章.txt", root,
             i / 8 + 1, i + 1, i + 1);
    weft_spawn(&tasks[i], download_one, &chapters[i], NULL);
  }
  rc = weft_gather(tasks, NCHAPTERS, 0, NULL, NULL);
  for (int i = 0; i < NCHAPTERS; i++)
    weft_task_release(tasks[i]);
  if (rc == 0)
    rc = show_tree();
  weft_sem_destroy(&sem);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", root);
  return rc ? weft_fail(rc, "%s", weft_fs_error()) : NULL;
}

int main(void) {
  return weft_run(main_task, NULL, NULL) == 0 ? 0 : 1;
}
