// Prints the gzipped size of the production bundle and fails the build over the budget.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 150;
const dist = new URL("../dist/", import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let jsTotal = 0;
let allTotal = 0;
for (const path of files(dist).sort()) {
  if (!/\.(js|css|html|svg)$/.test(path)) continue;
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 }).length;
  allTotal += gz;
  if (path.endsWith(".js")) jsTotal += gz;
  console.log(`  ${path.slice(dist.length).padEnd(40)} ${(raw.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzipped`);
}
console.log(`bundle: JS ${(jsTotal / 1024).toFixed(1)} KB gzipped, everything ${(allTotal / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
if (allTotal > BUDGET_KB * 1024) {
  console.error(`bundle over budget: ${(allTotal / 1024).toFixed(1)} KB > ${BUDGET_KB} KB gzipped`);
  process.exit(1);
}
