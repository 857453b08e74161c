/**
 * Finds the flows in a file without running it: types are stripped, the module is parsed, and
 * `flow({ name: '...', ... }, fn)` calls are read where their options are literals.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as acorn from 'acorn';
import { CompileError, lineKeepingTranspiler } from './compiler';
import type { ParameterDeclarations } from './parameters';

export const FLOW_FILE = /\.flow\.(ts|mts|js|mjs)$/;

export interface DiscoveredFlow {
  name: string;
  description?: string;
  /** Declared parameters, when the declaration is a literal. */
  parameters?: ParameterDeclarations;
  /** `default`, a named export, or undefined when the flow is not exported. */
  exportName?: string;
  /** 1-based position of the `flow(` call. */
  line: number;
  column: number;
}

export interface FileFlows {
  file: string;
  flows: DiscoveredFlow[];
  /** Set when the file could not be read or parsed; `flows` is then empty. */
  error?: { message: string; line?: number; column?: number };
}

type Node = acorn.Node & Record<string, unknown>;

const NOT_LITERAL = Symbol('not literal');

/** The value of a literal expression (strings, numbers, booleans, null, arrays and objects of them). */
function literal(node: Node | null | undefined): unknown {
  if (!node) return NOT_LITERAL;
  switch (node.type) {
    case 'Literal':
      return (node as unknown as acorn.Literal).value;
    case 'TemplateLiteral': {
      const t = node as unknown as acorn.TemplateLiteral;
      return t.expressions.length === 0 ? t.quasis.map((q) => q.value.cooked).join('') : NOT_LITERAL;
    }
    case 'UnaryExpression': {
      const u = node as unknown as acorn.UnaryExpression;
      const v = literal(u.argument as unknown as Node);
      return u.operator === '-' && typeof v === 'number' ? -v : NOT_LITERAL;
    }
    case 'ArrayExpression': {
      const out: unknown[] = [];
      for (const el of (node as unknown as acorn.ArrayExpression).elements) {
        const v = literal(el as unknown as Node);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out.push(v);
      }
      return out;
    }
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const p of (node as unknown as acorn.ObjectExpression).properties) {
        if (p.type !== 'Property' || p.computed) return NOT_LITERAL;
        const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : undefined;
        if (key === undefined) return NOT_LITERAL;
        const v = literal(p.value as unknown as Node);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out[key] = v;
      }
      return out;
    }
    default:
      return NOT_LITERAL;
  }
}

/** The options object's literal properties (non-literal ones are left out). */
function optionsOf(node: Node): Record<string, unknown> | undefined {
  if (node.type !== 'ObjectExpression') return undefined;
  const out: Record<string, unknown> = {};
  for (const p of (node as unknown as acorn.ObjectExpression).properties) {
    if (p.type !== 'Property' || p.computed) continue;
    const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : undefined;
    if (key === undefined) continue;
    const v = literal(p.value as unknown as Node);
    if (v !== NOT_LITERAL) out[key] = v;
  }
  return out;
}

function walk(node: unknown, visit: (n: Node, parent: Node | undefined) => void, parent?: Node): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit, parent);
    return;
  }
  const n = node as Node;
  if (typeof n.type !== 'string') return;
  visit(n, parent);
  for (const key of Object.keys(n)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc') continue;
    walk(n[key], visit, n);
  }
}

/** Lists the flows in source text. Throws CompileError when the text does not parse. */
export function discoverFlows(source: string, file: string): DiscoveredFlow[] {
  const js = lineKeepingTranspiler().transform(source, file, 'preserve', false);
  let ast: acorn.Program;
  try {
    ast = acorn.parse(js, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: true });
  } catch (e) {
    const loc = (e as { loc?: { line: number; column: number } }).loc;
    throw new CompileError(file, loc?.line ?? 1, (loc?.column ?? 0) + 1, (e as Error).message.replace(/\s*\(\d+:\d+\)$/, ''));
  }

  // Local names under which `flow` from 'flowdeck' is reachable: `flow`, `f` (import { flow as f }), `fd.flow`.
  const flowNames = new Set<string>();
  const namespaces = new Set<string>();
  for (const stmt of ast.body) {
    if (stmt.type !== 'ImportDeclaration' || stmt.source.value !== 'flowdeck') continue;
    for (const spec of stmt.specifiers) {
      if (spec.type === 'ImportSpecifier' && spec.imported.type === 'Identifier' && spec.imported.name === 'flow') flowNames.add(spec.local.name);
      else spec.type !== 'ImportSpecifier' && namespaces.add(spec.local.name);
    }
  }
  if (flowNames.size === 0 && namespaces.size === 0) return [];

  const isFlowCall = (n: Node): boolean => {
    if (n.type !== 'CallExpression') return false;
    const callee = n.callee as Node;
    if (callee.type === 'Identifier') return flowNames.has(callee.name as string);
    if (callee.type === 'MemberExpression') {
      const obj = callee.object as Node;
      const prop = callee.property as Node;
      return obj.type === 'Identifier' && namespaces.has(obj.name as string) && prop.type === 'Identifier' && prop.name === 'flow';
    }
    return false;
  };

  // Which local bindings are exported, and under what name.
  const exportOf = new Map<string, string>();
  const directExport = new Map<Node, string>();
  for (const stmt of ast.body) {
    if (stmt.type === 'ExportDefaultDeclaration') {
      const d = stmt.declaration as unknown as Node;
      if (d.type === 'Identifier') exportOf.set(d.name as string, 'default');
      else directExport.set(d, 'default');
    } else if (stmt.type === 'ExportNamedDeclaration') {
      if (stmt.declaration?.type === 'VariableDeclaration') {
        for (const decl of stmt.declaration.declarations) {
          if (decl.id.type === 'Identifier' && decl.init) directExport.set(decl.init as unknown as Node, decl.id.name);
        }
      }
      for (const spec of stmt.specifiers) {
        if (spec.local.type === 'Identifier') exportOf.set(spec.local.name, spec.exported.type === 'Identifier' ? spec.exported.name : String(spec.exported.value));
      }
    }
  }
  const boundTo = new Map<Node, string>();
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator' && (n.id as Node).type === 'Identifier' && n.init) boundTo.set(n.init as Node, (n.id as Node).name as string);
  });

  const found: DiscoveredFlow[] = [];
  walk(ast, (n) => {
    if (!isFlowCall(n)) return;
    const args = n.arguments as Node[];
    const options = args[0] ? optionsOf(args[0]) : undefined;
    const loc = (n as unknown as acorn.Node).loc!;
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0) return;
    const local = boundTo.get(n);
    found.push({
      name,
      description: typeof options?.description === 'string' ? options.description : undefined,
      parameters: options?.parameters && typeof options.parameters === 'object' ? (options.parameters as ParameterDeclarations) : undefined,
      exportName: directExport.get(n) ?? (local ? exportOf.get(local) : undefined),
      line: loc.start.line,
      column: loc.start.column + 1,
    });
  });
  return found;
}

/** Reads and lists one file; errors are returned, not thrown. */
export function discoverFile(file: string): FileFlows {
  const abs = resolve(file);
  try {
    return { file: abs, flows: discoverFlows(readFileSync(abs, 'utf8'), abs) };
  } catch (e) {
    if (e instanceof CompileError) return { file: abs, flows: [], error: { message: e.detail, line: e.line, column: e.column } };
    return { file: abs, flows: [], error: { message: (e as Error).message } };
  }
}

/** Flow files (`*.flow.{ts,mts,js,mjs}`) under `dir`, skipping node_modules and dot-folders. */
export function findFlowFiles(dir: string, limit = 5000): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
        visit(join(d, e.name));
      } else if (FLOW_FILE.test(e.name)) out.push(join(d, e.name));
    }
  };
  const abs = resolve(dir);
  if (statSync(abs).isFile()) return [abs];
  visit(abs);
  return out.sort();
}
