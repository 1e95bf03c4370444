/* The inside of adn_attention (declared in ops.h): how the work is laid out on a device.
 * Exposed so that tests can run the kernel with tile sizes of their choosing (tiny tiles, the
 * fallback kernel, the plans a GPU would get) besides the ones this device gets by default. */
#ifndef ADN_ATTENTION_H
#define ADN_ATTENTION_H

#include "ops.h"

/* These mirror the constants of cl/attention.cl. */
enum {
    ADN_ATTN_VEC = 8, /* query rows per work-item (one float8) */
    ADN_ATTN_COLS = 4 /* keys per work-item in the scores, channels in the accumulation */
};

typedef struct adn_attention_plan {
    adn_attention_kernel kernel;
    /* tiled: the local size is nrb x ng; a work-group holds rows = ADN_ATTN_VEC nrb query
     * rows, bq = rows / branches per branch, and visits the keys in tiles of bk */
    int nrb, ng; /* ng * ADN_ATTN_COLS >= E and >= bk */
    int bq, bk;
    size_t local_bytes; /* tiled: local memory the launch takes */
} adn_attention_plan;

/* What a device allows the tiled kernel. */
typedef struct adn_attention_limits {
    size_t wg_max;        /* work-items per work-group (CL_KERNEL_WORK_GROUP_SIZE) */
    size_t item_max[2];   /* work-items per dimension (CL_DEVICE_MAX_WORK_ITEM_SIZES) */
    uint64_t local_bytes; /* local memory a launch may take */
} adn_attention_limits;

adnet_status adn_attention_device_limits(adn_device *dev, adn_attention_limits *lim);

/* The tiled plan for embedding size e and 1 or 2 branches under lim: the largest tiles that fit
 * the profile's preferences (attn_*), or the fallback when none does. Fails only on e < 1 or a
 * wrong branch count. */
adnet_status adn_attention_choose(const adn_device_profile *prof, const adn_attention_limits *lim,
                                  int e, int branches, adn_attention_plan *plan);

/* Checks that plan can run under lim for embedding size e and the given number of branches
 * (tile constraints, work-group and local memory limits); fails naming the limit. */
adnet_status adn_attention_plan_check(const adn_attention_limits *lim, int e, int branches,
                                      const adn_attention_plan *plan);

/* The plan adn_attention uses on dev: the kernel its profile names; for the tiled one,
 * adn_attention_choose under the device's limits. */
adnet_status adn_attention_plan_for(adn_device *dev, int e, int branches, adn_attention_plan *plan);

/* adn_attention with a given plan (checked first). */
adnet_status adn_attention_with_plan(adn_device *dev, const adn_attention_plan *plan,
                                     const adn_tensor *x0, const adn_tensor *xt,
                                     const adn_tensor *out_anchor, const adn_tensor *out_self);

#endif
