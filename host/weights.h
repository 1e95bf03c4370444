/* Weights: a source of named float32 tensors for the architecture, either a safetensors
 * file (memory-mapped, bounds-checked, F32/F16/BF16) or synthetic random values of the right
 * shapes (benchmarks and the demo, where speed does not depend on the values). Names are the
 * released state_dict's; a "module." prefix (DataParallel) is accepted and dsn.* ignored. */
#ifndef ADN_WEIGHTS_H
#define ADN_WEIGHTS_H

#include "arch.h"

typedef struct adn_weights adn_weights;

/* Opens a safetensors file. Errors name the file and the problem (missing, truncated,
 * header out of bounds, unsupported dtype, ...). */
adnet_status adn_weights_open(const char *path, adn_weights **out);

/* Synthetic weights for arch: deterministic pseudo-random values from seed, scaled so that
 * activations stay finite through the whole network (BN variances positive, etc.). */
adnet_status adn_weights_synthetic(const adn_arch *arch, uint64_t seed, adn_weights **out);

void adn_weights_close(adn_weights *w);

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
 * the expected and the found shape. */
adnet_status adn_weights_read(const adn_weights *w, const char *name, int ndim,
                              const int64_t *shape, float *dst);

/* A metadata value of the file (NULL when absent or synthetic). */
const char *adn_weights_metadata(const adn_weights *w, const char *key);

#endif
