// The layering of the project, checked in CI (`npm run check`): shared contracts at the bottom,
// infrastructure above them, pure detectors and the edges (ingest, sinks, serve) beside each other,
// wiring on top. Dependencies point down only, and no two files import each other.
const PROD = '^(schemas|lib|processors|ingest|sinks|serve|sim|app|cli)/';
/** A rule forbidding `from` to import any of the folders in `to`. */
const only = (name, from, allowed) => ({
  name,
  severity: 'error',
  comment: `${from} may import only ${allowed.length ? allowed.join(', ') : 'nothing else of the project'} (and itself)`,
  from: { path: `^${from}/` },
  to: { path: PROD, pathNot: [`^${from}/`, ...allowed.map((a) => `^${a}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-cycle', severity: 'error', comment: 'no import cycles between files', from: {}, to: { circular: true } },
    only('schemas-import-nothing', 'schemas', []),
    only('lib-imports-schemas', 'lib', ['schemas']),
    only('processors-import-schemas-lib', 'processors', ['schemas', 'lib']),
    only('ingest-imports-schemas-lib', 'ingest', ['schemas', 'lib']),
    only('sinks-import-schemas-lib', 'sinks', ['schemas', 'lib']),
    only('serve-imports-schemas-lib', 'serve', ['schemas', 'lib']),
    only('sim-imports-schemas', 'sim', ['schemas']),
    only('app-below-cli', 'app', ['schemas', 'lib', 'processors', 'ingest', 'sinks', 'serve']),
    {
      name: 'no-test-code-in-production', severity: 'error', comment: 'production code never imports tests or benchmarks',
      from: { path: PROD }, to: { path: '^(test|bench)/' },
    },
    { name: 'no-unresolvable', severity: 'error', comment: 'every relative import resolves', from: {}, to: { couldNotResolve: true, dependencyTypes: ['local'] } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.trendstream|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
