// The page's own URL: `?dial=<number>` (optionally `&table=<table>&sys_id=<id>`), and `?tel=<uri>`
// as `navigator.registerProtocolHandler('tel', '...?tel=%s')` delivers it.
import { cleanDialNumber, dialContext, type DialRequest } from './dial-request';
import { parseTelUri } from './tel';

export function parseDialFromUrl(search: string): DialRequest | null {
  const params = new URLSearchParams(search);
  const tel = params.get('tel');
  if (tel !== null) {
    const request = parseTelUri(tel);
    return request ? { ...request, source: 'url' } : null;
  }
  const dial = params.get('dial');
  if (dial === null) return null;
  const number = cleanDialNumber(dial);
  if (!number) return null;
  return { number, context: dialContext(params.get('table'), params.get('sys_id')), source: 'url' };
}
