/* weft: asyncio for C. Umbrella header: includes every public module. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/core.h"

#endif /* WEFT_H */
