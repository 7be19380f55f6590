// WebSocket messages proposed in ui/SERVER-CONTRACT.md (not in the schema yet). When the server
// implements them they move into docs/softphone-protocol.schema.json and out of this file.
/** Every proposed server message is in the schema now (`call_snapshot` included). */
export type ProposedServerMessage = never;
/** After-call work's messages are in the schema now; no client message is proposed. */
export type ProposedClientMessage = never;

/** WebSocket close code: a newer connection of the same agent replaced this one. */
export const closeReplaced = 4001;
/** WebSocket close code: the session expired or was signed out. */
export const closeSignedOut = 4401;
