// Writes a gzipped copy (`name.gz`) beside each text file of dist/ when that is smaller, so the
// server (crates/web, embedded at compile time) sends it to browsers that accept gzip without
// compressing anything at run time.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const compressible = /\.(html|js|mjs|css|svg|json|txt)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
    } else if (compressible.test(name)) {
      const bytes = readFileSync(path);
      const zipped = gzipSync(bytes, { level: 9 });
      if (zipped.length < bytes.length) writeFileSync(`${path}.gz`, zipped);
    }
  }
}
walk(dist);
