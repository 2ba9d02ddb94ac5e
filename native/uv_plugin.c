/* libcouchbase's libuv IO plugin, compiled into the addon so that it runs on node's own loop
 * and binds to the libuv that node exports (never a second copy). */
#define LIBCOUCHBASE_INTERNAL 1
#include "plugin-libuv.c"
