/*
 * json(): the content-type check aiohttp makes and parsing with jansson.
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "http/request.h"

/* application/json or application/<anything>+json. */
static int is_json_media(const char *media) {
  size_t n = strlen(media);

  if (!strcasecmp(media, "application/json"))
    return 1;
  return n > 17 && !strncasecmp(media, "application/", 12) && !strcasecmp(media + n - 5, "+json");
}

int weft__http_json_type_ok(const char *media, const char *content_type) {
  if (!media)
    media = "application/octet-stream";
  if (content_type && !*content_type)
    return 1;
  if (!content_type || !strcasecmp(content_type, "application/json"))
    return is_json_media(media);
  return strcasecmp(media, content_type) == 0;
}

static int is_blank(const char *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!strchr(" \t\r\n", p[i]) || !p[i])
      return 0;
  return 1;
}

int weft__http_parse_json(const void *data, size_t len, struct json_t **out) {
  json_error_t err;

  *out = NULL;
  /* aiohttp's json() gives None for an empty (or blank) body. */
  if (is_blank(data, len)) {
    *out = json_null();
    return 0;
  }
  *out = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
  if (*out)
    return 0;
  if (json_error_code(&err) == json_error_out_of_memory)
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(WEFT_HTTP_EJSON, "line %d column %d: %s", err.line, err.column, err.text);
}
