/*  frontend_static: the live page's files (frontend/www: HTML, CSS, JS, favicon), read
    once at start and served from memory by frontend_api. No build step, no disk I/O per request. */
#ifndef FRONTEND_STATIC_H
#define FRONTEND_STATIC_H

#include <stdbool.h>
#include <stddef.h>

//  At most this many files, each at most this large, are loaded.
#define FRONTEND_STATIC_FILES_MAX   32
#define FRONTEND_STATIC_SIZE_MAX    (256 * 1024)

typedef struct _frontend_static_t frontend_static_t;

//  Reads every regular file of directory whose name is a valid stock-like name
//  (A-Z a-z 0-9 . _ -), does not start with a dot, and has a known extension (.html .css .js .ico .svg .png .txt).
//  Returns NULL, after logging why, when the directory cannot be read, holds no
//  index.html, or has a file over the limits: a page that is half there is a bug.
frontend_static_t *frontend_static_new (const char *directory);
void frontend_static_destroy (frontend_static_t **self_p);

//  The file called name ("index.html" for "/"): its bytes, size and Content-Type.
//  False when there is no such file.
bool frontend_static_find (frontend_static_t *self, const char *name, const char **data,
                           size_t *size, const char **content_type);

#endif
