#!/usr/bin/env node
// The published entry point runs the compiled CLI (`npm run build` writes dist/; `npm ci` runs it).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
