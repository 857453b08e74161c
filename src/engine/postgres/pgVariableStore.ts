/** Variables (variables.ts) in Postgres: a row each, the value's JSON text as it was written. */
import { MAX_VARIABLES, checkVariableName, variableJson, type Variable, type VariableStore } from '../variables';
import type { PgStore } from './pgStore';

type Row = { name: string; value: string; updated: string };

export class PgVariableStore implements VariableStore {
  constructor(private readonly store: PgStore) {}

  private get table(): string {
    return this.store.t('variables');
  }

  async get(name: string): Promise<Variable | undefined> {
    const rows = await this.store.rows<Row>(`select name, value, updated from ${this.table} where name = $1`, [checkVariableName(name)], 'read a variable');
    const r = rows[0];
    return r ? { name, value: JSON.parse(r.value) as unknown, updated: Number(r.updated) } : undefined;
  }

  async set(name: string, value: unknown): Promise<Variable> {
    checkVariableName(name);
    const json = variableJson(name, value);
    const updated = Date.now();
    await this.store.rows(
      `insert into ${this.table} (name, value, updated) values ($1, $2, $3) on conflict (name) do update set value = excluded.value, updated = excluded.updated`,
      [name, json, updated],
      'set a variable',
    );
    return { name, value: JSON.parse(json) as unknown, updated };
  }

  async list(): Promise<Variable[]> {
    const rows = await this.store.rows<Row>(`select name, value, updated from ${this.table} order by name limit $1`, [MAX_VARIABLES], 'list variables');
    return rows.map((r) => ({ name: r.name, value: JSON.parse(r.value) as unknown, updated: Number(r.updated) }));
  }

  async remove(name: string): Promise<boolean> {
    const rows = await this.store.rows<{ name: string }>(`delete from ${this.table} where name = $1 returning name`, [checkVariableName(name)], 'remove a variable');
    return rows.length === 1;
  }
}
