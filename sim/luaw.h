/*
 * luaw.h - Lua workloads: kmemsim embeds LuaJIT and runs a script whose
 * calls reach the engine through FFI (sim/kmemsim_api.h).
 */
#ifndef KMS_LUAW_H
#define KMS_LUAW_H

#include <stdio.h>
#include "base.h"
struct sim;

/* Run script against s (p->set_key/set_val are its parameters). Returns 0,
 * or 2 with "file:line: message" in err; what was recorded is kept. */
int luaw_run(struct sim *s, const char *script, char *err, size_t errlen);
/* `kmemsim describe SCRIPT`: print the script's description and parameters. */
int luaw_describe(const char *script, FILE *out);

#endif
