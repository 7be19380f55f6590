export const schemaPath: string;
export const generatedPath: string;
export function generateProtocolTypes(): Promise<string>;
