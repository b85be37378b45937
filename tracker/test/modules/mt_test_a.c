// SPDX-License-Identifier: GPL-2.0
/* modtrack test module a: see mt_test_body.h */
#include "mt_test_body.h"
