/* Intrusive circular doubly-linked lists (libuv queue.h style). */
#ifndef WEFT_CORE_LIST_H
#define WEFT_CORE_LIST_H

#include <stddef.h>

typedef struct weft__list {
  struct weft__list *next;
  struct weft__list *prev;
} weft__list;

#define weft__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void weft__list_init(weft__list *h) {
  h->next = h;
  h->prev = h;
}

static inline int weft__list_empty(const weft__list *h) {
  return h->next == h;
}

static inline void weft__list_insert_tail(weft__list *h, weft__list *n) {
  n->next = h;
  n->prev = h->prev;
  h->prev->next = n;
  h->prev = n;
}

static inline void weft__list_remove(weft__list *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n;
  n->prev = n;
}

/* A node that was removed (or initialised) points to itself. */
static inline int weft__list_linked(const weft__list *n) {
  return n->next != n;
}

#endif
