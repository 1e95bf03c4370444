#include "work_queue.h"

#include "status.h"

#include <stdlib.h>
#include <time.h>

adnet_status adn_queue_init(adn_queue *q, int capacity) {
    q->items = calloc((size_t)capacity, sizeof *q->items);
    if (!q->items) return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of host memory (queue)");
    q->capacity = capacity;
    q->head = q->count = q->closed = 0;
    pthread_mutex_init(&q->mutex, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return ADNET_OK;
}

void adn_queue_destroy(adn_queue *q) {
    if (!q->items) return;
    pthread_mutex_destroy(&q->mutex);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    q->items = NULL;
}

int adn_queue_push(adn_queue *q, void *item) {
    pthread_mutex_lock(&q->mutex);
    while (q->count == q->capacity && !q->closed) pthread_cond_wait(&q->not_full, &q->mutex);
    if (q->closed) {
        pthread_mutex_unlock(&q->mutex);
        return -1;
    }
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
    return 0;
}

/* Removes the oldest item, if any, with the mutex held. */
static void *take_locked(adn_queue *q) {
    if (q->count == 0) return NULL;
    void *item = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
    return item;
}

void *adn_queue_pop(adn_queue *q) {
    pthread_mutex_lock(&q->mutex);
    while (q->count == 0 && !q->closed) pthread_cond_wait(&q->not_empty, &q->mutex);
    void *item = take_locked(q);
    pthread_mutex_unlock(&q->mutex);
    return item;
}

void *adn_queue_pop_timed(adn_queue *q, double seconds, int *timed_out) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double whole = seconds > 0 ? (double)(long)seconds : 0;
    until.tv_sec += (time_t)whole;
    until.tv_nsec += (long)((seconds > 0 ? seconds - whole : 0) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    *timed_out = 0;
    pthread_mutex_lock(&q->mutex);
    while (q->count == 0 && !q->closed) {
        if (seconds <= 0 || pthread_cond_timedwait(&q->not_empty, &q->mutex, &until) != 0) {
            if (q->count == 0 && !q->closed) *timed_out = 1;
            break;
        }
    }
    void *item = take_locked(q);
    if (item) *timed_out = 0;
    pthread_mutex_unlock(&q->mutex);
    return item;
}

int adn_queue_count(adn_queue *q) {
    pthread_mutex_lock(&q->mutex);
    int n = q->count;
    pthread_mutex_unlock(&q->mutex);
    return n;
}

void adn_queue_close(adn_queue *q) {
    pthread_mutex_lock(&q->mutex);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mutex);
}
