#!/usr/bin/env node
// Stand-in for the native `solc` binary, driven by py-solc-x through ./solc.
//
// Why: the pinned compiler comes from npm (solc-js), so every machine with Node 20 and
// `npm ci` gets the same compiler without downloading native binaries. `solcjs` itself
// cannot be used: it prints a `>>>` banner line and does not speak the CLI py-solc-x expects.
//
// Supported: `--version` (native format) and `--standard-json` (input on stdin, output JSON
// on stdout, nothing else). Imports are read relative to `--base-path`, each `--allow-paths`
// entry, then the directory holding node_modules; nothing outside those roots is readable.
// Other flags are ignored so py-solc-x can pass what it likes.
'use strict';

const fs = require('fs');
const path = require('path');

// Flags whose next argument is a value, so it is not mistaken for a positional argument.
const VALUE_FLAGS = new Set([
  '--base-path', '--allow-paths', '--include-path', '--output-dir', '--evm-version',
  '--optimize-runs', '--combined-json', '--libraries', '--revert-strings', '--debug-info',
]);

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: null, allowPaths: [], includePaths: [] };
  for (let i = 0; i < argv.length; i += 1) {
    let flag = argv[i];
    let value = null;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    } else if (VALUE_FLAGS.has(flag) && i + 1 < argv.length) {
      i += 1;
      value = argv[i];
    }
    if (flag === '--version') opts.version = true;
    else if (flag === '--standard-json') opts.standardJson = true;
    else if (flag === '--base-path') opts.basePath = value;
    else if (flag === '--include-path' && value) opts.includePaths.push(value);
    else if (flag === '--allow-paths' && value) opts.allowPaths.push(...value.split(',').filter(Boolean));
    // Anything else (positional files, `-`, unknown flags) is ignored on purpose.
  }
  return opts;
}

function nodeModulesDir() {
  // Project root is two levels above credit/_solc.
  return path.resolve(process.env.CREDIT_NODE_MODULES || path.join(__dirname, '..', '..', 'node_modules'));
}

function loadSolc() {
  try {
    return require(path.join(nodeModulesDir(), 'solc'));
  } catch (err) {
    process.stderr.write(
      'Node.js 20 and the npm packages are needed to compile the contracts: ' +
      'run `make install` (or `npm ci`)\n');
    process.exit(2);
  }
}

function isInside(root, candidate) {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function makeImportCallback(opts) {
  const modules = nodeModulesDir();
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths, ...opts.allowPaths, path.dirname(modules)]
    .map((p) => path.resolve(p));
  return function findImport(unitName) {
    const candidates = roots.map((root) => [root, path.resolve(root, unitName)]);
    if (unitName.startsWith('node_modules/')) {
      candidates.push([modules, path.resolve(modules, unitName.slice('node_modules/'.length))]);
    } else if (unitName.startsWith('@openzeppelin/')) {
      candidates.push([modules, path.resolve(modules, unitName)]);
    }
    for (const [root, file] of candidates) {
      if (isInside(root, file) && fs.existsSync(file) && fs.statSync(file).isFile()) {
        return { contents: fs.readFileSync(file, 'utf8') };
      }
    }
    return { error: `File not found: ${unitName} (searched ${roots.join(', ')})` };
  };
}

function main(argv) {
  const opts = parseArgs(argv);
  if (opts.version) {
    const solc = loadSolc();
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (opts.standardJson) {
    const solc = loadSolc();
    const input = fs.readFileSync(0, 'utf8');
    process.stdout.write(solc.compile(input, { import: makeImportCallback(opts) }));
    return 0;
  }
  process.stderr.write('solc_launcher.js supports only --version and --standard-json\n');
  return 1;
}

process.exitCode = main(process.argv.slice(2));
