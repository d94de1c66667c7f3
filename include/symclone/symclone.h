/** @file
 * libsymclone: the umbrella header.  Include this one; it pulls in every
 * public part of the library.  See docs/ for the mathematics and the
 * conventions, and each header for its API. */
#ifndef SYMCLONE_SYMCLONE_H
#define SYMCLONE_SYMCLONE_H

#include <symclone/version.h>
#include <symclone/common.h>
#include <symclone/settings.h>
#include <symclone/group.h>
#include <symclone/layer.h>
#include <symclone/data.h>
#include <symclone/student.h>
#include <symclone/trainer.h>
#include <symclone/picture.h>
#include <symclone/diag.h>
#include <symclone/net.h>
#include <symclone/loader.h>
#include <symclone/interchange.h>


#endif
