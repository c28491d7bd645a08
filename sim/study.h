/*
 * study.h - subcommands that run or read many runs: `kmemsim compare`
 * and `kmemsim plot`.
 */
#ifndef KMS_STUDY_H
#define KMS_STUDY_H

int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
