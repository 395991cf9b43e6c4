/**
 * Each function declares (infra/functions.ts `uses`) exactly the port methods
 * its code can call, read from the code itself: the TypeScript checker
 * resolves every property access and name in the function's entry point
 * (functions/handlers/<entry>.ts) and in everything it reaches — the step it
 * runs, the helpers that step calls, the classes it builds — and a reference
 * to a method of a port with AWS adapters (Fleet.health,
 * TrafficRouter.setWeights, ...) or of an AWS adapter class is a use. Types
 * are not followed (a parameter typed StepDeps uses nothing), so the set is
 * what some path of the code calls: the grant a function needs, no more.
 *
 * With the per-method proof of the adapters (test/adapters/least-privilege.test.ts)
 * and the template (orchestrator.test.ts), a function's role holds exactly
 * the actions of the methods its code calls.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { AWS_ADAPTERS, type AwsAdapterName, type AwsPortName, type PortMethod } from '../../functions/adapters/aws/grants.js';
import { ALL_FUNCTIONS } from '../../infra/functions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTIONS_DIR = `${ROOT}functions/`;
const AWS_ADAPTERS_DIR = `${ROOT}functions/adapters/aws/`;
const HANDLERS_DIR = `${ROOT}functions/handlers/`;

const PORTS = new Set<string>(Object.values(AWS_ADAPTERS).map((a) => a.port));
const ADAPTER_PORT = new Map<string, AwsPortName>(Object.entries(AWS_ADAPTERS).map(([name, a]) => [name, a.port]));

/** The checker over every handler and what it imports, with the project's compiler options. */
function program(): ts.Program {
  const configPath = ts.findConfigFile(ROOT, (f) => ts.sys.fileExists(f), 'tsconfig.json');
  if (configPath === undefined) throw new Error('no tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f)) as { config: unknown };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const roots = readdirSync(HANDLERS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${HANDLERS_DIR}${f}`);
  return ts.createProgram({ rootNames: roots, options: { ...parsed.options, noEmit: true } });
}

/** `Port.method` when `declaration` is a method of a port with AWS adapters or of an AWS adapter class. */
function portMethodOf(declaration: ts.Declaration): string | undefined {
  const owner = declaration.parent;
  const name = ts.getNameOfDeclaration(declaration);
  if (name === undefined || !ts.isIdentifier(name)) return undefined;
  if (ts.isInterfaceDeclaration(owner) && PORTS.has(owner.name.text) && declaration.getSourceFile().fileName.startsWith(FUNCTIONS_DIR)) {
    return `${owner.name.text}.${name.text}`;
  }
  if (ts.isClassDeclaration(owner) && owner.name !== undefined && declaration.getSourceFile().fileName.startsWith(AWS_ADAPTERS_DIR)) {
    const port = ADAPTER_PORT.get(owner.name.text);
    if (port !== undefined && ts.isMethodDeclaration(declaration)) return `${port}.${name.text}`;
  }
  return undefined;
}

/** Declarations that are types only: following them reaches no code. */
function typeOnly(node: ts.Node): boolean {
  return (
    ts.isTypeNode(node) ||
    ts.isInterfaceDeclaration(node) ||
    ts.isTypeAliasDeclaration(node) ||
    ts.isImportDeclaration(node) ||
    ts.isExportDeclaration(node) ||
    ts.isTypeElement(node)
  );
}

/** The port methods the code of `entry` can reach. */
function portMethodsReached(checker: ts.TypeChecker, entry: ts.SourceFile): string[] {
  const found = new Set<string>();
  const seen = new Set<ts.Node>([entry]);
  const visit = (node: ts.Node): void => {
    if (typeOnly(node)) return;
    if (ts.isIdentifier(node)) follow(node);
    ts.forEachChild(node, visit);
  };
  const follow = (identifier: ts.Identifier): void => {
    let symbol = checker.getSymbolAtLocation(identifier);
    if (symbol === undefined) return;
    if ((symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
    for (const declaration of symbol.declarations ?? []) {
      const use = portMethodOf(declaration);
      if (use !== undefined) {
        found.add(use);
        continue;
      }
      const file = declaration.getSourceFile().fileName;
      // Only rollgate's own code is read; the AWS adapters are where uses end (their methods are the uses).
      if (!file.startsWith(FUNCTIONS_DIR) || file.startsWith(AWS_ADAPTERS_DIR) || typeOnly(declaration) || seen.has(declaration)) continue;
      seen.add(declaration);
      visit(declaration);
    }
  };
  ts.forEachChild(entry, visit);
  return [...found].sort();
}

let reached: ReadonlyMap<string, readonly string[]> = new Map();

beforeAll(() => {
  const p = program();
  const checker = p.getTypeChecker();
  reached = new Map(
    ALL_FUNCTIONS.map((spec) => {
      const file = p.getSourceFile(`${HANDLERS_DIR}${spec.entry}.ts`);
      if (file === undefined) throw new Error(`no entry point functions/handlers/${spec.entry}.ts`);
      return [spec.id, portMethodsReached(checker, file)] as const;
    }),
  );
}, 120_000);

describe('port methods each function calls', () => {
  it.each(ALL_FUNCTIONS.map((f) => [f.id, f] as const))('%s declares exactly the port methods its code calls', (id, spec) => {
    expect([...spec.uses].sort(), id).toEqual(reached.get(id));
  });

  it('reads through steps and helpers: CheckHealth reaches Fleet.health, Rollback the header route via restoreStable', () => {
    expect(reached.get('CheckHealth')).toEqual(['Fleet.health']);
    expect(reached.get('Rollback')).toContain('TrafficRouter.removeHeaderRoute');
    expect(reached.get('Approval')).toContain('AlarmSource.alarmsInAlarm');
  });

  it('names only methods the adapters declare actions for', () => {
    const known = new Set<string>(
      Object.values(AWS_ADAPTERS).flatMap((a) => Object.keys(a.methods).map((m) => `${a.port}.${m}`)),
    );
    for (const spec of ALL_FUNCTIONS) for (const use of spec.uses satisfies readonly PortMethod[]) expect(known.has(use), `${spec.id} ${use}`).toBe(true);
    expect(Object.keys(AWS_ADAPTERS).every((name) => ADAPTER_PORT.has(name as AwsAdapterName))).toBe(true);
  });
});
