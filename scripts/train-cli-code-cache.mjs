/**
 * Build step (rolldown.config.mjs, codeCaches): runs the CLI once as `node <this> dist/cli/main.cjs ARGS...`
 * and writes, for every chunk that run loaded, the V8 code cache of all it compiled (dist/cli/<chunk>.cjs.cache,
 * read by main.cjs's installCodeCache). A cache made right after compiling holds only each chunk's top level;
 * one made after a run also holds the functions `run` calls, which are then not compiled again on every command.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const [main, ...args] = process.argv.slice(2);
if (main === undefined) throw new Error('usage: node scripts/train-cli-code-cache.mjs dist/cli/main.cjs ARGS...');
/** Every chunk main.cjs's loader compiles (it calls `new vm.Script` through node:vm's exports). */
const scripts = [];
const Script = vm.Script;
vm.Script = class TrainedScript extends Script {
  constructor(code, options) {
    super(code, options);
    scripts.push([options.filename, this]);
  }
};
// main.cjs leaves through process.exit after `run`: 'exit' still comes.
process.on('exit', () => {
  for (const [file, script] of scripts) writeFileSync(`${file}.cache`, script.createCachedData());
});
process.argv = [process.argv[0], main, ...args];
createRequire(import.meta.url)(main);
