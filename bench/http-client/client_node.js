// Node's client for the HTTP client benchmark (bench/http-client/run).
//
//   node client_node.js URL CONC DURATION WARMUP SIZE
//
// Node 20's built-in fetch (undici) through an undici Agent with keep-alive
// and up to CONC connections, and CONC async loops, each
// `await (await fetch(URL, {dispatcher})).arrayBuffer()`, first for WARMUP
// seconds (not counted), then DURATION seconds measured. Prints START when
// the measured period begins, then
//
//   RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
//          errors=<n> secs=<measured seconds>
//
// (CPU time from process.cpuUsage over the measured period). Node does not
// export undici's Agent; it is the class of the global dispatcher, which
// exists once fetch has run.
'use strict';

let firstError = false;

function noteError(e) {
  if (!firstError) {
    firstError = true;
    console.error('client_node:', e && e.cause ? e.cause : e);
  }
}

async function worker(url, size, dispatcher, ph) {
  while (performance.now() < ph.end) {
    try {
      const r = await fetch(url, { dispatcher });
      const body = await r.arrayBuffer();
      if (r.status !== 200 || body.byteLength !== size)
        throw new Error(`status ${r.status}, ${body.byteLength} bytes`);
    } catch (e) {
      ph.errors++;
      noteError(e);
    }
    ph.done++;
  }
}

async function runPhase(url, conc, size, dispatcher, seconds) {
  const ph = { end: performance.now() + seconds * 1000, done: 0, errors: 0 };
  const loops = [];
  for (let i = 0; i < conc; i++) loops.push(worker(url, size, dispatcher, ph));
  await Promise.all(loops);
  return ph;
}

async function makeAgent(url, conc) {
  await (await fetch(url)).arrayBuffer();
  const Agent = globalThis[Symbol.for('undici.globalDispatcher.1')].constructor;
  return new Agent({ connections: conc, keepAliveTimeout: 60000, pipelining: 1 });
}

async function main() {
  const a = process.argv.slice(2);
  if (a.length !== 5) {
    console.error('usage: node client_node.js URL CONC DURATION WARMUP SIZE');
    process.exit(2);
  }
  const [url, conc, duration, warmup, size] = [a[0], +a[1], +a[2], +a[3], +a[4]];
  const agent = await makeAgent(url, conc);
  const warm = await runPhase(url, conc, size, agent, warmup);
  console.log('START');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ph = await runPhase(url, conc, size, agent, duration);
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const per = ph.done ? 1000 / ph.done : 0;
  console.log(
    `RESULT reqs=${(ph.done / secs).toFixed(1)} ` +
      `cpu_ms=${(((c.user + c.system) / 1000) * per).toFixed(3)} ` +
      `user_ms=${((c.user / 1000) * per).toFixed(3)} n=${ph.done} ` +
      `errors=${ph.errors + warm.errors} secs=${secs.toFixed(3)}`
  );
  await agent.close();
}

main();
