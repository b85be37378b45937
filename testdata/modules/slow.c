// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: init sleeps so that concurrent duplicate loads collide */
#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "init sleeps so that concurrent duplicate loads collide"
#define MC_INIT_SLEEP_MS 1500
#include "mc_module.h"
