/* certctl entry point: dispatches to the subcommands. */
#include <string.h>

#include "certctl.h"

static const struct certctl_command commands[] = {
    {"check", "check identity numbers, USCCs and organisation codes", certctl_check_main,
     certctl_check_usage},
    {"upgrade15", "upgrade a legacy 15-digit identity number to 18 digits", certctl_upgrade15_main,
     certctl_upgrade15_usage},
    {"issue", "issue a signed e-licence offline with a department's key", certctl_issue_main,
     certctl_issue_usage},
    {"verify", "verify an e-licence against a trust bundle and status lists", certctl_verify_main,
     certctl_verify_usage},
    {"inspect", "print an e-licence's structure and elements (no verification)", certctl_inspect_main,
     certctl_inspect_usage},
    {"disclose", "keep only some elements of an e-licence (it still verifies)", certctl_disclose_main,
     certctl_disclose_usage},
    {"status-list", "build, update or show a signed status list", certctl_status_list_main,
     certctl_status_list_usage},
    {"challenge", "make a counter's challenge for holder binding (ELC1: text)", certctl_challenge_main,
     certctl_challenge_usage},
    {"present", "answer a challenge with a licence and its device key (plays the app)", certctl_present_main,
     certctl_present_usage},
    {"qr", "draw a QR code (PNG or terminal) of QR text or a licence", certctl_qr_main, certctl_qr_usage},
    {"audit", "audit a transparency log: checkpoint, every tile and entry, consistency", certctl_audit_main,
     certctl_audit_usage},
    {"trace", "trace a disclosed copy to the access that released it (its disclosure mark)",
     certctl_trace_main, certctl_trace_usage},
    {"use-record", "show who used your licences (用证记录), each access proven in the access log",
     certctl_use_record_main, certctl_use_record_usage},
    {"wallet", "answer a counter's OpenID4VP request as the citizen's wallet, checking who asks for what",
     certctl_wallet_main, certctl_wallet_usage},
    {"trust-list", "sign a trust list, or check a peer's under its pinned key", certctl_trust_list_main,
     certctl_trust_list_usage},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

int certctl_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: certctl COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-11s  %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'certctl COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CERTCTL_EXIT_USAGE;
    }
    if (certctl_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        const char *topic = argc > 2 ? argv[2] : NULL;
        for (size_t i = 0; topic && i < N_COMMANDS; i++)
            if (strcmp(topic, commands[i].name) == 0) {
                commands[i].usage(stdout);
                return CERTCTL_EXIT_OK;
            }
        usage(stdout);
        return CERTCTL_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "certctl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CERTCTL_EXIT_USAGE;
}
