// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: init fails with -ENODEV */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "init fails with -ENODEV"
#define MC_INIT_RESULT (-ENODEV)
#include "mc_module.h"
