/* certctl: the command-line face of certlib. Each subcommand lives in its own file. */
#ifndef CERTCTL_H
#define CERTCTL_H

#include <stdint.h>
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

int certctl_issue_main(int argc, char **argv);
void certctl_issue_usage(FILE *out);
int certctl_verify_main(int argc, char **argv);
void certctl_verify_usage(FILE *out);
int certctl_inspect_main(int argc, char **argv);
void certctl_inspect_usage(FILE *out);
int certctl_disclose_main(int argc, char **argv);
void certctl_disclose_usage(FILE *out);
int certctl_status_list_main(int argc, char **argv);
void certctl_status_list_usage(FILE *out);
int certctl_challenge_main(int argc, char **argv);
void certctl_challenge_usage(FILE *out);
int certctl_present_main(int argc, char **argv);
void certctl_present_usage(FILE *out);
int certctl_qr_main(int argc, char **argv);
void certctl_qr_usage(FILE *out);
int certctl_audit_main(int argc, char **argv);
void certctl_audit_usage(FILE *out);
int certctl_trace_main(int argc, char **argv);
void certctl_trace_usage(FILE *out);
int certctl_use_record_main(int argc, char **argv);
void certctl_use_record_usage(FILE *out);
int certctl_wallet_main(int argc, char **argv);
void certctl_wallet_usage(FILE *out);
int certctl_trust_list_main(int argc, char **argv);
void certctl_trust_list_usage(FILE *out);

/* True when `arg` is -h or --help. */
int certctl_is_help(const char *arg);

/* Reads a whole file ("-" is standard input) up to `max` bytes; prints why on failure. */
int certctl_read_file(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len);
/* Reads a licence or presentation: CBOR, the EL1: text of its QR code, or base64url text (as in authd's
 * JSON answers), into CBOR bytes (malloc'd). Returns CERTCTL_EXIT_OK, or the exit status after printing
 * why: CERTCTL_EXIT_USAGE for a file that cannot be read, CERTCTL_EXIT_INVALID for text that does not
 * decode. */
int certctl_read_licence(const char *cmd, const char *path, uint8_t **out, size_t *len);
/* Writes bytes to `path` ("-" or NULL is standard output), atomically for files. */
int certctl_write_file(const char *cmd, const char *path, const uint8_t *bytes, size_t len);
/* Parses "YYYY-MM-DD" (00:00 China Standard Time), "YYYY-MM-DDTHH:MM:SSZ" or Unix seconds. */
int certctl_parse_time(const char *s, int64_t *t);
/* A short text given on the command line: the argument itself, or, when a file of that name exists,
 * the file's content without trailing whitespace. malloc'd and NUL-terminated; NULL after printing why. */
char *certctl_text_arg(const char *cmd, const char *arg, size_t *len);
/* A log's C2SP verifier key: the key text itself, or a file holding it. Prints why on failure. */
struct certlib_note_verifier;
int certctl_load_log_key(const char *cmd, const char *arg, struct certlib_note_verifier *out);
/* A witness policy from the command line (--witness KEY..., --quorum K): the cosigners' verifier keys
 * and how many of them must have cosigned a checkpoint (all of them unless --quorum says). */
#define CERTCTL_MAX_WITNESSES 16
#include "certlib/tlog.h"
struct certctl_witnesses {
    certlib_note_verifier keys[CERTCTL_MAX_WITNESSES];
    size_t n, quorum;
};
/* --witness: a cosigner key (text, or a file holding it). Prints why on failure. */
int certctl_witness_add(const char *cmd, const char *arg, struct certctl_witnesses *w);
/* --quorum. Prints why on failure. */
int certctl_witness_quorum(const char *cmd, const char *arg, struct certctl_witnesses *w);
/* After the options: the quorum defaults to every witness, and may not exceed them. */
int certctl_witness_done(const char *cmd, struct certctl_witnesses *w);

/* A counter's challenge: the ELC1: text itself, or a file holding it. Prints why on failure. */
struct certlib_challenge;
int certctl_load_challenge(const char *cmd, const char *arg, struct certlib_challenge *out);
/* Prints "certctl CMD: REFUSED: <why>" and returns CERTCTL_EXIT_INVALID. */
__attribute__((format(printf, 2, 3))) int certctl_refuse(const char *cmd, const char *fmt, ...);
/* Formats Unix seconds as an RFC 3339 UTC time. */
void certctl_format_time(int64_t t, char out[32]);

#endif
