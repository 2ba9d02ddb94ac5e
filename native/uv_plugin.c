/* libcouchbase's libuv IO plugin, compiled into the addon so that it runs on node's own loop
 * and binds to the libuv that node exports (never a second copy). */
#define LIBCOUCHBASE_INTERNAL 1
#include "plugin-libuv.c"
#include "uv_plugin.h"

/* The plugin stops reading after every delivery and libcouchbase asks for the next read from
 * inside that delivery: each reply then cost libuv two epoll_ctl calls (re-adding the fd, which
 * fails with EEXIST, then modifying it). Here the stop waits until the delivery has returned and
 * is skipped when a new read was requested meanwhile; the stream simply keeps reading. */

static UVC_READ_CB(read_cb_keep_reading)
{
    UVC_READ_CB_VARS()

    my_tcp_t *mt = (my_tcp_t *)stream;
    my_sockdata_t *sock = PTR_FROM_FIELD(my_sockdata_t, mt, tcp);
    my_iops_t *io = (my_iops_t *)sock->base.parent;
    lcb_ioC_read2_callback callback = CbREQ(mt);

    if (nread == 0) {
        return; /* EAGAIN: the same buffer is still offered */
    }
    SOCK_DECR_PENDING(sock, read);
    CbREQ(mt) = NULL;
    if (nread < 0) {
        set_last_error(io, uvc_last_errno(io->loop, nread));
        if (uvc_is_eof(io->loop, nread)) {
            nread = 0;
        }
    }
    callback(&sock->base, nread, sock->rdarg);
    if (CbREQ(mt) == NULL) {
        uv_read_stop(stream); /* no read requested (or the socket was closed): stop now */
    }
    decref_sock(sock);
    (void)buf;
}

static int start_read_keep_reading(lcb_io_opt_t iobase, lcb_sockdata_t *sockbase, lcb_IOV *iov, lcb_size_t niov,
                                   void *uarg, lcb_ioC_read2_callback callback)
{
    my_sockdata_t *sock = (my_sockdata_t *)sockbase;
    my_iops_t *io = (my_iops_t *)iobase;
    int ret;

    sock->iov = *iov;
    sock->rdarg = uarg;
    sock->tcp.callback = callback;
    ret = uv_read_start((uv_stream_t *)&sock->tcp.t, alloc_cb, read_cb_keep_reading);
    if (ret == UV_EALREADY) {
        ret = 0; /* still reading since the delivery that asked for this read */
    }
    set_last_error(io, ret);
    if (ret == 0) {
        SOCK_INCR_PENDING(sock, read);
        incref_sock(sock);
    }
    (void)niov;
    return ret;
}

static void wire_iops2_keep_reading(int version, lcb_loop_procs *loop, lcb_timer_procs *timer, lcb_bsd_procs *bsd,
                                    lcb_ev_procs *ev, lcb_completion_procs *iocp, lcb_iomodel_t *model)
{
    wire_iops2(version, loop, timer, bsd, ev, iocp, model);
    iocp->read2 = start_read_keep_reading;
}

lcb_STATUS cbrx_create_uv_io_opts(lcb_io_opt_t *io, lcbuv_options_t *options)
{
    lcb_STATUS rc = lcb_create_libuv_io_opts(0, io, options);
    if (rc == LCB_SUCCESS) {
        (*io)->v.v2.get_procs = wire_iops2_keep_reading;
    }
    return rc;
}
