#!/usr/bin/env node
// The CLI entry point. It runs the compiled code in dist/ (built by `npm install` through `prepare`).
import '../dist/cli/main.js';
