/*
 * live_update() and live_update_file(): replace a program with a new
 * binary.  The old program keeps serving when the new one fails to load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vcc_if.h"

VCL_BOOL
vmod_live_update_file(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING filename)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	char err[256];
	size_t len;
	void *image;

	if (vp == NULL)
		return 0;
	if (filename == NULL || *filename == '\0') {
		VRT_fail(ctx, VMOD_LOG_PREFIX "live_update_file(): no file name");
		return 0;
	}
	image = tkvm_read_file(filename, 1ULL << 30, &len, err, sizeof err);
	if (image == NULL || program_load_now(ctx, vp, image, len, err,
	    sizeof err) != 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "live update of '%s' "
		    "from %s failed, the old program keeps serving: %s", program,
		    filename, err);
		live_update_counted(vp->state, false);
		free(image);
		return 0;
	}
	free(image);
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "'%s' updated from %s",
	    program, filename);
	live_update_counted(vp->state, true);
	return 1;
}
