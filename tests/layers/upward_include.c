/* Compiled with the ops layer's include directories by the layers_compile_refuses test: the
 * model layer's header must not be found (a lower layer cannot include a higher one's). */
#include "model.h"
