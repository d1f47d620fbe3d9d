/**
 * The latency proxies' own process (latency-proxy.ts `startProxyPair`): `oneWayMs srcPort` on the
 * command line, one proxy in front of the source and one in front of the destination the parent
 * names before each run. Answers the parent's questions over IPC; exits when the parent goes.
 */
import { type ProxyAnswer, type ProxyRequest, startLatencyProxy } from './latency-proxy.js';

const oneWayMs = Number(process.argv[2]);
const srcPort = Number(process.argv[3]);
if (!(oneWayMs > 0) || !Number.isInteger(srcPort) || !process.send) {
  process.stderr.write('latency-proxy-child: run by the benchmark (fork with IPC), args: oneWayMs srcPort\n');
  process.exit(2);
}
let dstPort = 0;
const src = await startLatencyProxy({ upstreamPort: () => srcPort, oneWayMs });
const dst = await startLatencyProxy({
  upstreamPort: () => {
    if (!dstPort) throw new Error('no destination yet');
    return dstPort;
  },
  oneWayMs,
});
const answer = (message: ProxyAnswer): void => {
  process.send?.(message);
};
process.on('message', (request: ProxyRequest) => {
  if (request.kind === 'destination') {
    dstPort = request.port;
    answer({ id: request.id, kind: 'done' });
  } else if (request.kind === 'turns')
    answer({ id: request.id, kind: 'turns', src: src.turns(), dst: dst.turns() });
  else answer({ id: request.id, kind: 'connections', src: src.connections(), dst: dst.connections() });
});
// The parent closed the channel (its close(), or it died): stop relaying and go.
process.once('disconnect', () => {
  void Promise.all([src.close(), dst.close()]).finally(() => process.exit(0));
});
answer({ kind: 'ready', src: src.port, dst: dst.port });
