/**
 * The log levels in their order, least severe first, written once: a level is at or above another by its
 * place here (`flowdeck logs --level`, the log panels' minimum level, the higher level of a line joined from
 * two writes), and a line read back or asked for by a webview must carry one of them. No Node imports: the
 * webviews bundle it.
 */
import type { LogLevel } from './types';

export const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

export function isLogLevel(value: unknown): value is LogLevel {
  return LOG_LEVELS.includes(value as LogLevel);
}
