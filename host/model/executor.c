/* The executor: a planned graph's steps enqueued as ops, in order, without waiting. */
#include "executor.h"

#include "status.h"

static adn_tensor tensor_of(const adn_graph *g, int id, cl_mem arena, cl_mem external) {
    const adn_gvalue *v = &g->v[id];
    adn_tensor t = {v->external ? external : arena, v->off, v->c, v->h, v->w};
    return t;
}

adnet_status adn_graph_run(adn_device *dev, const adn_graph *g, const adn_conv_weights *convs,
                           cl_mem arena, cl_mem external) {
    for (int i = 0; i < g->ns; i++) {
        const adn_gstep *s = &g->s[i];
        adn_device_set_step(dev, i);
        adn_tensor in = s->in >= 0 ? tensor_of(g, s->in, arena, external) : (adn_tensor){0};
        adn_tensor out = s->out >= 0 ? tensor_of(g, s->out, arena, external) : (adn_tensor){0};
        adnet_status st = ADNET_OK;
        switch (s->info.op) {
            case ADN_STEP_CONV: {
                adn_tensor res =
                    s->res >= 0 ? tensor_of(g, s->res, arena, external) : (adn_tensor){0};
                adn_tensor scr =
                    s->scratch >= 0 ? tensor_of(g, s->scratch, arena, external) : (adn_tensor){0};
                st = adn_conv(dev, &convs[s->layer], &in, &out, s->res >= 0 ? &res : NULL, s->act,
                              scr.mem, scr.off, s->scratch_floats);
                break;
            }
            case ADN_STEP_MAXPOOL:
                st = adn_maxpool(dev, &in, &out, s->pool_k, s->pool_stride, s->pool_pad);
                break;
            case ADN_STEP_GAP:
                st = adn_global_avgpool(dev, &in, &out);
                break;
            case ADN_STEP_RESIZE:
                st = adn_resize_bilinear(dev, &in, &out);
                break;
            case ADN_STEP_COPY:
                st = adn_copy(dev, &in, &out);
                break;
            case ADN_STEP_ATTENTION: {
                adn_tensor xt = tensor_of(g, s->in2, arena, external);
                adn_tensor o2 =
                    s->out2 >= 0 ? tensor_of(g, s->out2, arena, external) : (adn_tensor){0};
                st = adn_attention(dev, s->in >= 0 ? &in : NULL, &xt, s->out >= 0 ? &out : NULL,
                                   s->out2 >= 0 ? &o2 : NULL);
                break;
            }
        }
        if (st != ADNET_OK) {
            adn_device_set_step(dev, -1);
            return adn_fail_context(st, "step %d (%s): ", i, s->info.name);
        }
    }
    adn_device_set_step(dev, -1);
    return ADNET_OK;
}
