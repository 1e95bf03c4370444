/* Runs a planned graph (graph.h) on a device. */
#ifndef ADN_EXECUTOR_H
#define ADN_EXECUTOR_H

#include "graph.h"
#include "device.h"

/* Enqueues every step of g on dev's queue and returns without waiting: values live at their
 * planned offsets in arena, external ones in external (the anchor slot); convolutions take
 * their weights from convs (one per layer of the architecture). With profiling on, each
 * step's events are traced with its index. A failing step's error names it. */
adnet_status adn_graph_run(adn_device *dev, const adn_graph *g, const adn_conv_weights *convs,
                           cl_mem arena, cl_mem external);

#endif
