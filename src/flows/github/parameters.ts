/** The github-repo-stats flow's parameter, shared by the flow and the editor's list of built-ins. */
import type { ParameterDeclarations } from '../../engine/parameters';

export const DEFAULT_REPO = 'PrefectHQ/prefect';
/**
 * The `repo` parameter's declared pattern, which the flow's code enforces too. Dots are allowed in names,
 * but not "." or ".." alone: URL handling would resolve them as path segments.
 */
export const REPO_PATTERN = '^[A-Za-z0-9-]+/(?!\\.\\.?$)[A-Za-z0-9._-]+$';

export const GITHUB_PARAMETERS = {
  repo: {
    type: 'string',
    default: DEFAULT_REPO,
    description: 'Repository as owner/name, e.g. PrefectHQ/prefect',
    pattern: REPO_PATTERN,
  },
} as const satisfies ParameterDeclarations;
