import { writeFile } from 'node:fs/promises';
import { generateProtocolTypes, generatedPath } from './protocol-types.mjs';

await writeFile(generatedPath, await generateProtocolTypes());
console.log(`wrote ${generatedPath}`);
