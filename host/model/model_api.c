/* The public model calls of adnet.h, over the model layer. */
#include "model.h"

#include "status.h"

#include <stdio.h>
#include <string.h>

adnet_status adnet_model_load(const char *weights_path, adnet_model_kind kind, int device_index,
                              adnet_model **out) {
    *out = NULL;
    adn_weights *w;
    adn_arch arch;
    /* every tensor is checked before any device memory is taken */
    ADN_TRY(adn_weights_open_checked(weights_path, kind, &w, &arch));
    adn_device *dev = NULL;
    adnet_status st = device_index < 0 ? adnet_device_select(NULL, &device_index) : ADNET_OK;
    if (st == ADNET_OK) st = adn_device_open(device_index, 0, &dev);
    adnet_model *m = NULL;
    if (st == ADNET_OK) st = adn_model_create(dev, w, &arch, &m);
    adn_weights_close(w);
    if (st != ADNET_OK) {
        adn_device_close(dev);
        return st;
    }
    adn_model_adopt_device(m);
    *out = m;
    return ADNET_OK;
}

adnet_status adnet_model_get_info(const adnet_model *m, adnet_model_info *info) {
    memset(info, 0, sizeof *info);
    const adn_arch *arch = adn_model_arch(m);
    info->kind = arch->kind;
    info->depth = arch->depth;
    info->embed = arch->embed;
    info->params = adn_arch_param_count(arch);
    snprintf(info->device, sizeof info->device, "%s", adn_model_device(m)->entry.info.name);
    return ADNET_OK;
}

adnet_status adnet_model_set_anchor(adnet_model *m, const float *input, int width, int height) {
    return adn_model_anchor(m, 0, input, width, height);
}

adnet_status adnet_model_run(adnet_model *m, const float *input, int width, int height,
                             float *logits) {
    adn_event done;
    ADN_TRY(adn_model_submit(m, 0, input, width, height, logits, &done));
    adnet_status st = adn_events_wait(1, &done, "running the model");
    adn_event_release(done);
    return st;
}

void adnet_feature_size(int width, int height, int *feat_w, int *feat_h) {
    adn_feature_size(width, height, feat_w, feat_h);
}
