/*  frontend_static: the live page's files (frontend/www: HTML, CSS, JS, favicon), read
    once at start and served from memory by frontend_api. No build step, no disk I/O per request. */
#include <czmq.h>
#include <dirent.h>
#include "frontend_route.h"
#include "frontend_static.h"

typedef struct {
    char name [BZ_NAME_MAX + 1];
    const char *content_type;
    char *data;
    size_t size;
} static_file_t;

struct _frontend_static_t {
    static_file_t files [FRONTEND_STATIC_FILES_MAX];
    size_t count;
};

static const struct { const char *extension, *content_type; } s_types [] = {
    { ".html", "text/html; charset=utf-8" },
    { ".css",  "text/css; charset=utf-8" },
    { ".js",   "text/javascript; charset=utf-8" },
    { ".ico",  "image/x-icon" },
    { ".svg",  "image/svg+xml" },
    { ".png",  "image/png" },
    { ".txt",  "text/plain; charset=utf-8" },
};

static const char *
s_content_type (const char *name)
{
    size_t length = strlen (name);
    for (size_t i = 0; i < sizeof s_types / sizeof s_types [0]; i++) {
        size_t ext = strlen (s_types [i].extension);
        if (length > ext && streq (name + length - ext, s_types [i].extension))
            return s_types [i].content_type;
    }
    return NULL;
}

//  Reads path whole into file. False, logged, when it cannot or it is too large.
static bool
s_load (static_file_t *file, const char *path)
{
    FILE *stream = fopen (path, "rb");
    if (!stream) {
        zsys_error ("frontend: cannot read %s: %s", path, strerror (errno));
        return false;
    }
    file->data = (char *) malloc (FRONTEND_STATIC_SIZE_MAX + 1);
    size_t size = file->data? fread (file->data, 1, FRONTEND_STATIC_SIZE_MAX + 1, stream): 0;
    bool failed = !file->data || ferror (stream);
    fclose (stream);
    if (failed || size > FRONTEND_STATIC_SIZE_MAX) {
        zsys_error ("frontend: %s is unreadable or over %d bytes", path, FRONTEND_STATIC_SIZE_MAX);
        return false;
    }
    file->size = size;
    return true;
}

frontend_static_t *
frontend_static_new (const char *directory)
{
    assert (directory);
    DIR *dir = opendir (directory);
    if (!dir) {
        zsys_error ("frontend: cannot open the page's directory %s (setting www): %s",
                    directory, strerror (errno));
        return NULL;
    }
    frontend_static_t *self = (frontend_static_t *) zmalloc (sizeof (frontend_static_t));
    bool ok = true;
    struct dirent *entry;
    while (ok && (entry = readdir (dir))) {
        const char *name = entry->d_name;
        const char *type = s_content_type (name);
        if (!type || *name == '.' || !bz_stock_name_valid (name, strlen (name)))
            continue;               //  dot files, editor backups, anything unknown
        if (self->count == FRONTEND_STATIC_FILES_MAX) {
            zsys_error ("frontend: %s has more than %d files", directory, FRONTEND_STATIC_FILES_MAX);
            ok = false;
            break;
        }
        static_file_t *file = &self->files [self->count++];
        snprintf (file->name, sizeof file->name, "%.*s", BZ_NAME_MAX, name);
        file->content_type = type;
        char path [4096];
        snprintf (path, sizeof path, "%s/%s", directory, name);
        ok = s_load (file, path);
    }
    closedir (dir);
    const char *data;
    size_t size;
    const char *type;
    if (ok && !frontend_static_find (self, "index.html", &data, &size, &type)) {
        zsys_error ("frontend: %s has no index.html", directory);
        ok = false;
    }
    if (!ok)
        frontend_static_destroy (&self);
    return self;
}

void
frontend_static_destroy (frontend_static_t **self_p)
{
    assert (self_p);
    frontend_static_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free (self->files [i].data);
    free (self);
    *self_p = NULL;
}

bool
frontend_static_find (frontend_static_t *self, const char *name, const char **data,
                      size_t *size, const char **content_type)
{
    assert (self && name && data && size && content_type);
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->files [i].name, name) && self->files [i].data) {
            *data = self->files [i].data;
            *size = self->files [i].size;
            *content_type = self->files [i].content_type;
            return true;
        }
    return false;
}
