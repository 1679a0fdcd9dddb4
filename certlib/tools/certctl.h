/* certctl: the command-line face of certlib. Each subcommand lives in its own file. */
#ifndef CERTCTL_H
#define CERTCTL_H

#include <stdio.h>

/* Exit codes shared by every subcommand. */
enum {
    CERTCTL_EXIT_OK = 0,      /* everything checked out */
    CERTCTL_EXIT_INVALID = 1, /* some input was invalid */
    CERTCTL_EXIT_USAGE = 2,   /* bad command line or unreadable input */
};

struct certctl_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    void (*usage)(FILE *out);
};

int certctl_check_main(int argc, char **argv);
void certctl_check_usage(FILE *out);
int certctl_upgrade15_main(int argc, char **argv);
void certctl_upgrade15_usage(FILE *out);

/* True when `arg` is -h or --help. */
int certctl_is_help(const char *arg);

#endif
