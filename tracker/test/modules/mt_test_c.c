// SPDX-License-Identifier: GPL-2.0
/* modtrack test module c: see mt_test_body.h */
#include "mt_test_body.h"
