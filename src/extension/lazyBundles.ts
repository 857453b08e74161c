/**
 * Google's OAuth client (~400 KB) is a bundle of its own next to dist/extension.js, required on first
 * use: bundled in, V8 would compile it at every activation. (The flow-file parser is a bundle of its own
 * too, dist/discovery-worker.js, run on a worker thread by flows/discoveryClient.ts.)
 */
import { join } from 'node:path';

export type YouTubeConnectModule = typeof import('./youtubeConnect');

let youtubeConnect: YouTubeConnectModule | undefined;

export function loadYouTubeConnect(): YouTubeConnectModule {
  youtubeConnect ??= require(join(__dirname, 'youtube-connect.js')) as YouTubeConnectModule;
  return youtubeConnect;
}
