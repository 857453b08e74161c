/**
 * Shape checks for GitHub's answers, one per endpoint the flow reads. Octokit hands back whatever a 200
 * carried: the parsed JSON, or the text itself when it did not parse (a truncated answer, the HTML page of
 * a proxy or captive portal) — TypeScript's types for `data` are a promise, not a check. Without these
 * checks such an answer flowed on as `undefined` counts, NaN, the character count of an HTML page, or no
 * releases at all; now it fails the step naming what was wrong.
 */
import type { SecretMasker } from '../../engine/secrets';
import { describeAnswerValue } from '../answerText';
import { GitHubError, hostOf } from './errors';
import { REPO_PATTERN } from './parameters';

/** The fields of `GET /repos/{owner}/{repo}` the flow uses, checked. */
export interface RepositoryAnswer {
  fullName: string;
  stars: number;
  forks: number;
  /** `subscribers_count`; 0 when absent (only in shapes GitHub no longer sends). */
  watchers: number;
  /** `open_issues_count`, which counts open pull requests too. */
  openIssuesAndPullRequests: number;
}

/** Names the request in messages: `the repository acme/widgets`, `the open pull requests of acme/widgets`. */
export interface AnswerContext {
  what: string;
  baseUrl: string;
  /** The flow's secrets, masked in a quoted answer before it is cut (answerText.ts). */
  secrets: SecretMasker;
}

export function repositoryAnswer(data: unknown, context: AnswerContext): RepositoryAnswer {
  const body = objectAnswer(data, context);
  const fullName = body.full_name;
  if (typeof fullName !== 'string' || !new RegExp(REPO_PATTERN).test(fullName)) {
    throw wrongField(context, 'full_name', fullName, 'an "owner/name" string');
  }
  return {
    fullName,
    stars: count(body, 'stargazers_count', context),
    forks: count(body, 'forks_count', context),
    watchers: body.subscribers_count === undefined ? 0 : count(body, 'subscribers_count', context),
    openIssuesAndPullRequests: count(body, 'open_issues_count', context),
  };
}

/** A list endpoint's page (pull requests, releases, stargazers): an array of objects. */
export function listAnswer(data: unknown, context: AnswerContext): Record<string, unknown>[] {
  if (!Array.isArray(data)) throw notExpected(data, 'a JSON list', context);
  const index = data.findIndex((item) => typeof item !== 'object' || item === null || Array.isArray(item));
  if (index >= 0) throw new GitHubError('unexpected-answer', `${lead(context)} has ${describeAnswerValue(data[index], context.secrets)} at position ${index} of its list, not an object. ${ADVICE}`);
  return data as Record<string, unknown>[];
}

function objectAnswer(data: unknown, context: AnswerContext): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw notExpected(data, 'a JSON object', context);
  return data as Record<string, unknown>;
}

/** GitHub's counts are non-negative whole numbers; `null`, `"250"` or `-5` mean the answer is not GitHub's. */
function count(body: Record<string, unknown>, field: string, context: AnswerContext): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw wrongField(context, field, value, 'a non-negative whole number');
  return value;
}

const ADVICE =
  'A proxy, captive portal or gateway may have answered instead of GitHub: check the network (sign in to the proxy if it asks) ' +
  'and FLOWDECK_GITHUB_API_URL, then run the flow again.';

function lead(context: AnswerContext): string {
  return `GitHub's answer for ${context.what} (${hostOf(context.baseUrl)})`;
}

function notExpected(data: unknown, expected: string, context: AnswerContext): GitHubError {
  return new GitHubError('unexpected-answer', `${lead(context)} was not the JSON expected (${expected}); it was ${describeAnswerValue(data, context.secrets)}. ${ADVICE}`);
}

export function wrongField(context: AnswerContext, field: string, value: unknown, expected: string): GitHubError {
  return new GitHubError('unexpected-answer', `${lead(context)} has ${field}: ${describeAnswerValue(value, context.secrets)}, not ${expected}. ${ADVICE}`);
}
