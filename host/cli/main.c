#include "args.h"
#include "commands.h"

#include "adnet.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"devices", cmd_devices, "list the OpenCL platforms and devices"},
    {"segment", cmd_segment, "segment the frames of a video"},
    {"demo", cmd_demo, "run the model end to end on generated weights and a generated clip"},
    {"eval", cmd_eval, "score masks against DAVIS annotations (J, F, as DAVIS-2016 does)"},
    {"inspect", cmd_inspect, "describe a weights file and check it against the architecture"},
    {"bench", cmd_bench, "measure speed, where the time goes, peak and memory per device"},
    {"tune", cmd_tune, "search each device's kernel parameters and cache the fastest"},
};

static void usage(FILE *out) {
    fprintf(out, "Usage: adnet <command> [options]\n\n"
                 "AD-Net (Anchor Diffusion Network) video object segmentation on any OpenCL "
                 "device.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'adnet <command> --help' shows a command's options.\n"
                 "Environment: ADNET_DEVICE (default device spec), ADNET_CACHE_DIR (kernel "
                 "cache),\nADNET_GEMM (clblast or adnet: the convolutions' matrix product; "
                 "default adnet's on CPU\ndevices, CLBlast's elsewhere), ADNET_TUNE (off: ignore "
                 "`adnet tune`'s entries).\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("adnet %s (%s)\n", ADNET_VERSION_STRING, ADNET_GIT_COMMIT);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "adnet: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
