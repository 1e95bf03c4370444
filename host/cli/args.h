/* Command-line options for the subcommands: one table per command gives parsing, --help with
 * every option and its default, and errors that name the option. */
#ifndef ADN_CLI_ARGS_H
#define ADN_CLI_ARGS_H

/* Exit codes, the same for every subcommand (listed by --help and docs/usage.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1, /* the run failed: bad input file, device or I/O error */
    CLI_EXIT_USAGE = 2,   /* the command line itself is wrong */
    CLI_EXIT_DEVICE = 3   /* every device failed: retryable, the input is not at fault */
};

typedef struct cli_option {
    const char *name;    /* long name without dashes: "device" */
    const char *metavar; /* "SPEC"; NULL for a flag */
    const char *help;
    const char **value; /* for options with an argument; holds the default on entry */
    int *flag;          /* for flags: set to 1 when present */
} cli_option;

typedef struct cli_command {
    const char *name;     /* "adnet segment" */
    const char *synopsis; /* "--weights W --frames DIR --out OUT [options]" */
    const char *description;
    const char *epilog; /* printed after the options (exit codes, examples); may be NULL */
    cli_option *options;
    int n_options;
    int min_positional, max_positional;
} cli_command;

/* Parses argv (argv[0] is the subcommand). Positional arguments are stored in positional
 * (up to max_positional). Returns -1 to continue, or an exit code: 0 after --help, 2 after a
 * usage error (already printed). */
int cli_parse(const cli_command *cmd, int argc, char **argv, const char **positional,
              int *n_positional);

/* Prints an error of the usage kind and returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "adnet: <message>" for a failed library call and returns CLI_EXIT_FAILURE. */
int cli_fail(int status);

/* Parses "WxH" into positive integers; returns 0 on success. */
int cli_parse_size(const char *s, int *w, int *h);
/* Parses "I/N" (0 <= I < N <= 1000000) for --shard; returns 0 on success. */
int cli_parse_shard(const char *s, int *i, int *n);
/* Parses a non-negative integer; returns 0 on success. */
int cli_parse_int(const char *s, int *out);

#endif
