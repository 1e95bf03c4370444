/* Non-cryptographic hashing for cache keys and integrity checks of cache entries. */
#ifndef ADN_HASH_H
#define ADN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define ADN_HASH_INIT 0xcbf29ce484222325ull

/* 64-bit FNV-1a over bytes, continuing from h (start with ADN_HASH_INIT). */
uint64_t adn_hash_bytes(uint64_t h, const void *data, size_t n);
uint64_t adn_hash_string(uint64_t h, const char *s);

#endif
