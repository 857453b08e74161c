/**
 * What the built-in flows are: ids, names, descriptions and parameter declarations. The flows declare
 * themselves from this, and the editor lists them from it without loading their bundles (Octokit, the
 * Google clients).
 */
import type { ParameterDeclarations } from '../engine/parameters';
import { GITHUB_PARAMETERS } from './github/parameters';
import { YOUTUBE_PARAMETERS } from './youtube/parameters';

export type BuiltinId = 'github-repo-stats' | 'youtube-channel-analytics';

export interface BuiltinFlowInfo {
  id: BuiltinId;
  /** The flow's name, as runs record it. */
  name: string;
  description: string;
  parameters: ParameterDeclarations;
}

export const GITHUB_REPO_STATS: BuiltinFlowInfo = {
  id: 'github-repo-stats',
  name: 'github-repo-stats',
  description: "A GitHub repository's stars, forks, watchers, open issues and pull requests, its star history and releases",
  parameters: GITHUB_PARAMETERS,
};

export const YOUTUBE_CHANNEL_ANALYTICS: BuiltinFlowInfo = {
  id: 'youtube-channel-analytics',
  name: 'youtube-channel-analytics',
  description: "Daily views, watch time, likes and subscribers of your YouTube channel, with the channel's lifetime totals.",
  parameters: YOUTUBE_PARAMETERS,
};

export const BUILTIN_FLOWS: readonly BuiltinFlowInfo[] = [GITHUB_REPO_STATS, YOUTUBE_CHANNEL_ANALYTICS];
