'use strict';
// Prints one closing line over every tier: "tests: N passed, N failed, N skipped".
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0,
  failed = 0,
  skipped = 0;
for (const f of fs.readdirSync(dir)) {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  if (f.endsWith('.json')) {
    const r = JSON.parse(text);
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    console.log(
      `${f.replace('.json', '').padEnd(12)} ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`,
    );
  } else if (f.endsWith('.xml')) {
    const attr = (n) => Number((text.match(new RegExp(`<testsuite[^>]*\\s${n}="(\\d+)"`)) ?? [])[1] ?? 0);
    const t = attr('tests'),
      fl = attr('failures') + attr('errors'),
      sk = attr('skipped');
    passed += t - fl - sk;
    failed += fl;
    skipped += sk;
    console.log(`${f.replace('.xml', '').padEnd(12)} ${t - fl - sk} passed, ${fl} failed, ${sk} skipped`);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
