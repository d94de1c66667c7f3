/* Private: the group handle, shared by the files of lib/group. */
#ifndef SYMCLONE_GROUP_PRIV_H
#define SYMCLONE_GROUP_PRIV_H

#include "../common/internal.h"
#include <symclone/group.h>

struct symclone_group {
  symclone_group_kind kind;
  int order;
  int h, w; /* T2 torus */
  int n;    /* rotations of Cn and Dn */
  sym_err err;
};

#endif
