import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateProtocolTypes, generatedPath } from '../scripts/protocol-types.mjs';

describe('src/protocol/generated.ts', () => {
  it('is what `npm run gen:types` makes from docs/softphone-protocol.schema.json today', async () => {
    const fresh = await generateProtocolTypes();
    const committed = readFileSync(generatedPath, 'utf8');
    // When this fails the schema changed: run `npm run gen:types` and commit the result.
    expect(committed).toBe(fresh);
  });
});
