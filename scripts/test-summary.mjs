// Prints vitest's JSON report as the plain closing line CI reads: "N passed, N failed".
import { readFileSync } from 'node:fs';

let report;
try {
  report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch {
  console.log('0 passed, 1 failed');
  console.error('test-summary: vitest wrote no report (it crashed before the end)');
  process.exit(1);
}
const failedSuites = report.testResults.filter(
  (s) => s.status === 'failed' && s.assertionResults.length === 0,
).length;
const skipped = report.numPendingTests + report.numTodoTests;
const failed = report.numFailedTests + failedSuites;
console.log(
  `${report.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''),
);
process.exit(failed > 0 || report.numTotalTests === 0 ? 1 : 0);
