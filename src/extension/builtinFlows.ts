/**
 * The built-in flows as the editor lists them. A static copy of what the flows declare, so listing them
 * never loads their bundles (Octokit, the Google clients); test/extension/builtinFlows.test.ts checks
 * that it matches the flows' own declarations.
 */
import type { ParameterDeclarations } from '../engine/parameters';
import type { BuiltinFlowId } from '../webview/protocol';

export interface BuiltinFlow {
  id: BuiltinFlowId;
  /** The flow's name, as runs record it. */
  name: string;
  description: string;
  parameters: ParameterDeclarations;
}

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

export const BUILTIN_FLOWS: readonly BuiltinFlow[] = [
  {
    id: 'github-repo-stats',
    name: 'github-repo-stats',
    description: "A GitHub repository's stars, forks, watchers, open issues and pull requests, and its star history",
    parameters: {
      repo: {
        type: 'string',
        default: 'PrefectHQ/prefect',
        description: 'Repository as owner/name, e.g. PrefectHQ/prefect',
        pattern: '^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$',
      },
    },
  },
  {
    id: 'youtube-channel-analytics',
    name: 'youtube-channel-analytics',
    description: "Daily views, watch time, likes and subscribers of your YouTube channel, with the channel's lifetime totals.",
    parameters: {
      startDate: {
        type: 'string',
        description: 'First day of the report, YYYY-MM-DD (Pacific Time). Default: 27 days before endDate (28 days in all).',
        pattern: DATE_PATTERN,
      },
      endDate: {
        type: 'string',
        description: 'Last day of the report, YYYY-MM-DD (Pacific Time). Default: yesterday in Pacific Time.',
        pattern: DATE_PATTERN,
      },
      metrics: {
        type: 'string',
        description:
          'Comma-separated YouTube Analytics metrics. Known to work: estimatedMinutesWatched, views, likes, subscribersGained, subscribersLost, comments, shares, averageViewDuration.',
        default: 'estimatedMinutesWatched,views,likes,subscribersGained',
      },
    },
  },
];

export function builtinFlow(id: string): BuiltinFlow | undefined {
  return BUILTIN_FLOWS.find((f) => f.id === id);
}
