// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: proprietary licence (taints P) */
#define MC_LICENSE "Proprietary"
#define MC_DESCRIPTION "proprietary licence (taints P)"
#include "mc_module.h"
