// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: staging driver (taints C), left loaded */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "staging driver (taints C), left loaded"
#include "mc_module.h"
MODULE_INFO(staging, "Y");
