/**
 * What the commands work with, created once in activate() and handed to each `registerX(context, flowdeck)`,
 * instead of module-level globals.
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

export interface Flowdeck {
  host: FlowdeckHost;
  output: RunOutput;
  launcher: RunLauncher;
  flowIndex: FlowIndex;
  runsTree: RunsTreeProvider;
  dashboard: DashboardPanels;
  runDetails: RunDetailsPanels;
  runLogs: RunLogDocuments;
  github: GitHubAccount;
  youtube: YouTubeAccount;
}
