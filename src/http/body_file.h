/*
 * data_file bodies: a source that reads the file with weft's async file
 * API in the requesting task (body_file.c).
 */
#ifndef WEFT_HTTP_BODY_FILE_H
#define WEFT_HTTP_BODY_FILE_H

#include "http/request.h"

/* Check path (stat: no suspension), then fill b->source / source_arg /
 * source_len (the file's size) and b->file. Returns 0, -errno of stat
 * (-ENOENT, -EACCES), -EISDIR, -ENOMEM (message set). */
int weft__http_file_src_new(weft__http_body *b, const char *path);
/* The next read starts from the beginning again. Returns 0. */
int weft__http_file_src_rewind(struct weft__http_file_src *fs);
/* Close (in a task: weft_file_close; outside one it closes at once) and free. */
void weft__http_file_src_free(struct weft__http_file_src *fs);

#endif /* WEFT_HTTP_BODY_FILE_H */
