/* authd: the 一证通办 identity and e-licence service. This file parses the command line, loads the
 * configuration and the long-lived state, and hands over to the server. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "certlib/region.h"
#include "config.h"
#include "copy_command.h"
#include "data_key.h"
#include "init_command.h"
#include "server.h"
#include "services.h"
#include "store_check.h"
#include "supervise.h"

#define AUTHD_VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: authd --config FILE [--listen ADDR:PORT]... [--data DIR] [--allow-rollback]\n"
            "       authd --config FILE [--data DIR] init\n"
            "       authd --config FILE [--data DIR] store check\n"
            "       authd --config FILE --copy-to FILE\n"
            "       authd --config FILE data-key wrap PLAIN_KEY_FILE\n"
            "\n"
            "  init               create the store (authd never creates one by itself)\n"
            "  store check        read the whole store: every record, the holder index, both logs\n"
            "  data-key wrap F    print the data key in F wrapped by the data_key_wrapping key (in a\n"
            "                     token): what data_key then holds\n"
            "\n"
            "  --config FILE      YAML configuration (see authd/authd.example.yaml)\n"
            "  --listen ADDR:PORT plain-HTTP listener on a loopback address; when given, replaces the\n"
            "                     configuration's listeners (repeat for several)\n"
            "  --data DIR         LMDB data directory, overriding data_dir\n"
            "  --copy-to FILE     copy the store into the empty one FILE's store section names\n"
            "                     (LMDB to PostgreSQL or back), keeping ids, places and logs; then exit\n"
            "  --allow-rollback   start on a store whose logs are behind (or not an extension of) the\n"
            "                     checkpoints state_dir keeps, printing what is lost\n"
            "  --version          print the version and exit\n"
            "\n"
            "Stops gracefully on SIGTERM or SIGINT.\n");
}

static void print_banner(const struct authd_server *server)
{
    const struct authd_config *c = server->config;
    if (c->store_backend == AUTHD_STORE_POSTGRESQL)
        fprintf(stderr, "authd %s: %u worker%s, data in PostgreSQL (%s)\n", AUTHD_VERSION, c->workers,
                c->workers == 1 ? "" : "s", c->pg_conninfo);
    else
        fprintf(stderr, "authd %s: %u worker%s, data in %s\n", AUTHD_VERSION, c->workers,
                c->workers == 1 ? "" : "s", c->data_dir);
    for (size_t i = 0; i < c->listener_count; i++) {
        const struct authd_listener_config *l = &c->listeners[i];
        int v6 = strchr(l->host, ':') != NULL;
        fprintf(stderr, "  listening on %s://%s%s%s:%u/\n", l->tls_cert ? "https" : "http", v6 ? "[" : "",
                l->host, v6 ? "]" : "", l->port);
    }
    const struct authd_listener_config *l = &c->listeners[0];
    /* The demo tokens live in keys-example/tokens/ (clients.yaml holds only their hashes). */
    fprintf(stderr, "try (a client's bearer token, e.g. keys-example/tokens/admin.token):\n");
    fprintf(stderr,
            "  curl %s-H \"authorization: Bearer $(cat keys-example/tokens/admin.token)\" "
            "%s://%s:%u/v1/ident/11010519491231002X\n",
            l->tls_cert ? "-k " : "", l->tls_cert ? "https" : "http", l->host, l->port);
    fprintf(stderr, "  curl %s%s://%s:%u/v1/trust\n", l->tls_cert ? "-k " : "",
            l->tls_cert ? "https" : "http", l->host, l->port);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},   {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {"copy-to", required_argument, NULL, 'C'},
        {"allow-rollback", no_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *data_dir = NULL, *copy_to = NULL;
    bool allow_rollback = false;
    struct authd_listener_config cli_listeners[AUTHD_MAX_LISTENERS];
    size_t cli_listener_count = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:l:d:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'C':
            copy_to = optarg;
            break;
        case 'R':
            allow_rollback = true;
            break;
        case 'l':
            if (cli_listener_count == AUTHD_MAX_LISTENERS ||
                authd_config_parse_listen(optarg, &cli_listeners[cli_listener_count]) != 0) {
                fprintf(stderr, "authd: --listen %s: expected ADDR:PORT with a numeric address\n", optarg);
                return 2;
            }
            cli_listener_count++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("authd %s\n", AUTHD_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    enum { SERVE, INIT, STORE_CHECK, WRAP_DATA_KEY } command = SERVE;
    if (optind + 1 == argc && strcmp(argv[optind], "init") == 0)
        command = INIT;
    else if (optind + 3 == argc && strcmp(argv[optind], "data-key") == 0 &&
             strcmp(argv[optind + 1], "wrap") == 0)
        command = WRAP_DATA_KEY;
    else if (optind + 2 == argc && strcmp(argv[optind], "store") == 0 &&
             strcmp(argv[optind + 1], "check") == 0)
        command = STORE_CHECK;
    else if (optind != argc)
        command = -1;
    if (!config_path || (int)command < 0 || (copy_to && command != SERVE)) {
        usage(stderr);
        return 2;
    }

    struct authd_config config;
    char err[1024];
    if (authd_config_load(&config, config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "authd: %s\n", err);
        authd_config_free(&config);
        return 2;
    }
    if (cli_listener_count) authd_config_replace_listeners(&config, cli_listeners, cli_listener_count);
    if (data_dir) {
        free(config.data_dir);
        config.data_dir = strdup(data_dir);
    }
    config.allow_rollback = allow_rollback;
    if (authd_config_derive(&config) != 0) {
        fprintf(stderr, "authd: out of memory\n");
        authd_config_free(&config);
        return 1;
    }
    if (authd_config_validate(&config, err, sizeof(err)) != 0) {
        fprintf(stderr, "authd: %s\n", err);
        authd_config_free(&config);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Buffers of 64 KiB and more (request bodies, answers) are mapped apart and unmapped when freed, so a
     * burst's memory goes back to the kernel when it ends (glibc would otherwise raise the threshold as
     * they are freed and keep them in its heaps). */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    if (copy_to || command != SERVE) {
        int done = copy_to                    ? authd_copy_command(&config, copy_to)
                   : command == INIT          ? authd_init_command(&config)
                   : command == WRAP_DATA_KEY ? authd_data_key_wrap_command(&config, argv[optind + 2])
                                              : authd_store_check_command(&config);
        authd_config_free(&config);
        return done;
    }

    int status = 1;
    struct authd_server server = {
        .config = &config, .on_ready = print_banner, .on_reload = authd_services_reload};
    if (config.regions_file) {
        size_t bad_line = 0;
        certlib_err cerr = certlib_regions_new(&server.regions);
        if (!cerr) cerr = certlib_regions_load_tsv(server.regions, config.regions_file, &bad_line);
        if (cerr) {
            fprintf(stderr, "authd: regions_file %s:%zu: %s\n", config.regions_file, bad_line,
                    certlib_strerror(cerr));
            goto out;
        }
    }
    if (authd_accesslog_open(&server.accesslog, config.access_log, err, sizeof(err)) != 0) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    authd_block_signals(); /* before the writer's and the status lists' threads start */
    authd_err started = authd_services_start(&server, err, sizeof(err));
    if (started != AUTHD_OK) {
        fprintf(stderr, "authd: %s\n", err);
        status = started == AUTHD_E_CONFIG ? 2 : 1; /* exit status: 2 for the configuration, 1 otherwise */
        goto out;
    }
    if (authd_server_run(&server, err, sizeof(err)) != 0) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    fprintf(stderr, "authd: stopped\n");
    status = 0;
out:
    authd_services_stop(&server);
    authd_accesslog_close(server.accesslog);
    certlib_regions_free(server.regions);
    authd_config_free(&config);
    return status;
}
