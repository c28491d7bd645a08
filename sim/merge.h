/*
 * merge.h - `kmemsim merge OUT.db IN.db...`: result databases into one
 * (rules in merge.c), and `kmemsim export`: one row per run for pandas,
 * R or a spreadsheet.
 */
#ifndef KMS_MERGE_H
#define KMS_MERGE_H

int cmd_merge(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
