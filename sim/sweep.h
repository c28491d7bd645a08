/*
 * sweep.h - `kmemsim sweep SPEC`: a whole study described in a small
 * file, run on local processes or handed to Slurm or GNU parallel. The
 * spec format and the rules are in sweep.c.
 */
#ifndef KMS_SWEEP_H
#define KMS_SWEEP_H

#include "base.h"

struct params;

/* The parameters `kmemsim run ARGV` would run with (argv[0] = "run");
 * bad usage: a message and exit 2. main.c passes its own parser, so the
 * sweep checks every planned run exactly as `run` will. */
typedef void (*sweep_params_fn_t)(int argc, char **argv, struct params *p);

int cmd_sweep(int argc, char **argv, sweep_params_fn_t params_fn);

#endif
