/**
 * The file name a run's log is offered under when saved (the dashboard's Save Log, the run details' Save as
 * .log): the run's name with anything but letters, digits, `.`, `_` and `-` made `_`. A flow names its runs
 * (`flowRunName`), so a name such as `../../../tmp/x` must not take the save dialog out of its folder.
 */
export function logFileName(runName: string): string {
  return `${runName.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
}
