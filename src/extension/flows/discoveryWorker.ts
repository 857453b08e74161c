/**
 * The discovery worker thread: flow files are read and parsed here, never on the extension host's
 * thread, so a large or pathological file cannot freeze the editor.
 */
import { parentPort } from 'node:worker_threads';
import { discoverFile, discoverFlows, type FileFlows } from '../../engine/flowDiscovery';
import type { DiscoveryReply, DiscoveryRequest } from './discoveryProtocol';

function scan(request: DiscoveryRequest): FileFlows {
  try {
    return request.text === undefined ? discoverFile(request.file) : discoverFlows(request.text, request.file);
  } catch (e) {
    return { file: request.file, flows: [], problems: [], error: { kind: 'scan-failed', message: `could not be scanned: ${(e as Error).message}` } };
  }
}

parentPort!.on('message', (request: DiscoveryRequest) => {
  parentPort!.postMessage({ id: request.id, result: scan(request) } satisfies DiscoveryReply);
});
