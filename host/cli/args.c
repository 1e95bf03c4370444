#include "args.h"

#include "adnet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One option: its name in a 24-column field, its help wrapped at word boundaries to 100
 * columns, continuation lines indented under the help. */
static void print_wrapped(const char *left, const char *text) {
    enum { INDENT = 27, WIDTH = 100 };
    printf("  %-24s ", left);
    int col = strlen(left) > 24 ? 3 + (int)strlen(left) : INDENT;
    if (col > INDENT) {
        printf("\n%*s", INDENT, "");
        col = INDENT;
    }
    const char *s = text;
    while (*s) {
        while (*s == ' ') s++;
        size_t word = strcspn(s, " ");
        if (!word) break;
        if (col > INDENT && col + 1 + (int)word > WIDTH) {
            printf("\n%*s", INDENT, "");
            col = INDENT;
        } else if (col > INDENT) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)word, s);
        col += (int)word;
        s += word;
    }
    putchar('\n');
}

static void print_help(const cli_command *cmd) {
    printf("Usage: %s %s\n\n%s\n\nOptions:\n", cmd->name, cmd->synopsis, cmd->description);
    for (int i = 0; i < cmd->n_options; i++) {
        const cli_option *o = &cmd->options[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        char text[1024];
        int n = snprintf(text, sizeof text, "%s", o->help);
        if (o->value && *o->value && n >= 0 && (size_t)n < sizeof text)
            snprintf(text + n, sizeof text - (size_t)n, " (default: %s)", *o->value);
        print_wrapped(left, text);
    }
    printf("  %-24s %s\n", "--help", "show this help and exit");
    if (cmd->epilog)
        printf("\n%s", cmd->epilog);
    else
        printf("\nExit status: 0 success, 1 the run failed (the message names the file or "
               "device), 2 bad command line.\n");
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cmd->name);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_fail(int status) {
    const char *msg = adnet_last_error();
    fprintf(stderr, "adnet: %s\n", msg && *msg ? msg : adnet_strerror((adnet_status)status));
    return status == ADNET_ERR_DEVICE_LOST ? CLI_EXIT_DEVICE : CLI_EXIT_FAILURE;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const char **positional,
              int *n_positional) {
    *n_positional = 0;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (*n_positional >= cmd->max_positional)
                return cli_usage_error(cmd, "unexpected argument '%s'", a);
            positional[(*n_positional)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(cmd);
            return CLI_EXIT_OK;
        }
        if (a[1] != '-') return cli_usage_error(cmd, "unknown option '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *o = NULL;
        for (int k = 0; k < cmd->n_options; k++)
            if (strlen(cmd->options[k].name) == len && !strncmp(cmd->options[k].name, name, len))
                o = &cmd->options[k];
        if (!o) return cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
        if (!o->metavar) {
            if (eq) return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
            *o->flag = 1;
            continue;
        }
        if (eq)
            *o->value = eq + 1;
        else if (i + 1 < argc)
            *o->value = argv[++i];
        else
            return cli_usage_error(cmd, "option '--%s' needs a value (%s)", o->name, o->metavar);
    }
    if (*n_positional < cmd->min_positional)
        return cli_usage_error(cmd, "missing argument; usage: %s %s", cmd->name, cmd->synopsis);
    return -1;
}

int cli_parse_size(const char *s, int *w, int *h) {
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X')) return -1;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || a <= 0 || b <= 0 || a > 16384 || b > 16384) return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int cli_parse_shard(const char *s, int *i, int *n) {
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return -1;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return -1;
    *i = (int)a;
    *n = (int)b;
    return 0;
}

int cli_parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 1000000000) return -1;
    *out = (int)v;
    return 0;
}
