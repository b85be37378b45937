/* SPDX-License-Identifier: GPL-2.0 */
#include "../../kshim.h"
/* finit_module(2) flags, as include/uapi/linux/module.h */
#ifndef KSHIM_UAPI_MODULE_H
#define KSHIM_UAPI_MODULE_H
#define MODULE_INIT_IGNORE_MODVERSIONS	1
#define MODULE_INIT_IGNORE_VERMAGIC	2
#define MODULE_INIT_COMPRESSED_FILE	4
#endif
