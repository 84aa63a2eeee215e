// Preloaded (--require) into a probe process: records every module it loads, ESM (through a resolve hook) and
// CommonJS (require.cache at exit), into the file named by LOAD_RECORD_FILE.
const { appendFileSync } = require('node:fs');
const { register } = require('node:module');
const { pathToFileURL } = require('node:url');

const file = process.env.LOAD_RECORD_FILE;
register(pathToFileURL(`${__dirname}/load-recorder-hooks.mjs`), { data: { file } });
process.on('exit', () => appendFileSync(file, Object.keys(require.cache).join('\n') + '\n'));
