/* A bounded first-in first-out queue of pointers between threads: the video pipeline's
 * decoder, dispatcher and writer threads and the scheduler's device workers hand work to each
 * other through these, and a full queue makes the producer wait (that bound is what keeps
 * memory flat on long videos). */
#ifndef ADN_QUEUE_H
#define ADN_QUEUE_H

#include "adnet.h"

#include <pthread.h>

typedef struct adn_queue {
    pthread_mutex_t mutex;
    pthread_cond_t not_empty, not_full;
    void **items;
    int capacity, head, count;
    int closed;
} adn_queue;

adnet_status adn_queue_init(adn_queue *q, int capacity);
/* Frees the queue itself, not the items left in it. */
void adn_queue_destroy(adn_queue *q);

/* Appends item, waiting while the queue is full. Returns 0, or -1 when the queue is closed
 * (the item was not taken: it still belongs to the caller). */
int adn_queue_push(adn_queue *q, void *item);
/* Removes the oldest item, waiting while the queue is empty and open. Returns NULL once the
 * queue is closed and empty. */
void *adn_queue_pop(adn_queue *q);
/* The same, waiting at most seconds (0: not at all). Returns NULL on a timeout (*timed_out = 1)
 * or once the queue is closed and empty (*timed_out = 0). */
void *adn_queue_pop_timed(adn_queue *q, double seconds, int *timed_out);
/* Items in the queue now. */
int adn_queue_count(adn_queue *q);
/* Closes the queue: pushes fail from now on, pops return what is left and then NULL, and
 * every waiting thread wakes up. */
void adn_queue_close(adn_queue *q);

#endif
