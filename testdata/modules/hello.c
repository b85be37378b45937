// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: loaded and unloaded several times (taints O, plus E on signing kernels) */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "loaded and unloaded several times (taints O, plus E on signing kernels)"
#include "mc_module.h"
