/**
 * What the commands work with, created in activate() and handed to each `registerX(context, flowdeck)`,
 * instead of module-level globals. Those a window may never use (the panels, the launcher, the YouTube
 * account) are built the first time a command reads them (util/onFirstUse.ts).
 */
import type { GitHubAccount } from './accounts/github';
import type { YouTubeAccount } from './accounts/youtube';
import type { DashboardPanels } from './dashboard/panel';
import type { FlowIndex } from './flows/flowIndex';
import type { FlowdeckHost } from './host';
import type { RunLogDocuments } from './logs/runLogDocuments';
import type { RunOutput } from './output/runOutput';
import type { RunDetailsPanels } from './runDetails/runDetailsPanels';
import type { RunLauncher } from './runs/launcher';
import type { RunsTreeProvider } from './runs/runsTree';
import type { WindowSchedules } from './schedules/windowSchedules';

export interface Flowdeck {
  readonly host: FlowdeckHost;
  readonly output: RunOutput;
  readonly launcher: RunLauncher;
  readonly flowIndex: FlowIndex;
  readonly runsTree: RunsTreeProvider;
  readonly dashboard: DashboardPanels;
  readonly runDetails: RunDetailsPanels;
  readonly runLogs: RunLogDocuments;
  readonly schedules: WindowSchedules;
  readonly github: GitHubAccount;
  readonly youtube: YouTubeAccount;
}
