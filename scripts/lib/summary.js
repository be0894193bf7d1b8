// Prints one closing line over the Jest and Playwright reports: "N passed, N failed".
const fs = require('node:fs');

let passed = 0;
let failed = 0;
const read = file => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};
const jest = read(process.argv[2]);
if (jest) {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + (jest.numRuntimeErrorTestSuites ?? 0);
} else {
  failed += 1; // no report at all is a failure, not zero tests
}
const e2e = read(process.argv[3]);
if (e2e) {
  passed += e2e.stats.expected;
  failed += e2e.stats.unexpected + (e2e.stats.flaky ?? 0);
} else {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
