// Prints the built softphone's and console's size, raw and gzipped, and fails over the budget (150 kB gzipped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const budget = 150 * 1024;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
let raw = 0;
let gz = 0;
for (const name of readdirSync(dir)) {
  if (!/\.(js|css)$/.test(name)) continue;
  const bytes = readFileSync(join(dir, name));
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += zipped;
  console.log(`  ${name.padEnd(32)} ${(bytes.length / 1024).toFixed(1).padStart(7)} kB  ${(zipped / 1024).toFixed(1).padStart(6)} kB gzipped`);
}
for (const page of ['index.html', 'console.html']) {
  const html = readFileSync(new URL(`../dist/${page}`, import.meta.url), 'utf8');
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /<style/i.test(html) || /\sstyle=/i.test(html)) {
    console.error(`dist/${page} has inline script or style: a strict Content-Security-Policy would block it`);
    process.exit(1);
  }
}
console.log(`softphone and console bundle: ${(raw / 1024).toFixed(1)} kB, ${(gz / 1024).toFixed(1)} kB gzipped (budget ${budget / 1024} kB gzipped)`);
if (gz > budget) {
  console.error('over budget');
  process.exit(1);
}
