/* test_client.c -- the blocking protocol client against a scripted peer on a real Unix
 * socket: replies matched by id whatever their order, notifications kept for later, the
 * reply line cap, errors with messages, a socket nobody listens on, and the socket path
 * rule shared with linksnapd. Single-threaded: the peer writes its replies before the
 * client reads them (they wait in the socket buffer). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

typedef struct {
    char dir[64], path[128];
    int listener, peer;
    client_t c;
} rig_t;

static int rig_open(rig_t *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/ls-client-XXXXXX");
    if (!mkdtemp(r->dir))
        return -1;
    snprintf(r->path, sizeof r->path, "%s/s.sock", r->dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", r->path);
    r->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (r->listener < 0 || bind(r->listener, (struct sockaddr *)&sa, sizeof sa) ||
        listen(r->listener, 4))
        return -1;
    char err[256];
    if (client_connect(&r->c, r->path, err, sizeof err) != CLIENT_OK)
        return -1;
    r->peer = accept(r->listener, NULL, NULL);
    return r->peer < 0 ? -1 : 0;
}

static void rig_close(rig_t *r)
{
    client_close(&r->c);
    close(r->peer);
    close(r->listener);
    unlink(r->path);
    rmdir(r->dir);
}

static int peer_say(rig_t *r, const char *text)
{
    size_t n = strlen(text);
    return write(r->peer, text, n) == (ssize_t)n ? 0 : -1;
}

/* What the client sent so far (NUL-terminated, static). */
static const char *peer_heard(rig_t *r)
{
    static char buf[8192];
    ssize_t n = recv(r->peer, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

TEST(client_call_result_and_request_line)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    ASSERT_EQ(peer_say(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"pong\":true}}\n"), 0);
    json_t *res, *error;
    char err[256];
    json_t *params = json_pack("{s:s}", "q", "数据库");
    ASSERT_EQ(client_call(&r.c, "daemon.ping", params, &res, &error, err, sizeof err), CLIENT_OK);
    json_decref(params);
    ASSERT(json_is_true(json_object_get(res, "pong")));
    json_decref(res);
    const char *sent = peer_heard(&r);
    json_t *req = json_loads(sent, JSON_DISABLE_EOF_CHECK, NULL);
    ASSERT_NOT_NULL(req);
    ASSERT_STR_EQ(json_string_value(json_object_get(req, "jsonrpc")), "2.0");
    ASSERT_STR_EQ(json_string_value(json_object_get(req, "method")), "daemon.ping");
    ASSERT_EQ(json_integer_value(json_object_get(req, "id")), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(req, "params"), "q")), "数据库");
    json_decref(req);
    ASSERT_EQ(sent[strlen(sent) - 1], '\n');
    ASSERT_NULL(strchr(sent, '\n') + 1 < sent + strlen(sent) ? strchr(sent, '\n') + 1 : NULL);
    rig_close(&r);
    return 0;
}

TEST(client_call_error_object)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    ASSERT_EQ(peer_say(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,"
                           "\"message\":\"link 9 not found\"}}\n"), 0);
    json_t *res, *error;
    char err[256];
    json_t *p = json_object();
    ASSERT_EQ(client_call(&r.c, "link.get", p, &res, &error, err, sizeof err), CLIENT_ERPC);
    json_decref(p);
    ASSERT_NULL(res);
    ASSERT_EQ(json_integer_value(json_object_get(error, "code")), -32001);
    ASSERT_STR_EQ(err, "link 9 not found");
    json_decref(error);
    rig_close(&r);
    return 0;
}

TEST(client_pipeline_matches_ids_and_keeps_events)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    /* replies out of order, a notification in between */
    ASSERT_EQ(peer_say(&r,
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"c\"}\n"
        "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"topic\":\"job.finished\",\"job_id\":5}}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"a\"}\r\n"
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602,\"message\":\"bad\"}}\n"), 0);
    json_t *calls = json_pack("[[s,{}],[s,{}],[s,n]]", "m.a", "m.b", "m.c");
    json_t *replies;
    char err[256];
    ASSERT_EQ(client_pipeline(&r.c, calls, &replies, err, sizeof err), CLIENT_OK);
    json_decref(calls);
    ASSERT_EQ(json_array_size(replies), 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(replies, 0), "result")), "a");
    ASSERT_NOT_NULL(json_object_get(json_array_get(replies, 1), "error"));
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(replies, 2), "result")), "c");
    json_decref(replies);
    /* the notification read on the way is handed out now, without waiting */
    json_t *ev;
    ASSERT_EQ(client_next_event(&r.c, 0, &ev, err, sizeof err), CLIENT_OK);
    ASSERT_STR_EQ(json_string_value(json_object_get(ev, "topic")), "job.finished");
    json_decref(ev);
    ASSERT_EQ(client_next_event(&r.c, 0, &ev, err, sizeof err), CLIENT_ETIMEOUT);
    ASSERT_NULL(ev);
    rig_close(&r);
    return 0;
}

TEST(client_rejects_reply_to_unsent_id)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    ASSERT_EQ(peer_say(&r, "{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":1}\n"), 0);
    json_t *res;
    char err[256];
    json_t *p = json_object();
    ASSERT_EQ(client_call(&r.c, "x", p, &res, NULL, err, sizeof err), CLIENT_EPROTO);
    json_decref(p);
    rig_close(&r);
    return 0;
}

TEST(client_parse_error_reply_has_its_message)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    ASSERT_EQ(peer_say(&r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
                           "\"message\":\"parse error: x\"}}\n"), 0);
    json_t *res;
    char err[256];
    json_t *p = json_object();
    ASSERT_EQ(client_call(&r.c, "x", p, &res, NULL, err, sizeof err), CLIENT_EPROTO);
    json_decref(p);
    ASSERT_STR_EQ(err, "parse error: x");
    rig_close(&r);
    return 0;
}

TEST(client_line_cap)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    r.c.in.max_line = 1000;
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_EQ(peer_say(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\""), 0);
    ASSERT_EQ(peer_say(&r, big), 0);
    ASSERT_EQ(peer_say(&r, "\"}\n"), 0);
    json_t *res;
    char err[256];
    json_t *p = json_object();
    ASSERT_EQ(client_call(&r.c, "x", p, &res, NULL, err, sizeof err), CLIENT_EPROTO);
    json_decref(p);
    ASSERT_NOT_NULL(strstr(err, "is over 1000 bytes"));
    rig_close(&r);
    return 0;
}

TEST(client_garbage_and_close)
{
    rig_t r;
    ASSERT_EQ(rig_open(&r), 0);
    ASSERT_EQ(peer_say(&r, "not json\n"), 0);
    json_t *res;
    char err[256];
    json_t *p = json_object();
    ASSERT_EQ(client_call(&r.c, "x", p, &res, NULL, err, sizeof err), CLIENT_EPROTO);
    close(r.peer);
    r.peer = -1;
    ASSERT_EQ(client_call(&r.c, "x", p, &res, NULL, err, sizeof err), CLIENT_EIO);
    json_decref(p);
    ASSERT_NOT_NULL(strstr(err, "closed the connection"));
    rig_close(&r);
    return 0;
}

TEST(client_nothing_listening)
{
    client_t c;
    char err[512];
    ASSERT_EQ(client_connect(&c, "/nonexistent-dir/linksnap.sock", err, sizeof err), CLIENT_ENOCONN);
    ASSERT_STR_EQ(err, "no linksnapd listening on /nonexistent-dir/linksnap.sock (start it with "
                       "`linksnapd` or `systemctl start linksnapd`)");
    client_close(&c);
    /* a stale socket file: connection refused */
    char dir[] = "/tmp/ls-stale-XXXXXX", path[128];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    ASSERT_EQ(client_connect(&c, path, err, sizeof err), CLIENT_ENOCONN);
    client_close(&c);
    unlink(path);
    rmdir(dir);
    char longpath[300];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    ASSERT_EQ(client_connect(&c, longpath, err, sizeof err), CLIENT_EIO);
    ASSERT_NOT_NULL(strstr(err, "too long"));
    client_close(&c);
    return 0;
}

static const char *existing;   /* the one path exists_cb says exists (NULL: none) */

static int exists_cb(const char *path)
{
    return existing && !strcmp(path, existing);
}

TEST(socket_path_rule)
{
    char out[256];
    existing = NULL;
    client_socket_path("/x/env.sock", "/run/user/1000", 1000, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, "/x/env.sock");
    client_socket_path("", "/run/user/1000", 1000, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, "/run/user/1000/linksnap.sock");
    client_socket_path(NULL, "/run/user/1000", 0, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, CLIENT_SYSTEM_SOCKET);
    client_socket_path(NULL, NULL, 1000, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, "/tmp/linksnap-1000/linksnap.sock");
    /* only the system socket exists: a member of group linksnap uses it */
    existing = CLIENT_SYSTEM_SOCKET;
    client_socket_path(NULL, "/run/user/1000", 1000, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, CLIENT_SYSTEM_SOCKET);
    /* both exist: the user's own wins */
    existing = "/run/user/1000/linksnap.sock";
    client_socket_path(NULL, "/run/user/1000", 1000, exists_cb, out, sizeof out);
    ASSERT_STR_EQ(out, "/run/user/1000/linksnap.sock");
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(client_call_result_and_request_line),
    TEST_ENTRY(client_call_error_object),
    TEST_ENTRY(client_pipeline_matches_ids_and_keeps_events),
    TEST_ENTRY(client_rejects_reply_to_unsent_id),
    TEST_ENTRY(client_parse_error_reply_has_its_message),
    TEST_ENTRY(client_line_cap),
    TEST_ENTRY(client_garbage_and_close),
    TEST_ENTRY(client_nothing_listening),
    TEST_ENTRY(socket_path_rule),
    TEST_END,
};
TEST_MAIN()
