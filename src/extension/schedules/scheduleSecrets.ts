/**
 * The secrets a schedule's parameters may not hold in the editor: as `flowdeck schedule add` refuses those
 * of its environment (the same engine check), and also the tokens of the accounts connected in the editor.
 */
import { scheduleViews, type ScheduleEntry, type ScheduleView } from '../../engine/schedules/scheduleEntries';
import { refuseSecretParameters } from '../../engine/schedules/scheduleSpec';
import type { ScheduleStoreState } from '../../engine/schedules/scheduleStore';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import type { EnvCandidates } from '../accounts/runEnv';

export interface EditorSecrets {
  /** The extension host's environment, with the store setting's URL as FLOWDECK_STORE. */
  env: NodeJS.ProcessEnv;
  /** Connected accounts' credentials, under the names runs get them by. */
  accounts: EnvCandidates;
}

/** Throws ScheduleError (the secret masked in its message) when a parameter holds a secret the editor knows. */
export function refuseKnownSecrets(parameters: Record<string, unknown>, secrets: EditorSecrets): void {
  const masker = editorMasker(secrets);
  refuseSecretParameters(parameters, (text) => masker.mask(text));
}

/** A masker of what the editor knows as secret (the window's scheduler runs no schedule whose parameters hold one). */
export function editorMasker(secrets: EditorSecrets): SecretMasker {
  return new SecretMasker([...secretsFromEnv(secrets.env), ...secretsFromEnv(secrets.accounts)]);
}

/**
 * The window's schedules as its lists show them (scheduleViews), those the window's scheduler refuses —
 * parameters holding a secret of `editorMasker`, the rule withoutSecrets (scheduler.ts) runs by — marked
 * refused, with no next time. The secrets are asked for only when a schedule has parameters, as the
 * scheduler asks.
 */
export async function editorScheduleViews(declared: readonly ScheduleEntry[], state: ScheduleStoreState, now: number, secrets: () => Promise<EditorSecrets>): Promise<ScheduleView[]> {
  const withParameters = [...declared, ...state.added].some((e) => e.schedule.parameters !== undefined);
  const masker = withParameters ? editorMasker(await secrets()) : undefined;
  return scheduleViews(declared, state, now, masker && ((text) => masker.mask(text)));
}
