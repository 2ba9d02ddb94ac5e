/* The libuv IO table of a connection (native/uv_plugin.c). */
#ifndef CBRX_UV_PLUGIN_H
#define CBRX_UV_PLUGIN_H

#include <libcouchbase/couchbase.h>
#include <libuv_io_opts.h>

#ifdef __cplusplus
extern "C" {
#endif

/** libcouchbase's libuv plugin, reading without a stop and restart per reply and writing at once
 * (uv_plugin.c). Every read its sockets hand to libcouchbase is bracketed by
 * cbrx_reading(reader, 1) and cbrx_reading(reader, 0), unless reader is NULL. */
lcb_STATUS cbrx_create_uv_io_opts(lcb_io_opt_t *io, lcbuv_options_t *options, void *reader);

/** Implemented by the reader (native/connection.cpp): a read starts (1) or has ended (0); at the
 * end no libcouchbase frame is on the stack. */
void cbrx_reading(void *reader, int starting);

#ifdef __cplusplus
}
#endif

#endif
