// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: variant A of modcrash_dual: out-of-tree (O) */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "variant A of modcrash_dual: out-of-tree (O)"
#include "mc_module.h"
