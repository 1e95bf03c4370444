/* adnet segment: placeholder until the model lands. */
#include "args.h"
#include "commands.h"

#include <stdio.h>

int cmd_segment(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "adnet segment: not built yet\n");
    return CLI_EXIT_FAILURE;
}
