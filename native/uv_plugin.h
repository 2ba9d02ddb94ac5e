/* The libuv IO table of a connection (native/uv_plugin.c). */
#ifndef CBRX_UV_PLUGIN_H
#define CBRX_UV_PLUGIN_H

#include <libcouchbase/couchbase.h>
#include <libuv_io_opts.h>

#ifdef __cplusplus
extern "C" {
#endif

/** libcouchbase's libuv plugin, reading without a stop and restart per reply and writing at once (uv_plugin.c). */
lcb_STATUS cbrx_create_uv_io_opts(lcb_io_opt_t *io, lcbuv_options_t *options);

#ifdef __cplusplus
}
#endif

#endif
