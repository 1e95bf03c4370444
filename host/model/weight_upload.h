/* The model's weights on a device: every convolution's folded weight and bias, packed into as
 * few buffers as the device's largest allocation allows. BatchNorm (In-Place ABN) is folded in
 * at load time, in double; weights are stored OHIW for adn_conv. */
#ifndef ADN_WEIGHT_UPLOAD_H
#define ADN_WEIGHT_UPLOAD_H

#include "arch.h"
#include "device.h"
#include "weights.h"

typedef struct adn_device_weights {
    adn_conv_weights *convs; /* one per layer, in the order of the layers given */
    int n_convs;
    cl_mem bufs[16];
    size_t buf_floats[16];
    int n_bufs;
    uint64_t bytes; /* device memory the weights take */
} adn_device_weights;

/* Reads, folds and uploads the n_layers convolutions (from adn_arch_layers) of w to dev. On
 * failure nothing stays allocated. */
adnet_status adn_device_weights_upload(adn_device *dev, const adn_weights *w,
                                       const adn_layer_desc *layers, int n_layers,
                                       adn_device_weights *out);
void adn_device_weights_free(adn_device *dev, adn_device_weights *dw);

#endif
