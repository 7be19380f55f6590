// The protocol's JSON Schema as the server's tests use it, compiled once for the tests.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { schemaPath } from '../scripts/protocol-types.mjs';

const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(schema);

const validateServer = ajv.getSchema('urn:callbridge:softphone-protocol#/$defs/server_message');
const validateClient = ajv.getSchema('urn:callbridge:softphone-protocol#/$defs/client_message');

function check(kind: string, validate: typeof validateServer, message: unknown): void {
  if (!validate) throw new Error(`schema has no ${kind} definition`);
  if (!validate(message)) {
    throw new Error(`${kind} does not match the schema: ${JSON.stringify(message)}\n${ajv.errorsText(validate.errors)}`);
  }
}

export function assertServerMessage(message: unknown): void {
  check('server_message', validateServer, message);
}

export function assertClientMessage(message: unknown): void {
  check('client_message', validateClient, message);
}
