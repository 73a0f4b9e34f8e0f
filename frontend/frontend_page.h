/*  frontend_page: the live web page served at "/", one self-contained HTML string.
    Used by frontend_api; it polls /stocks and /health and posts to /orders.        */
#ifndef FRONTEND_PAGE_H
#define FRONTEND_PAGE_H

#include <stddef.h>

extern const char frontend_page_html [];
extern const size_t frontend_page_size;

#endif
