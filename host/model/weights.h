/* Weights: a source of named float32 tensors for the architecture, either a safetensors
 * file (memory-mapped, bounds-checked, F32/F16/BF16) or synthetic random values of the right
 * shapes (benchmarks and the demo, where speed does not depend on the values). Names are the
 * released state_dict's; a "module." prefix (DataParallel) is accepted and [features.]dsn.*
 * ignored. */
#ifndef ADN_WEIGHTS_H
#define ADN_WEIGHTS_H

#include "arch.h"

typedef struct adn_weights adn_weights;

/* Opens a safetensors file. Errors name the file and the problem (missing, truncated,
 * header out of bounds, offsets that disagree with shape and dtype, the same tensor with and
 * without "module.", ...). Every tensor's layout is checked here; whether a tensor's dtype
 * converts to float32 is checked by adn_weights_check and adn_weights_read, for the tensors
 * the model reads (a file may carry others, such as I64 num_batches_tracked). */
adnet_status adn_weights_open(const char *path, adn_weights **out);

/* Synthetic weights for arch: deterministic pseudo-random values from seed, scaled so that
 * activations stay finite through the whole network (BN variances positive, etc.). Each
 * tensor is computed when read, from (seed, name); the scheme is described in weights.c.
 * adn_weights_arch returns arch's model unless told another that fits the same tensors. */
adnet_status adn_weights_synthetic(const adn_arch *arch, uint64_t seed, adn_weights **out);

void adn_weights_close(adn_weights *w);

/* Whether a tensor name (without "module.") is one that inference never reads and every
 * loader skips: the deep-supervision branch (dsn.*, features.dsn.* in the models built on the
 * backbone) and BatchNorm's num_batches_tracked. */
int adn_weights_ignored_name(const char *name);

/* The path given to adn_weights_open ("(synthetic)" for synthetic weights). */
const char *adn_weights_path(const adn_weights *w);

/* Infers the architecture. forced != UNKNOWN sets the model; otherwise the file's metadata
 * "model", else the shapes where they decide it (no cls.* tensors: base; a 384-channel
 * classifier: ad); a 256-channel classifier with neither is an error asking for --model.
 * Depth comes from the number of layer3 blocks, E from head.1.weight. A forced model that
 * contradicts the shapes is an error. */
adnet_status adn_weights_arch(const adn_weights *w, adnet_model_kind forced, adn_arch *arch);

/* Reads tensor name (without "module.") as float32 into dst, which holds the product of
 * shape. A missing tensor or another shape is an ADNET_ERR_WEIGHTS error naming the tensor,
 * the expected and the found shape; a dtype other than F32, F16, BF16 is ADNET_ERR_FORMAT.
 * Reads only: several threads may read from one handle at once. */
adnet_status adn_weights_read(const adn_weights *w, const char *name, int ndim,
                              const int64_t *shape, float *dst);

/* Opens a weights file, infers its architecture (kind as adn_weights_arch takes it) and checks
 * every tensor against it: what a loader does before any device memory is taken. On failure
 * nothing stays open. */
adnet_status adn_weights_open_checked(const char *path, adnet_model_kind kind, adn_weights **out,
                                      adn_arch *arch);

/* A metadata value of the file (NULL when absent or synthetic). */
const char *adn_weights_metadata(const adn_weights *w, const char *key);

#define ADN_WEIGHTS_MAX_RANK 8

/* The shape of tensor name (without "module."): returns 1 and fills ndim and shape when w
 * holds it, 0 otherwise (ignored tensors, dsn.* and num_batches_tracked, are never held). */
int adn_weights_shape(const adn_weights *w, const char *name, int *ndim,
                      int64_t shape[ADN_WEIGHTS_MAX_RANK]);

/* Checks that w holds every tensor arch reads, with the shape arch expects and a dtype that
 * converts to float32 (F32, F16, BF16), before anything is allocated for the model. The
 * message names the first tensor that does not fit and counts the others. A loader calls
 * open, arch, check, then read for each tensor. */
adnet_status adn_weights_check(const adn_weights *w, const adn_arch *arch);

#endif
