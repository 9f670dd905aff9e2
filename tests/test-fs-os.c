/*
 * aiofiles.os: stat, exists, remove, rename, mkdir (parents), rmdir,
 * listdir, scandir, mkstemp, mkdtemp.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static void *os_main(void *arg) {
  char *dir, p[256], q[256];
  char **names;
  weft_dirent *ents;
  weft_stat st;
  weft_file *f;
  size_t n;

  (void)arg;
  ASSERT_OK(weft_fs_mkdtemp("/tmp/weft-os-XXXXXX", &dir));
  ASSERT_OK(weft_fs_stat(dir, &st));
  ASSERT(st.is_dir);
  ASSERT_EQ(0700, st.mode & 0777);
  ASSERT_EQ(1, weft_fs_exists(dir));
  /* mkdir with parents, twice (exist_ok) */
  snprintf(p, sizeof p, "%s/a/b//c/", dir);
  ASSERT_OK(weft_fs_mkdir(p, 0755, WEFT_MKDIR_PARENTS));
  ASSERT_OK(weft_fs_mkdir(p, 0755, WEFT_MKDIR_PARENTS));
  snprintf(p, sizeof p, "%s/a/b/c", dir);
  ASSERT_EQ(1, weft_fs_exists(p));
  ASSERT_EQ(-EEXIST, weft_fs_mkdir(p, 0755, 0));
  snprintf(p, sizeof p, "%s/x/y", dir);
  ASSERT_EQ(-ENOENT, weft_fs_mkdir(p, 0755, 0));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "mkdir '"));
  ASSERT_EQ(-EINVAL, weft_fs_mkdir(p, 0755, 8));
  /* a file, renamed, listed, removed */
  snprintf(p, sizeof p, "%s/a/file.txt", dir);
  ASSERT_OK(weft_file_open(&f, p, "w"));
  ASSERT_EQ(4, weft_file_write(f, "data", 4));
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(weft_fs_stat(p, &st));
  ASSERT(st.is_file);
  ASSERT_EQ(4, st.size);
  ASSERT_GT(st.mtime, 1e9);
  snprintf(q, sizeof q, "%s/a/moved.txt", dir);
  ASSERT_OK(weft_fs_rename(p, q));
  ASSERT_EQ(0, weft_fs_exists(p));
  ASSERT_EQ(-ENOENT, weft_fs_rename(p, q));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "' -> '"));
  /* a symlink for lstat and scandir */
  snprintf(p, sizeof p, "%s/a/link", dir);
  ASSERT_OK(symlink("moved.txt", p));
  ASSERT_OK(weft_fs_lstat(p, &st));
  ASSERT(st.is_link);
  ASSERT_OK(weft_fs_stat(p, &st));
  ASSERT(st.is_file);
  snprintf(p, sizeof p, "%s/a", dir);
  ASSERT_OK(weft_fs_listdir(p, &names, &n));
  ASSERT_EQ(3, n);
  ASSERT_STR_EQ("b", names[0]);
  ASSERT_STR_EQ("link", names[1]);
  ASSERT_STR_EQ("moved.txt", names[2]);
  weft_fs_strings_free(names, n);
  ASSERT_OK(weft_fs_scandir(p, &ents, &n));
  ASSERT_EQ(3, n);
  ASSERT_EQ(WEFT_DIRENT_DIR, ents[0].type);
  ASSERT_EQ(WEFT_DIRENT_LINK, ents[1].type);
  ASSERT_EQ(WEFT_DIRENT_FILE, ents[2].type);
  weft_fs_dirents_free(ents, n);
  ASSERT_EQ(-ENOTEMPTY, weft_fs_rmdir(p));
  ASSERT_EQ(-EISDIR, weft_fs_remove(p));
  snprintf(p, sizeof p, "%s/a/link", dir);
  ASSERT_OK(weft_fs_remove(p));
  ASSERT_OK(weft_fs_remove(q));
  ASSERT_EQ(-ENOENT, weft_fs_remove(q));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "remove '"));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "No such file or directory"));
  snprintf(p, sizeof p, "%s/a/b/c", dir);
  ASSERT_OK(weft_fs_rmdir(p));
  snprintf(p, sizeof p, "%s/a/b", dir);
  ASSERT_OK(weft_fs_rmdir(p));
  snprintf(p, sizeof p, "%s/a", dir);
  ASSERT_OK(weft_fs_rmdir(p));
  ASSERT_OK(weft_fs_listdir(dir, &names, &n));
  ASSERT_EQ(0, n);
  weft_fs_strings_free(names, n);
  ASSERT_OK(weft_fs_rmdir(dir));
  ASSERT_EQ(-ENOENT, weft_fs_listdir(dir, &names, &n));
  ASSERT_EQ(-ENOENT, weft_fs_stat(dir, &st));
  ASSERT_EQ(0, weft_fs_exists(dir));
  weft_free(dir);
  return NULL;
}

TEST_IMPL(fs_os_functions) {
  ASSERT_OK(weft_test_run(os_main, NULL, NULL));
  return 0;
}

static void *temp_main(void *arg) {
  weft_file *f;
  char *path, *d, buf[8];
  weft_stat st;

  (void)arg;
  ASSERT_OK(weft_fs_mkstemp("/tmp/weft-tmp-XXXXXX", &f, &path));
  ASSERT_EQ(0, strncmp(path, "/tmp/weft-tmp-", 14));
  ASSERT_EQ(20, strlen(path));
  ASSERT_EQ(3, weft_file_write(f, "tmp", 3));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_EQ(3, weft_file_read(f, buf, 8));
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(weft_fs_stat(path, &st));
  ASSERT_EQ(0600, st.mode & 0777);
  ASSERT_OK(weft_fs_remove(path));
  weft_free(path);
  ASSERT_OK(weft_fs_mkstemp("/tmp/weft-tmp-XXXXXX", &f, NULL));
  ASSERT_OK(weft_fs_remove(weft_file_path(f)));
  ASSERT_OK(weft_file_close(f));
  ASSERT_EQ(-EINVAL, weft_fs_mkstemp("/tmp/weft-tmp-XXXXX", &f, &path));
  ASSERT_EQ(-EINVAL, weft_fs_mkstemp(NULL, &f, &path));
  ASSERT_EQ(-EINVAL, weft_fs_mkdtemp("/tmp/nope", &d));
  ASSERT_EQ(-ENOENT, weft_fs_mkdtemp("/nonexistent-dir/x-XXXXXX", &d));
  ASSERT_EQ(-ENOENT, weft_fs_mkstemp("/nonexistent-dir/x-XXXXXX", &f, &path));
  /* bad arguments */
  ASSERT_EQ(-EINVAL, weft_fs_stat(NULL, &st));
  ASSERT_EQ(-EINVAL, weft_fs_remove(NULL));
  ASSERT_EQ(-EINVAL, weft_fs_rename("/tmp/a", NULL));
  ASSERT_EQ(-EINVAL, weft_fs_rmdir(NULL));
  ASSERT_EQ(-EINVAL, weft_fs_listdir(NULL, NULL, NULL));
  return NULL;
}

TEST_IMPL(fs_temp_files_and_dirs) {
  weft_stat st;

  ASSERT_OK(weft_test_run(temp_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_fs_stat("/", &st));
  return 0;
}
