/* Error reporting inside the library: every failure sets a thread-local message and returns
 * a status, so the caller can print one line that names what failed. */
#ifndef ADN_STATUS_H
#define ADN_STATUS_H

#include "adnet.h"

#if defined(__GNUC__)
#define ADN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ADN_PRINTF(a, b)
#endif

/* Records a formatted message for status st and returns st. */
adnet_status adn_fail(adnet_status st, const char *fmt, ...) ADN_PRINTF(2, 3);
/* Prefixes the current message with context ("loading w.safetensors: ") and returns st. */
adnet_status adn_fail_context(adnet_status st, const char *fmt, ...) ADN_PRINTF(2, 3);
/* Clears the thread's message. */
void adn_clear_error(void);

/* Propagates a failing status. */
#define ADN_TRY(expr)                                                                              \
    do {                                                                                           \
        adnet_status adn_try_st_ = (expr);                                                         \
        if (adn_try_st_ != ADNET_OK) return adn_try_st_;                                           \
    } while (0)

#endif
