/*
 * api.h - binding the Lua API (kmemsim_api.h) to a simulation. Internal to
 * luaw.c and api.c; scripts never see it.
 */
#ifndef KMS_API_H
#define KMS_API_H

struct sim;
struct params;

/* Make s (may be NULL: `describe`) the simulation every kms_* call acts on;
 * p supplies the --set values. */
void kms_api_bind(struct sim *s, const struct params *p);

#endif
