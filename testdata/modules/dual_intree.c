// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: variant B of modcrash_dual: claims in-tree staging (C, not O) */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "variant B of modcrash_dual: claims in-tree staging (C, not O)"
#include "mc_module.h"
MODULE_INFO(intree, "Y");
MODULE_INFO(staging, "Y");
