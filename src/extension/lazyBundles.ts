/**
 * The heavy parts the extension needs only now and then — the flow-file parser (sucrase, acorn: ~370 KB)
 * and Google's OAuth client (~400 KB) — are bundles of their own next to dist/extension.js, required on
 * first use. Bundled in, V8 would compile them at every activation.
 */
import { join } from 'node:path';

export type DiscoveryModule = typeof import('../engine/flowDiscovery');
export type YouTubeConnectModule = typeof import('./youtubeConnect');

let discovery: DiscoveryModule | undefined;
let youtubeConnect: YouTubeConnectModule | undefined;

export function loadDiscovery(): DiscoveryModule {
  discovery ??= require(join(__dirname, 'discovery.js')) as DiscoveryModule;
  return discovery;
}

export function loadYouTubeConnect(): YouTubeConnectModule {
  youtubeConnect ??= require(join(__dirname, 'youtube-connect.js')) as YouTubeConnectModule;
  return youtubeConnect;
}
