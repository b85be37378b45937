// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: out-of-tree module left loaded */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "out-of-tree module left loaded"
#include "mc_module.h"
MODULE_VERSION("1.2.3");
