/** A store holding `n` finished runs of two flows, as the store-open and Runs view figures read it. */
import { EmbeddedStore } from '../src/engine/embeddedStore';
import { state } from '../src/engine/states';

export async function storeWithRuns(home: string, n: number): Promise<void> {
  const store = await EmbeddedStore.open(home, { durable: false });
  const handles = [];
  for (let i = 0; i < n; i++) {
    const t = Date.now();
    const h = await store.createRun({ flowName: i % 2 ? 'github-repo-stats' : 'hello', source: '/ws/hello.flow.ts', parameters: { repo: 'PrefectHQ/prefect', i }, state: state('Pending', undefined, t - (n - i)) });
    handles.push(h.setState(state('Running', undefined, t + 1), { startTime: t + 1 }).then(() => h.setState(state('Completed', undefined, t + 2), { endTime: t + 2 })).then(() => h.close()));
  }
  await Promise.all(handles);
  await store.close();
}
