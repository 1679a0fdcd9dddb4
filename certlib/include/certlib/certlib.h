/* Umbrella header: everything certlib offers. Link with -lcertlib (pkg-config certlib). */
#ifndef CERTLIB_H
#define CERTLIB_H

#include "common.h"
#include "error.h"
#include "encoding.h"
#include "region.h"
#include "ident.h"
#include "licence.h"
#include "licence_id.h"
#include "logentry.h"
#include "mark.h"
#include "present.h"
#include "qr.h"
#include "signer.h"
#include "status.h"
#include "tlog.h"
#include "trust.h"
#include "trust_list.h"
#include "verify.h"
#include "wallet.h"

#endif
