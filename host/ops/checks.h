/* Argument checks shared by the ops (not by the layers above): each names the op and the
 * tensor in its message. */
#ifndef ADN_OPS_CHECKS_H
#define ADN_OPS_CHECKS_H

#include "ops.h"

/* Checks that t is a usable tensor: present, on a buffer, with positive dims, and addressable
 * by the kernels' 32-bit element offsets. role names it in the message ("adn_conv: x ..."). */
adnet_status adn_check_tensor(const adn_tensor *t, const char *op, const char *role);

/* Checks that t is c x h x w; the message gives both shapes. */
adnet_status adn_check_shape(const adn_tensor *t, int c, int h, int w, const char *op,
                             const char *role);

/* True when a and b share elements of the same buffer. */
int adn_tensors_overlap(const adn_tensor *a, const adn_tensor *b);

/* Fails when a and b share elements (an op that reads a while writing b would race). */
adnet_status adn_check_disjoint(const adn_tensor *a, const adn_tensor *b, const char *op,
                                const char *role_a, const char *role_b);

/* The same for elements [off, off + n) of mem (scratch) and tensor t. */
adnet_status adn_check_range_disjoint(cl_mem mem, size_t off, size_t n, const adn_tensor *t,
                                      const char *op, const char *role_range, const char *role_t);

/* Fails when t does not lie inside its buffer (a kernel would read or write past its end). */
adnet_status adn_check_in_buffer(const adn_tensor *t, const char *op, const char *role);

/* Fails on an activation outside adn_activation. */
adnet_status adn_check_activation(adn_activation act, const char *op);

#endif
