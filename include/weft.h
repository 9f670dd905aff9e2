/* weft: asyncio for C. Umbrella header: includes every public module. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/core.h"
#include "weft/thread.h"
#include "weft/gen.h"
#include "weft/sync.h"
#include "weft/queue.h"
#include "weft/process.h"
#include "weft/tls.h"
#include "weft/net.h"
#include "weft/udp.h"
#include "weft/dns.h"
#include "weft/signal.h"
#include "weft/fs.h"
#include "weft/stream.h"
#include "weft/subprocess.h"
#include "weft/http.h"

#endif /* WEFT_H */
