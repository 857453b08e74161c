/** Messages between the extension host's DiscoveryClient and the discovery worker thread. */
import type { FileFlows } from '../../engine/flowDiscovery';

/** Scan a file on disk, or (with `text`) an editor's unsaved text of it. */
export interface DiscoveryRequest {
  id: number;
  file: string;
  text?: string;
}

export interface DiscoveryReply {
  id: number;
  result: FileFlows;
}
