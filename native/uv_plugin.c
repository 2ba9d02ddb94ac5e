/* libcouchbase's libuv IO plugin, compiled into the addon so that it runs on node's own loop
 * and binds to the libuv that node exports (never a second copy). Two of its paths are replaced
 * here (reading and writing, below); the plugin is compiled from libcouchbase's unpatched
 * source so that an installed libcouchbase works too, hence overrides instead of a patch. */
#define LIBCOUCHBASE_INTERNAL 1
#include <uv.h>

/* Every handle the plugin closes goes through cbrx_uv_close, so that a socket's second handle
 * (its write-completion check, below) is closed with it. */
static void cbrx_uv_close(uv_handle_t *handle, uv_close_cb close_cb);
#define uv_close cbrx_uv_close
#include "plugin-libuv.c"
#undef uv_close
#include "uv_plugin.h"

/* A socket of this plugin: the plugin's own, and the writes that went out at once and are not
 * yet reported to libcouchbase (see writing, below). */
typedef struct {
    lcb_ioC_write2_callback callback;
    void *arg;
} written_t;

typedef struct {
    my_sockdata_t sock; /* first: the plugin frees the socket through this pointer */
    uv_check_t written_check;
    written_t *written;
    unsigned nwritten;
    unsigned capacity;
    unsigned closing;  /* handles still closing */
    uv_close_cb plugin_closed;
} cbrx_sock_t;

/* Tells libcouchbase of the writes that went out at once (status 0: their bytes were sent). The
 * list is taken first: a callback may write again or close the socket. */
static void report_written(cbrx_sock_t *s)
{
    while (s->nwritten > 0) {
        written_t *list = s->written;
        unsigned n = s->nwritten;
        unsigned capacity = s->capacity;
        unsigned i;
        s->written = NULL;
        s->nwritten = 0;
        s->capacity = 0;
        for (i = 0; i < n; i++) {
            list[i].callback(&s->sock.base, 0, list[i].arg);
        }
        if (s->written == NULL) {
            s->written = list; /* keep the room for the next iteration */
            s->capacity = capacity;
        } else {
            free(list);
        }
    }
}

/* The plugin stops reading after every delivery and libcouchbase asks for the next read from
 * inside that delivery: each reply then cost libuv two epoll_ctl calls (re-adding the fd, which
 * fails with EEXIST, then modifying it). Here the stop waits until the delivery has returned and
 * is skipped when a new read was requested meanwhile; the stream simply keeps reading.
 * Each read handed to libcouchbase is bracketed by cbrx_reading (uv_plugin.h), so that the
 * connection can hand what it produced to JS as soon as it ends, as node's own sockets do,
 * instead of in the check phase that follows the poll. */

static UVC_READ_CB(read_cb_keep_reading)
{
    UVC_READ_CB_VARS()

    my_tcp_t *mt = (my_tcp_t *)stream;
    my_sockdata_t *sock = PTR_FROM_FIELD(my_sockdata_t, mt, tcp);
    my_iops_t *io = (my_iops_t *)sock->base.parent;
    lcb_ioC_read2_callback callback = CbREQ(mt);
    void *reader = io->base.v.base.cookie; /* taken now: the table is not touched after the read */

    if (nread == 0) {
        return; /* EAGAIN: the same buffer is still offered */
    }
    /* Writes that went out at once are reported before the reply they asked for: as with
     * uv_write, libcouchbase then sees a request's write done when its reply comes (an HTTP
     * socket whose write is still pending at the end of its request is not reused). */
    report_written((cbrx_sock_t *)sock);
    if (sock->uv_close_called) {
        return; /* closed by a report: the close callback ends the read */
    }
    SOCK_DECR_PENDING(sock, read);
    CbREQ(mt) = NULL;
    if (nread < 0) {
        set_last_error(io, uvc_last_errno(io->loop, nread));
        if (uvc_is_eof(io->loop, nread)) {
            nread = 0;
        }
    }
    if (reader != NULL) {
        cbrx_reading(reader, 1);
    }
    callback(&sock->base, nread, sock->rdarg);
    if (CbREQ(mt) == NULL) {
        uv_read_stop(stream); /* no read requested (or the socket was closed): stop now */
    }
    decref_sock(sock);
    if (reader != NULL) {
        cbrx_reading(reader, 0); /* outside every libcouchbase frame: the reader may run JS */
    }
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

/* The plugin writes with uv_write. A write that libuv completes at once is still reported
 * through its pending queue, which makes the next poll not wait (one more loop iteration per
 * request) and then stops the POLLOUT watcher that was never started (one epoll_ctl per
 * request). Here a write is first tried at once (uv_try_write, as node's own sockets do); when
 * all of it went out, libcouchbase hears of it before the socket's next reply is handed over,
 * or from the socket's check handle after this iteration's poll, whichever comes first; never
 * from inside the write call (its flush loop is not reentrant). What does not go out at once is
 * handed to uv_write as before. */

static void written_check_cb(uv_check_t *check)
{
    cbrx_sock_t *s = PTR_FROM_FIELD(cbrx_sock_t, check, written_check);
    uv_check_stop(check);
    report_written(s);
}

static int remember_written(cbrx_sock_t *s, lcb_ioC_write2_callback callback, void *arg)
{
    if (s->nwritten == s->capacity) {
        unsigned capacity = s->capacity ? s->capacity * 2 : 4;
        written_t *grown = (written_t *)realloc(s->written, capacity * sizeof(*grown));
        if (grown == NULL) {
            return -1;
        }
        s->written = grown;
        s->capacity = capacity;
    }
    s->written[s->nwritten].callback = callback;
    s->written[s->nwritten].arg = arg;
    s->nwritten++;
    uv_check_start(&s->written_check, written_check_cb);
    return 0;
}

static int start_write2_at_once(lcb_io_opt_t iobase, lcb_sockdata_t *sockbase, struct lcb_iovec_st *iov,
                                lcb_size_t niov, void *uarg, lcb_ioC_write2_callback callback)
{
    cbrx_sock_t *s = (cbrx_sock_t *)sockbase;
    uv_buf_t *bufs = (uv_buf_t *)iov;
    size_t total = 0;
    size_t sent;
    lcb_size_t i;
    int n;

    for (i = 0; i < niov; i++) {
        total += bufs[i].len;
    }
    n = uv_try_write((uv_stream_t *)&s->sock.tcp, bufs, (unsigned)niov);
    if (n >= 0 && (size_t)n == total) {
        if (remember_written(s, callback, uarg) != 0) {
            set_last_error((my_iops_t *)iobase, UV_ENOMEM);
            return -1;
        }
        return 0;
    }
    if (n <= 0) {
        return start_write2(iobase, sockbase, iov, niov, uarg, callback); /* EAGAIN, or an error uv_write reports */
    }
    sent = (size_t)n;
    {
        /* the rest of a partial write; uv_write copies the buffer list */
        uv_buf_t rest[32];
        uv_buf_t *left = niov <= 32 ? rest : (uv_buf_t *)malloc(niov * sizeof(uv_buf_t));
        lcb_size_t nleft = 0;
        int rc;
        if (left == NULL) {
            set_last_error((my_iops_t *)iobase, UV_ENOMEM);
            return -1;
        }
        for (i = 0; i < niov; i++) {
            if (sent >= bufs[i].len) {
                sent -= bufs[i].len;
                continue;
            }
            left[nleft] = uv_buf_init(bufs[i].base + sent, (unsigned)(bufs[i].len - sent));
            sent = 0;
            nleft++;
        }
        rc = start_write2(iobase, sockbase, (struct lcb_iovec_st *)left, nleft, uarg, callback);
        if (left != rest) {
            free(left);
        }
        return rc;
    }
}

static lcb_sockdata_t *create_socket_at_once(lcb_io_opt_t iobase, int domain, int type, int protocol)
{
    my_iops_t *io = (my_iops_t *)iobase;
    cbrx_sock_t *s = (cbrx_sock_t *)calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    uv_tcp_init(io->loop, &s->sock.tcp.t);
    uv_check_init(io->loop, &s->written_check);
    /* never keeps the loop alive; nothing waits on a write's report once the loop has ended */
    uv_unref((uv_handle_t *)&s->written_check);
    s->sock.base.socket = INVALID_SOCKET;
    incref_iops(io);
    incref_sock(&s->sock);
    set_last_error(io, 0);
    (void)domain;
    (void)type;
    (void)protocol;
    return &s->sock.base;
}

/* Once both of a socket's handles are closed: the writes still unreported, then the plugin's
 * own close callback, which frees the socket. */
static void socket_handle_closed(uv_handle_t *handle)
{
    cbrx_sock_t *s = handle->type == UV_CHECK ? PTR_FROM_FIELD(cbrx_sock_t, handle, written_check)
                                              : PTR_FROM_FIELD(cbrx_sock_t, handle, sock.tcp);
    if (--s->closing > 0) {
        return;
    }
    report_written(s);
    free(s->written);
    s->written = NULL;
    s->plugin_closed((uv_handle_t *)&s->sock.tcp);
}

static void cbrx_uv_close(uv_handle_t *handle, uv_close_cb close_cb)
{
    cbrx_sock_t *s;
    if (handle->type != UV_TCP) {
        uv_close(handle, close_cb); /* timers and requests' idles */
        return;
    }
    s = PTR_FROM_FIELD(cbrx_sock_t, handle, sock.tcp);
    s->plugin_closed = close_cb;
    s->closing = 2;
    uv_close((uv_handle_t *)&s->written_check, socket_handle_closed);
    uv_close(handle, socket_handle_closed);
}

static void wire_iops2_overridden(int version, lcb_loop_procs *loop, lcb_timer_procs *timer, lcb_bsd_procs *bsd,
                                    lcb_ev_procs *ev, lcb_completion_procs *iocp, lcb_iomodel_t *model)
{
    wire_iops2(version, loop, timer, bsd, ev, iocp, model);
    iocp->socket = create_socket_at_once;
    iocp->write2 = start_write2_at_once;
    iocp->read2 = start_read_keep_reading;
}

lcb_STATUS cbrx_create_uv_io_opts(lcb_io_opt_t *io, lcbuv_options_t *options, void *reader)
{
    lcb_STATUS rc = lcb_create_libuv_io_opts(0, io, options);
    if (rc == LCB_SUCCESS) {
        (*io)->v.v2.get_procs = wire_iops2_overridden;
        (*io)->v.base.cookie = reader; /* the libuv plugin leaves its table's cookie unused */
    }
    return rc;
}
