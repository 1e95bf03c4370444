/* The model layer's entry: AD-Net on one device, with its graphs (graph.h) planned once per
 * input size and the anchor embeddings kept on the device.
 *
 * Two graphs are planned per input size: the anchor graph (frame -> embedding X0, kept in an
 * anchor slot) and the frame graph (frame -> Xt -> attention with X0 -> classifier -> logits).
 * Both share one arena buffer whose offsets come from the memory planner (planner.h), so peak
 * device memory is known before the first kernel runs. */
#ifndef ADN_MODEL_H
#define ADN_MODEL_H

#include "arch.h"
#include "device.h"
#include "events.h"
#include "graph.h"
#include "weight_upload.h"
#include "weights.h"

/* Anchor slots: one per (size, mirror) the video pipeline uses (multi-scale + mirror needs 6). */
#define ADN_MAX_ANCHORS 8

/* Creates a model on an opened device from weights (file-backed or synthetic); arch must
 * come from adn_weights_arch or fit the weights. Folds every BN into its convolution. */
adnet_status adn_model_create(adn_device *dev, const adn_weights *weights, const adn_arch *arch,
                              adnet_model **out);

const adn_arch *adn_model_arch(const adnet_model *m);
adn_device *adn_model_device(const adnet_model *m);
/* The model closes its device when freed (adnet_model_load's models own theirs). */
void adn_model_adopt_device(adnet_model *m);

/* Plans the graphs for an input of width x height (cached; cheap when already planned).
 * Fails clearly when the input is too small or the plan does not fit on the device. */
adnet_status adn_model_prepare(adnet_model *m, int width, int height);

/* Floats of the anchor embedding for an input of width x height (0 for base, which has none). */
size_t adn_model_anchor_floats(const adnet_model *m, int width, int height);
/* Reads slot's embedding to the host (adn_model_anchor_floats floats, blocking), and writes
 * one there (computed on another device: a video's anchor is computed once per run). */
adnet_status adn_model_anchor_read(adnet_model *m, int slot, float *embedding);
adnet_status adn_model_anchor_write(adnet_model *m, int slot, const float *embedding, int width,
                                    int height);

/* Computes the anchor embedding of a preprocessed input into anchor slot `slot`. */
adnet_status adn_model_anchor(adnet_model *m, int slot, const float *input, int width, int height);

/* Enqueues one frame against anchor slot `slot` (the same size): uploads input, runs the frame
 * graph and reads the logits (feat_h x feat_w floats) into logits without waiting. input and
 * logits must stay valid until *done completes (adn_events_wait, then adn_event_release).
 * The next frame can be submitted before this one completes: the queue is in order. */
adnet_status adn_model_submit(adnet_model *m, int slot, const float *input, int width, int height,
                              float *logits, adn_event *done);

/* The steps of a planned graph (after adn_model_prepare). */
adnet_status adn_model_steps(adnet_model *m, int width, int height, adn_graph_kind g,
                             const adn_step_info **steps, int *n);
/* Arena bytes of the plan for width x height, and device bytes of the weights. */
adnet_status adn_model_memory(adnet_model *m, int width, int height, uint64_t *arena_bytes,
                              uint64_t *weight_bytes);

#endif
