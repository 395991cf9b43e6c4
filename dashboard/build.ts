/**
 * The dashboard's browser code, bundled in memory with the esbuild the
 * Lambda bundles use: one script and one stylesheet (uPlot's included), no
 * CDN at run time. The dashboard server (cli/dashboard/server.ts) serves them.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** What the dashboard server serves besides its HTML shell. */
export interface DashboardAssets {
  readonly js: string;
  readonly css: string;
}

const ENTRY = fileURLToPath(new URL('./src/main.ts', import.meta.url));

/** Bundles dashboard/src/main.ts (and the CSS it imports) for the browser. */
export async function buildDashboardAssets(): Promise<DashboardAssets> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: 'out',
    logLevel: 'silent',
  });
  const text = (ext: string) => result.outputFiles.filter((f) => f.path.endsWith(ext)).map((f) => f.text).join('\n');
  return { js: text('.js'), css: text('.css') };
}
