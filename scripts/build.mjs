#!/usr/bin/env node
// `npm run build`: the production sources compiled ahead of time into dist/, for the image and
// for anyone who runs trendstream where start-up cost counts (`node dist/bin/trendstream.mjs …`).
// Each file is transpiled by itself with esbuild, the transform tsx applies when it loads a file
// at run time (bin/trendstream.mjs, the development entry), so dist/ runs the same JavaScript
// without tsx's loader (a third of a second of CPU per process start). Types are checked by
// `npm run check`, not here. dist/ mirrors the tree, so paths a module takes relative to itself
// (Avro schemas, migrations, the dashboard's files, the text models, Kafka's pom) are copied
// beside the compiled modules.
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR (inside the checkout, so that node_modules resolves): where tests build.
const at = process.argv.indexOf('--out');
const out = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(root, 'dist');
/** What the CLI and the workers load (not tests, benchmarks or scripts). */
const SOURCES = ['app', 'cli', 'deploy/local', 'deploy/containers.ts', 'ingest', 'lib', 'processors', 'schemas', 'serve', 'sim', 'sinks'];
/** Files read at run time relative to the module that reads them. */
const ASSETS = /\.(avsc|sql|bin|html|css|xml)$|^serve\/public\/.*\.js$/;

function walk(rel) {
  const abs = path.join(root, rel);
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs).flatMap((f) => walk(path.join(rel, f)));
}

const files = SOURCES.flatMap(walk).map((f) => f.split(path.sep).join('/'));
const entryPoints = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('serve/public/'));
const assets = files.filter((f) => ASSETS.test(f));

rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root, entryPoints, outdir: out, outbase: root, bundle: false,
  format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning',
});
for (const f of assets) {
  mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
  cpSync(path.join(root, f), path.join(out, f));
}
// The entry, as bin/trendstream.mjs is for the sources; package.json says it is ESM.
mkdirSync(path.join(out, 'bin'), { recursive: true });
writeFileSync(path.join(out, 'bin', 'trendstream.mjs'), "#!/usr/bin/env node\n// The `trendstream` command, compiled (npm run build).\nawait import('../cli/main.js');\n", { mode: 0o755 });
writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
console.log(`${path.relative(root, out)}/: ${entryPoints.length} modules, ${assets.length} files beside them`);
