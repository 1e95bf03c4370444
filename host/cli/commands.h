/* The subcommands of the adnet program, one file each. */
#ifndef ADN_CLI_COMMANDS_H
#define ADN_CLI_COMMANDS_H

int cmd_devices(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_tune(int argc, char **argv);

#endif
