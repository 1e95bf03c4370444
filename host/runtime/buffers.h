/* Device buffers of an opened device: allocated through here so that current and peak device
 * memory are known, failing early and clearly when a request exceeds what the device allows;
 * transfers and copies on the device's queue, traced when profiling. */
#ifndef ADN_BUFFERS_H
#define ADN_BUFFERS_H

#include "device.h"
#include "events.h"

adnet_status adn_buffer_alloc(adn_device *dev, size_t bytes, cl_mem *out);
/* bytes: what was allocated (for the counters); a NULL mem is ignored. */
void adn_buffer_free(adn_device *dev, cl_mem mem, size_t bytes);

/* Blocking transfers: they return when the data has arrived. */
adnet_status adn_buffer_write(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                              const void *src);
adnet_status adn_buffer_read(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                             void *dst);
adnet_status adn_buffer_fill_zero(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes);

/* Non-blocking transfers: they return once enqueued. src must stay unchanged until the queue
 * has run the write (a later blocking call, adn_finish, or an event after it completes); dst
 * is valid once *done completes (adn_events_wait, then adn_event_release). The write is
 * traced; the read's event goes to the caller and is not. */
adnet_status adn_buffer_write_async(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                                    const void *src);
adnet_status adn_buffer_read_async(adn_device *dev, cl_mem mem, size_t offset_bytes, size_t bytes,
                                   void *dst, adn_event *done);

/* A device-side copy of bytes between (or within) buffers, in queue order. */
adnet_status adn_buffer_copy(adn_device *dev, cl_mem src, size_t src_offset_bytes, cl_mem dst,
                             size_t dst_offset_bytes, size_t bytes);

/* The size of a buffer in bytes. */
adnet_status adn_buffer_size(cl_mem mem, size_t *bytes);

#endif
