/**
 * The `flow(...)` calls in a parsed module and how each is exported, read from the syntax alone: ES module
 * exports (`export default flow(...)`, `export const x = flow(...)`, `const f = flow(...); export { f }`)
 * and CommonJS ones (`module.exports = flow(...)`, `exports.x = flow(...)`, `module.exports = { f }`),
 * with `flow` imported or required from 'flowdeck' under any local name.
 */
import type * as acorn from 'acorn';

type Node = acorn.Node & Record<string, unknown>;

export interface FlowCall {
  /** The options object's literal properties; undefined when the options are not an object literal. */
  options?: Record<string, unknown>;
  /** Options whose value is not a literal (so discovery cannot read it). */
  nonLiteralOptions?: string[];
  /** 1-based line of each option's key in the parsed code. */
  optionLines?: Record<string, number>;
  /** Names the call's value is exported under (`default` for `export default` and `module.exports =`). */
  exportNames: string[];
  /** 1-based position of the call in the parsed code. */
  line: number;
  column: number;
  /** The code from the call's start to its callee's end (`flow`, `fd.flow`): where to find it in the source. */
  callee: string;
}

const NOT_LITERAL = Symbol('not literal');

function propertyKey(p: acorn.Property | acorn.AssignmentProperty): string | undefined {
  if (p.computed) return undefined;
  return p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : undefined;
}

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
        const key = p.type === 'Property' ? propertyKey(p) : undefined;
        if (key === undefined) return NOT_LITERAL;
        const v = literal((p as acorn.Property).value as unknown as Node);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out[key] = v;
      }
      return out;
    }
    default:
      return NOT_LITERAL;
  }
}

/** The options object's literal properties (non-literal ones are named apart), with the line of each. */
function optionsOf(node: Node | undefined): Pick<FlowCall, 'options' | 'nonLiteralOptions' | 'optionLines'> {
  if (node?.type !== 'ObjectExpression') return {};
  const options: Record<string, unknown> = {};
  const nonLiteralOptions: string[] = [];
  const optionLines: Record<string, number> = {};
  for (const p of (node as unknown as acorn.ObjectExpression).properties) {
    const key = p.type === 'Property' ? propertyKey(p) : undefined;
    if (key === undefined) continue;
    optionLines[key] = p.loc!.start.line;
    const v = literal((p as acorn.Property).value as unknown as Node);
    if (v !== NOT_LITERAL) options[key] = v;
    else nonLiteralOptions.push(key);
  }
  return { options, nonLiteralOptions, optionLines };
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  const n = node as Node;
  if (typeof n.type !== 'string') return;
  visit(n);
  for (const key of Object.keys(n)) {
    if (key !== 'type' && key !== 'start' && key !== 'end' && key !== 'loc') walk(n[key], visit);
  }
}

const isIdentifier = (n: Node | null | undefined, name?: string): boolean => n?.type === 'Identifier' && (name === undefined || n.name === name);
const nameOf = (n: Node): string => n.name as string;

/** `require('flowdeck')` or `await import('flowdeck')`. */
function isApiModule(n: Node | null | undefined): boolean {
  if (!n) return false;
  if (n.type === 'AwaitExpression') return isApiModule(n.argument as Node);
  if (n.type === 'ImportExpression') return literal(n.source as Node) === 'flowdeck';
  if (n.type !== 'CallExpression' || !isIdentifier(n.callee as Node, 'require')) return false;
  const args = n.arguments as Node[];
  return args.length === 1 && literal(args[0]) === 'flowdeck';
}

/** `module.exports` */
function isModuleExports(n: Node): boolean {
  return n.type === 'MemberExpression' && !n.computed && isIdentifier(n.object as Node, 'module') && isIdentifier(n.property as Node, 'exports');
}

/** The name in `exports.x` or `module.exports.x`, else undefined. */
function exportsMember(n: Node): string | undefined {
  if (n.type !== 'MemberExpression') return undefined;
  const object = n.object as Node;
  if (!isIdentifier(object, 'exports') && !isModuleExports(object)) return undefined;
  const property = n.property as Node;
  if (!n.computed && isIdentifier(property)) return nameOf(property);
  const key = literal(property);
  return typeof key === 'string' ? key : undefined;
}

export function findFlowCalls(program: acorn.Program, code: string): FlowCall[] {
  // Local names under which `flow` is reachable: `flow`, `f` (import { flow as f }), or `fd` for `fd.flow`.
  const flowNames = new Set<string>();
  const apiNames = new Set<string>();
  for (const stmt of program.body) {
    if (stmt.type !== 'ImportDeclaration' || stmt.source.value !== 'flowdeck') continue;
    for (const spec of stmt.specifiers) {
      if (spec.type !== 'ImportSpecifier') apiNames.add(spec.local.name);
      else if ((spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value) === 'flow') flowNames.add(spec.local.name);
    }
  }
  walk(program, (n) => {
    if (n.type !== 'VariableDeclarator') return;
    const id = n.id as Node;
    const init = n.init as Node | null;
    if (isApiModule(init)) {
      if (isIdentifier(id)) apiNames.add(nameOf(id));
      if (id.type === 'ObjectPattern') {
        for (const p of (id as unknown as acorn.ObjectPattern).properties) {
          if (p.type === 'Property' && propertyKey(p) === 'flow' && p.value.type === 'Identifier') flowNames.add(p.value.name);
        }
      }
    } else if (init?.type === 'MemberExpression' && isApiModule(init.object as Node) && isIdentifier(init.property as Node, 'flow') && isIdentifier(id)) {
      flowNames.add(nameOf(id));
    }
  });

  const isFlowCall = (n: Node): boolean => {
    if (n.type !== 'CallExpression') return false;
    const callee = n.callee as Node;
    if (isIdentifier(callee)) return flowNames.has(nameOf(callee));
    if (callee.type !== 'MemberExpression' || callee.computed || !isIdentifier(callee.property as Node, 'flow')) return false;
    const object = callee.object as Node;
    return (isIdentifier(object) && apiNames.has(nameOf(object))) || isApiModule(object);
  };

  // What is exported: values directly (a call node) or local bindings by name.
  const direct = new Map<Node, string[]>();
  const byLocal = new Map<string, string[]>();
  const exportValue = (value: Node | null | undefined, exportName: string): void => {
    if (!value) return;
    if (isIdentifier(value)) byLocal.set(nameOf(value), [...(byLocal.get(nameOf(value)) ?? []), exportName]);
    else direct.set(value, [...(direct.get(value) ?? []), exportName]);
  };
  for (const stmt of program.body as unknown as Node[]) {
    if (stmt.type === 'ExportDefaultDeclaration') exportValue(stmt.declaration as Node, 'default');
    else if (stmt.type === 'ExportNamedDeclaration' && !stmt.source) {
      const declaration = stmt.declaration as Node | null;
      if (declaration?.type === 'VariableDeclaration') {
        for (const d of (declaration as unknown as acorn.VariableDeclaration).declarations) {
          if (d.id.type === 'Identifier') exportValue(d.init as unknown as Node, d.id.name);
        }
      }
      for (const spec of stmt.specifiers as unknown as acorn.ExportSpecifier[]) {
        const exported = spec.exported.type === 'Identifier' ? spec.exported.name : String(spec.exported.value);
        if (spec.local.type === 'Identifier') exportValue(spec.local as unknown as Node, exported);
      }
    } else if (stmt.type === 'ExpressionStatement' && (stmt.expression as Node).type === 'AssignmentExpression') {
      const assignment = stmt.expression as Node;
      const left = assignment.left as Node;
      const right = assignment.right as Node;
      const member = exportsMember(left);
      if (member !== undefined) exportValue(right, member);
      else if (isModuleExports(left) && right.type === 'ObjectExpression') {
        for (const p of (right as unknown as acorn.ObjectExpression).properties) {
          const key = p.type === 'Property' ? propertyKey(p) : undefined;
          if (key !== undefined) exportValue((p as acorn.Property).value as unknown as Node, key);
        }
      } else if (isModuleExports(left)) exportValue(right, 'default');
    }
  }

  const boundTo = new Map<Node, string>();
  walk(program, (n) => {
    if (n.type === 'VariableDeclarator' && isIdentifier(n.id as Node) && n.init) boundTo.set(n.init as Node, nameOf(n.id as Node));
  });

  const calls: FlowCall[] = [];
  walk(program, (n) => {
    if (!isFlowCall(n)) return;
    const local = boundTo.get(n);
    const loc = n.loc!;
    calls.push({
      ...optionsOf((n.arguments as Node[])[0]),
      exportNames: [...(direct.get(n) ?? []), ...(local ? (byLocal.get(local) ?? []) : [])],
      line: loc.start.line,
      column: loc.start.column + 1,
      callee: code.slice(n.start, (n.callee as Node).end),
    });
  });
  return calls;
}
